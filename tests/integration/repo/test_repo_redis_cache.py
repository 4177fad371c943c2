"""The shared Redis manifest cache against a real, password-protected redis-server."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaiun.repo import (
    ApplicationSource,
    ConfigManagementPlugin,
    ManifestRequest,
    RedisManifestCache,
    RepoService,
)
from tests.integration.repo.repo_testkit import GitRepo, cm

redis = pytest.importorskip("redis.asyncio")
AuthenticationError = pytest.importorskip("redis.exceptions").AuthenticationError
pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server missing (scripts/setup installs it)"
)
PASSWORD = "redis-test-password"
HMAC_KEY = b"0123456789abcdef-hmac"


@pytest.fixture
def redis_port(tmp_path: Path) -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--requirepass", PASSWORD, "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_replicas_share_renders_and_reject_tampering(
    git_repo: GitRepo, tmp_path: Path, redis_port: int
) -> None:
    git_repo.commit({"app/a.yaml": cm("a")})
    req = ManifestRequest(source=ApplicationSource(repo_url=git_repo.url, path="app"))

    async def scenario() -> None:
        client = redis.Redis(host="127.0.0.1", port=redis_port, password=PASSWORD)
        try:
            one = RepoService(tmp_path / "one", cache=RedisManifestCache(client, hmac_key=HMAC_KEY))
            two = RepoService(tmp_path / "two", cache=RedisManifestCache(client, hmac_key=HMAC_KEY))
            first = await one.generate_manifest(req)
            shared = await two.generate_manifest(req)
            assert shared.cached and shared.manifests == first.manifests
            assert two.render_count == 0

            # Someone with write access to Redis alters the entry: it is not trusted.
            (name,) = [k async for k in client.scan_iter(match="kaiun:manifests:*")]
            raw = await client.get(name)
            await client.set(name, raw[:-1] + bytes([raw[-1] ^ 1]))
            three = RepoService(
                tmp_path / "three", cache=RedisManifestCache(client, hmac_key=HMAC_KEY)
            )
            assert not (await three.generate_manifest(req)).cached
            assert three.render_count == 1

            # ...or writes a whole entry without the HMAC key: not trusted either.
            key = name.decode().removeprefix("kaiun:manifests:")
            fake = dataclasses.replace(first, manifests=[{"kind": "Pod", "apiVersion": "v1"}])
            await RedisManifestCache(client, hmac_key=b"attacker-key-1234").put(key, fake)
            four = RepoService(
                tmp_path / "four", cache=RedisManifestCache(client, hmac_key=HMAC_KEY)
            )
            assert (await four.generate_manifest(req)).manifests == first.manifests
            assert four.render_count == 1
        finally:
            await client.aclose()

    asyncio.run(scenario())


def test_redis_requires_the_password(redis_port: int) -> None:
    async def scenario() -> None:
        client = redis.Redis(host="127.0.0.1", port=redis_port)
        try:
            with pytest.raises(
                redis.AuthenticationError if hasattr(redis, "AuthenticationError") else Exception
            ):
                await RedisManifestCache(client, hmac_key=HMAC_KEY).get("k")
        finally:
            await client.aclose()

    asyncio.run(scenario())


SLOW = """
apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata: {name: slow}
spec:
  generate:
    command: [sh, -c]
    args: ["sleep 0.5; cat cm.yaml"]
"""


def test_replicas_render_an_identical_request_once(
    git_repo: GitRepo, tmp_path: Path, redis_port: int
) -> None:
    """Two replicas asked for the same thing at the same time: one renders (holding a lease
    in Redis), the other waits for its answer instead of rendering too."""
    git_repo.commit({"app/cm.yaml": cm("slow")})
    source = {"repoURL": git_repo.url, "path": "app", "plugin": {"name": "slow"}}
    req = ManifestRequest(source=ApplicationSource.from_dict(source), app_name="a")

    async def scenario() -> list[RepoService]:
        client = redis.Redis(host="127.0.0.1", port=redis_port, password=PASSWORD)
        try:
            replicas = [
                RepoService(
                    tmp_path / name,
                    cache=RedisManifestCache(client, hmac_key=HMAC_KEY),
                    plugins=[ConfigManagementPlugin.from_yaml(SLOW)],
                )
                for name in ("one", "two")
            ]
            answers = await asyncio.gather(*(r.generate_manifest(req) for r in replicas))
            assert [a.manifests for a in answers] == [answers[0].manifests] * 2
            assert sorted(a.cached for a in answers) == [False, True]
            assert [k async for k in client.scan_iter(match="kaiun:manifests-lease:*")] == []
            return replicas
        finally:
            await client.aclose()

    replicas = asyncio.run(scenario())
    assert sum(r.render_count for r in replicas) == 1
