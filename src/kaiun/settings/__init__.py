"""The settings room (L2, pure): argocd-cm and friends parsed into frozen values.

Each module parses one family of keys; nothing here reads files, the environment or a
cluster — callers hand in the ConfigMap data. May import ``kaiun.health``, ``kaiun.diff``,
``kaiun.templating`` and ``kaiun.model``; never an IO room.
"""

__all__: list[str] = []
