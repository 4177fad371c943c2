"""PLACEHOLDER: simulated workload controllers land next."""

from typing import Any


def controllers(cluster: Any, *, pod_ready_delay: float) -> list[Any]:
    return []
