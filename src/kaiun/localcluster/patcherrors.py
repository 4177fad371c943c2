"""Errors raised when a patch or an apply cannot be carried out.

Each carries the HTTP status code and Kubernetes ``Status`` reason the API server
answers with, so the server turns it into a ``Status`` object unchanged::

    PatchError (422 Invalid-ish "UnprocessableEntity")
    ├── MalformedPatchError (400 BadRequest): the patch document itself is wrong
    └── UnsupportedPatchError (415 UnsupportedMediaType): patch type not allowed here
    ApplyError (400 BadRequest / 422 Invalid): an apply configuration the field manager rejects
    ApplyConflictError (409 Conflict): fields owned by other managers would change
"""

from __future__ import annotations

__all__ = [
    "ApplyConflictError",
    "ApplyError",
    "MalformedPatchError",
    "PatchError",
    "UnsupportedPatchError",
]


class PatchError(Exception):
    """A well-formed patch that cannot be applied to the object (HTTP 422)."""

    code = 422
    reason = ""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedPatchError(PatchError):
    """A patch document that is not valid for its patch type (HTTP 400 BadRequest)."""

    code = 400
    reason = "BadRequest"


class UnsupportedPatchError(PatchError):
    """A patch content type the resource does not accept (HTTP 415 UnsupportedMediaType)."""

    code = 415
    reason = "UnsupportedMediaType"


class ApplyError(Exception):
    """A server-side apply request the field manager rejects (HTTP 400, or 422 if invalid)."""

    def __init__(self, message: str, *, code: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.reason = "BadRequest" if code == 400 else "Invalid"


class ApplyConflictError(Exception):
    """Applying would change fields another manager owns (HTTP 409 Conflict).

    ``conflicts`` lists ``(manager description, field path)`` pairs, e.g.
    ``('"kubectl-client-side-apply" using apps/v1', ".spec.replicas")``; ``causes``
    are the matching ``Status.details.causes`` entries.
    """

    code = 409
    reason = "Conflict"

    def __init__(self, message: str, conflicts: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.message = message
        self.conflicts = conflicts

    @property
    def causes(self) -> list[dict[str, str]]:
        """The ``details.causes`` of the Kubernetes Status for this conflict."""
        return [
            {"type": "FieldManagerConflict", "message": f"conflict with {who}", "field": path}
            for who, path in self.conflicts
        ]
