"""``kaiun app create|get|list|set|unset|patch|delete`` against the local cluster's API."""

from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from kaiun.cli.main import cli
from tests.integration.cli.conftest import AppCLI, CreateArgs

REPO = "https://github.com/argoproj/argocd-example-apps.git"


def test_create_then_get_prints_argocd_summary(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    created = app_cli(*guestbook("guestbook", "--revision", "main"))
    assert created.exit_code == 0, created.output
    assert created.output == "application 'guestbook' created\n"
    spec = app_cli.app("guestbook")["spec"]
    assert spec["source"] == {"repoURL": REPO, "path": "guestbook", "targetRevision": "main"}
    assert spec["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": "default",
    }
    assert spec["project"] == "default"

    got = app_cli("get", "guestbook")
    assert got.exit_code == 0, got.output
    lines = got.output.splitlines()
    assert lines[0] == f"Name:               {app_cli.namespace}/guestbook"
    assert lines[1] == "Project:            default"
    assert lines[2] == "Server:             https://kubernetes.default.svc"
    assert lines[3] == "Namespace:          default"
    assert lines[5] == "Source:"
    assert lines[6] == f"- Repo:             {REPO}"
    assert lines[7] == "  Target:           main"
    assert lines[8] == "  Path:             guestbook"
    assert "SyncWindow:         Sync Allowed" in lines
    assert "Sync Policy:        Manual" in lines


def test_get_shows_resources_and_operation(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook())
    app_cli.patch(
        "guestbook",
        {
            "status": {
                "sync": {"status": "Synced", "revision": "a" * 40},
                "health": {"status": "Healthy"},
                "resources": [
                    {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": "default",
                     "name": "guestbook-ui", "status": "Synced", "health": {"status": "Healthy"}},
                ],
                "operationState": {
                    "phase": "Succeeded",
                    "message": "successfully synced (all tasks run)",
                    "startedAt": "2026-01-01T00:00:00Z",
                    "finishedAt": "2026-01-01T00:01:05Z",
                    "operation": {"sync": {"revision": "a" * 40}},
                    "syncResult": {
                        "revision": "a" * 40,
                        "resources": [
                            {"group": "apps", "kind": "Deployment", "namespace": "default",
                             "name": "guestbook-ui",
                             "message": "deployment.apps/guestbook-ui created"},
                        ],
                    },
                },
            }
        },
    )  # fmt: skip
    out = app_cli("get", "guestbook", "--show-operation").output
    assert "Sync Status:        Synced to  (aaaaaaa)" in out
    assert "Health Status:      Healthy" in out
    assert "Phase:              Succeeded" in out
    assert "Duration:           1m5s" in out
    assert "Start:              2026-01-01 00:00:00 +0000 UTC" in out
    table = out.split("\n\n")[-1].splitlines()
    assert table[0].split() == [
        "GROUP",
        "KIND",
        "NAMESPACE",
        "NAME",
        "STATUS",
        "HEALTH",
        "HOOK",
        "MESSAGE",
    ]
    assert table[1].split() == [
        "apps", "Deployment", "default", "guestbook-ui", "Synced", "Healthy",
        "deployment.apps/guestbook-ui", "created",
    ]  # fmt: skip
    # Columns line up as argocd's tabwriter aligns them.
    assert table[0].index("KIND") == table[1].index("Deployment")


def test_get_output_json_and_yaml(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook())
    as_json = json.loads(app_cli("get", "guestbook", "-o", "json").output)
    as_yaml = yaml.safe_load(app_cli("get", "guestbook", "-o", "yaml").output)
    assert as_json["metadata"]["name"] == as_yaml["metadata"]["name"] == "guestbook"
    assert as_json["spec"] == as_yaml["spec"]


def test_get_missing_app_fails_with_message(app_cli: AppCLI) -> None:
    result = app_cli("get", "missing")
    assert result.exit_code == 20
    assert f'application "missing" not found in namespace "{app_cli.namespace}"' in result.output


def test_create_existing_needs_upsert(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook())
    again = app_cli(*guestbook())
    assert again.exit_code == 0
    assert again.output == "application 'guestbook' unchanged\n"
    differs = app_cli(*guestbook("guestbook", "--revision", "v2"))
    assert differs.exit_code == 20
    assert "--upsert" in differs.output
    assert "targetRevision" not in app_cli.app("guestbook")["spec"]["source"]
    upserted = app_cli(*guestbook("guestbook", "--revision", "v2", "--upsert"))
    assert upserted.output == "application 'guestbook' updated\n"
    assert app_cli.app("guestbook")["spec"]["source"]["targetRevision"] == "v2"


def test_create_validates_input(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    no_dest = app_cli("create", "x", "--repo", REPO, "--path", "p")
    assert no_dest.exit_code == 20
    assert "no destination" in no_dest.output
    both = app_cli(*guestbook("x", "--dest-name", "in-cluster"))
    assert both.exit_code == 20
    assert "mutually exclusive" in both.output
    no_project = app_cli(*guestbook("x", "--project", "nope"))
    assert no_project.exit_code == 20
    assert "project nope which does not exist" in no_project.output
    prune_manual = app_cli(*guestbook("x", "--auto-prune"))
    assert prune_manual.exit_code == 20
    assert "--sync-policy automated" in prune_manual.output
    bad_pair = app_cli(*guestbook("x", "--helm-set", "novalue"))
    assert bad_pair.exit_code == 20
    assert "NAME=VALUE" in bad_pair.output
    assert not app_cli.exists("x")


def test_create_with_policy_helm_kustomize_flags(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    result = app_cli(
        *guestbook(
            "full",
            "--sync-policy", "automated", "--auto-prune", "--self-heal",
            "--sync-option", "CreateNamespace=true",
            "--helm-set", "replicas=2", "--helm-set-string", "tag=01",
            "--values", "values-prod.yaml",
            "--kustomize-image", "nginx=nginx:1.27",
            "--directory-recurse",
            "--label", "team=web",
            "--set-finalizer",
        )
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    app = app_cli.app("full")
    spec = app["spec"]
    assert spec["syncPolicy"] == {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": ["CreateNamespace=true"],
    }
    assert spec["source"]["helm"] == {
        "parameters": [
            {"name": "replicas", "value": "2"},
            {"name": "tag", "value": "01", "forceString": True},
        ],
        "valueFiles": ["values-prod.yaml"],
    }
    assert spec["source"]["kustomize"] == {"images": ["nginx=nginx:1.27"]}
    assert spec["source"]["directory"] == {"recurse": True}
    assert app["metadata"]["labels"] == {"team": "web"}
    assert app["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    listed = app_cli("list").output.splitlines()
    assert listed[0].split() == ["NAME", "CLUSTER", "NAMESPACE", "PROJECT", "STATUS", "HEALTH",
                                 "SYNCPOLICY", "CONDITIONS", "REPO", "PATH", "TARGET"]  # fmt: skip
    assert listed[1].split() == [
        f"{app_cli.namespace}/full", "https://kubernetes.default.svc", "default", "default",
        "Auto-Prune", "<none>", REPO, "guestbook",
    ]  # fmt: skip


def test_create_from_file(app_cli: AppCLI, tmp_path: object) -> None:
    manifest = f"""
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: fromfile
spec:
  project: default
  source: {{repoURL: {REPO}, path: guestbook, targetRevision: HEAD}}
  destination: {{server: https://kubernetes.default.svc, namespace: web}}
"""
    stale = "status: {sync: {status: Synced}}\noperation: {sync: {revision: HEAD}}\n"
    result = app_cli("create", "-f", "-", "--dest-namespace", "override", input=manifest + stale)
    assert result.exit_code == 0, result.output
    assert result.output == "application 'fromfile' created\n"
    created = app_cli.app("fromfile")
    assert created["spec"]["destination"]["namespace"] == "override"
    assert "operation" not in created
    assert "status" not in created
    bad = app_cli("create", "-f", "-", input="kind: ConfigMap\n")
    assert bad.exit_code == 20
    assert "must be an argoproj.io Application" in bad.output


def test_list_filters_and_outputs(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("a", "--label", "tier=web"))
    app_cli(*guestbook("b"))
    names = app_cli("list", "-o", "name").output.split()
    assert names == [f"{app_cli.namespace}/a", f"{app_cli.namespace}/b"]
    assert app_cli("list", "-o", "name", "-l", "tier=web").output.split() == [
        f"{app_cli.namespace}/a"
    ]
    assert app_cli("list", "-o", "name", "-p", "other").output == ""
    items = json.loads(app_cli("list", "-o", "json").output)
    assert [i["metadata"]["name"] for i in items] == ["a", "b"]


def test_set_and_unset(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook())
    result = app_cli(
        "set", "guestbook", "--revision", "v1", "--helm-set", "a=1", "--helm-set", "b=2",
        "--nameprefix", "pre-", "--sync-policy", "automated", "--self-heal",
        "--dest-namespace", "prod",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    spec = app_cli.app("guestbook")["spec"]
    assert spec["source"]["targetRevision"] == "v1"
    assert spec["source"]["kustomize"] == {"namePrefix": "pre-"}
    assert spec["syncPolicy"] == {"automated": {"selfHeal": True}}
    assert spec["destination"]["namespace"] == "prod"

    result = app_cli("unset", "guestbook", "-p", "a", "--nameprefix")
    assert result.exit_code == 0, result.output
    source = app_cli.app("guestbook")["spec"]["source"]
    assert source["helm"] == {"parameters": [{"name": "b", "value": "2"}]}
    assert "kustomize" not in source

    # argocd's --flag=false spelling works for every on/off flag.
    assert app_cli("set", "guestbook", "--self-heal=false").exit_code == 0
    assert app_cli.app("guestbook")["spec"]["syncPolicy"]["automated"] == {"selfHeal": False}
    app_cli("set", "guestbook", "--sync-policy", "none")
    assert "syncPolicy" not in app_cli.app("guestbook")["spec"]
    missing = app_cli("set", "nope", "--revision", "x")
    assert missing.exit_code == 20
    assert "not found" in missing.output


def test_patch_json_and_merge(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook())
    ops = '[{"op": "replace", "path": "/spec/source/path", "value": "helm-guestbook"}]'
    result = app_cli("patch", "guestbook", "--patch", ops)
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.output)["spec"]["source"]["path"] == "helm-guestbook"
    merged = app_cli(
        "patch",
        "guestbook",
        "--type",
        "merge",
        "--patch",
        '{"spec": {"project": "default", "revisionHistoryLimit": 3}}',
    )
    assert merged.exit_code == 0, merged.output
    assert app_cli.app("guestbook")["spec"]["revisionHistoryLimit"] == 3
    bad_json = app_cli("patch", "guestbook", "--patch", "{not json")
    assert bad_json.exit_code == 20
    assert "not valid JSON" in bad_json.output
    wrong_shape = app_cli("patch", "guestbook", "--patch", '{"spec": {}}')
    assert wrong_shape.exit_code == 20
    assert "JSON array" in wrong_shape.output
    refused = app_cli(
        "patch", "guestbook", "--patch", '[{"op": "remove", "path": "/spec/nothere"}]'
    )
    assert refused.exit_code == 20
    assert "refused" in refused.output


def test_delete_cascade_sets_finalizer(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("keep"))
    app_cli.patch("keep", {"metadata": {"finalizers": ["example.com/hold"]}})
    cancelled = app_cli("delete", "keep", input="n\n")
    assert "cancelled" in cancelled.output
    assert app_cli.exists("keep")
    result = app_cli("delete", "keep", "--cascade", "-p", "background", "-y")
    assert result.exit_code == 0, result.output
    assert result.output == "application 'keep' deleted\n"
    # The finalizers hold the object, so what the CLI set before deleting is visible.
    app = app_cli.app("keep")
    assert app["metadata"]["finalizers"] == [
        "example.com/hold",
        "resources-finalizer.argocd.argoproj.io/background",
    ]
    assert app["metadata"].get("deletionTimestamp")


def test_delete_without_cascade_removes_finalizer(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("gone", "--set-finalizer"))
    result = app_cli("delete", "gone", "--cascade=false", "--wait", "--timeout", "30", input="y\n")
    assert result.exit_code == 0, result.output
    assert "Are you sure you want to delete 'gone'?" in result.output
    assert not app_cli.exists("gone")
    missing = app_cli("delete", "gone", "-y")
    assert missing.exit_code == 20


def test_project_policy_and_sync_window(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli.kubectl(
        "apply", "-f", "-",
        input=f"""
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {{name: team, namespace: {app_cli.namespace}}}
spec:
  sourceRepos: ["{REPO}"]
  destinations: [{{server: https://kubernetes.default.svc, namespace: "team-*"}}]
  syncWindows: [{{kind: deny, schedule: "* * * * *", duration: 1h, applications: ["*"]}}]
""",
    )  # fmt: skip
    refused = app_cli(*guestbook("x", "--project", "team"))
    assert refused.exit_code == 20
    assert "application spec for x is invalid: InvalidSpecError" in refused.output
    assert "default" in refused.output
    ok = app_cli(*guestbook("x", "--project", "team", "--dest-namespace", "team-a"))
    assert ok.exit_code == 0, ok.output
    assert "SyncWindow:         Sync Denied" in app_cli("get", "x").output
    blocked = app_cli("sync", "x", "--async")
    assert blocked.exit_code == 20
    assert "Cannot sync: blocked by sync window" in blocked.output
    assert "operation" not in app_cli.app("x")
    moved = app_cli("set", "x", "--dest-namespace", "elsewhere")
    assert moved.exit_code == 20
    assert app_cli.app("x")["spec"]["destination"]["namespace"] == "team-a"


def test_resources_lists_managed_and_orphaned(
    app_cli: AppCLI, guestbook: CreateArgs, namespace: str
) -> None:
    app_cli(*guestbook("web", "--dest-namespace", namespace))
    app_cli.patch(
        "web",
        {"status": {"resources": [{"version": "v1", "kind": "ConfigMap", "namespace": namespace,
                                   "name": "managed", "status": "Synced"}]}},
    )  # fmt: skip
    tracked = f"web:/ConfigMap:{namespace}/managed"
    app_cli.kubectl(
        "apply", "-f", "-",
        input=f"""
apiVersion: v1
kind: ConfigMap
metadata:
  name: managed
  namespace: {namespace}
  annotations: {{argocd.argoproj.io/tracking-id: "{tracked}"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: stray, namespace: {namespace}}}
""",
    )  # fmt: skip
    managed = app_cli("resources", "web").output.splitlines()
    assert managed[0].split() == ["GROUP", "KIND", "NAMESPACE", "NAME", "ORPHANED"]
    assert managed[1:] == [f"       ConfigMap  {namespace}  managed  No"]
    orphaned = app_cli("resources", "web", "--orphaned").output.splitlines()
    assert orphaned[1:] == [f"       ConfigMap  {namespace}  stray  Yes"]


def test_connection_options_after_the_subcommand(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("web"))
    runner = CliRunner()
    args = ["app", "get", "web", "-o", "json", "--core", "--kubeconfig", str(app_cli.lc.kubeconfig)]
    here = runner.invoke(cli, [*args, "-n", app_cli.namespace])
    assert here.exit_code == 0, here.output
    assert json.loads(here.output)["metadata"]["namespace"] == app_cli.namespace
    elsewhere = runner.invoke(cli, [*args, "-n", "argocd-missing"])
    assert elsewhere.exit_code == 20
    assert 'not found in namespace "argocd-missing"' in elsewhere.output
