"""The local cluster as real kubectl sees it: apply, diff, watch, delete, events."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.support import Kubectl, wait_for

MANIFESTS = Path(__file__).parent / "manifests"


def _manifest(name: str, ns: str) -> str:
    return (MANIFESTS / name).read_text().replace("NS", ns)


@pytest.fixture
def app_ns(kubectl: Kubectl) -> str:
    ns = f"app-{uuid.uuid4().hex[:6]}"
    kubectl("apply", "-f", "-", input=_manifest("app.yaml", ns))
    return ns


def test_client_side_apply_creates_every_kind(kubectl: Kubectl, app_ns: str) -> None:
    out = json.loads(kubectl("get", "cm,secret,deploy,svc,ing", "-n", app_ns, "-o", "json"))
    names = {(i["kind"], i["metadata"]["name"]) for i in out["items"]}
    assert {
        ("ConfigMap", "web-config"),
        ("Secret", "web-secret"),
        ("Deployment", "web"),
        ("Service", "web"),
        ("Ingress", "web"),
    } <= names
    secret = json.loads(kubectl("get", "secret", "web-secret", "-n", app_ns, "-o", "json"))
    assert secret["data"] == {"password": "czNjcjN0"}
    assert "stringData" not in secret
    svc = json.loads(kubectl("get", "svc", "web", "-n", app_ns, "-o", "json"))
    assert svc["spec"]["clusterIP"].startswith("10.")


def test_reapply_is_unchanged_and_keeps_resource_version(kubectl: Kubectl, app_ns: str) -> None:
    before = json.loads(kubectl("get", "deploy", "web", "-n", app_ns, "-o", "json"))
    out = kubectl("apply", "-f", "-", input=_manifest("app.yaml", app_ns))
    assert "deployment.apps/web unchanged" in out
    after = json.loads(kubectl("get", "deploy", "web", "-n", app_ns, "-o", "json"))
    assert after["metadata"]["generation"] == before["metadata"]["generation"]


def test_crd_is_listed_and_instances_work(kubectl: Kubectl, app_ns: str) -> None:
    resources = kubectl("api-resources", "--api-group=example.com")
    assert "widgets" in resources and "Widget" in resources
    kubectl("apply", "-f", "-", input=_manifest("widget.yaml", app_ns))
    widget = json.loads(kubectl("get", "wd", "blue", "-n", app_ns, "-o", "json"))
    assert widget["spec"] == {"size": 3, "color": "blue"}
    assert widget["metadata"]["generation"] == 1


def test_diff_shows_changed_image(kubectl: Kubectl, app_ns: str) -> None:
    changed = _manifest("app.yaml", app_ns).replace("nginx:1.25", "nginx:1.26")
    proc = kubectl.run("diff", "-f", "-", input=changed, check=False)
    assert proc.returncode == 1, proc.stderr
    assert (
        "-        image: nginx:1.25" in proc.stdout
        or "-  image: nginx:1.25" in proc.stdout
        or "nginx:1.25" in proc.stdout
    )
    assert "+        image: nginx:1.26" in proc.stdout or "nginx:1.26" in proc.stdout
    unchanged = kubectl.run("diff", "-f", "-", input=_manifest("app.yaml", app_ns), check=False)
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr


def test_apply_changed_image_updates_and_bumps_generation(kubectl: Kubectl, app_ns: str) -> None:
    changed = _manifest("app.yaml", app_ns).replace("nginx:1.25", "nginx:1.26")
    assert "deployment.apps/web configured" in kubectl("apply", "-f", "-", input=changed)
    dep = json.loads(kubectl("get", "deploy", "web", "-n", app_ns, "-o", "json"))
    containers = dep["spec"]["template"]["spec"]["containers"]
    assert containers == [
        {
            **containers[0],
            "name": "web",
            "image": "nginx:1.26",
            "ports": [{**containers[0]["ports"][0], "containerPort": 80}],
        }
    ]
    assert dep["metadata"]["generation"] == 2


def test_server_side_apply_and_field_manager_conflict(kubectl: Kubectl, namespace: str) -> None:
    cm = (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\n  namespace: {namespace}\n"
        "data:\n  key: one\n"
    )
    kubectl("apply", "--server-side", "--field-manager=alice", "-f", "-", input=cm)
    proc = kubectl.run(
        "apply",
        "--server-side",
        "--field-manager=bob",
        "-f",
        "-",
        input=cm.replace("one", "two"),
        check=False,
    )
    assert proc.returncode != 0
    assert 'conflict with "alice"' in proc.stderr
    assert ".data.key" in proc.stderr
    kubectl(
        "apply",
        "--server-side",
        "--field-manager=bob",
        "--force-conflicts",
        "-f",
        "-",
        input=cm.replace("one", "two"),
    )
    live = json.loads(
        kubectl("get", "cm", "owned", "-n", namespace, "-o", "json", "--show-managed-fields")
    )
    assert live["data"] == {"key": "two"}
    managers = {m["manager"] for m in live["metadata"]["managedFields"]}
    assert "bob" in managers


def test_server_side_apply_of_whole_app(kubectl: Kubectl) -> None:
    ns = f"ssa-{uuid.uuid4().hex[:6]}"
    out = kubectl("apply", "--server-side", "-f", "-", input=_manifest("app.yaml", ns))
    assert f"namespace/{ns} serverside-applied" in out
    assert "deployment.apps/web serverside-applied" in out
    kubectl("apply", "--server-side", "-f", "-", input=_manifest("widget.yaml", ns))
    dep = json.loads(
        kubectl("get", "deploy", "web", "-n", ns, "-o", "json", "--show-managed-fields")
    )
    assert any(
        m["manager"] == "kubectl" and m["operation"] == "Apply"
        for m in dep["metadata"]["managedFields"]
    )


def test_delete_namespace_removes_everything_inside(kubectl: Kubectl, app_ns: str) -> None:
    kubectl("apply", "-f", "-", input=_manifest("widget.yaml", app_ns))
    kubectl("delete", "ns", app_ns, "--timeout=60s")
    proc = kubectl.run("get", "ns", app_ns, check=False)
    assert proc.returncode != 0 and "NotFound" in proc.stderr
    for kind in ("configmaps", "secrets", "deployments", "services", "widgets"):
        listed = json.loads(kubectl("get", kind, "-A", "-o", "json"))
        assert not [i for i in listed["items"] if i["metadata"]["namespace"] == app_ns], kind


def test_get_events(kubectl: Kubectl, namespace: str) -> None:
    event = f"""apiVersion: v1
