"""API errors as Kubernetes ``Status`` objects.

APIError
 ├── BadRequest (400)       malformed body, bad selector, mismatched kind/name/namespace
 ├── Forbidden (403)        e.g. creating in a terminating namespace
 ├── NotFound (404)         unknown resource or object
 ├── MethodNotAllowed (405) verb not supported by the resource
 ├── Conflict (409)         AlreadyExists, stale resourceVersion, apply conflicts
 ├── Gone (410)             watch/list from a compacted resourceVersion
 ├── RequestTooLarge (413)
 ├── UnsupportedMediaType (415)
 └── Invalid (422)          field validation, with details.causes
"""

from __future__ import annotations

from typing import Any


class APIError(Exception):
    """An error the API answers with; ``status()`` is the body."""

    code = 500
    reason = "InternalError"

    def __init__(
        self, message: str, *, reason: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if reason:
            self.reason = reason
        self.details = details

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(APIError):
    code, reason = 400, "BadRequest"


class Forbidden(APIError):
    code, reason = 403, "Forbidden"


class NotFound(APIError):
    code, reason = 404, "NotFound"


class MethodNotAllowed(APIError):
    code, reason = 405, "MethodNotAllowed"


class Conflict(APIError):
    code, reason = 409, "Conflict"


class Gone(APIError):
    code, reason = 410, "Expired"


class RequestTooLarge(APIError):
    code, reason = 413, "RequestEntityTooLarge"


class UnsupportedMediaType(APIError):
    code, reason = 415, "UnsupportedMediaType"


class Invalid(APIError):
    code, reason = 422, "Invalid"


def not_found(qualified: str, name: str, group: str = "", kind: str = "") -> NotFound:
    """``deployments.apps "web" not found`` with Kubernetes' details."""
    return NotFound(
        f'{qualified} "{name}" not found',
        details={"name": name, "group": group, "kind": kind.split(".")[0]},
    )


def already_exists(qualified: str, name: str, group: str, plural: str) -> Conflict:
    return Conflict(
        f'{qualified} "{name}" already exists',
        reason="AlreadyExists",
        details={"name": name, "group": group, "kind": plural},
    )


def stale(qualified: str, name: str, group: str, plural: str) -> Conflict:
    return Conflict(
        f'Operation cannot be fulfilled on {qualified} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
        details={"name": name, "group": group, "kind": plural},
    )
