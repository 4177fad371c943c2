"""Every built-in health check, state by state, from the fixture table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kaiun import health

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "builtin.yaml").read_text()
)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_builtin_check(case: dict[str, Any]) -> None:
    result = health.assess(case["object"])
    expected = case["expected"]
    if expected is None:
        assert result is None
    else:
        assert result == health.Health(health.HealthStatus(expected["status"]), expected["message"])


def test_every_kind_in_the_issue_has_fixtures() -> None:
    kinds = {c["object"]["kind"] for c in CASES}
    required = {
        "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job", "CronJob",
        "Service", "Ingress", "PersistentVolumeClaim", "HorizontalPodAutoscaler", "APIService",
        "Application",
    }  # fmt: skip
    assert required <= kinds


def test_garbage_fields_do_not_crash() -> None:
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": "oops", "status": [1]}
    result = health.assess(obj)
    assert result is not None
    assert result.status in set(health.HealthStatus)


def test_non_objects_are_unknown() -> None:
    result = health.assess(["not", "an", "object"])  # type: ignore[arg-type]
    assert result is not None and result.status is health.HealthStatus.UNKNOWN
