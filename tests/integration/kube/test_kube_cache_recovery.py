"""The cache when the cluster goes away: stale state kept, relist on return, no hung task."""

from __future__ import annotations

import gc
import json
import socket
from pathlib import Path

import pytest

from kaiun.kube import ClusterConfig, from_kubeconfig
from kaiun.kube.cache import ResourceKey
from kaiun.localcluster import LocalCluster, Options
from tests.integration.kube.cacherunner import CacheRunner
from tests.support import Kubectl, wait_for

TRACKING = "argocd.argoproj.io/tracking-id"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cm(name: str, value: str) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": "default",
                "annotations": {TRACKING: f"shop:/ConfigMap:default/{name}"},
            },
            "data": {"v": value},
        }
    )


@pytest.mark.slow
def test_relist_after_the_cluster_restarts(tmp_path: Path) -> None:
    port = _free_port()
    options = Options(data_dir=tmp_path / "cluster", port=port)
    lc = LocalCluster(options).start()
    kubectl = Kubectl(lc.kubeconfig)
    runner: CacheRunner | None = None
    try:
        kubectl("apply", "-f", "-", input=_cm("before", "1"))
        kubectl("apply", "-f", "-", input=_cm("doomed", "1"))
        runner = CacheRunner(from_kubeconfig(lc.kubeconfig))
        assert runner.wait_synced().objects > 0
        before = ResourceKey("", "ConfigMap", "default", "before")
        lc.stop()
        # Down: the error is reported, the last known state stays, marked stale.
        status = wait_for(lambda: (s := runner.sync(runner.cache.status)).stale and s, timeout=30)
        assert "cannot reach the Kubernetes API" in (status.error or "")
        assert runner.sync(lambda: runner.cache.get(before)) is not None

        lc = LocalCluster(options).start()
        # Changes made right after the restart reach the cache through the relist or watch.
        kubectl("apply", "-f", "-", input=_cm("before", "2"))
        kubectl("apply", "-f", "-", input=_cm("after", "1"))
        kubectl("delete", "configmap", "doomed")

        def caught_up() -> bool:
            rec = runner.cache.get(before)
            return (
                rec is not None
                and rec.obj is not None
                and rec.obj["data"] == {"v": "2"}
                and runner.cache.get(before._replace(name="after")) is not None
                and runner.cache.get(before._replace(name="doomed")) is None
                and not runner.cache.status().stale
            )

        wait_for(lambda: runner.sync(caught_up), timeout=30, what="cache caught up after restart")
    finally:
        if runner is not None:
            runner.close()
        lc.stop()
        gc.collect()


def test_unreachable_at_start_reports_and_stops_cleanly(
    kube_config: ClusterConfig, caplog: pytest.LogCaptureFixture
) -> None:
    import dataclasses
    import logging

    caplog.set_level(logging.DEBUG)

    down = dataclasses.replace(kube_config, server=f"https://127.0.0.1:{_free_port()}")
    runner = CacheRunner(down)
    try:
        with pytest.raises(TimeoutError):
            runner.wait_synced(timeout=1)
        status = runner.sync(runner.cache.status)
        assert status.stale and not status.synced
        assert status.error is not None and "connection failed" in status.error
        assert kube_config.token is not None and kube_config.token not in status.error
        # The failure is logged (with the server), the credentials are not.
        assert "connection failed" in caplog.text and down.server in caplog.text
        assert kube_config.token not in caplog.text
    finally:
        runner.close()  # must return promptly although the retry loop is sleeping
