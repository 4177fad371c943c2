"""Application extras over a real repository and real live objects: tree, resources, events,
manifests and revision metadata; only tracked objects are reachable, Secrets masked."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.repo.repo_testkit import GitRepo
from tests.integration.server.conftest import ApiServer
from tests.support import Kubectl, wait_for

SECRET_B64 = "c3VwZXItc2VjcmV0LXZhbHVl"  # "super-secret-value"


def _deployment(name: str, ns: str, tracking: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if tracking:
        meta["annotations"] = {"argocd.argoproj.io/tracking-id": tracking}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        },
    }


def _secret(ns: str, tracking: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds", "namespace": ns,
                     "annotations": {"argocd.argoproj.io/tracking-id": tracking}},
        "data": {"password": SECRET_B64},
    }  # fmt: skip


@pytest.fixture
def deployed(
    api_server: ApiServer, kubectl: Kubectl, namespace: str, tmp_path: Path
) -> dict[str, str]:
    app = f"res-{uuid.uuid4().hex[:6]}"
    repo = GitRepo(tmp_path / "repo")
    web = _deployment("web", namespace, None)
    secret = _secret(namespace, "")
    del secret["metadata"]["annotations"]
    repo.commit({"app/web.json": json.dumps(web), "app/secret.json": json.dumps(secret)},
                message="add web and creds")  # fmt: skip
    repo.git("tag", "v1")
    objects = [
        _deployment("web", namespace, f"{app}:apps/Deployment:{namespace}/web"),
        _deployment("other", namespace, None),
        _secret(namespace, f"{app}:/Secret:{namespace}/creds"),
    ]
    for obj in objects:
        kubectl("create", "-f", "-", input=json.dumps(obj))
    body = {
        "metadata": {"name": app},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo.url, "path": "app", "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        },
    }
    with api_server.client() as c:
        assert c.post("/api/v1/applications", json=body).status_code == 200
    resources = [
        {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": namespace,
         "name": "web"},
        {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": namespace,
         "name": "other"},
        {"group": "", "version": "v1", "kind": "Secret", "namespace": namespace, "name": "creds"},
    ]  # fmt: skip
    kubectl("patch", "applications.argoproj.io", app, "-n", api_server.namespace, "--type",
            "merge", "-p", json.dumps({"status": {"resources": resources}}))  # fmt: skip

    def pods() -> bool:
        out = kubectl("get", "pods", "-n", namespace, "-l", "app=web", "-o", "name")
        return bool(out.strip())

    wait_for(pods, what="web pods")
    return {"app": app, "ns": namespace, "repo": repo.url}


def test_resource_tree_has_tracked_objects_and_children(
    api_server: ApiServer, deployed: dict[str, str]
) -> None:
    with api_server.client() as c:
        tree = c.get(f"/api/v1/applications/{deployed['app']}/resource-tree")
    assert tree.status_code == 200, tree.text
    nodes = tree.json()["nodes"]
    kinds = {(n["kind"], n["name"]) for n in nodes}
    assert ("Deployment", "web") in kinds and ("Secret", "creds") in kinds
    assert ("Deployment", "other") not in kinds
    web = next(n for n in nodes if n["kind"] == "Deployment")
    rs = next(n for n in nodes if n["kind"] == "ReplicaSet")
    assert rs["parentRefs"][0]["uid"] == web["uid"]
    pod = next(n for n in nodes if n["kind"] == "Pod")
    assert pod["parentRefs"][0]["uid"] == rs["uid"]
    assert pod["images"] == ["nginx:1.27"] and web["images"] == ["nginx:1.27"]
    assert {"group", "version", "namespace", "createdAt", "info"} <= set(web)
    assert "health" in web


def test_managed_resources_and_resource_get_mask_secrets(
    api_server: ApiServer, deployed: dict[str, str]
) -> None:
    app, ns = deployed["app"], deployed["ns"]
    with api_server.client() as c:
        managed = c.get(f"/api/v1/applications/{app}/managed-resources")
        assert managed.status_code == 200, managed.text
        assert SECRET_B64 not in managed.text
        items = {i["name"]: i for i in managed.json()["items"]}
        assert json.loads(items["web"]["targetState"])["kind"] == "Deployment"
        assert json.loads(items["web"]["liveState"])["metadata"]["name"] == "web"
        params = {"resourceName": "creds", "kind": "Secret", "namespace": ns, "version": "v1"}
        got = c.get(f"/api/v1/applications/{app}/resource", params=params)
        assert got.status_code == 200 and SECRET_B64 not in got.text
        other = {"resourceName": "other", "kind": "Deployment", "group": "apps", "namespace": ns}
        assert c.get(f"/api/v1/applications/{app}/resource", params=other).status_code == 404
        shown = c.get(f"/api/v1/applications/{app}/manifests")
        assert shown.status_code == 200, shown.text
        assert SECRET_B64 not in shown.text
        kinds = sorted(json.loads(m)["kind"] for m in shown.json()["manifests"])
        assert kinds == ["Deployment", "Secret"]


def test_patch_and_delete_resource_need_fine_grained_rights(
    api_server: ApiServer, deployed: dict[str, str], kubectl: Kubectl
) -> None:
    app, ns = deployed["app"], deployed["ns"]
    params = {"resourceName": "web", "kind": "Deployment", "group": "apps", "namespace": ns,
              "patchType": "application/merge-patch+json"}  # fmt: skip
    patch = json.dumps({"metadata": {"labels": {"patched": "yes"}}})
    with api_server.client("reader-token") as c:
        denied = c.post(f"/api/v1/applications/{app}/resource", params=params, json=patch)
        assert denied.status_code == 403
        assert "update/apps/Deployment" in denied.json()["message"]
    with api_server.client() as c:
        ok = c.post(f"/api/v1/applications/{app}/resource", params=params, json=patch)
        assert ok.status_code == 200, ok.text
        assert json.loads(ok.json()["manifest"])["metadata"]["labels"]["patched"] == "yes"
        other = {**params, "resourceName": "other"}
        assert c.post(f"/api/v1/applications/{app}/resource", params=other,
                      json=patch).status_code == 404  # fmt: skip
        gone = {"resourceName": "creds", "kind": "Secret", "namespace": ns}
        assert c.delete(f"/api/v1/applications/{app}/resource", params=gone).status_code == 200
    assert kubectl.run("get", "secret", "creds", "-n", ns, check=False).returncode != 0


def test_events_of_app_and_resource(
    api_server: ApiServer, deployed: dict[str, str], kubectl: Kubectl
) -> None:
    app, ns = deployed["app"], deployed["ns"]
    web_uid = kubectl("get", "deployment", "web", "-n", ns, "-o", "jsonpath={.metadata.uid}")
    event = {
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": f"web.{uuid.uuid4().hex[:6]}", "namespace": ns},
        "involvedObject": {"kind": "Deployment", "name": "web", "namespace": ns, "uid": web_uid},
        "reason": "KaiunTestReason", "message": "from the test", "type": "Normal",
    }  # fmt: skip
    kubectl("create", "-f", "-", input=json.dumps(event))
    with api_server.client() as c:
        got = c.get(f"/api/v1/applications/{app}/events",
                    params={"resourceUID": web_uid, "resourceNamespace": ns,
                            "resourceName": "web"})  # fmt: skip
        assert got.status_code == 200, got.text
        reasons = [e["reason"] for e in got.json()["items"]]
        assert "KaiunTestReason" in reasons
        assert all(e["involvedObject"]["uid"] == web_uid for e in got.json()["items"])
        assert c.get(f"/api/v1/applications/{app}/events").json()["items"] == []
        other_uid = "00000000-0000-0000-0000-000000000000"
        assert c.get(f"/api/v1/applications/{app}/events",
                     params={"resourceUID": other_uid}).status_code == 404  # fmt: skip


def test_revision_metadata(api_server: ApiServer, deployed: dict[str, str]) -> None:
    with api_server.client() as c:
        meta = c.get(f"/api/v1/applications/{deployed['app']}/revisions/main/metadata")
    assert meta.status_code == 200, meta.text
    body = meta.json()
    assert body["message"] == "add web and creds"
    assert body["author"] == "t <t@example.com>" and body["tags"] == ["v1"]
    assert body["date"][:2] == "20"


def test_tree_networking_info_and_managed_normalized_states(
    api_server: ApiServer, deployed: dict[str, str], kubectl: Kubectl
) -> None:
    app, ns = deployed["app"], deployed["ns"]
    kubectl("scale", "deployment", "web", "-n", ns, "--replicas", "3")
    with api_server.client() as c:
        tree = c.get(f"/api/v1/applications/{app}/resource-tree").json()
        managed = c.get(f"/api/v1/applications/{app}/managed-resources")
    pod = next(n for n in tree["nodes"] if n["kind"] == "Pod")
    assert pod["networkingInfo"]["labels"]["app"] == "web"
    assert managed.status_code == 200, managed.text
    assert SECRET_B64 not in managed.text
    items = {i["name"]: i for i in managed.json()["items"]}
    web = items["web"]
    assert json.loads(web["normalizedLiveState"])["spec"]["replicas"] == 3
    assert json.loads(web["predictedLiveState"])["spec"]["replicas"] == 1
    creds_live = json.loads(items["creds"]["normalizedLiveState"])
    assert set(creds_live["data"]) == {"password"}
    assert creds_live["data"]["password"].strip("+") == ""


def test_resource_actions_list_and_run(
    api_server: ApiServer, deployed: dict[str, str], kubectl: Kubectl
) -> None:
    app, ns = deployed["app"], deployed["ns"]
    q = {"resourceName": "web", "kind": "Deployment", "group": "apps", "namespace": ns}
    path = f"/api/v1/applications/{app}/resource/actions"
    with api_server.client() as c:
        listed = c.get(path, params=q)
        assert listed.status_code == 200, listed.text
        actions = {a["name"]: a["disabled"] for a in listed.json()["actions"]}
        assert actions == {"restart": False, "pause": False, "resume": True}
        assert c.post(path, params=q, json="restart").status_code == 200
        v2 = {**q, "action": "pause"}
        assert c.post(f"{path}/v2", json=v2).status_code == 200
        again = c.post(f"{path}/v2", json=v2)
        assert again.status_code == 400 and "not available" in again.json()["message"]
        unknown = c.post(path, params=q, json="explode")
        assert unknown.status_code == 400 and "no action 'explode'" in unknown.json()["message"]
    live = json.loads(kubectl("get", "deployment", "web", "-n", ns, "-o", "json"))
    assert live["spec"]["paused"] is True
    restarted = live["spec"]["template"]["metadata"]["annotations"]
    assert restarted["kubectl.kubernetes.io/restartedAt"].endswith("Z")
