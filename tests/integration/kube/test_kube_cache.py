"""The cluster cache against the local cluster, with changes made by real kubectl."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kaiun.kube import ClusterConfig
from kaiun.kube.cache import CacheSettings, ResourceKey
from kaiun.model.tracking import TrackingMethod
from tests.integration.kube.cacherunner import CacheRunner
from tests.integration.kube.conftest import InterceptingTransport, status_response
from tests.support import Kubectl, crd_manifest, wait_for

TRACKING = "argocd.argoproj.io/tracking-id"


@pytest.fixture
def runner(kube_config: ClusterConfig) -> Iterator[CacheRunner]:
    r = CacheRunner(kube_config)
    try:
        r.wait_synced()
        yield r
    finally:
        r.close()


def _apply(kubectl: Kubectl, obj: dict[str, Any]) -> dict[str, Any]:
    return json.loads(kubectl("apply", "-f", "-", "-o", "json", input=json.dumps(obj)))


def _cm(ns: str, name: str, app: str | None = None, **data: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if app:
        meta["annotations"] = {TRACKING: f"{app}:/ConfigMap:{ns}/{name}"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def test_cache_follows_kubectl_create_update_delete(
    runner: CacheRunner, kubectl: Kubectl, namespace: str
) -> None:
    key = ResourceKey("", "ConfigMap", namespace, "tracked")
    _apply(kubectl, _cm(namespace, "tracked", "shop", a="1"))
    _apply(kubectl, _cm(namespace, "plain", None, a="1"))
    wait_for(lambda: runner.seen(lambda e: e.key == key), what="ADDED event")
    rec = runner.sync(lambda: runner.cache.get(key))
    assert rec is not None and rec.app == "shop" and rec.obj is not None
    assert rec.obj["data"] == {"a": "1"}
    # Lean memory: an object no Application manages keeps identity only.
    plain = wait_for(lambda: runner.sync(lambda: runner.cache.get(key._replace(name="plain"))))
    assert plain.obj is None and plain.uid
    assert not runner.seen(lambda e: e.key.name == "plain")

    kubectl("patch", "configmap", "tracked", "-n", namespace, "-p", '{"data":{"a":"2"}}')
    wait_for(lambda: runner.seen(lambda e: e.key == key and e.type == "MODIFIED"))
    rec = runner.sync(lambda: runner.cache.get(key))
    assert rec is not None and rec.obj is not None and rec.obj["data"] == {"a": "2"}

    kubectl("delete", "configmap", "tracked", "-n", namespace)
    deleted = wait_for(lambda: runner.seen(lambda e: e.key == key and e.type == "DELETED"))
    assert deleted[0].apps == frozenset({"shop"})
    assert runner.sync(lambda: runner.cache.get(key)) is None
    assert [e.type for e in runner.seen(lambda e: e.key == key)] == ["ADDED", "MODIFIED", "DELETED"]


def _deployment(kubectl: Kubectl, ns: str, app: str | None) -> dict[str, Any]:
    """A Deployment (tracked by ``app``); the local cluster's controllers make its ReplicaSet
    and Pod."""
    labels = {"app": "web"}
    annotations = {TRACKING: f"{app}:apps/Deployment:{ns}/web"} if app else {}
    return _apply(
        kubectl,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": ns, "annotations": annotations},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": "nginx"}]},
                },
            },
        },
    )


def _chain(runner: CacheRunner, dkey: ResourceKey) -> tuple[ResourceKey, ResourceKey] | None:
    """(ReplicaSet, Pod) keys under the Deployment once the cache has both."""

    def look() -> tuple[ResourceKey, ResourceKey] | None:
        idx = runner.cache.index
        for rs in idx.children(dkey):
            for pod in idx.children(rs.key):
                if rs.key.kind == "ReplicaSet" and pod.key.kind == "Pod":
                    return rs.key, pod.key
        return None

    return runner.sync(look)


def test_owner_graph_and_touched_apps(
    runner: CacheRunner, kubectl: Kubectl, namespace: str
) -> None:
    _deployment(kubectl, namespace, "web-app")
    dkey = ResourceKey("apps", "Deployment", namespace, "web")
    rkey, pkey = wait_for(lambda: _chain(runner, dkey), what="Deployment -> ReplicaSet -> Pod")

    def tree() -> tuple[list[ResourceKey], set[ResourceKey]]:
        return (
            [r.key for r in runner.cache.index.parents(pkey)],
            {r.key for r in runner.cache.app_resources("web-app")},
        )

    pod_parents, app_tree = runner.sync(tree)
    assert pod_parents == [rkey]
    assert {dkey, rkey, pkey} <= app_tree
    # The pod belongs to the app through its owners, so the cache keeps its body for health.
    pod = runner.sync(lambda: runner.cache.get(pkey))
    assert pod is not None and pod.obj is not None and pod.app is None
    assert pod.obj["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    assert runner.seen(lambda e: e.key == pkey)[0].apps == frozenset({"web-app"})
    # A pod label change touches the app that owns the Deployment.
    before = len(runner.seen(lambda e: e.key == pkey))
    kubectl("label", "pod", pkey.name, "-n", namespace, "tier=front")
    wait_for(lambda: len(runner.seen(lambda e: e.key == pkey)) > before, what="pod event")
    # Owners without controllers: a ConfigMap owned by a tracked ConfigMap.
    parent = _apply(kubectl, _cm(namespace, "parent", "cfg-app"))
    child = _cm(namespace, "child")
    child["metadata"]["ownerReferences"] = [_owner_ref(parent)]
    _apply(kubectl, child)
    ckey = ResourceKey("", "ConfigMap", namespace, "child")
    event = wait_for(lambda: runner.seen(lambda e: e.key == ckey), what="child event")
    assert event[0].apps == frozenset({"cfg-app"})


def _owner_ref(owner: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


STATUS_CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: dials.NAME.example.com}
spec:
  group: NAME.example.com
  scope: Namespaced
  names: {plural: dials, singular: dial, kind: Dial, listKind: DialList}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
"""


