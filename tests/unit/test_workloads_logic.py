"""Pure parts of the simulated workloads: rollout arithmetic, schedules, failure switches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kaiun.localcluster.workloads import cronjob, podstatus, rollout


def rs(name: str, replicas: int, available: int, pods: int | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"replicas": replicas},
        "status": {
            "replicas": replicas if pods is None else pods,
            "availableReplicas": available,
        },
    }


def deploy(replicas: int, strategy: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"spec": {"replicas": replicas, "strategy": strategy or {"type": "RollingUpdate"}}}


@pytest.mark.parametrize(
    ("replicas", "strategy", "expected"),
    [
        (4, None, (4, 1, 1)),
        (10, None, (10, 3, 2)),
        (3, {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}}, (3, 0, 1)),
        (3, {"rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 1}}, (3, 2, 1)),
        (3, {"type": "Recreate"}, (3, 0, 3)),
        (1, {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": "100%"}}, (1, 1, 1)),
    ],
)
def test_limits(replicas: int, strategy: dict[str, Any] | None, expected: tuple[int, ...]) -> None:
    lim = rollout.limits(deploy(replicas, strategy))
    assert (lim.desired, lim.surge, lim.unavailable) == expected


@pytest.mark.parametrize(
    ("new", "olds", "expected"),
    [
        (None, [], 3),  # first rollout: everything at once
        (rs("n", 0, 0), [rs("o", 3, 3)], 1),  # surge 1 over 3
        (rs("n", 1, 0), [rs("o", 3, 3)], 1),  # no room until an old pod goes
        (rs("n", 1, 1), [rs("o", 2, 2)], 2),
        (rs("n", 5, 5), [], 3),  # scaled down to desired
    ],
)
def test_new_replicaset_target(new: Any, olds: list[Any], expected: int) -> None:
    lim = rollout.Limits(desired=3, surge=1, unavailable=0)
    assert rollout.new_rs_target(lim, new, olds) == expected


@pytest.mark.parametrize(
    ("new", "olds", "expected"),
    [
        # 4 pods, 3 available old + 0 new: min available 3, nothing may go.
        (rs("n", 1, 0), [rs("o", 3, 3)], {}),
        # New pod available: one old may go.
        (rs("n", 1, 1), [rs("o", 3, 3)], {"o": 2}),
        # Stale status of an old set already scaled to 2 does not count its doomed pod.
        (rs("n", 2, 1), [rs("o", 2, 3, pods=3)], {}),
        # Unhealthy old pods go first, but only as many as there are pods over the minimum.
        (rs("n", 1, 1), [rs("o", 3, 1)], {"o": 2}),
        (rs("n", 1, 1), [rs("o", 4, 2)], {"o": 2}),
    ],
)
def test_old_scale_down(new: Any, olds: list[Any], expected: dict[str, int]) -> None:
    lim = rollout.Limits(desired=3, surge=1, unavailable=0)
    assert rollout.old_scale_down(lim, new, olds) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"updatedReplicas": 1}, {"updatedReplicas": 2}, True),
        ({"readyReplicas": 2}, {"readyReplicas": 2}, False),
        ({"replicas": 4, "updatedReplicas": 1}, {"replicas": 3, "updatedReplicas": 1}, True),
        ({"availableReplicas": 3}, {"availableReplicas": 2}, False),
    ],
)
def test_progressed(old: dict[str, int], new: dict[str, int], expected: bool) -> None:
    assert rollout.progressed(old, new) is expected


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("schedule", "tz", "after", "expected"),
    [
        ("*/5 * * * *", None, "2026-01-01T10:02:00", "2026-01-01T10:05:00"),
        ("0 3 * * *", None, "2026-01-01T03:00:00", "2026-01-02T03:00:00"),
        ("0 9 * * *", "Asia/Tokyo", "2026-01-01T00:30:00", "2026-01-02T00:00:00"),
        ("@hourly", None, "2026-01-01T10:59:59", "2026-01-01T11:00:00"),
    ],
)
def test_next_run(schedule: str, tz: str | None, after: str, expected: str) -> None:
    assert cronjob.next_run(schedule, tz, ts(after)) == ts(expected)


def test_latest_due_picks_only_the_most_recent_missed_run() -> None:
    after, now = ts("2026-01-01T10:00:00"), ts("2026-01-01T10:17:30")
    assert cronjob.latest_due("*/5 * * * *", None, after, now) == ts("2026-01-01T10:15:00")
    assert cronjob.latest_due("*/5 * * * *", None, ts("2026-01-01T10:15:00"), now) == 0.0


def test_every_seconds_override() -> None:
    assert cronjob.next_run("ignored", None, 100.5, every=3) == 102
    assert cronjob.latest_due("ignored", None, 90, 100.5, every=3) == 99
    assert cronjob.latest_due("ignored", None, 99, 100.5, every=3) == 0.0


@pytest.mark.parametrize(
    ("annotations", "images", "mode"),
    [
        ({}, ["nginx:1.25"], ""),
        ({"local.kaiun.io/simulate": "NotReady"}, ["nginx"], "NotReady"),
        ({}, ["nginx", "registry.local:5000/app:fail-pull"], "ImagePullBackOff"),
        ({}, ["busybox:crash-loop"], "CrashLoopBackOff"),
        ({}, ["busybox:fail"], "Fail"),
        ({}, ["localhost:5000/fail"], ""),  # a port, not a tag
    ],
)
def test_mode_of(annotations: dict[str, str], images: list[str], mode: str) -> None:
    pod = {
        "metadata": {"annotations": annotations},
        "spec": {"containers": [{"name": f"c{i}", "image": im} for i, im in enumerate(images)]},
    }
    assert podstatus.mode_of(pod) == mode


@pytest.mark.parametrize(
    ("image", "full"),
    [
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.25", "docker.io/library/nginx:1.25"),
        ("bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("ghcr.io/org/app:v1", "ghcr.io/org/app:v1"),
        ("localhost:5000/app", "localhost:5000/app:latest"),
    ],
)
def test_full_image(image: str, full: str) -> None:
    assert podstatus.full_image(image) == full


@pytest.mark.parametrize(
    ("resources", "qos"),
    [
        ([{}], "BestEffort"),
        ([{"requests": {"cpu": "1"}}], "Burstable"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}}], "Guaranteed"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}], "Burstable"),
    ],
)
def test_qos_class(resources: list[dict[str, Any]], qos: str) -> None:
    spec = {"containers": [{"name": "c", "resources": r} for r in resources]}
    assert podstatus.qos_class(spec) == qos
