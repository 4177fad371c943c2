"""Server-side printing details kubectl users see."""

from __future__ import annotations

import pytest

from kaiun.localcluster.resources import BUILTINS
from kaiun.localcluster.tables import human_duration, table


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "5s"),
        (119, "119s"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600 + 120, "3h2m"),
        (9 * 3600, "9h"),
        (3 * 86400 + 3600, "3d1h"),
        (20 * 86400, "20d"),
        (800 * 86400, "2y"),
    ],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_deployment_columns() -> None:
    rt = next(r for r in BUILTINS if r.kind == "Deployment")
    dep = {
        "metadata": {"name": "web", "creationTimestamp": "2026-01-01T00:00:00Z"},
        "spec": {"replicas": 3},
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    t = table(rt, [dep], 7)
    assert [c["name"] for c in t["columnDefinitions"]] == [
        "Name",
        "Ready",
        "Up-to-date",
        "Available",
        "Age",
    ]
    assert t["rows"][0]["cells"][:4] == ["web", "2/3", 3, 2]
    assert t["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_printer_column_paths_index_lists_and_filter_conditions() -> None:
    from kaiun.localcluster.tables import _jsonpath

    obj = {"status": {"conditions": [{"type": "Error", "status": "False"},
                                     {"type": "Ready", "status": "True"}],
                      "imagesManaged": 2, "tags": ["a", "b"]}}  # fmt: skip
    assert _jsonpath(obj, '.status.conditions[?(@.type=="Ready")].status') == "True"
    assert _jsonpath(obj, ".status.conditions[?(@.type=='Error')].status") == "False"
    assert _jsonpath(obj, '.status.conditions[?(@.type=="Missing")].status') is None
    assert _jsonpath(obj, ".status.imagesManaged") == 2
    assert _jsonpath(obj, ".status.tags[1]") == "b"
    assert _jsonpath(obj, ".status.tags[7]") is None
    assert _jsonpath(obj, ".spec.nothing") is None
