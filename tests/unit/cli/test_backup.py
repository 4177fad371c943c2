"""The backup format of ``kaiun admin export|import``: what is kept, what counts as a change,
and how an Argo CD backup with status and server fields is read."""

from __future__ import annotations

import pytest

from kaiun.cli import backup

LIVE_APP = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {
        "name": "web", "namespace": "argocd", "uid": "u1", "resourceVersion": "42",
        "generation": 3, "creationTimestamp": "2026-01-01T00:00:00Z",
        "managedFields": [{"manager": "kaiun"}], "labels": {"team": "a"},
        "finalizers": ["resources-finalizer.argocd.argoproj.io"],
    },
    "spec": {"project": "default", "source": {"repoURL": "https://x", "path": "p"}},
    "status": {"sync": {"status": "Synced"}},
    "operation": {"sync": {}},
}  # fmt: skip


def test_clean_keeps_identity_and_content_only() -> None:
    cleaned = backup.clean(LIVE_APP, "argocd")
    assert cleaned == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "web", "labels": {"team": "a"},
                     "finalizers": ["resources-finalizer.argocd.argoproj.io"]},
        "spec": LIVE_APP["spec"],
    }  # fmt: skip
    elsewhere = backup.clean({**LIVE_APP, "metadata": {"name": "w", "namespace": "t"}}, "argocd")
    assert elsewhere["metadata"] == {"name": "w", "namespace": "t"}


def test_differs_ignores_server_fields_and_status() -> None:
    cleaned = backup.clean(LIVE_APP, "argocd")
    assert not backup.differs(cleaned, LIVE_APP)
    assert not backup.differs({**cleaned, "status": {"sync": {"status": "OutOfSync"}}}, LIVE_APP)
    relabelled = {**cleaned, "metadata": {**cleaned["metadata"], "labels": {"team": "b"}}}
    assert backup.differs(relabelled, LIVE_APP)
    assert backup.differs({**cleaned, "spec": {"project": "other"}}, LIVE_APP)


def test_updated_replaces_content_and_keeps_identity() -> None:
    doc = backup.clean(LIVE_APP, "argocd")
    doc["metadata"].pop("labels")
    doc["spec"] = {"project": "p2"}
    out = backup.updated(doc, LIVE_APP, stop_operation=True)
    assert out["metadata"]["resourceVersion"] == "42" and "labels" not in out["metadata"]
    assert out["spec"] == {"project": "p2"} and out["status"] == LIVE_APP["status"]
    assert "operation" not in out
    assert backup.updated(doc, LIVE_APP, stop_operation=False)["operation"] == {"sync": {}}


def test_created_drops_status_and_sets_namespace() -> None:
    out = backup.created(
        backup.clean(LIVE_APP, "argocd") | {"status": {}}, "cp", stop_operation=False
    )
    assert out["metadata"]["namespace"] == "cp" and "status" not in out


def test_parse_stream_reads_an_argo_cd_backup() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\ndata: {a: b}\n---\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web}\n"
        "spec: {project: default}\nstatus: {health: {status: Healthy}}\n---\n"
    )
    docs = backup.parse_stream(text, "argocd")
    assert [d["kind"] for d in docs] == ["ConfigMap", "Application"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- just a list\n", "document 1 of the backup is not an object"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "has no metadata.name"),
        ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n", "settings ConfigMap"),
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: argocd-secret}\n---\n"
            "apiVersion: v1\nkind: Secret\nmetadata: {name: argocd-secret}\n",
            "repeats Secret",
        ),
        ("kind: [\n", "not valid YAML at line"),
    ],
)
def test_parse_stream_refuses(text: str, message: str) -> None:
    with pytest.raises(backup.BackupError, match=message.replace("[", r"\[")):
        backup.parse_stream(text, "argocd")


def test_change_lines_are_argocd_s() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "repo-1"}}
    assert backup.Change(secret, "created").line(False) == "/Secret repo-1 created"
    assert backup.Change(LIVE_APP, "pruned").line(True) == (
        "argoproj.io/Application web pruned (dry run)"
    )


def test_namespaces_and_labels() -> None:
    cm = {"kind": "ConfigMap", "metadata": {"name": "argocd-cm", "namespace": "elsewhere"}}
    assert backup.key(cm, "cp") == ("ConfigMap", "cp", "argocd-cm")  # settings stay home
    app = {"kind": "Application", "metadata": {"name": "a", "namespace": "team"}}
    assert backup.key(app, "cp") == ("Application", "team", "a")
    assert backup.created(cm, "cp", stop_operation=False)["metadata"]["namespace"] == "cp"
    labelled = {"metadata": {"labels": {"skip": "yes"}}}
    assert backup.has_label(labelled, "skip=yes") and backup.has_label(labelled, "skip")
    assert not backup.has_label(labelled, "skip=no") and not backup.has_label({}, "skip")
