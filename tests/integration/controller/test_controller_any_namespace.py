"""Applications in any namespace: ``application.namespaces`` (globs) adds namespaces the
controller reconciles; an app there needs a project listing the namespace in
``sourceNamespaces``; its resources are tracked as ``<namespace>_<name>``."""

from __future__ import annotations

import json
import time
from pathlib import Path

from kaiun.localcluster import LocalCluster
from tests.integration.controller.conftest import (
    ControllerRunner,
    Plane,
    configmap,
    fast,
    synced_healthy,
)


def _app(plane: Plane, name: str, namespace: str, *, path: str, project: str, dest: str) -> str:
    text = plane.app_yaml(
        name, path=path, project=project, dest_namespace=dest, automated={"prune": True}
    )
    return text.replace(f"  namespace: {plane.namespace}\n", f"  namespace: {namespace}\n", 1)


def test_apps_in_other_namespaces(
    plane: Plane, local_cluster: LocalCluster, tmp_path: Path
) -> None:
    suffix = plane.namespace.rsplit("-", 1)[1]
    team, other = f"team-a-{suffix}", f"other-{suffix}"
    for ns in (team, other):
        plane.kubectl("create", "namespace", ns)
    plane.runner.stop()
    # The flag wins over argocd-cmd-params-cm (set here to something else).
    params = json.dumps({"data": {"application.namespaces": other}})
    plane.kubectl("patch", "configmap", "argocd-cmd-params-cm", "-n", plane.namespace,
                  "--type=merge", "-p", params)  # fmt: skip
    plane.runner = ControllerRunner(
        local_cluster.kubeconfig, plane.namespace, tmp_path / "work2", fast,
        application_namespaces=[f"team-*-{suffix}"],
    )  # fmt: skip
    plane.runner.start()
    project = {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
        "metadata": {"name": "team", "namespace": plane.namespace},
        "spec": {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}],
                 "sourceNamespaces": [f"team-*-{suffix}"]},
    }  # fmt: skip
    plane.apply(json.dumps(project))
    plane.repo.commit(
        {
            "team/cm.yaml": configmap("from-team"),
            "rogue/cm.yaml": configmap("from-rogue"),
            "ignored/cm.yaml": configmap("from-ignored"),
            "home/cm.yaml": configmap("from-home"),
        }
    )
    plane.apply(_app(plane, "web", other, path="ignored", project="team", dest=plane.dest))
    plane.apply(_app(plane, "rogue", team, path="rogue", project="default", dest=plane.dest))
    plane.apply(_app(plane, "web", team, path="team", project="team", dest=plane.dest))
    # An app of the same name in the control plane is a different app.
    plane.apply(plane.app_yaml("web", path="home", automated={"prune": True}))

    def team_app(name: str) -> dict:
        out = plane.kubectl("get", "application", name, "-n", team, "-o", "json")
        return dict(json.loads(out))

    deadline = time.monotonic() + 90
    while not synced_healthy(team_app("web")):
        assert time.monotonic() < deadline, json.dumps(team_app("web"), indent=1)
        time.sleep(0.3)
    status = team_app("web")["status"]
    assert status["controllerNamespace"] == plane.namespace
    live = plane.get("configmap", "from-team")
    assert live is not None
    tracking = live["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"]
    assert tracking == f"{team}_web:/ConfigMap:{plane.dest}/from-team"

    home = plane.wait_app("web", synced_healthy)
    assert [r["name"] for r in home["status"]["resources"]] == ["from-home"]
    assert [r["name"] for r in status["resources"]] == ["from-team"]

    # The default project does not list the team namespace: refused, nothing deployed.
    deadline = time.monotonic() + 60
    while not (team_app("rogue").get("status") or {}).get("conditions"):
        assert time.monotonic() < deadline, "rogue app got no condition"
        time.sleep(0.3)
    [cond] = team_app("rogue")["status"]["conditions"]
    assert cond["type"] == "InvalidSpecError"
    assert f"application namespace {team} is not permitted in project default" in cond["message"]
    assert plane.get("configmap", "from-rogue") is None

    # A namespace outside application.namespaces is not reconciled at all.
    out = plane.kubectl("get", "application", "web", "-n", other, "-o", "json")
    assert "status" not in json.loads(out)
    assert plane.get("configmap", "from-ignored") is None

    # Drift on the team app's resource is seen (cache events map back to ns/name).
    plane.kubectl("patch", "configmap", "from-team", "-n", plane.dest, "--type=merge",
                  "-p", '{"data": {"key": "drifted"}}')  # fmt: skip
    deadline = time.monotonic() + 60
    while team_app("web")["status"]["sync"]["status"] != "OutOfSync":
        assert time.monotonic() < deadline, "drift not seen"
        time.sleep(0.3)
