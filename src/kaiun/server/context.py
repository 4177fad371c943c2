"""What every handler needs: the cluster holding the control plane, its namespace, security."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.server.errors import AlreadyExists, ApiError, InvalidArgument, NotFound, Unavailable
from kaiun.server.security import Security
from kaiun.server.watchhub import WatchHub


@dataclass(frozen=True)
class ServerContext:
    """Shared by all requests of one API server."""

    client: KubeClient
    namespace: str
    security: Security
    version: str = "v0.1.0+kaiun"
    # The Application watch and cache every read of Applications goes through.
    hub: WatchHub = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hub", WatchHub(self.client, self.namespace))


def context_of(request: Request) -> ServerContext:
    """The server's context (FastAPI dependency)."""
    ctx: ServerContext = request.app.state.ctx
    return ctx


def translate(exc: kerrors.KubeError, what: str) -> ApiError:
    """A Kubernetes error as the API error a client of Argo CD's API would get."""
    if isinstance(exc, kerrors.NotFound):
        return NotFound(f"{what} not found")
    if isinstance(exc, kerrors.AlreadyExists):
        return AlreadyExists(f"{what} already exists")
    if isinstance(exc, kerrors.Invalid | kerrors.BadRequest):
        return InvalidArgument(f"{what}: {exc}")
    if isinstance(exc, kerrors.Conflict):
        return InvalidArgument(f"{what} was changed concurrently; retry: {exc}")
    return Unavailable(f"cluster API unavailable while handling {what}")