def test_ignore_resource_updates(runner: CacheRunner, kubectl: Kubectl, namespace: str) -> None:
    group = f"{namespace}.example.com"
    kubectl("apply", "-f", "-", input=STATUS_CRD.replace("NAME", namespace))
    dial = {
        "apiVersion": f"{group}/v1",
        "kind": "Dial",
        "metadata": {
            "name": "d",
            "namespace": namespace,
            "annotations": {TRACKING: f"shop:{group}/Dial:{namespace}/d"},
        },
        "spec": {"level": 1},
    }
    key = ResourceKey(group, "Dial", namespace, "d")
    wait_for(lambda: _try_apply(kubectl, dial), what="CRD served")
    wait_for(lambda: runner.seen(lambda e: e.key == key), what="Dial seen")
    kind = f"dials.{group}"
    kubectl(
        "patch", kind, "d", "-n", namespace, "--subresource=status", "--type=merge",
        "-p", '{"status":{"reading":7}}',
    )  # fmt: skip
    live = json.loads(kubectl("get", kind, "d", "-n", namespace, "-o", "json"))
    assert live["status"] == {"reading": 7}
    rv = live["metadata"]["resourceVersion"]
    # The status write is stored (the cache holds the new resourceVersion)...
    wait_for(lambda: runner.sync(lambda: (r := runner.cache.get(key)) and r.resource_version == rv))
    rec = runner.sync(lambda: runner.cache.get(key))
    assert rec is not None and rec.obj is not None and rec.obj["status"] == {"reading": 7}
    # ...but did not notify (only /status changed); a spec change does.
    assert [e.type for e in runner.seen(lambda e: e.key == key)] == ["ADDED"]
    kubectl("patch", kind, "d", "-n", namespace, "--type=merge", "-p", '{"spec":{"level":2}}')
    wait_for(lambda: len(runner.seen(lambda e: e.key == key)) == 2, what="spec change event")
    assert runner.seen(lambda e: e.key == key)[1].type == "MODIFIED"


def test_ignore_resource_updates_jq_default(
    runner: CacheRunner, kubectl: Kubectl, namespace: str
) -> None:
    """Argo CD 3.x ships a jq rule ignoring cluster-autoscaler's ConfigMap annotation."""
    key = ResourceKey("", "ConfigMap", namespace, "status")
    _apply(kubectl, _cm(namespace, "status", "shop", a="1"))
    wait_for(lambda: runner.seen(lambda e: e.key == key), what="ADDED event")
    note = "cluster-autoscaler.kubernetes.io/last-updated"
    out = kubectl("annotate", "configmap", "status", "-n", namespace, f"{note}=t1", "-o", "json")
    rv = json.loads(out)["metadata"]["resourceVersion"]
    wait_for(lambda: runner.sync(lambda: (r := runner.cache.get(key)) and r.resource_version == rv))
    assert [e.type for e in runner.seen(lambda e: e.key == key)] == ["ADDED"]
    kubectl("annotate", "configmap", "status", "-n", namespace, "other=1")
    wait_for(lambda: len(runner.seen(lambda e: e.key == key)) == 2, what="annotation event")


