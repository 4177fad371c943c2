"""A real API server with kaiun.auth security (``kaiun.server.serve``) on 127.0.0.1, over
its own namespace of the local cluster, plus helpers to set up accounts and RBAC."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from kaiun.cli.server import run_api_server
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster
from kaiun.localcluster.server import free_port
from tests.support import Kubectl, wait_for


@dataclass
class AuthServer:
    """A running server and what a test needs to reach it."""

    url: str
    namespace: str
    kubectl: Kubectl
    ca: Path | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    scratch: dict[str, Any] = field(default_factory=dict)  # a test module's shared setup data

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        verify: Any = ssl.create_default_context(cafile=str(self.ca)) if self.ca else True
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, verify=verify, **kwargs)

    def secret(self, name: str) -> dict[str, str]:
        raw = json.loads(self.kubectl("get", "secret", name, "-n", self.namespace, "-o", "json"))
        return {k: base64.b64decode(v).decode() for k, v in (raw.get("data") or {}).items()}

    def initial_password(self) -> str:
        return self.secret("argocd-initial-admin-secret")["password"]

    def login(self, username: str, password: str) -> httpx.Response:
        with self.client() as c:
            return c.post("/api/v1/session", json={"username": username, "password": password})

    def token(self, username: str, password: str) -> str:
        resp = self.login(username, password)
        assert resp.status_code == 200, resp.text
        return str(resp.json()["token"])

    def set_configmap(self, name: str, data: dict[str, str]) -> None:
        """Merge ``data`` into a ConfigMap of the server's namespace."""
        patch = json.dumps({"data": data})
        self.kubectl("patch", "configmap", name, "-n", self.namespace, "-p", patch)

    def set_secret(self, data: dict[str, str]) -> None:
        """Merge ``data`` into argocd-secret."""
        patch = json.dumps({"stringData": data})
        self.kubectl("patch", "secret", "argocd-secret", "-n", self.namespace, "-p", patch)

    def apply(self, obj: dict[str, Any]) -> None:
        obj.setdefault("metadata", {})["namespace"] = self.namespace
        self.kubectl("apply", "-f", "-", input=yaml.safe_dump(obj))

    def add_account(self, name: str, password: str, capabilities: str = "login") -> None:
        """A local account with ``password`` (set by admin through the API)."""
        self.set_configmap("argocd-cm", {f"accounts.{name}": capabilities})
        admin = self.tokens["admin"]
        body = {"name": name, "currentPassword": self.tokens["admin-password"],
                "newPassword": password}  # fmt: skip

        def accepted() -> bool:
            with self.client(admin) as c:
                return c.put("/api/v1/account/password", json=body).status_code == 200

        wait_for(accepted, what=f"password of {name} set")


@contextmanager
def auth_server(
    local_cluster: LocalCluster,
    *,
    tls_dir: Path | None = None,
    namespace: str | None = None,
    dex_server: str = "",
) -> Iterator[AuthServer]:
    """Start a server on ``namespace`` (default: a fresh one); admin's token and password
    are in ``tokens``."""
    namespace = namespace or f"argocd-{uuid.uuid4().hex[:6]}"
    port = free_port()
    holder: dict[str, Any] = {}
    ready = threading.Event()

    async def main() -> None:
        stop = asyncio.Event()
        started = asyncio.Event()
        holder["loop"], holder["stop"] = asyncio.get_running_loop(), stop
        async with await KubeClient.connect(from_kubeconfig(local_cluster.kubeconfig)) as kube:
            task = asyncio.create_task(
                run_api_server(
                    kube,
                    namespace,
                    port=port,
                    insecure=tls_dir is None,
                    tls_dir=tls_dir,
                    started=started,
                    stop=stop,
                    dex_server=dex_server,
                )
            )
            await asyncio.wait(
                {task, asyncio.create_task(started.wait())}, return_when=asyncio.FIRST_COMPLETED
            )
            ready.set()
            await task

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(60), "API server did not start"
    scheme = "https" if tls_dir else "http"
    server = AuthServer(
        f"{scheme}://127.0.0.1:{port}",
        namespace,
        Kubectl(local_cluster.kubeconfig),
        ca=tls_dir / "ca.crt" if tls_dir else None,
    )
    try:
        password = server.initial_password()
        server.tokens["admin-password"] = password
        server.tokens["admin"] = server.token("admin", password)
        yield server
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(30)