kind: Event
metadata: {{name: hello.1, namespace: {namespace}}}
involvedObject: {{kind: ConfigMap, name: hello, namespace: {namespace}}}
reason: Testing
message: something happened
type: Normal
"""
    kubectl("create", "-f", "-", input=event)
    out = kubectl("get", "events", "-n", namespace)
    assert "Testing" in out and "something happened" in out and "configmap/hello" in out


def test_get_watch_streams_changes(kubectl: Kubectl, namespace: str) -> None:
    watcher = subprocess.Popen(
        [
            "kubectl",
            "--kubeconfig",
            str(kubectl.kubeconfig),
            "get",
            "cm",
            "-n",
            namespace,
            "-w",
            "--output-watch-events",
            "-o",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)
        cm = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: w1\n  namespace: {namespace}\n"
            "data:\n  v: '1'\n"
        )
        kubectl("apply", "-f", "-", input=cm)
        kubectl("apply", "-f", "-", input=cm.replace("'1'", "'2'"))
        kubectl("delete", "cm", "w1", "-n", namespace)
        time.sleep(1.0)
    finally:
        watcher.terminate()
        out, _ = watcher.communicate(timeout=10)
    decoder, events, pos = json.JSONDecoder(), [], 0
    while pos < len(out.strip()):
        ev, end = decoder.raw_decode(out, pos)
        events.append(ev)
        pos = end
        while pos < len(out) and out[pos].isspace():
            pos += 1
    seen = [
        (e["type"], e["object"]["data"]["v"])
        for e in events
        if e["object"]["metadata"]["name"] == "w1"
    ]
    assert seen == [("ADDED", "1"), ("MODIFIED", "2"), ("DELETED", "2")]


def test_get_deploy_watch_shows_progress_to_available(kubectl: Kubectl, app_ns: str) -> None:
    watcher = subprocess.Popen(
        [
            "kubectl",
            "--kubeconfig",
            str(kubectl.kubeconfig),
            "get",
            "deploy",
            "web",
            "-n",
            app_ns,
            "-w",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert watcher.stdout is not None
    lines = []
    try:
        for line in watcher.stdout:
            lines.append(line.split())
            if line.split()[:2] == ["web", "2/2"]:
                break
    finally:
        watcher.terminate()
        watcher.communicate(timeout=10)
    assert lines[0][:2] == ["NAME", "READY"]
    assert lines[-1][:4] == ["web", "2/2", "2", "2"]
    wait_for(
        lambda: ":80" in kubectl("get", "endpoints", "web", "-n", app_ns),
        what="Service endpoints from the ready pods",
    )
