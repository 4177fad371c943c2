"""A writer may replace managedFields (kubectl's client-side-apply migration relies on it)."""

from __future__ import annotations

import httpx


def _managers(obj: dict) -> dict[str, str]:
    return {e["manager"]: e["operation"] for e in obj["metadata"].get("managedFields", [])}


def test_patch_can_rename_a_manager(api: httpx.Client, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "m"}, "data": {"a": "1"}}
    created = api.post(path, params={"fieldManager": "old-mgr"}, json=body).json()
    assert _managers(created) == {"old-mgr": "Update"}
    entries = created["metadata"]["managedFields"]
    renamed = [{**e, "manager": "new-mgr", "operation": "Apply"} for e in entries]
    patched = api.patch(
        f"{path}/m",
        params={"fieldManager": "migrator"},
        json={"metadata": {"managedFields": renamed}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    assert _managers(patched.json()) == {"new-mgr": "Apply"}


def test_status_writes_cannot_replace_managed_fields(api: httpx.Client, namespace: str) -> None:
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {
            "selector": {"matchLabels": {"app": "d"}},
            "template": {
                "metadata": {"labels": {"app": "d"}},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }
    created = api.post(path, params={"fieldManager": "creator"}, json=body).json()
    forged = [{**e, "manager": "forged"} for e in created["metadata"]["managedFields"]]
    resp = api.patch(
        f"{path}/d/status",
        params={"fieldManager": "status-writer"},
        json={"metadata": {"managedFields": forged}, "status": {"observedGeneration": 1}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert resp.status_code == 200, resp.text
    assert "forged" not in _managers(resp.json())
    assert "creator" in _managers(resp.json())
