"""Per-resource compare options: the ``argocd.argoproj.io/compare-options`` annotation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kaiun.diff.normalize.known_types import annotations_of

COMPARE_OPTIONS = "argocd.argoproj.io/compare-options"


@dataclass(frozen=True, slots=True)
class CompareOptions:
    """What a resource (or app) asks of the comparison.

    ``ignore_extraneous``: a live object without config does not make the app OutOfSync;
    ``server_side_diff``: None when unset (fall back to the app / global setting).
    """

    ignore_extraneous: bool = False
    server_side_diff: bool | None = None
    include_mutation_webhook: bool = False

    def uses_server_side_diff(self, *, default: bool) -> bool:
        """Whether to diff server-side: this option when set, else the global ``default``."""
        return default if self.server_side_diff is None else self.server_side_diff

    @classmethod
    def parse(cls, value: str) -> CompareOptions:
        """Parse a comma-separated option list (``IgnoreExtraneous,ServerSideDiff=true``)."""
        options = {p.strip() for p in value.split(",") if p.strip()}
        ssd: bool | None = None
        if "ServerSideDiff=true" in options:
            ssd = True
        elif "ServerSideDiff=false" in options:
            ssd = False
        return cls(
            ignore_extraneous="IgnoreExtraneous" in options,
            server_side_diff=ssd,
            include_mutation_webhook="IncludeMutationWebhook=true" in options,
        )

    @classmethod
    def of(cls, obj: Mapping[str, Any] | None) -> CompareOptions:
        """The options an object's annotation declares (defaults when it has none)."""
        value = annotations_of(obj).get(COMPARE_OPTIONS)
        return cls.parse(value) if isinstance(value, str) else cls()
