"""``kaiun app`` end to end with the real Application controller on the local cluster: diff,
manifests, sync, wait, history, rollback and cascading delete, checked with real kubectl."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kaiun.cli.main import cli
from tests.integration.controller.conftest import Plane, configmap, deployment

Run = Callable[..., Result]


@pytest.fixture
def run(plane: Plane, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KAIUN_REPO_WORK_DIR", str(tmp_path / "cli-repo"))
    kubeconfig = plane.runner.kubeconfig

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            cli,
            ["app", "--kubeconfig", str(kubeconfig), "-n", plane.namespace, *args],
            input=input,
            catch_exceptions=False,
        )

    return invoke


@pytest.fixture
def app(plane: Plane) -> str:
    """An app name of this test only: tracking ids carry the app name, not its namespace, so
    apps of the same name in other tests' control planes would claim each other's objects."""
    return f"web-{plane.dest.rsplit('-', 1)[1]}"


def _create(plane: Plane, run: Run, name: str, *extra: str) -> None:
    result = run(
        "create", name, "--repo", plane.repo.url, "--path", "app", "--revision", "main",
        "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", plane.dest,
        *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def _value(plane: Plane, name: str = "settings") -> str | None:
    obj = plane.get("configmap", name)
    return None if obj is None else str(obj["data"]["key"])


def test_diff_sync_wait_and_drift(plane: Plane, run: Run, app: str) -> None:
    plane.repo.commit({"app/cm.yaml": configmap("settings", "v1")})
    _create(plane, run, app)
    rendered = run("manifests", app)
    assert rendered.exit_code == 0, rendered.output
    assert "name: settings" in rendered.output
    before = run("diff", app)
    assert before.exit_code == 1, before.output
    assert f"===== /ConfigMap {plane.dest}/settings ======" in before.output
    assert "+  key: v1" in before.output

    synced = run("sync", app, "--timeout", "120")
    assert synced.exit_code == 0, synced.output
    assert "Phase:              Succeeded" in synced.output
    assert _value(plane) == "v1"
    waited = run("wait", app, "--sync", "--health", "--timeout", "120")
    assert waited.exit_code == 0, waited.output
    assert "Sync Status:        Synced to main" in waited.output
    after = run("diff", app)
    assert after.exit_code == 0, after.output
    assert after.output == ""

    plane.kubectl(
        "patch", "configmap", "settings", "-n", plane.dest, "-p", '{"data": {"key": "drift"}}'
    )
    drifted = run("diff", app)
    assert drifted.exit_code == 1
    assert "-  key: drift" in drifted.output
    assert "+  key: v1" in drifted.output
    live = run("manifests", app, "--source", "live")
    assert "key: drift" in live.output
    got = run("get", app, "--refresh")
    assert got.exit_code == 0, got.output
    assert "ConfigMap" in got.output.split("GROUP")[-1]


def test_diff_errors_exit_2(plane: Plane, run: Run, app: str) -> None:
    plane.repo.commit({"app/cm.yaml": "kind: [unclosed\n"})
    _create(plane, run, app)
    result = run("diff", app)
    assert result.exit_code == 2, result.output
    assert "Error:" in result.output
    assert run("diff", "nope").exit_code == 2


def test_history_and_rollback(plane: Plane, run: Run, app: str) -> None:
    plane.repo.commit({"app/cm.yaml": configmap("settings", "v1")})
    _create(plane, run, app)
    assert run("sync", app, "--timeout", "120").exit_code == 0
    plane.repo.commit({"app/cm.yaml": configmap("settings", "v2")})
    second = run("sync", app, "--timeout", "120")
    assert second.exit_code == 0, second.output
    assert _value(plane) == "v2"
    ids = run("history", app, "-o", "id").output.split()
    assert len(ids) == 2
    table = run("history", app).output
    assert table.startswith(f"SOURCE  {plane.repo.url}\n")
    run("set", app, "--sync-policy", "automated")
    rolled = run("rollback", app, ids[0], "--timeout", "120")
    assert rolled.exit_code == 0, rolled.output
    assert _value(plane) == "v1"
    obj = plane.app(app)
    assert "automated" not in (obj["spec"].get("syncPolicy") or {})


def test_delete_cascade_removes_resources(plane: Plane, run: Run, app: str) -> None:
    plane.repo.commit({"app/cm.yaml": configmap("settings", "v1")})
    _create(plane, run, app)
    assert run("sync", app, "--timeout", "120").exit_code == 0
    assert _value(plane) == "v1"
    result = run("delete", app, "--cascade", "-y", "--wait", "--timeout", "120")
    assert result.exit_code == 0, result.output
    assert (
        plane.kubectl.run("get", "application", app, "-n", plane.namespace, check=False).returncode
        != 0
    )
    deadline = time.monotonic() + 30
    while _value(plane) is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _value(plane) is None
    assert json.loads(run("list", "-o", "json").output) == []


def test_get_tree_shows_owned_objects(plane: Plane, run: Run, app: str) -> None:
    plane.repo.commit({"app/web.yaml": deployment("web", replicas=1)})
    _create(plane, run, app)
    assert run("sync", app, "--timeout", "120").exit_code == 0, "sync failed"
    healthy = run("wait", app, "--health", "--timeout", "120")
    assert healthy.exit_code == 0, healthy.output
    out = run("get", app, "-o", "tree").output
    rows = out.split("KIND/NAME")[1].splitlines()
    assert rows[1].split()[:3] == ["Deployment/web", "Synced", "Healthy"]
    assert rows[2].startswith("└─ReplicaSet/web-")
    assert rows[2].split()[1] == "Healthy"
    assert rows[3].startswith("  └─Pod/web-")


def test_diff_against_a_revision_and_a_local_directory(
    plane: Plane, run: Run, app: str, tmp_path: Path
) -> None:
    first = plane.repo.commit({"app/cm.yaml": configmap("settings", "v1")})
    _create(plane, run, app)
    assert run("sync", app, "--timeout", "120").exit_code == 0
    plane.repo.commit({"app/cm.yaml": configmap("settings", "v2")})
    assert run("diff", app, "--hard-refresh").exit_code == 1
    pinned = run("diff", app, "--revision", first)
    assert pinned.exit_code == 0, pinned.output
    old = run("manifests", app, "--revision", first).output
    assert "key: v1" in old

    checkout = tmp_path / "checkout"
    (checkout / "app").mkdir(parents=True)
    (checkout / "app" / "cm.yaml").write_text(configmap("settings", "v1"))
    local_same = run(
        "diff", app, "--local", str(checkout / "app"), "--local-repo-root", str(checkout)
    )
    assert local_same.exit_code == 0, local_same.output
    (checkout / "app" / "cm.yaml").write_text(configmap("settings", "local"))
    local_changed = run(
        "diff", app, "--local", str(checkout / "app"), "--local-repo-root", str(checkout)
    )
    assert local_changed.exit_code == 1, local_changed.output
    assert "+  key: local" in local_changed.output
    outside = run("diff", app, "--local", str(checkout), "--local-repo-root", str(checkout / "app"))
    assert outside.exit_code == 2
    assert "outside --local-repo-root" in outside.output
    both = run("diff", app, "--local", str(checkout / "app"), "--revision", first)
    assert both.exit_code == 2
    assert "mutually exclusive" in both.output
