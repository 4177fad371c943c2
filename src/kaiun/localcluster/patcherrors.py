"""Errors raised when a patch or an apply cannot be carried out.

Each carries the HTTP status code, the Kubernetes ``Status`` reason and a
``status()`` rendering of the ``Status`` object the API server answers with::

    WriteError
    ├── PatchError (422 Invalid): a well-formed patch that does not apply
    │   ├── MalformedPatchError (400 BadRequest): the patch document itself is wrong
    │   └── UnsupportedPatchError (415 UnsupportedMediaType): patch type not allowed here
    ├── ApplyError (400 BadRequest, or 422 Invalid): an apply configuration rejected
    └── ApplyConflictError (409 Conflict): fields owned by other managers would change
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ApplyConflictError",
    "ApplyError",
    "MalformedPatchError",
    "PatchError",
    "UnsupportedPatchError",
    "WriteError",
]


class WriteError(Exception):
    """A write the API server refuses; ``status()`` is the response body."""

    code = 400
    reason = "BadRequest"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def _details(self) -> dict[str, Any] | None:
        return None

    def _status_message(self) -> str:
        return self.message

    def status(self) -> dict[str, Any]:
        """The Kubernetes ``Status`` object for this error."""
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self._status_message(),
            "reason": self.reason,
        }
        details = self._details()
        if details is not None:
            body["details"] = details
        body["code"] = self.code
        return body


class PatchError(WriteError):
    """A well-formed patch that cannot be applied to the object (HTTP 422).

    As in Kubernetes, the Status message is generic and the failure itself is the
    one cause in its details.
    """

    code = 422
    reason = "Invalid"

    def _status_message(self) -> str:
        return "the server rejected our request due to an error in our request"

    def _details(self) -> dict[str, Any] | None:
        return {"causes": [{"type": "UnexpectedServerResponse", "message": self.message}]}


class MalformedPatchError(PatchError):
    """A patch document that is not valid for its patch type (HTTP 400 BadRequest)."""

    code = 400
    reason = "BadRequest"

    def _status_message(self) -> str:
        return self.message

    def _details(self) -> dict[str, Any] | None:
        return None


class UnsupportedPatchError(MalformedPatchError):
    """A patch content type the resource does not accept (HTTP 415 UnsupportedMediaType)."""

    code = 415
    reason = "UnsupportedMediaType"


class ApplyError(WriteError):
    """A server-side apply request the field manager rejects (HTTP 400, or 422 if invalid)."""

    def __init__(self, message: str, *, code: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.reason = "BadRequest" if code == 400 else "Invalid"


class ApplyConflictError(WriteError):
    """Applying would change fields another manager owns (HTTP 409 Conflict).

    ``conflicts`` lists ``(manager description, field path)`` pairs, e.g.
    ``('"kubectl-client-side-apply" using apps/v1', ".spec.replicas")``; ``causes``
    are the matching ``Status.details.causes`` entries.
    """

    code = 409
    reason = "Conflict"

    def __init__(self, message: str, conflicts: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.conflicts = conflicts

    @property
    def causes(self) -> list[dict[str, str]]:
        """The ``details.causes`` of the Kubernetes Status for this conflict."""
        return [
            {"type": "FieldManagerConflict", "message": f"conflict with {who}", "field": path}
            for who, path in self.conflicts
        ]

    def _details(self) -> dict[str, Any] | None:
        return {"causes": self.causes}
