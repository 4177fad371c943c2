"""Argo CD's health order and worst-of aggregation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kaiun import health
from kaiun.health import Health, HealthStatus

ORDER = ["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"]


def test_order_is_argo_cds() -> None:
    assert sorted(HealthStatus, key=lambda s: s.rank) == [HealthStatus(s) for s in ORDER]
    assert health.is_worse(HealthStatus.PROGRESSING, HealthStatus.DEGRADED)
    assert not health.is_worse(HealthStatus.DEGRADED, HealthStatus.MISSING)


@given(st.lists(st.sampled_from(list(HealthStatus))))
def test_worst_is_the_highest_rank(statuses: list[HealthStatus]) -> None:
    result = health.worst(statuses)
    assert all(not health.is_worse(result, s) for s in statuses)
    assert result in statuses or (not statuses and result is HealthStatus.HEALTHY)
    assert health.worst(reversed(statuses)) is result


def _obj(name: str, **annotations: str) -> dict[str, object]:
    return {"kind": "Pod", "metadata": {"name": name, "annotations": annotations}}


def test_application_health_skips_hooks_and_ignored_resources() -> None:
    resources = [
        (_obj("web"), Health(HealthStatus.HEALTHY)),
        (_obj("migrate", **{"argocd.argoproj.io/hook": "PreSync"}), Health(HealthStatus.DEGRADED)),
        (_obj("chart-test", **{"helm.sh/hook": "test"}), Health(HealthStatus.UNKNOWN)),
        (
            _obj("flaky", **{"argocd.argoproj.io/ignore-healthcheck": "true"}),
            Health(HealthStatus.DEGRADED),
        ),
        (_obj("config"), None),
        (_obj("queue"), Health(HealthStatus.PROGRESSING, "Waiting")),
    ]
    assert health.application_health(resources) == Health(HealthStatus.PROGRESSING)


def test_application_health_missing_beats_progressing() -> None:
    resources = [
        (_obj("a"), Health(HealthStatus.PROGRESSING)),
        (_obj("b"), Health(HealthStatus.MISSING)),
        (_obj("c"), Health(HealthStatus.SUSPENDED)),
    ]
    assert health.application_health(resources).status is HealthStatus.MISSING
    assert health.application_health([]).status is HealthStatus.HEALTHY
