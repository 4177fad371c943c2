"""Built-in checks never crash on malformed objects: they answer with some status."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from kaiun import health
from kaiun.health.builtin import BUILTIN_CHECKS

FIELDS = [
    "replicas", "status", "conditions", "type", "reason", "message", "phase", "paused",
    "observedGeneration", "generation", "updatedReplicas", "availableReplicas", "readyReplicas",
    "containerStatuses", "state", "waiting", "terminated", "lastState", "loadBalancer", "ingress",
    "updateStrategy", "rollingUpdate", "partition", "suspend", "active", "lastScheduleTime",
    "lastSuccessfulTime", "health", "annotations", "restartPolicy", "exitCode", "finalizers",
    "deletionTimestamp", "initContainerStatuses", "desiredNumberScheduled", "numberAvailable",
]  # fmt: skip
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 5), st.floats(allow_nan=False), st.text(max_size=5)
)
junk = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(deadline=None, max_examples=300)  # correctness, not timing
@given(
    st.sampled_from(sorted(BUILTIN_CHECKS)),
    st.dictionaries(st.sampled_from(["metadata", "spec", "status"]), junk, max_size=3),
)
def test_builtin_checks_survive_junk(group_kind: tuple[str, str], body: dict[str, Any]) -> None:
    group, kind = group_kind
    obj = {"apiVersion": f"{group}/v1" if group else "v1", "kind": kind, **body}
    result = health.assess(obj)
    assert result is not None
    assert result.status in set(health.HealthStatus)
    assert isinstance(result.message, str)


def test_malformed_finalizers_do_not_crash() -> None:
    for finalizers in (5, "argocd.argoproj.io/hook-finalizer", None, [None, 3]):
        obj = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"deletionTimestamp": "2026-11-22T10:00:00Z", "finalizers": finalizers},
        }
        assert health.assess(obj) == health.Health(
            health.HealthStatus.PROGRESSING, "Pending deletion"
        )
