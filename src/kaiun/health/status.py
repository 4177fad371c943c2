"""Health statuses, their Argo CD order, and worst-of aggregation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class HealthStatus(StrEnum):
    """A resource's or an application's health, as Argo CD names it."""

    HEALTHY = "Healthy"
    SUSPENDED = "Suspended"
    PROGRESSING = "Progressing"
    MISSING = "Missing"
    DEGRADED = "Degraded"
    UNKNOWN = "Unknown"

    @property
    def rank(self) -> int:
        """Position in Argo CD's best-to-worst order (0 is best)."""
        return _RANK[self]


# gitops-engine orders statuses best to worst this way; app health is the worst one.
_ORDER = (
    HealthStatus.HEALTHY,
    HealthStatus.SUSPENDED,
    HealthStatus.PROGRESSING,
    HealthStatus.MISSING,
    HealthStatus.DEGRADED,
    HealthStatus.UNKNOWN,
)
_RANK = {status: i for i, status in enumerate(_ORDER)}


@dataclass(frozen=True, slots=True)
class Health:
    """The verdict of one health check: a status and a human message."""

    status: HealthStatus
    message: str = ""


def is_worse(current: HealthStatus, new: HealthStatus) -> bool:
    """Whether ``new`` is worse than ``current`` in Argo CD's order."""
    return _RANK[new] > _RANK[current]


def worst(statuses: Iterable[HealthStatus]) -> HealthStatus:
    """The worst of ``statuses``; Healthy when there are none."""
    result = HealthStatus.HEALTHY
    for status in statuses:
        if _RANK[status] > _RANK[result]:
            result = status
    return result


def parse_status(value: object) -> HealthStatus | None:
    """The status named by ``value``, or None when it names none."""
    if isinstance(value, str):
        try:
            return HealthStatus(value)
        except ValueError:
            return None
    return None
