"""Demo content shipped with kaiun: the example-apps repository ``kaiun up --demo`` creates
(``repo/``, package data) and ``seed_demo``, which writes it and registers its Applications.
"""

from kaiun.cli.demo.seed import seed_demo

__all__ = ["seed_demo"]
