"""Every template and trigger in the seed document (sections 11, 16, 24.2) works as written,
plus notification-catalog style templates and triggers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from kaiun import templating
from kaiun.templating import expr
from kaiun.templating.values import GoTime

NOW = GoTime(dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC))


def render(text: str, data: Any, options: tuple[str, ...] = ("missingkey=error",)) -> str:
    return templating.parse("appset", text, options=options).execute(data)


def test_section_11_list_generator_template() -> None:
    params = {
        "name": "guestbook", "environment": "staging", "repoURL": "https://github.com/org/repo.git",
        "revision": "main", "path": "apps/guestbook", "cluster": "https://1.2.3.4",
        "namespace": "guestbook",
    }  # fmt: skip
    fields = {
        "name": "{{.name}}-{{.environment}}", "repoURL": "{{.repoURL}}",
        "targetRevision": "{{.revision}}", "path": "{{.path}}", "server": "{{.cluster}}",
        "namespace": "{{.namespace}}",
    }  # fmt: skip
    out = {k: render(v, params) for k, v in fields.items()}
    assert out == {
        "name": "guestbook-staging", "repoURL": "https://github.com/org/repo.git",
        "targetRevision": "main", "path": "apps/guestbook", "server": "https://1.2.3.4",
        "namespace": "guestbook",
    }  # fmt: skip


def test_section_11_pull_request_generator_template() -> None:
    params = {"number": "42", "head_sha": "0a1b2c3d", "branch": "feature/x"}
    assert render("pr-{{.number}}-my-app", params) == "pr-42-my-app"
    assert render("{{.head_sha}}", params) == "0a1b2c3d"
    assert render("pr-{{.number}}.preview.example.com", params) == "pr-42.preview.example.com"


def test_section_11_missing_parameter_with_missingkey_error() -> None:
    with pytest.raises(templating.TemplateExecError) as info:
        render("{{.name}}-{{.environment}}", {"name": "a"})
    assert str(info.value) == (
        'template: appset:1:12: executing "appset" at <.environment>: '
        'map has no entry for key "environment"'
    )


def test_section_24_2_matrix_of_git_directories_and_clusters() -> None:
    cluster = {
        "name": "prod-eu", "server": "https://prod-eu.example.com",
        "metadata": {"labels": {"environment": "production",
                                "argocd.argoproj.io/secret-type": "cluster"}},
    }  # fmt: skip
    # The clusters generator renders its `values` against the cluster's own parameters.
    values = {"environment": render("{{.metadata.labels.environment}}", cluster)}
    params = {
        **cluster,
        "values": values,
        "path": {"path": "platform/cert-manager", "basename": "cert-manager",
                 "filename": "cert-manager", "segments": ["platform", "cert-manager"]},
    }  # fmt: skip
    assert (
        render("platform-{{.path.basename}}-{{.name}}", params) == "platform-cert-manager-prod-eu"
    )
    assert (
        render("platform/{{.path.basename}}/overlays/{{.values.environment}}", params)
        == "platform/cert-manager/overlays/production"
    )
    assert render("{{.server}}", params) == "https://prod-eu.example.com"
    assert render("{{.path.basename}}", params) == "cert-manager"
    assert render("{{ index .path.segments 0 }}", params) == "platform"


def test_section_16_notification_template_and_trigger() -> None:
    app = {"metadata": {"name": "guestbook"}, "status": {"operationState": {"phase": "Succeeded"}}}
    attachments = """[{
  "color": "#18be52",
  "title": "{{.app.metadata.name}} - Sync Succeeded",
  "title_link": "{{.context.argocdUrl}}/applications/{{.app.metadata.name}}"
}]"""
    data = {"app": app, "context": {"argocdUrl": "https://argocd.example.com"}}
    rendered = templating.parse("app-sync-succeeded", attachments).execute(data)
    assert json.loads(rendered) == [
        {
            "color": "#18be52",
            "title": "guestbook - Sync Succeeded",
            "title_link": "https://argocd.example.com/applications/guestbook",
        }
    ]
    trigger = expr.compile("app.status.operationState.phase in ['Succeeded']")
    assert trigger.run({"app": app}) is True
    app["status"]["operationState"]["phase"] = "Running"
    assert trigger.run({"app": app}) is False


CATALOG_TRIGGERS = {
    "on-created": "true",
    "on-deleted": "app.metadata.deletionTimestamp != nil",
    "on-deployed": "app.status.operationState != nil and app.status.operationState.phase in "
    "['Succeeded'] and app.status.health.status == 'Healthy'",
    "on-health-degraded": "app.status.health.status == 'Degraded'",
    "on-sync-failed": "app.status.operationState != nil and app.status.operationState.phase in "
    "['Error', 'Failed']",
    "on-sync-running": "app.status.operationState != nil and app.status.operationState.phase in "
    "['Running']",
    "on-sync-status-unknown": "app.status.sync.status == 'Unknown'",
    "on-sync-succeeded": "app.status.operationState != nil and app.status.operationState.phase "
    "in ['Succeeded']",
}


@pytest.mark.parametrize(
    ("status", "fired"),
    [
        ({}, {"on-created"}),
        (
            {"operationState": {"phase": "Succeeded"}, "health": {"status": "Healthy"},
             "sync": {"status": "Synced"}},
            {"on-created", "on-deployed", "on-sync-succeeded"},
        ),
        (
            {"operationState": {"phase": "Failed"}, "health": {"status": "Degraded"},
             "sync": {"status": "Unknown"}},
            {"on-created", "on-health-degraded", "on-sync-failed", "on-sync-status-unknown"},
        ),
        ({"operationState": {"phase": "Running"}}, {"on-created", "on-sync-running"}),
    ],
)  # fmt: skip
def test_catalog_triggers(status: dict[str, Any], fired: set[str]) -> None:
    app = {"metadata": {"name": "a"}, "status": {"health": {}, "sync": {}, **status}}
    got = {name for name, src in CATALOG_TRIGGERS.items() if expr.compile(src).run({"app": app})}
    assert got == fired


def test_catalog_style_template_with_conditions_and_calls() -> None:
    text = (
        '{{if eq .serviceType "slack"}}:white_check_mark:{{end}} Application '
        "{{.app.metadata.name}} synced at {{.app.status.operationState.finishedAt}}.\n"
        "{{range $index, $c := .app.status.conditions}}{{if $index}},{{end}}"
        '{"title": "{{$c.type}}", "value": {{$c.message | toJson}}}{{end}}\n'
        "Author: {{(call .repo.GetCommitMetadata .app.status.sync.revision).Author}}\n"
        "Repo: {{call .repo.RepoURLToHTTPS .app.spec.source.repoURL}}\n"
        '{{ (call .time.Now).Format "2006-01-02" }}'
    )

    class Meta:
        Author = "Jane <jane@example.com>"

    data = {
        "serviceType": "slack",
        "app": {
            "metadata": {"name": "guestbook"},
            "spec": {"source": {"repoURL": "git@github.com:org/repo.git"}},
            "status": {
                "operationState": {"finishedAt": "2024-05-01T11:59:00Z"},
                "sync": {"revision": "abc123"},
                "conditions": [
                    {"type": "SyncError", "message": 'bad "quote"'},
                    {"type": "Warning", "message": "w"},
                ],
            },
        },
        "repo": {
            "GetCommitMetadata": lambda rev: Meta(),
            "RepoURLToHTTPS": lambda url: "https://github.com/org/repo",
        },
        **expr.notification_helpers(clock=lambda: NOW),
    }
    assert templating.parse("app-sync-succeeded", text).execute(data) == (
        ":white_check_mark: Application guestbook synced at 2024-05-01T11:59:00Z.\n"
        '{"title": "SyncError", "value": "bad \\"quote\\""},{"title": "Warning", "value": "w"}\n'
        "Author: Jane <jane@example.com>\n"
        "Repo: https://github.com/org/repo\n"
        "2024-05-01"
    )


def test_time_sub_trigger_from_the_notifications_docs() -> None:
    env = {
        "app": {"status": {"operationState": {"startedAt": "2024-05-01T11:50:00Z"}}},
        **expr.notification_helpers(clock=lambda: NOW),
    }
    src = "time.Now().Sub(time.Parse(app.status.operationState.startedAt)).Minutes() >= 5"
    assert expr.compile(src).run(env) is True
