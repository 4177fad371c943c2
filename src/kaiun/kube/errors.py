"""Errors of the kube room: one class per API status, plus connection and config failures.

Tree::

    KubeError
    ├── ConfigError            kubeconfig / cluster Secret / exec plugin unusable
    ├── Unreachable            no HTTP answer (DNS, refused, TLS, timeout)
    └── APIError              the API answered with a non-2xx Status
        ├── BadRequest 400, Unauthorized 401, Forbidden 403, NotFound 404,
        ├── MethodNotAllowed 405, Conflict 409 (AlreadyExists is a Conflict),
        ├── Gone 410, UnsupportedMediaType 415, Invalid 422, TooManyRequests 429,
        └── ServerError 5xx

Messages name the server and what to check; they never contain credentials.
"""

from __future__ import annotations

from typing import Any


class KubeError(Exception):
    """Base of every error raised by ``kaiun.kube``."""


class ConfigError(KubeError):
    """Connection settings could not be read or are incomplete."""


class Unreachable(KubeError):
    """The API server gave no HTTP answer."""

    def __init__(self, server: str, reason: str) -> None:
        super().__init__(
            f"cannot reach the Kubernetes API at {server}: {reason}; "
            "check the server address, that it is running, and its CA certificate"
        )
        self.server = server
        self.reason = reason


class APIError(KubeError):
    """A non-2xx answer; carries the API's ``Status`` (``reason``, ``message``, ``details``)."""

    code: int = 0

    def __init__(self, code: int, status: dict[str, Any], *, where: str = "") -> None:
        self.code = code
        self.status = status
        self.reason = str(status.get("reason") or "")
        self.api_message = str(status.get("message") or "")
        self.details: dict[str, Any] = status.get("details") or {}
        self.where = where
        text = self.api_message or self.reason or f"HTTP {code}"
        super().__init__(f"{where}: {text}" if where else text)


class BadRequest(APIError):
    code = 400


class Unauthorized(APIError):
    code = 401

    def __init__(self, code: int, status: dict[str, Any], *, where: str = "") -> None:
        super().__init__(code, status, where=where)
        self.args = (
            f"{where}: authentication failed (401 Unauthorized): the credentials were "
            "rejected or have expired; check the token, client certificate or exec plugin",
        )


class Forbidden(APIError):
    code = 403


class NotFound(APIError):
    code = 404


class MethodNotAllowed(APIError):
    code = 405


class Conflict(APIError):
    code = 409


class AlreadyExists(Conflict):
    pass


class Gone(APIError):
    code = 410


class UnsupportedMediaType(APIError):
    code = 415


class Invalid(APIError):
    code = 422


class TooManyRequests(APIError):
    code = 429


class ServerError(APIError):
    code = 500


_BY_CODE: dict[int, type[APIError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    410: Gone,
    415: UnsupportedMediaType,
    422: Invalid,
    429: TooManyRequests,
}


def api_error(code: int, status: dict[str, Any], *, where: str = "") -> APIError:
    """The ``APIError`` subclass for an HTTP status code and its ``Status`` body."""
    if code == 409 and status.get("reason") == "AlreadyExists":
        return AlreadyExists(code, status, where=where)
    cls = _BY_CODE.get(code) or (ServerError if code >= 500 else APIError)
    return cls(code, status, where=where)
