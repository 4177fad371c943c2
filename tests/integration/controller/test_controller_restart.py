"""A controller restart in the middle of a sync resumes the persisted operation."""

from __future__ import annotations

import dataclasses
import json
import time

from kaiun.settings.controller import ControllerSettings
from tests.integration.controller.conftest import ControllerRunner, Plane, fast, synced_healthy


def _waved(name: str, wave: int) -> str:
    return (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
        f"  annotations:\n    argocd.argoproj.io/sync-wave: '{wave}'\ndata:\n  wave: '{wave}'\n"
    )


def _slow(cs: ControllerSettings) -> ControllerSettings:
    return dataclasses.replace(fast(cs), wave_delay=1.5)


def test_restart_mid_sync_resumes(plane: Plane) -> None:
    plane.runner.stop()
    slow = ControllerRunner(plane.runner.kubeconfig, plane.namespace, plane.runner.work_dir, _slow)
    slow.start()
    plane.repo.commit({f"app/w{i}.yaml": _waved(f"w{i}", i) for i in range(4)})
    plane.apply(plane.app_yaml("resumed"))
    plane.wait_app("resumed", lambda a: "sync" in a.get("status", {}))
    op = {"operation": {"sync": {}, "initiatedBy": {"username": "admin"}}}
    plane.kubectl(
        "patch", "application", "resumed", "-n", plane.namespace, "--type", "merge",
        "-p", json.dumps(op),
    )  # fmt: skip

    def partly_done(app: dict[str, object]) -> bool:
        state = (app.get("status") or {}).get("operationState") or {}  # type: ignore[union-attr]
        done = (state.get("syncResult") or {}).get("resources") or []
        return state.get("phase") == "Running" and len(done) >= 1

    app = plane.wait_app("resumed", partly_done)
    started = app["status"]["operationState"]["startedAt"]
    slow.stop()
    mid = plane.app("resumed")
    assert mid["status"]["operationState"]["phase"] == "Running"
    assert plane.get("configmap", "w3") is None
    # Timestamps have one-second resolution: a fresh start would now get a different one.
    time.sleep(1.1)
    plane.runner = ControllerRunner(
        plane.runner.kubeconfig, plane.namespace, plane.runner.work_dir, fast
    )
    plane.runner.start()
    app = plane.wait_app(
        "resumed", lambda a: a["status"].get("operationState", {}).get("phase") == "Succeeded"
    )
    assert app["status"]["operationState"]["startedAt"] == started
    assert [h["id"] for h in app["status"]["history"]] == [0]
    for i in range(4):
        assert plane.get("configmap", f"w{i}") is not None
    plane.wait_app("resumed", synced_healthy)
