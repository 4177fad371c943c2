"""Controllers (L5): reconcilers that compose the rooms below them.

Each controller is a sub-package (``application``, ``applicationset``, ``notifications``,
``imageupdater``) and they are mutually independent: none imports another. Controllers may
import ``engine`` and every room below it, never ``server``, ``ui`` or ``cli``.
"""

__all__: list[str] = []
