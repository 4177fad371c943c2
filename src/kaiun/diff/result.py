"""The outcome of comparing one resource: in sync or not, and what differs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kaiun.diff.patch import json_patch
from kaiun.diff.redact import redact_secrets
from kaiun.diff.text import unified_diff

Pair = tuple[dict[str, Any] | None, dict[str, Any] | None]


class DiffResult:
    """``modified`` is computed up front; the normalized objects, the JSON patch and the
    unified diff are computed on first use (an in-sync fast path never pays for them).
    Every output has Secret values masked.
    """

    __slots__ = ("_compute", "_context", "_pair", "_subject", "modified")

    def __init__(
        self,
        *,
        modified: bool,
        compute: Callable[[], Pair],
        subject: Any = None,
        context: Any = None,
    ) -> None:
        """``compute`` returns (normalized live, predicted live) before redaction;
        ``subject`` is the object the result is about (for its name), ``context`` the live
        object whose last-applied annotation takes part in Secret masking."""
        self.modified = modified
        self._subject = subject
        self._compute = compute
        self._context = context
        self._pair: Pair | None = None

    @property
    def name(self) -> str:
        """``Kind/name`` of the compared object (computed on use: off the fast path)."""
        obj = self._subject
        if not isinstance(obj, Mapping):
            return ""
        metadata = obj.get("metadata")
        name = metadata.get("name", "") if isinstance(metadata, Mapping) else ""
        return f"{obj.get('kind', '')}/{name}"

    def _redacted(self) -> Pair:
        if self._pair is None:
            live, target = self._compute()
            masked = redact_secrets(live, target, self._context)
            self._pair = (masked[0], masked[1])
        return self._pair

    @property
    def normalized_live(self) -> dict[str, Any] | None:
        """The live object after normalization (None when it does not exist)."""
        return self._redacted()[0]

    @property
    def predicted_live(self) -> dict[str, Any] | None:
        """The live object as it would be after applying the config (the target)."""
        return self._redacted()[1]

    @property
    def json_patch(self) -> list[dict[str, Any]]:
        """RFC 6902 operations from normalized live to predicted live."""
        live, target = self._redacted()
        return json_patch(live, target)

    @property
    def unified_diff(self) -> str:
        """A unified YAML diff from normalized live to predicted live ("" when in sync)."""
        live, target = self._redacted()
        return unified_diff(live, target, name=self.name)

    def __repr__(self) -> str:
        return f"DiffResult(name={self.name!r}, modified={self.modified})"
