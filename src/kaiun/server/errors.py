"""API errors in Argo CD's wire shape (grpc-gateway): ``{"error", "code", "message"}``.

Every failure a handler raises is one of these; anything else becomes a 500 with a generic
message, never a traceback or a secret.
"""

from __future__ import annotations

from typing import ClassVar


class ApiError(Exception):
    """An error a client can act on; ``code`` is the gRPC status code Argo CD sends."""

    status: ClassVar[int] = 500
    code: ClassVar[int] = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, object]:
        """The JSON body Argo CD's gateway sends for this error."""
        return {"error": self.message, "code": self.code, "message": self.message}


class InvalidArgument(ApiError):
    status, code = 400, 3


class FailedPrecondition(ApiError):
    status, code = 400, 9


class Unauthenticated(ApiError):
    status, code = 401, 16


class PermissionDenied(ApiError):
    status, code = 403, 7


class NotFound(ApiError):
    status, code = 404, 5


class AlreadyExists(ApiError):
    status, code = 409, 6


class Unavailable(ApiError):
    status, code = 503, 14


def permission_denied(resource: str, action: str, obj: str) -> PermissionDenied:
    """Argo CD's wording: ``permission denied: applications, get, default/guestbook``."""
    return PermissionDenied(f"permission denied: {resource}, {action}, {obj}")
