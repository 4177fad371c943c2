"""expr-lang, the language of Argo CD notification triggers: compile once, run many.

``compile(src) -> Program``; ``Program.run(env, clock=...) -> value``. ``notifications``
builds the ``time``/``strings`` helpers triggers call.
"""

from kaiun.templating.expr.compiler import Program, compile
from kaiun.templating.expr.notifications import helpers as notification_helpers

__all__ = ["Program", "compile", "notification_helpers"]
