"""The Application controller: Argo CD's application-controller for kaiun.

Owns refreshing Applications (compare → ``status``), automated sync and self-heal,
running operations (sync, rollback) with ``status.operationState`` and ``status.history``,
AppProject enforcement and cascade deletion. Imports ``kaiun.engine``, ``kaiun.kube``,
``kaiun.repo``, the pure rooms and ``kaiun.controllers.runtime``; never another controller,
server, ui or cli.
"""

from kaiun.controllers.application.controller import ApplicationController, load_settings

__all__ = ["ApplicationController", "load_settings"]
