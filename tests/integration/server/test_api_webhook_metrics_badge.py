"""Webhooks refresh matching apps; /metrics and /api/badge over real Applications."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any

import httpx
import pytest

from tests.integration.server.conftest import ApiServer
from tests.support import Kubectl

SECRET = "whsec-42"
REPO = "https://github.com/acme/deploy"


def _app(name: str, *, revision: str = "HEAD", annotations: dict[str, str] | None = None,
         repo: str = REPO, path: str = "apps/web") -> dict[str, Any]:  # fmt: skip
    return {
        "metadata": {"name": name, "annotations": annotations or {}},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo, "path": path, "targetRevision": revision},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "x"},
        },
    }


def _annotations(api: ApiServer, name: str) -> dict[str, str]:
    with api.client() as c:
        return dict(
            c.get(f"/api/v1/applications/{name}").json()["metadata"].get("annotations") or {}
        )


@pytest.fixture(scope="module")
def configured(api_server: ApiServer, kubectl: Kubectl) -> ApiServer:
    ns = api_server.namespace
    data = {"webhook.github.secret": base64.b64encode(SECRET.encode()).decode()}
    kubectl("patch", "secret", "argocd-secret", "-n", ns, "--type", "merge",
            "-p", json.dumps({"data": data}))  # fmt: skip
    kubectl("patch", "configmap", "argocd-cm", "-n", ns, "--type", "merge",
            "-p", json.dumps({"data": {"statusbadge.enabled": "true",
                                       "webhook.maxPayloadSizeMB": "1"}}))  # fmt: skip
    return api_server


def _push(
    api: ApiServer, payload: dict[str, Any], *, secret: str | None = SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    headers = {"X-GitHub-Event": "push", "Content-Type": "application/json"}
    if secret is not None:
        sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Hub-Signature-256"] = "sha256=" + sig
    with httpx.Client(base_url=api.url, timeout=30) as c:
        return c.post("/api/webhook", content=body, headers=headers)


def _payload(ref: str, files: list[str]) -> dict[str, Any]:
    return {
        "ref": ref,
        "repository": {"html_url": REPO, "clone_url": REPO + ".git", "default_branch": "main"},
        "commits": [{"added": [], "modified": files, "removed": []}],
    }


def test_github_push_refreshes_matching_apps_only(configured: ApiServer) -> None:
    head, dev, other, paths = (f"wh-{uuid.uuid4().hex[:6]}" for _ in range(4))
    gen = {"argocd.argoproj.io/manifest-generate-paths": "."}
    with configured.client() as c:
        for body in (
            _app(head),
            _app(dev, revision="dev"),
            _app(other, repo="https://github.com/acme/other"),
            _app(paths, annotations=gen, path="apps/api"),
        ):
            assert c.post("/api/v1/applications", json=body).status_code == 200
    resp = _push(configured, _payload("refs/heads/main", ["apps/web/deploy.yaml"]))
    assert resp.status_code == 200, resp.text
    assert _annotations(configured, head).get("argocd.argoproj.io/refresh") == "normal"
    for untouched in (dev, other, paths):
        assert "argocd.argoproj.io/refresh" not in _annotations(configured, untouched)
    assert _push(configured, _payload("refs/heads/main", ["apps/api/x.yaml"])).status_code == 200
    assert _annotations(configured, paths).get("argocd.argoproj.io/refresh") == "normal"
    assert _push(configured, _payload("refs/heads/dev", [])).status_code == 200
    assert _annotations(configured, dev).get("argocd.argoproj.io/refresh") == "normal"


def test_unsigned_missigned_malformed_and_oversized_are_400(configured: ApiServer) -> None:
    payload = _payload("refs/heads/main", [])
    assert _push(configured, payload, secret=None).status_code == 400
    assert _push(configured, payload, secret="wrong").status_code == 400
    with httpx.Client(base_url=configured.url, timeout=30) as c:
        body = b"{not json"
        sig = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-GitHub-Event": "push", "Content-Type": "application/json",
                   "X-Hub-Signature-256": "sha256=" + sig}  # fmt: skip
        assert c.post("/api/webhook", content=body, headers=headers).status_code == 400
        big = b"[" + b"0," * (600 * 1024) + b"0]"
        resp = c.post("/api/webhook", content=big, headers=headers)
        assert resp.status_code == 400 and "exceeds" in resp.text
        assert c.post("/api/webhook", content=b"{}").status_code == 400  # no provider


def test_metrics_expose_app_info_and_requests(configured: ApiServer) -> None:
    name = f"m-{uuid.uuid4().hex[:6]}"
    with configured.client() as c:
        assert c.post("/api/v1/applications", json=_app(name)).status_code == 200
    with httpx.Client(base_url=configured.url, timeout=30) as c:
        text = c.get("/metrics").text
    line = next(x for x in text.splitlines() if x.startswith("argocd_app_info{") and name in x)
    assert f'repo="{REPO}"' in line and 'sync_status="Unknown"' in line
    assert 'project="default"' in line and line.endswith(" 1.0")
    assert (
        'kaiun_api_requests_total{method="POST",route="/api/v1/applications",status="200"}' in text
    )


def test_badge_escapes_and_reports_status(configured: ApiServer, kubectl: Kubectl) -> None:
    name = f"b-{uuid.uuid4().hex[:6]}"
    with configured.client() as c:
        assert c.post("/api/v1/applications", json=_app(name)).status_code == 200
    status = {"status": {"health": {"status": "Healthy"},
                         "sync": {"status": "Synced", "revision": "abcdef1234567"}}}  # fmt: skip
    kubectl("patch", "applications.argoproj.io", name, "-n", configured.namespace,
            "--type", "merge", "-p", json.dumps(status))  # fmt: skip
    with httpx.Client(base_url=configured.url, timeout=30) as c:
        svg = c.get("/api/badge", params={"name": name, "revision": "true"})
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        assert "Healthy" in svg.text and "Synced" in svg.text and "abcdef1" in svg.text
        evil = c.get("/api/badge", params={"name": '<script>"javascript:x', "showAppName": "1"})
        assert "<script" not in evil.text and "href" not in evil.text


def test_badge_disabled_says_so(api_server: ApiServer, kubectl: Kubectl) -> None:
    kubectl("patch", "configmap", "argocd-cm", "-n", api_server.namespace, "--type", "merge",
            "-p", json.dumps({"data": {"statusbadge.enabled": "false"}}))  # fmt: skip
    try:
        with httpx.Client(base_url=api_server.url, timeout=30) as c:
            assert "disabled" in c.get("/api/badge", params={"name": "x"}).text
    finally:
        kubectl("patch", "configmap", "argocd-cm", "-n", api_server.namespace, "--type",
                "merge", "-p", json.dumps({"data": {"statusbadge.enabled": "true"}}))  # fmt: skip


def test_secret_reference_resolves_to_labelled_secret(
    configured: ApiServer, kubectl: Kubectl
) -> None:
    ns = configured.namespace
    other = {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "hooks", "namespace": ns,
                     "labels": {"app.kubernetes.io/part-of": "argocd"}},
        "stringData": {"gh": "from-ref"},
    }  # fmt: skip
    kubectl("create", "-f", "-", input=json.dumps(other))
    ref = base64.b64encode(b"$hooks:gh").decode()
    kubectl("patch", "secret", "argocd-secret", "-n", ns, "--type", "merge",
            "-p", json.dumps({"data": {"webhook.github.secret": ref}}))  # fmt: skip
    try:
        payload = _payload("refs/heads/main", [])
        assert _push(configured, payload, secret="from-ref").status_code == 200
        assert _push(configured, payload, secret="$hooks:gh").status_code == 400
        assert _push(configured, payload, secret=SECRET).status_code == 400
    finally:
        plain = base64.b64encode(SECRET.encode()).decode()
        kubectl("patch", "secret", "argocd-secret", "-n", ns, "--type", "merge",
                "-p", json.dumps({"data": {"webhook.github.secret": plain}}))  # fmt: skip