def test_ignore_resource_updates_disabled(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    from kaiun.kube.cache import ResourceRule

    group = f"{namespace}.example.com"
    kubectl("apply", "-f", "-", input=STATUS_CRD.replace("NAME", namespace))
    dial = {
        "apiVersion": f"{group}/v1",
        "kind": "Dial",
        "metadata": {
            "name": "d",
            "namespace": namespace,
            "annotations": {TRACKING: f"shop:{group}/Dial:{namespace}/d"},
        },
        "spec": {"level": 1},
    }
    wait_for(lambda: _try_apply(kubectl, dial), what="CRD served")
    include = (ResourceRule(api_groups=(group,)),)
    settings = CacheSettings(inclusions=include, ignore_updates_enabled=False)
    runner = CacheRunner(kube_config, settings)
    try:
        runner.wait_synced()
        key = ResourceKey(group, "Dial", namespace, "d")
        kubectl(
            "patch", f"dials.{group}", "d", "-n", namespace, "--subresource=status",
            "--type=merge", "-p", '{"status":{"reading":7}}',
        )  # fmt: skip
        wait_for(lambda: runner.seen(lambda e: e.key == key and e.type == "MODIFIED"))
    finally:
        runner.close()


@pytest.mark.parametrize(
    ("method", "tracked"),
    [
        (TrackingMethod.ANNOTATION, {"by-annotation", "by-both"}),
        (TrackingMethod.LABEL, {"by-label", "by-both"}),
        (TrackingMethod.ANNOTATION_AND_LABEL, {"by-annotation", "by-both"}),
    ],
)
def test_app_index_by_tracking_method(
    kube_config: ClusterConfig,
    kubectl: Kubectl,
    namespace: str,
    method: TrackingMethod,
    tracked: set[str],
) -> None:
    def cm(name: str, label: bool, annotation: bool) -> dict[str, Any]:
        obj = _cm(namespace, name, "shop" if annotation else None)
        if label:
            obj["metadata"]["labels"] = {"app.kubernetes.io/instance": "shop"}
        return obj

    for name, label, annotation in (
        ("by-annotation", False, True),
        ("by-label", True, False),
        ("by-both", True, True),
        ("untracked", False, False),
    ):
        _apply(kubectl, cm(name, label, annotation))
    settings = CacheSettings(tracking_method=method, inclusions=_only_configmaps())
    runner = CacheRunner(kube_config, settings)
    try:
        runner.wait_synced()
        keys = runner.sync(lambda: runner.cache.index.app_keys("shop"))
        assert {k.name for k in keys if k.namespace == namespace} == tracked
    finally:
        runner.close()


def _only_configmaps() -> tuple[Any, ...]:
    from kaiun.kube.cache import ResourceRule

    return (
        ResourceRule(api_groups=("",), kinds=("ConfigMap",)),
        ResourceRule(api_groups=("apiextensions.k8s.io",), kinds=("CustomResourceDefinition",)),
    )


def test_crd_added_then_deleted_mid_watch(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    runner = CacheRunner(kube_config)
    try:
        runner.wait_synced()
        _crd_added_then_deleted(runner, kubectl, namespace)
    finally:
        runner.close()


def _crd_added_then_deleted(runner: CacheRunner, kubectl: Kubectl, namespace: str) -> None:
    group = f"{namespace}.example.com"
    kubectl("apply", "-f", "-", input=_gadget_crd(namespace))
    gadget = {
        "apiVersion": f"{group}/v1",
        "kind": "Gadget",
        "metadata": {
            "name": "g",
            "namespace": namespace,
            "annotations": {TRACKING: f"shop:{group}/Gadget:{namespace}/g"},
        },
        "spec": {"size": 1},
    }
    key = ResourceKey(group, "Gadget", namespace, "g")
    # The cache notices the new kind by itself and starts watching it.
    wait_for(
        lambda: runner.sync(lambda: runner.cache.status().kinds) and _try_apply(kubectl, gadget)
    )
    wait_for(lambda: runner.seen(lambda e: e.key == key), what="custom resource seen")
    kubectl("delete", "crd", f"gadgets.{group}")
    wait_for(lambda: runner.seen(lambda e: e.key == key and e.type == "DELETED"), what="CR gone")
    status = runner.sync(runner.cache.status)
    assert not status.stale and status.synced
    # The cache keeps working for other kinds.
    _apply(kubectl, _cm(namespace, "after", "shop"))
    wait_for(lambda: runner.seen(lambda e: e.key.name == "after"))


def _try_apply(kubectl: Kubectl, obj: dict[str, Any]) -> bool:
    return kubectl.run("apply", "-f", "-", input=json.dumps(obj), check=False).returncode == 0


class DenyList(InterceptingTransport):
    """Answers 403 to lists and watches of one resource while ``denied``, like RBAC would."""

    def __init__(self, ca: Path, resource: str) -> None:
        super().__init__(ca)
        self.resource = resource
        self.denied = True
        self.refused = 0

    def intercept(self, request: httpx.Request) -> httpx.Response | None:
        if self.denied and request.url.path.endswith(f"/{self.resource}"):
            self.refused += 1
            message = f'{self.resource} is forbidden: User "kaiun" cannot list resource'
            return status_response(403, "Forbidden", f'{message} "{self.resource}"')
        return None


def test_forbidden_kind_is_skipped_with_a_warning(
    kube_config: ClusterConfig, local_cluster: Any
) -> None:
    runner = CacheRunner(kube_config, transport=DenyList(local_cluster.ca, "secrets"))
    try:
        status = runner.wait_synced()
        assert status.synced and not status.stale
        assert any("not watching Secret.core" in w and "forbidden" in w for w in status.warnings)
        kinds = runner.sync(lambda: runner.cache.index.kinds())
        assert ("", "Secret") not in kinds and ("", "ConfigMap") in kinds
    finally:
        runner.close()


def test_forbidden_kind_is_watched_once_rbac_allows_it(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str, local_cluster: Any
) -> None:
    from kaiun.kube.cache import ResourceRule

    _apply(kubectl, _cm(namespace, "early", "shop"))
    transport = DenyList(local_cluster.ca, "configmaps")
    include = (ResourceRule(api_groups=("",), kinds=("ConfigMap", "Service")),)
    runner = CacheRunner(kube_config, CacheSettings(inclusions=include), transport=transport)
    key = ResourceKey("", "ConfigMap", namespace, "early")
    try:
        status = runner.wait_synced()
        assert any("ConfigMap.core" in w for w in status.warnings) and status.kinds == 1
        # Still refused on retry (backoff), and nothing cached meanwhile.
        wait_for(lambda: transport.refused >= 3, what="retries while forbidden")
        assert runner.sync(lambda: runner.cache.get(key)) is None
        transport.denied = False  # RBAC granted
        wait_for(lambda: runner.sync(lambda: runner.cache.get(key)), what="listed once allowed")
        status = runner.sync(runner.cache.status)
        assert status.warnings == () and status.kinds == 2 and not status.stale
        assert runner.seen(lambda e: e.key == key and e.type == "ADDED")
        _apply(kubectl, _cm(namespace, "later", "shop"))
        wait_for(lambda: runner.seen(lambda e: e.key.name == "later"), what="watch after grant")
    finally:
        runner.close()


def test_initial_sync_keeps_bodies_of_managed_descendants(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    from kaiun.kube.cache import ResourceRule

    _deployment(kubectl, namespace, "pre")
    _apply(kubectl, _cm(namespace, "unmanaged"))

    def pods() -> list[Any]:
        out = json.loads(kubectl("get", "pods", "-n", namespace, "-o", "json"))["items"]
        return [p["metadata"]["name"] for p in out]

    pod_name = wait_for(pods, what="the controller's pod")[0]
    include = (
        ResourceRule(
            api_groups=("apps", ""), kinds=("Deployment", "ReplicaSet", "Pod", "ConfigMap")
        ),
    )
    runner = CacheRunner(kube_config, CacheSettings(inclusions=include))
    try:
        runner.wait_synced()
        pod = runner.sync(lambda: runner.cache.get(ResourceKey("", "Pod", namespace, pod_name)))
        assert pod is not None and pod.obj is not None and pod.obj["kind"] == "Pod"
        cm = runner.sync(
            lambda: runner.cache.get(ResourceKey("", "ConfigMap", namespace, "unmanaged"))
        )
        assert cm is not None and cm.obj is None
        tree = runner.sync(lambda: {r.key.kind for r in runner.cache.app_resources("pre")})
        assert {"Deployment", "ReplicaSet", "Pod"} <= tree
    finally:
        runner.close()


def test_relist_after_410_gone(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str, local_cluster: Any
) -> None:
    from kaiun.kube.cache import ResourceRule

    class ExpireFirstWatch(InterceptingTransport):
        """Real HTTPS, except that the first ConfigMap watch answers 410 Expired."""

        def __init__(self, ca: Path) -> None:
            super().__init__(ca)
            self.expired = 0

        def intercept(self, request: httpx.Request) -> httpx.Response | None:
            url = request.url
            if url.path.endswith("/configmaps") and url.params.get("watch") and not self.expired:
                self.expired += 1
                status = {
                    "kind": "Status",
                    "code": 410,
                    "reason": "Expired",
                    "message": "too old resource version",
                }
                line = json.dumps({"type": "ERROR", "object": status}).encode() + b"\n"
                return httpx.Response(200, content=line)
            return None

    transport = ExpireFirstWatch(local_cluster.ca)
    include = (ResourceRule(api_groups=("",), kinds=("ConfigMap",)),)
    runner = CacheRunner(kube_config, CacheSettings(inclusions=include), transport=transport)
    try:
        runner.wait_synced()
        _apply(kubectl, _cm(namespace, "after-410", "shop"))
        wait_for(lambda: runner.seen(lambda e: e.key.name == "after-410"), what="event after 410")
        relists = runner.sync(
            lambda: [w.relists for w in runner.cache.watchers() if w.info.kind == "ConfigMap"]
        )
        assert transport.expired == 1 and relists == [2]
        assert not runner.sync(runner.cache.status).stale
    finally:
        runner.close()


def test_namespaced_cluster_secret_limits_the_cache(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    import dataclasses

    _apply(kubectl, _cm(namespace, "inside", "shop"))
    _apply(kubectl, _cm("default", f"outside-{namespace}", "shop"))
    limited = dataclasses.replace(kube_config, namespaces=(namespace,), cluster_resources=False)
    runner = CacheRunner(limited)
    try:
        runner.wait_synced()
        keys = runner.sync(lambda: list(runner.cache.index.records))
        assert ResourceKey("", "ConfigMap", namespace, "inside") in keys
        assert {k.namespace for k in keys} == {namespace}  # nothing cluster-scoped either
    finally:
        runner.close()


def test_respect_rbac_strict_asks_before_watching(
    kube_config: ClusterConfig, local_cluster: Any
) -> None:
    from kaiun.kube.cache import ResourceRule

    class DenyConfigMapReviews(InterceptingTransport):
        """Real HTTPS; access reviews about configmaps answer "not allowed"."""

        def __init__(self, ca: Path) -> None:
            super().__init__(ca)
            self.reviews: list[str] = []

        def intercept(self, request: httpx.Request) -> httpx.Response | None:
            if request.url.path.endswith("/selfsubjectaccessreviews"):
                review = json.loads(request.content)
                attrs = review["spec"]["resourceAttributes"]
                self.reviews.append(f"{attrs['verb']} {attrs['resource']}")
                if attrs["resource"] == "configmaps":
                    return httpx.Response(201, json={**review, "status": {"allowed": False}})
            return None

    transport = DenyConfigMapReviews(local_cluster.ca)
    include = (ResourceRule(api_groups=("", "apps"), kinds=("ConfigMap", "Deployment")),)
    settings = CacheSettings(inclusions=include, respect_rbac="strict")
    runner = CacheRunner(kube_config, settings, transport=transport)
    try:
        status = runner.wait_synced()
        assert any("ConfigMap.core" in w for w in status.warnings)
        watchers = runner.sync(runner.cache.watchers)
        assert {w.info.kind for w in watchers if not w.forbidden} == {"Deployment"}
        assert status.kinds == 1
        # Asked again later (RBAC may be granted), never listed meanwhile.
        wait_for(lambda: transport.reviews.count("list configmaps") >= 2, what="asked again")
        assert runner.sync(lambda: runner.cache.index.keys_of_kind("", "ConfigMap")) == set()
        assert {"list configmaps", "list deployments", "watch deployments"} <= set(
            transport.reviews
        )
    finally:
        runner.close()


def test_bodies_fetched_when_an_object_becomes_tracked(
    runner: CacheRunner, kubectl: Kubectl, namespace: str
) -> None:
    _deployment(kubectl, namespace, None)
    dkey = ResourceKey("apps", "Deployment", namespace, "web")
    _rkey, pkey = wait_for(lambda: _chain(runner, dkey), what="Deployment -> ReplicaSet -> Pod")
    pod = runner.sync(lambda: runner.cache.get(pkey))
    assert pod is not None and pod.obj is None  # nobody manages it: identity only
    tracking = f"later:apps/Deployment:{namespace}/web"
    kubectl("annotate", "deployment", "web", "-n", namespace, f"{TRACKING}={tracking}")

    def full() -> bool:
        rec = runner.cache.get(pkey)
        return rec is not None and rec.obj is not None

    wait_for(lambda: runner.sync(full), what="pod body fetched")


def _gadget_crd(namespace: str) -> str:
    return yaml.safe_dump(
        crd_manifest(f"{namespace}.example.com", "Gadget", "gadgets", singular="gadget")
    )
