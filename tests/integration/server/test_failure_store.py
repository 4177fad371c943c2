"""The persisted login-failure store on the local cluster: written through from login
threads, read back by a new store, capped without ever dropping admin."""

from __future__ import annotations

import asyncio

import pytest

from kaiun.auth.throttle import LoginFailures
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster
from kaiun.server import failures
from kaiun.server.failures import ClusterFailureStore


def test_counts_survive_a_new_store_and_the_cap_keeps_admin(
    local_cluster: LocalCluster, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(failures, "MAX_PERSISTED", 3)

    async def main() -> dict[str, LoginFailures | None]:
        config = from_kubeconfig(local_cluster.kubeconfig)
        async with await KubeClient.connect(config) as kube:
            store = ClusterFailureStore(kube, namespace)
            await store.load()
            # Puts come from login worker threads, as the throttle makes them.
            await asyncio.to_thread(store.put, "admin", LoginFailures(4, 1.0))
            for i in range(5):
                await asyncio.to_thread(store.put, f"user{i}", LoginFailures(1, 10.0 + i))
            await asyncio.to_thread(store.delete, "user4")
            fresh = ClusterFailureStore(kube, namespace)
            await fresh.load()
            names = ["admin", "ünïcode", *(f"user{i}" for i in range(5))]
            await asyncio.to_thread(store.put, "ünïcode", LoginFailures(2, 20.0))
            again = ClusterFailureStore(kube, namespace)
            await again.load()
            seen = {n: fresh.get(n) for n in names if n != "ünïcode"}
            seen["ünïcode"] = again.get("ünïcode")
            return seen

    seen = asyncio.run(main())
    assert seen["admin"] == LoginFailures(4, 1.0)  # oldest, yet never dropped by the cap
    assert [n for n in ("user0", "user1", "user2", "user3", "user4") if seen[n]] == [
        "user1", "user2", "user3",
    ]  # fmt: skip
    assert seen["ünïcode"] == LoginFailures(2, 20.0)
