"""``python -m kaiun.cli`` runs the ``kaiun`` command."""

from kaiun.cli.main import main

main()
