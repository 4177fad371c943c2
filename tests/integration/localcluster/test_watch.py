"""Watch semantics: ordering across many watchers, resume, 410 Gone, selectors, bookmarks."""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

import httpx

from kaiun.localcluster import LocalCluster


def _client(lc: LocalCluster) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=lc.url,
        verify=ssl.create_default_context(cafile=str(lc.ca)),
        headers={"Authorization": f"Bearer {lc.token}"},
        timeout=60,
        limits=httpx.Limits(max_connections=200),
    )


async def _collect(
    client: httpx.AsyncClient,
    path: str,
    params: dict[str, Any],
    want: int,
    started: asyncio.Event | None = None,
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    async with client.stream("GET", path, params={**params, "watch": "true"}) as r:
        assert r.status_code == 200
        if started is not None:
            started.set()
        async for line in r.aiter_lines():
            if line.strip():
                events.append(json.loads(line))
            if len(events) >= want:
                break
    return events


def test_hundred_watchers_see_every_event_in_order(
    local_cluster: LocalCluster, namespace: str
) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    writes = 30

    async def main() -> list[list[dict[str, Any]]]:
        async with _client(local_cluster) as client:
            rv = (await client.get(path)).json()["metadata"]["resourceVersion"]
            started = [asyncio.Event() for _ in range(100)]
            tasks = [
                asyncio.create_task(
                    _collect(client, path, {"resourceVersion": rv}, writes, started[i])
                )
                for i in range(100)
            ]
            await asyncio.gather(*(s.wait() for s in started))
            for i in range(writes):
                body = {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": f"w{i}", "namespace": namespace},
                }
                assert (await client.post(path, json=body)).status_code == 201
            return await asyncio.wait_for(asyncio.gather(*tasks), 60)

    results = asyncio.run(main())
    expected = [f"w{i}" for i in range(writes)]
    for events in results:
        assert [e["object"]["metadata"]["name"] for e in events] == expected
        assert {e["type"] for e in events} == {"ADDED"}
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
        assert rvs == sorted(rvs)


def test_resume_from_old_version_replays_missed_events(
    local_cluster: LocalCluster, namespace: str
) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"

    async def main() -> list[dict[str, Any]]:
        async with _client(local_cluster) as client:
            rv = (await client.get(path)).json()["metadata"]["resourceVersion"]
            for i in range(3):
                await client.post(
                    path,
                    json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"m{i}"}},
                )
            await client.delete(f"{path}/m1")
            return await asyncio.wait_for(_collect(client, path, {"resourceVersion": rv}, 4), 30)

    events = asyncio.run(main())
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "m0"),
        ("ADDED", "m1"),
        ("ADDED", "m2"),
        ("DELETED", "m1"),
    ]


def test_compacted_version_gets_410(local_cluster: LocalCluster, namespace: str) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    log = local_cluster.store.events
    saved = log._floor
    # Simulate compaction the way the bounded log does it, without writing 200k events.
    local_cluster.call(setattr, log, "_floor", local_cluster.store.rv)

    async def main() -> list[dict[str, Any]]:
        async with _client(local_cluster) as client:
            return await asyncio.wait_for(_collect(client, path, {"resourceVersion": "1"}, 1), 30)

    try:
        events = asyncio.run(main())
    finally:
        local_cluster.call(setattr, log, "_floor", saved)
    assert events[0]["type"] == "ERROR"
    assert events[0]["object"]["code"] == 410
    assert events[0]["object"]["reason"] == "Expired"


def test_label_selector_watch_turns_relabels_into_add_and_delete(
    local_cluster: LocalCluster, namespace: str
) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"

    async def main() -> list[dict[str, Any]]:
        async with _client(local_cluster) as client:
            rv = (await client.get(path)).json()["metadata"]["resourceVersion"]
            started = asyncio.Event()
            task = asyncio.create_task(
                _collect(
                    client, path, {"resourceVersion": rv, "labelSelector": "team=a"}, 3, started
                )
            )
            await started.wait()
            body = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "rl", "labels": {"team": "b"}},
            }
            created = (await client.post(path, json=body)).json()
            created["metadata"]["labels"] = {"team": "a"}
            moved = (await client.put(f"{path}/rl", json=created)).json()
            moved["data"] = {"x": "1"}
            moved = (await client.put(f"{path}/rl", json=moved)).json()
            moved["metadata"]["labels"] = {"team": "c"}
            await client.put(f"{path}/rl", json=moved)
            return await asyncio.wait_for(task, 30)

    events = asyncio.run(main())
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]


def test_watch_without_version_starts_with_current_state(
    local_cluster: LocalCluster, namespace: str
) -> None:
    path = f"/api/v1/namespaces/{namespace}/configmaps"

    async def main() -> list[dict[str, Any]]:
        async with _client(local_cluster) as client:
            await client.post(
                path, json={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "exists"}}
            )
            return await asyncio.wait_for(_collect(client, path, {}, 2), 30)

    events = asyncio.run(main())
    names = sorted(e["object"]["metadata"]["name"] for e in events)
    assert names == ["exists", "kube-root-ca.crt"]
    assert {e["type"] for e in events} == {"ADDED"}


def test_bookmarks_carry_the_latest_version(
    local_cluster: LocalCluster, namespace: str, monkeypatch: Any
) -> None:
    from kaiun.localcluster import watch

    monkeypatch.setattr(watch, "BOOKMARK_INTERVAL", 0.2)
    path = f"/api/v1/namespaces/{namespace}/secrets"

    async def main() -> list[dict[str, Any]]:
        async with _client(local_cluster) as client:
            rv = (await client.get(path)).json()["metadata"]["resourceVersion"]
            return await asyncio.wait_for(
                _collect(client, path, {"resourceVersion": rv, "allowWatchBookmarks": "true"}, 1),
                30,
            )

    events = asyncio.run(main())
    assert events[0]["type"] == "BOOKMARK"
    assert int(events[0]["object"]["metadata"]["resourceVersion"]) > 0
