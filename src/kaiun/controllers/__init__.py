"""Controllers (L5): reconcilers that compose the rooms below them.

Owns ``runtime/`` (de-duplicating rate-limited work queue, the Reconciler protocol and its
outcomes, informers) and one sub-package per controller (``application``,
``applicationset``, ``notifications``, ``imageupdater``), which are mutually independent:
none imports another. Controllers may import ``engine`` and every room below it, never
``server``, ``ui`` or ``cli``.
"""

__all__: list[str] = []
