"""The API server room (L6): Argo CD's REST API over the control plane's resources.

Owns the HTTP surface: one module per Argo CD service (applications, projects and their
role tokens, streams, session, account, settings/version), Argo CD-shaped errors, field
selection and paging, and ``serve`` (install, initialize accounts, run uvicorn).
Authentication and RBAC come in through the ``Security`` protocol; ``AuthSecurity``
(``authn``) is the real one over ``kaiun.auth``. Imports engine, kube, auth and the
pure rooms; never ``kaiun.cli`` or ``kaiun.controllers``' internals.
"""

from kaiun.server.app import create_app
from kaiun.server.authn import AuthSecurity
from kaiun.server.context import ServerContext
from kaiun.server.errors import ApiError
from kaiun.server.security import Caller, Security
from kaiun.server.serve import ServeOptions, serve

__all__ = [
    "ApiError",
    "AuthSecurity",
    "Caller",
    "Security",
    "ServeOptions",
    "ServerContext",
    "create_app",
    "serve",
]
