"""The cache's in-memory indexes: owner graph, app index, consistency on replace/remove."""

from __future__ import annotations

import json

from kaiun.diff import IgnoreRule
from kaiun.kube.cache.index import ClusterIndex
from kaiun.kube.cache.records import OwnerRef, Record, ResourceKey, fingerprint
from kaiun.kube.cache.settings import CacheSettings


def _rec(
    kind: str, name: str, uid: str, *, owner: str | None = None, app: str | None = None
) -> Record:
    owners = (OwnerRef(owner, "apps", "X", "x", True),) if owner else ()
    key = ResourceKey("apps" if kind != "Pod" else "", kind, "ns", name)
    return Record(key, uid, "1", owners, app, 0, None)


def _tree() -> ClusterIndex:
    idx = ClusterIndex()
    idx.upsert(_rec("Deployment", "web", "d1", app="shop"))
    idx.upsert(_rec("ReplicaSet", "web-1", "r1", owner="d1"))
    idx.upsert(_rec("Pod", "web-1-a", "p1", owner="r1"))
    idx.upsert(_rec("Pod", "web-1-b", "p2", owner="r1"))
    idx.upsert(_rec("Pod", "lonely", "p3"))
    return idx


def test_parents_children_descendants() -> None:
    idx = _tree()
    dep = ResourceKey("apps", "Deployment", "ns", "web")
    rs = ResourceKey("apps", "ReplicaSet", "ns", "web-1")
    assert [r.key for r in idx.children(dep)] == [rs]
    assert {r.key.name for r in idx.children(rs)} == {"web-1-a", "web-1-b"}
    assert {r.key.name for r in idx.descendants(dep)} == {"web-1", "web-1-a", "web-1-b"}
    assert [r.key for r in idx.parents(ResourceKey("", "Pod", "ns", "web-1-a"))] == [rs]


def test_apps_of_walks_up_the_owner_chain() -> None:
    idx = _tree()
    pod = idx.get(ResourceKey("", "Pod", "ns", "web-1-a"))
    lonely = idx.get(ResourceKey("", "Pod", "ns", "lonely"))
    assert pod is not None and lonely is not None
    assert idx.apps_of(pod) == {"shop"}
    assert idx.apps_of(lonely) == set()
    assert idx.app_keys("shop") == {ResourceKey("apps", "Deployment", "ns", "web")}


def test_owner_cycle_terminates() -> None:
    idx = ClusterIndex()
    idx.upsert(_rec("A", "a", "u1", owner="u2", app="x"))
    idx.upsert(_rec("B", "b", "u2", owner="u1"))
    b = idx.get(ResourceKey("apps", "B", "ns", "b"))
    assert b is not None
    assert idx.apps_of(b) == {"x"}
    assert {r.key.name for r in idx.descendants(b.key)} == {"a"}


def test_replace_and_remove_keep_indexes_consistent() -> None:
    idx = _tree()
    dep = ResourceKey("apps", "Deployment", "ns", "web")
    idx.upsert(_rec("Deployment", "web", "d1", app="other"))
    assert idx.app_keys("shop") == set()
    assert idx.app_keys("other") == {dep}
    idx.remove(ResourceKey("apps", "ReplicaSet", "ns", "web-1"))
    assert idx.children(dep) == []
    assert idx.remove(ResourceKey("apps", "ReplicaSet", "ns", "web-1")) is None
    assert len(idx) == 4
    assert idx.keys_of_kind("", "Pod") == {
        ResourceKey("", "Pod", "ns", n) for n in ("web-1-a", "web-1-b", "lonely")
    }
    assert idx.apps() == ["other"]


def test_fingerprint_ignores_pointers_without_mutating() -> None:
    obj = {"metadata": {"resourceVersion": "1", "a/b": 1}, "status": {"x": 1}, "spec": {"y": 1}}
    changed = {"metadata": {"resourceVersion": "2", "a/b": 1}, "status": {"x": 2}, "spec": {"y": 1}}
    pointers = ("/metadata/resourceVersion", "/status")
    assert fingerprint(obj, pointers) == fingerprint(changed, pointers)
    assert fingerprint(obj, ()) != fingerprint(changed, ())
    assert fingerprint(obj, ("/metadata/a~1b",)) != fingerprint(obj, ())
    assert obj["status"] == {"x": 1} and obj["metadata"]["resourceVersion"] == "1"
    spec_changed = {**obj, "spec": {"y": 2}}
    assert fingerprint(obj, pointers) != fingerprint(spec_changed, pointers)


def test_fingerprint_applies_jq_without_mutating() -> None:
    s = CacheSettings.from_argocd_cm(
        {
            "resource.customizations.ignoreResourceUpdates.ConfigMap": (
                "jqPathExpressions: ['.metadata.annotations.\"x/y\"', '.data.b?']\n"
            )
        }
    )
    ign = s.update_ignores("", "ConfigMap")
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "annotations": {"x/y": "1"}},
        "data": {"a": "1", "b": "1"},
    }
    copy = json.loads(json.dumps(obj))
    changed = json.loads(json.dumps(obj))
    changed["metadata"]["annotations"]["x/y"] = "2"
    changed["data"]["b"] = "2"
    before = fingerprint(obj, ign.pointers, ign.rules)
    assert before == fingerprint(changed, ign.pointers, ign.rules)
    assert obj == copy
    # Without the jq rules those changes count; with them, other changes still do.
    assert fingerprint(obj, ign.pointers) != fingerprint(changed, ign.pointers)
    changed["data"]["a"] = "2"
    assert before != fingerprint(changed, ign.pointers, ign.rules)


def test_fingerprint_counts_a_change_when_jq_fails() -> None:
    rule = IgnoreRule(jq_path_expressions=(".data.x",))
    obj = {"data": "not-a-mapping"}
    assert fingerprint(obj, (), (rule,)) != fingerprint({"data": "other"}, (), (rule,))
