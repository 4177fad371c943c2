"""Retry policy of a sync operation: ``retry.limit`` and ``retry.backoff`` as Argo CD reads
them (Go durations such as ``5s``, ``3m``, ``1m30s``; defaults 5s, factor 2, max 3m).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kaiun.model import duration


class RetryPolicyError(ValueError):
    """A retry policy value kaiun cannot read; the message names the field."""


def parse_duration(text: str | int | float) -> float:
    """Seconds in a Go duration (``"1m30s"``); a bare number is seconds."""
    try:
        return duration.parse_duration(text)
    except duration.DurationError:
        raise RetryPolicyError(
            f"invalid duration {text!r}: use Go syntax such as 5s, 3m or 1m30s"
        ) from None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to wait before retrying a failed sync."""

    limit: int = 0
    duration: float = 5.0
    factor: float = 2.0
    max_duration: float = 180.0

    @classmethod
    def parse(cls, spec: Mapping[str, Any] | None) -> RetryPolicy:
        """From Argo CD's ``retry`` object; absent means no retries."""
        if not spec:
            return cls()
        backoff = spec.get("backoff") or {}
        try:
            limit = int(spec.get("limit") or 0)
            raw_factor = backoff.get("factor")
            factor = 2.0 if raw_factor is None else float(raw_factor)
        except (TypeError, ValueError) as exc:
            raise RetryPolicyError(f"invalid retry limit or factor: {exc}") from exc
        return cls(
            limit=limit,
            duration=parse_duration(backoff.get("duration") or "5s"),
            factor=factor,
            max_duration=parse_duration(backoff.get("maxDuration") or "3m"),
        )

    def allows(self, retry_count: int) -> bool:
        """Whether another attempt may follow ``retry_count`` retries (limit < 0: unlimited)."""
        return self.limit < 0 or retry_count < self.limit

    def delay(self, retry_count: int) -> float:
        """Seconds to wait before retry number ``retry_count + 1``, capped at max_duration."""
        delay = self.duration * (self.factor**retry_count)
        if self.max_duration > 0:
            delay = min(delay, self.max_duration)
        return max(delay, 0.0)
