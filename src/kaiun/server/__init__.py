"""The API server room (L6): Argo CD's REST API over the control plane's resources.

Owns the HTTP surface: one module per Argo CD service (applications, projects, streams),
Argo CD-shaped errors, field selection and paging. Authentication and RBAC come in through
the ``Security`` protocol (implemented by ``kaiun.auth``). Imports engine, kube, auth and the
pure rooms; never ``kaiun.cli`` or ``kaiun.controllers``' internals.
"""

from kaiun.server.app import create_app
from kaiun.server.context import ServerContext
from kaiun.server.errors import ApiError
from kaiun.server.security import Caller, Security

__all__ = ["ApiError", "Caller", "Security", "ServerContext", "create_app"]
