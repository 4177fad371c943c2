"""A real API server (uvicorn on 127.0.0.1) over the local cluster, with test identities.

Security here is a small table (token -> caller, caller -> allowed projects/actions) so the
server's routing, filtering and error shapes are tested on their own; ``kaiun.auth`` brings
the real accounts and RBAC.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import httpx
import pytest
import uvicorn

from kaiun.engine import install_control_plane
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster
from kaiun.localcluster.server import free_port
from kaiun.server import Caller, ServerContext, create_app
from tests.support import wait_for

# caller -> (resource, action glob, object glob) rules; anything else is denied.
RULES: dict[str, list[tuple[str, str, str]]] = {
    "admin": [("*", "*", "*")],
    "reader": [("applications", "get", "*"), ("projects", "get", "*")],
    "proj:team:dev": [("applications", "*", "team/*"), ("projects", "get", "team")],
}
TOKENS = {"admin-token": "admin", "reader-token": "reader", "team-token": "proj:team:dev"}


class TableSecurity:
    async def authenticate(self, token: str) -> Caller | None:
        subject = TOKENS.get(token)
        return Caller(subject) if subject else None

    def enforce(self, caller: Caller | None, resource: str, action: str, obj: str) -> bool:
        if caller is None:
            return False
        return any(
            fnmatchcase(resource, r) and fnmatchcase(action, a) and fnmatchcase(obj, o)
            for r, a, o in RULES.get(caller.subject, [])
        )


@dataclass
class ApiServer:
    url: str
    namespace: str

    def client(self, token: str | None = "admin-token") -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def team_project(namespace: str, name: str = "team", **spec: Any) -> dict[str, Any]:
    """An AppProject permitting every repository and destination unless ``spec`` narrows it."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            **spec,
        },
    }


@pytest.fixture(scope="module")
def api_server(local_cluster: LocalCluster) -> Iterator[ApiServer]:
    namespace = f"argocd-{uuid.uuid4().hex[:6]}"
    port = free_port()
    started = threading.Event()
    holder: dict[str, uvicorn.Server] = {}

    async def main() -> None:
        async with await KubeClient.connect(from_kubeconfig(local_cluster.kubeconfig)) as client:
            await install_control_plane(client, namespace)
            # The API refuses apps whose project is missing, as Argo CD's does; the tests'
            # team-scoped apps live in this permissive project.
            await client.create(team_project(namespace))
            ctx = ServerContext(client=client, namespace=namespace, security=TableSecurity())
            config = uvicorn.Config(
                create_app(ctx), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
            )
            server = uvicorn.Server(config)
            holder["server"] = server
            started.set()
            await server.serve()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert started.wait(30), "API server did not start"
    wait_for(lambda: holder["server"].started, what="API server listening")
    try:
        yield ApiServer(f"http://127.0.0.1:{port}", namespace)
    finally:
        holder["server"].should_exit = True
        thread.join(30)
