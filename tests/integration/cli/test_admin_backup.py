"""``kaiun admin export`` / ``import`` against the local cluster with the real controller:
synced apps are exported, the control plane is wiped, and the import brings every app back
to Synced; a second import changes nothing; ``--prune`` and ``--dry-run`` behave."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from kaiun.cli.main import cli
from tests.integration.controller.conftest import Plane, configmap, synced_healthy

SECRET_TYPE = "argocd.argoproj.io/secret-type"


def _admin(plane: Plane, *args: str, input: str | None = None) -> Result:
    base = ["--kubeconfig", str(plane.runner.kubeconfig), "-n", plane.namespace]
    return CliRunner().invoke(cli, ["admin", *args, *base], input=input, catch_exceptions=False)


def _project(name: str, plane: Plane) -> str:
    return (
        f"apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: {name}\n"
        f"  namespace: {plane.namespace}\nspec:\n  sourceRepos: ['*']\n"
        f"  destinations: [{{server: '*', namespace: '{plane.dest}'}}]\n"
    )


def _repo_secret(plane: Plane, password: str) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "repo-origin",
                "namespace": plane.namespace,
                "labels": {SECRET_TYPE: "repository"},
            },
            "stringData": {"url": plane.repo.url, "username": "ci", "password": password},
        }
    )


def _rv(plane: Plane, kind: str, name: str) -> str:
    out = plane.kubectl("get", kind, name, "-n", plane.namespace, "-o", "json")
    return str(json.loads(out)["metadata"]["resourceVersion"])


def _wipe(plane: Plane, apps: list[str]) -> None:
    ns = plane.namespace
    for app in apps:  # without cascading: what the apps deployed stays
        plane.kubectl("patch", "application", app, "-n", ns, "--type", "merge",
                      "-p", '{"metadata": {"finalizers": null}}')  # fmt: skip
        plane.kubectl("delete", "application", app, "-n", ns, "--wait")
    plane.kubectl("delete", "appproject", "--all", "-n", ns)
    plane.kubectl("delete", "secret", "-l", SECRET_TYPE, "-n", ns)
    plane.kubectl("delete", "configmap", "argocd-cm", "argocd-rbac-cm", "-n", ns)


def _check_export(out: Path, apps: list[str], password: str) -> list[dict[str, Any]]:
    """The backup's documents, after checking what it holds and what it leaves out."""
    docs = list(yaml.safe_load_all(out.read_text()))
    docs = [d for d in docs if d]
    names = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert {("Application", a) for a in apps} <= names
    assert {("AppProject", "team"), ("AppProject", "default"), ("Secret", "repo-origin"),
            ("ConfigMap", "argocd-cm"), ("ConfigMap", "argocd-rbac-cm"),
            ("Secret", "argocd-secret")} <= names  # fmt: skip
    assert ("ConfigMap", "argocd-cmd-params-cm") not in names
    for doc in docs:
        meta = doc["metadata"]
        assert not {"resourceVersion", "uid", "managedFields", "creationTimestamp",
                    "namespace", "generation"} & set(meta), meta  # fmt: skip
        assert "status" not in doc
    secret = next(d for d in docs if d["metadata"]["name"] == "repo-origin")
    assert base64.b64decode(secret["data"]["password"]).decode() == password  # a real backup
    front = next(d for d in docs if d["metadata"]["name"] == apps[0])
    assert front["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert front["spec"]["project"] == "team"
    return docs


def test_export_wipe_import_restores_synced_apps(plane: Plane, tmp_path: Path) -> None:
    suffix = plane.dest.rsplit("-", 1)[1]
    apps = [f"front-{suffix}", f"back-{suffix}"]
    password = f"pw-{uuid.uuid4().hex}"
    plane.repo.commit(
        {"app/cm.yaml": configmap("settings", "v1"), "app2/cm.yaml": configmap("other", "v2")}
    )
    plane.apply(_project("team", plane))
    plane.apply(_repo_secret(plane, password))
    plane.kubectl("patch", "configmap", "argocd-cm", "-n", plane.namespace, "--type", "merge",
                  "-p", '{"data": {"ui.bannercontent": "restored"}}')  # fmt: skip
    plane.apply(plane.app_yaml(apps[0], automated={}, project="team", finalizer=True))
    plane.apply(plane.app_yaml(apps[1], path="app2", automated={"prune": True}))
    for app in apps:
        plane.wait_app(app, synced_healthy, timeout=120)

    out = tmp_path / "backup.yaml"
    exported = _admin(plane, "export", "-o", str(out))
    assert exported.exit_code == 0, exported.output
    assert exported.output == ""
    assert out.stat().st_mode & 0o777 == 0o600
    docs = _check_export(out, apps, password)
    to_stdout = _admin(plane, "export")
    assert list(yaml.safe_load_all(to_stdout.output)) == list(yaml.safe_load_all(out.read_text()))

    _wipe(plane, apps)
    assert plane.get("configmap", "settings") is not None  # nothing deployed was lost

    imported = _admin(plane, "import", str(out))
    assert imported.exit_code == 0, imported.output
    assert password not in imported.output
    lines = imported.output.splitlines()
    assert f"argoproj.io/Application {apps[0]} created" in lines
    assert "argoproj.io/AppProject team created" in lines
    assert "/Secret repo-origin created" in lines
    assert "/ConfigMap argocd-cm created" in lines
    assert not any("argocd-secret" in line for line in lines)  # untouched: unchanged
    for app in apps:
        restored = plane.wait_app(app, synced_healthy, timeout=120)
        assert restored["spec"] == next(d["spec"] for d in docs if d["metadata"]["name"] == app)
    cm = json.loads(plane.kubectl("get", "configmap", "argocd-cm", "-n", plane.namespace,
                                  "-o", "json"))  # fmt: skip
    assert cm["data"]["ui.bannercontent"] == "restored"
    raw = json.loads(plane.kubectl("get", "secret", "repo-origin", "-n", plane.namespace,
                                   "-o", "json"))  # fmt: skip
    assert base64.b64decode(raw["data"]["password"]).decode() == password

    # A second import is a no-op: nothing written, every object reported unchanged.
    before = {k: _rv(plane, *k) for k in [("appproject", "team"), ("secret", "repo-origin"),
                                          ("configmap", "argocd-cm")]}  # fmt: skip
    again = _admin(plane, "import", str(out), "--verbose")
    assert again.exit_code == 0, again.output
    assert again.output.splitlines() and all(
        line.endswith(" unchanged") for line in again.output.splitlines()
    ), again.output
    assert f"argoproj.io/Application {apps[1]} unchanged" in again.output
    assert before == {k: _rv(plane, *k) for k in before}


def test_import_prune_dry_run_and_stdin(plane: Plane, tmp_path: Path) -> None:
    plane.apply(_project("keep", plane))
    backup = _admin(plane, "export").output
    plane.apply(_project("stray", plane))
    plane.kubectl("patch", "configmap", "argocd-cm", "-n", plane.namespace, "--type", "merge",
                  "-p", '{"data": {"ui.bannercontent": "drifted"}}')  # fmt: skip
    before = _rv(plane, "configmap", "argocd-cm")

    dry = _admin(plane, "import", "-", "--prune", "--dry-run", input=backup)
    assert dry.exit_code == 0, dry.output
    assert "/ConfigMap argocd-cm updated (dry run)" in dry.output.splitlines()
    assert "argoproj.io/AppProject stray pruned (dry run)" in dry.output.splitlines()
    assert "keep" not in dry.output
    assert _rv(plane, "configmap", "argocd-cm") == before
    assert plane.kubectl.run("get", "appproject", "stray", "-n", plane.namespace).returncode == 0

    plane.apply(_project("pinned", plane))
    plane.kubectl("label", "appproject", "pinned", "-n", plane.namespace, "backup/skip=yes")
    real = _admin(plane, "import", "-", "--prune", "--skip-resources-with-label",
                  "backup/skip=yes", input=backup)  # fmt: skip
    assert real.exit_code == 0, real.output
    assert "argoproj.io/AppProject stray pruned" in real.output.splitlines()
    assert "pinned" not in real.output
    assert plane.kubectl.run("get", "appproject", "pinned", "-n", plane.namespace).returncode == 0
    gone = plane.kubectl.run("get", "appproject", "stray", "-n", plane.namespace, check=False)
    assert gone.returncode != 0
    cm = json.loads(plane.kubectl("get", "configmap", "argocd-cm", "-n", plane.namespace,
                                  "-o", "json"))  # fmt: skip
    assert "ui.bannercontent" not in (cm.get("data") or {})


def test_import_refuses_bad_backups_without_echoing_them(plane: Plane, tmp_path: Path) -> None:
    token = f"tok-{uuid.uuid4().hex}"
    broken = tmp_path / "broken.yaml"
    broken.write_text(f"apiVersion: v1\nkind: Secret\nmetadata: {{name: x\ndata: {token}: [\n")
    result = _admin(plane, "import", str(broken))
    assert result.exit_code == 20
    assert "not valid YAML at line" in result.output and token not in result.output

    foreign = tmp_path / "foreign.yaml"
    foreign.write_text("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n")
    result = _admin(plane, "import", str(foreign))
    assert result.exit_code == 20
    assert "document 1 of the backup is apps/v1/Deployment" in result.output

    plain = tmp_path / "plain.yaml"
    plain.write_text(f"apiVersion: v1\nkind: Secret\nmetadata: {{name: db}}\n"
                     f"stringData: {{password: {token}}}\n")  # fmt: skip
    result = _admin(plane, "import", str(plain))
    assert result.exit_code == 20
    assert "(Secret db) is not an Argo CD Secret" in result.output and token not in result.output
    missing = _admin(plane, "import", str(tmp_path / "nope.yaml"))
    assert missing.exit_code == 20 and "cannot read" in missing.output
