"""The API server answers list/get from its Application cache: changes made around it (kubectl)
arrive through the watch, its own writes are visible at once, a broken watch relists."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest

from kaiun.localcluster import LocalCluster
from kaiun.localcluster.cluster import WriteOptions
from tests.integration.server.conftest import ApiServer
from tests.support import Kubectl, wait_for


def _manifest(name: str, namespace: str, path: str = "p") -> str:
    return json.dumps({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://example.com/r.git", "path": path},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "x"},
        },
    })  # fmt: skip


def _names(api: ApiServer, **params: Any) -> set[str]:
    with api.client() as c:
        resp = c.get("/api/v1/applications", params=params)
    assert resp.status_code == 200, resp.text
    return {a["metadata"]["name"] for a in resp.json()["items"]}


def _get(api: ApiServer, name: str) -> dict[str, Any] | None:
    with api.client() as c:
        resp = c.get(f"/api/v1/applications/{name}")
    if resp.status_code == 404:
        return None
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_kubectl_changes_reach_list_and_get(api_server: ApiServer, kubectl: Kubectl) -> None:
    name = f"kc-{uuid.uuid4().hex[:6]}"
    _names(api_server)  # the cache is running before the change
    kubectl("apply", "-f", "-", input=_manifest(name, api_server.namespace))
    wait_for(lambda: name in _names(api_server), what="kubectl-created app in the list")
    assert (_get(api_server, name) or {})["spec"]["source"]["path"] == "p"

    kubectl("label", "application", name, "-n", api_server.namespace, "tier=gold")
    wait_for(lambda: name in _names(api_server, selector="tier=gold"), what="label in list")
    assert _names(api_server, selector="tier=silver") & {name} == set()
    kubectl("apply", "-f", "-", input=_manifest(name, api_server.namespace, path="q"))
    wait_for(
        lambda: (
            ((_get(api_server, name) or {}).get("spec") or {}).get("source", {}).get("path") == "q"
        ),
        what="kubectl change in get",
    )

    kubectl("delete", "application", name, "-n", api_server.namespace)
    wait_for(lambda: _get(api_server, name) is None, what="kubectl delete in get")
    assert name not in _names(api_server)


def test_own_writes_are_read_back_at_once(api_server: ApiServer) -> None:
    name = f"ryw-{uuid.uuid4().hex[:6]}"
    body = json.loads(_manifest(name, api_server.namespace))
    with api_server.client() as c:
        for _ in range(3):  # each step is read back with no wait in between
            assert c.post("/api/v1/applications", json=body).status_code == 200
            assert name in {a["metadata"]["name"] for a in c.get(
                "/api/v1/applications", params={"name": name}).json()["items"]}  # fmt: skip
            patch = {"patch": json.dumps({"metadata": {"labels": {"step": "patched"}}})}
            assert c.patch(f"/api/v1/applications/{name}", json=patch).status_code == 200
            got = c.get(f"/api/v1/applications/{name}").json()
            assert got["metadata"]["labels"] == {"step": "patched"}
            listed = c.get("/api/v1/applications", params={"selector": "step=patched"}).json()
            assert name in {a["metadata"]["name"] for a in listed["items"]}
            spec = {**got["spec"], "revisionHistoryLimit": 2}
            assert c.put(f"/api/v1/applications/{name}/spec", json=spec).status_code == 200
            assert c.get(f"/api/v1/applications/{name}").json()["spec"]["revisionHistoryLimit"] == 2
            deleted = c.delete(f"/api/v1/applications/{name}", params={"cascade": "false"})
            assert deleted.status_code == 200, deleted.text
            assert c.get(f"/api/v1/applications/{name}").status_code == 404
            assert name not in {a["metadata"]["name"] for a in c.get(
                "/api/v1/applications").json()["items"]}  # fmt: skip


def test_expired_watch_relists_and_stays_correct(
    api_server: ApiServer,
    kubectl: Kubectl,
    local_cluster: LocalCluster,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ns = api_server.namespace
    tag = uuid.uuid4().hex[:6]
    doomed, changed, born = f"x-{tag}", f"c-{tag}", f"n-{tag}"
    kubectl("apply", "-f", "-", input=_manifest(doomed, ns))
    kubectl("apply", "-f", "-", input=_manifest(changed, ns))
    wait_for(lambda: {doomed, changed} <= _names(api_server), what="apps in the cache")
    caplog.set_level(logging.WARNING, logger="kaiun.server.watchhub")

    def compact_behind_writes() -> None:
        # On the cluster's loop, with no await: three writes no watcher has read yet, then
        # compaction up to the last of them (as etcd does), so the server's watch gets
        # 410 Gone instead of these events and has to relist to see them.
        cluster = local_cluster.cluster
        rt = cluster.type_for("argoproj.io/v1alpha1", "applications")
        cluster.delete(rt, ns, doomed)
        cluster.patch(rt, ns, changed, "application/merge-patch+json",
                      b'{"spec": {"source": {"path": "after"}}}', WriteOptions())  # fmt: skip
        cluster.create(rt, ns, json.loads(_manifest(born, ns)), WriteOptions())
        local_cluster.store.events._floor = local_cluster.store.rv

    local_cluster.call(compact_behind_writes)
    wait_for(
        lambda: {changed, born} <= _names(api_server) and doomed not in _names(api_server),
        what="relisted cache",
    )
    assert any("Gone" in r.getMessage() for r in caplog.records)
    assert _get(api_server, doomed) is None
    assert (_get(api_server, changed) or {})["spec"]["source"]["path"] == "after"
    # And the watch runs again afterwards.
    kubectl("label", "application", born, "-n", ns, "again=yes")
    wait_for(lambda: born in _names(api_server, selector="again=yes"), what="watch resumed")
