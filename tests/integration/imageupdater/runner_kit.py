"""Helpers for the updater loop's integration tests: a control plane per test, Applications
with live images, one run of the real loop, and a loopback forge (GitHub / GitLab API)."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kaiun.controllers.imageupdater.runner import AppOutcome, Updater
from kaiun.engine import install_control_plane
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster
from tests.registry_kit import Registry
from tests.support import Kubectl

PREFIX = "argocd-image-updater.argoproj.io/"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def _install(lc: LocalCluster, namespace: str) -> None:
    async with await KubeClient.connect(from_kubeconfig(lc.kubeconfig)) as client:
        await install_control_plane(client, namespace)


def install(lc: LocalCluster, namespace: str) -> None:
    asyncio.run(_install(lc, namespace))


def run_once(lc: LocalCluster, namespace: str, **options: Any) -> list[AppOutcome]:
    """One cycle of the real updater loop against the local cluster."""

    async def go() -> list[AppOutcome]:
        async with await KubeClient.connect(from_kubeconfig(lc.kubeconfig)) as client:
            updater = Updater(client, namespace, platforms=(), **options)
            try:
                return await updater.run_once()
            finally:
                await updater.aclose()

    return asyncio.run(go())


@contextmanager
def seeded_registry(where: Path, repo: str, tags: Iterable[str]) -> Iterator[Registry]:
    """An open registry on loopback holding ``repo`` at each of ``tags`` (one creation time),
    stopped afterwards."""
    reg = Registry(where)
    reg.start()
    try:
        push = reg.pusher()
        for tag in tags:
            push.image(repo, tag, created="2024-01-01T00:00:00Z")
        yield reg
    finally:
        reg.stop()


def control_namespace(lc: LocalCluster, kubectl: Kubectl, registry_host: str, prefix: str) -> str:
    """A fresh control-plane namespace whose registries.conf points at ``registry_host``."""
    ns = f"{prefix}-{uuid.uuid4().hex[:8]}"
    install(lc, ns)
    registries_conf(kubectl, ns, registry_host)
    return ns


def registries_conf(kubectl: Kubectl, namespace: str, host: str, **extra: str) -> None:
    conf = f"registries:\n- name: test\n  prefix: {host}\n  api_url: http://{host}\n"
    apply(kubectl, {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "argocd-image-updater-config", "namespace": namespace},
        "data": {"registries.conf": conf, **extra},
    })  # fmt: skip


def apply(kubectl: Kubectl, obj: dict[str, Any]) -> None:
    kubectl("apply", "-f", "-", input=json.dumps(obj))


def application(
    name: str, namespace: str, *, source: dict[str, Any], annotations: dict[str, str],
    images: list[str], history: list[dict[str, Any]] | None = None,
    source_type: str = "",
) -> dict[str, Any]:  # fmt: skip
    """An Application with ``status.summary.images`` as the controller reports them."""
    status: dict[str, Any] = {"summary": {"images": images}}
    if source_type:
        status["sourceType"] = source_type
    if history:
        status["history"] = history
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
        "spec": {
            "project": "default", "source": source,
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
        },
        "status": status,
    }  # fmt: skip


def get_app(kubectl: Kubectl, namespace: str, name: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(
        kubectl("get", "applications.argoproj.io", name, "-n", namespace, "-o", "json")
    )
    return out


def status_record(app: dict[str, Any]) -> dict[str, Any]:
    text = app["metadata"].get("annotations", {}).get("kaiun.io/image-updater-status")
    assert text, "the updater wrote no record"
    found: dict[str, Any] = json.loads(text)
    return found


@dataclass
class Forge:
    """A loopback GitHub or GitLab API: records requests, answers as the real APIs do."""

    kind: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        base = f"http://{host!s}:{port}"
        return base if self.kind == "github" else base + "/api/v4"

    def answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> tuple[int, Any]:
        self.requests.append({"method": method, "path": path, "headers": headers, "body": body})
        if self.kind == "github" and method == "POST" and path.endswith("/pulls"):
            return 201, {"number": 7, "html_url": "https://github.example/team/config/pull/7",
                         "state": "open", "head": {"ref": body["head"]}}  # fmt: skip
        if self.kind == "gitlab" and method == "POST" and path.endswith("/merge_requests"):
            web = "https://gitlab.example/team/config/-/merge_requests/3"
            return 201, {"iid": 3, "id": 99, "state": "opened", "web_url": web}
        return 404, {"message": "Not Found"}


@contextmanager
def forge(kind: str) -> Iterator[Forge]:
    state = Forge(kind)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw) if raw else None
            code, doc = state.answer(self.command, self.path, dict(self.headers), body)
            data = json.dumps(doc).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=state.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.server.shutdown()
        state.server.server_close()
        thread.join()
