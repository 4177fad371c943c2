"""``kaiun app sync|wait|rollback|terminate-op|history|get --refresh``: what the CLI writes on
the Application (Argo CD's core-mode protocol) and how it follows status written back.

A scripted stand-in plays the controller's part of the protocol, so that outcomes such as a
Failed operation are deterministic: it picks up ``operation``, writes
``status.operationState`` and clears ``operation``, or removes the refresh annotation, with
real writes through kubectl. ``test_app_e2e`` runs the same commands with the real controller.
"""

from __future__ import annotations

import getpass
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tests.integration.cli.conftest import AppCLI, CreateArgs

Step = Callable[[dict[str, Any]], dict[str, Any] | None]


@contextmanager
def stand_in(app_cli: AppCLI, name: str, step: Step) -> Iterator[None]:
    """Apply ``step(app)``'s merge patch whenever it returns one, until the block ends."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            patch = step(app_cli.app(name))
            if patch:
                app_cli.patch(name, patch)
            stop.wait(0.2)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)


def finishing(phase: str) -> Step:
    """A controller that completes any requested operation with ``phase``."""

    def step(app: dict[str, Any]) -> dict[str, Any] | None:
        op = app.get("operation")
        if not op:
            return None
        return {
            "operation": None,
            "status": {
                "operationState": {
                    "operation": op,
                    "phase": phase,
                    "message": "one or more objects failed to apply" if phase == "Failed" else
                    "successfully synced (all tasks run)",
                    "startedAt": "2026-01-01T00:00:00Z",
                    "finishedAt": "2026-01-01T00:00:03Z",
                    "syncResult": {"revision": "b" * 40},
                },
                "sync": {"status": "Synced", "revision": "b" * 40},
            },
        }  # fmt: skip

    return step


def test_sync_async_sets_operation(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("web", "--revision", "main"))
    result = app_cli(
        "sync", "web", "--async", "--prune", "--force", "--server-side",
        "--apply-out-of-sync-only", "--resource", "apps:Deployment:default/web",
        "--resource", ":Service:web",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output == f"Application '{app_cli.namespace}/web' sync requested\n"
    op = app_cli.app("web")["operation"]
    assert op["initiatedBy"] == {"username": getpass.getuser()}
    assert op["sync"] == {
        "revision": "main",
        "prune": True,
        "dryRun": False,
        "syncStrategy": {"hook": {"force": True}},
        "syncOptions": ["ApplyOutOfSyncOnly=true", "ServerSideApply=true"],
        "resources": [
            {"group": "apps", "kind": "Deployment", "name": "web", "namespace": "default"},
            {"group": "", "kind": "Service", "name": "web"},
        ],
    }
    again = app_cli("sync", "web", "--async")
    assert again.exit_code == 20
    assert "another operation is already in progress" in again.output


def test_sync_rejects_bad_input(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("web", "--sync-policy", "automated"))
    bad_resource = app_cli("sync", "web", "--async", "--resource", "Deployment/web")
    assert bad_resource.exit_code == 20
    assert "GROUP:KIND:NAME" in bad_resource.output
    pinned = app_cli("sync", "web", "--async", "--revision", "v9")
    assert pinned.exit_code == 20
    assert "auto-sync currently set to" in pinned.output
    strategy = app_cli("sync", "web", "--async", "--strategy", "teleport")
    assert strategy.exit_code == 20
    assert "Unknown sync strategy" in strategy.output
    assert app_cli("sync", "--async").exit_code == 20
    assert "operation" not in app_cli.app("web")
    assert app_cli("sync", "nope", "--async").exit_code == 20


def test_sync_waits_for_the_operation(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("web"))
    with stand_in(app_cli, "web", finishing("Succeeded")):
        result = app_cli("sync", "web", "--timeout", "60")
    assert result.exit_code == 0, result.output
    assert "Phase:              Succeeded" in result.output
    assert "Sync Revision:      " + "b" * 40 in result.output
    assert "Duration:           3s" in result.output
    assert "operation" not in app_cli.app("web")


def test_sync_fails_when_the_operation_fails(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("web"))
    with stand_in(app_cli, "web", finishing("Failed")):
        result = app_cli("sync", "web", "--timeout", "60")
    assert result.exit_code == 20
    assert "Operation has completed with phase: Failed" in result.output


def test_wait_times_out_then_succeeds(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("web"))
    app_cli.patch(
        "web",
        {"status": {"health": {"status": "Progressing"}, "sync": {"status": "Synced"},
                    "resources": [{"kind": "Service", "namespace": "default", "name": "web",
                                   "version": "v1", "status": "Synced",
                                   "health": {"status": "Progressing"}}]}},
    )  # fmt: skip
    late = app_cli("wait", "web", "--health", "--timeout", "1")
    assert late.exit_code == 20
    assert "timed out (1s) waiting for app 'web' match desired state" in late.output
    progress = late.output.splitlines()
    assert progress[0].split()[:3] == ["TIMESTAMP", "GROUP", "KIND"]
    assert progress[1].split()[1:] == ["Service", "default", "web", "Synced", "Progressing"]
    app_cli.patch("web", {"status": {"health": {"status": "Healthy"}}})
    done = app_cli("wait", "web", "--health", "--sync", "--timeout", "30")
    assert done.exit_code == 0, done.output
    assert "Health Status:      Healthy" in done.output
    missing = app_cli("wait", "nope", "--timeout", "5")
    assert missing.exit_code == 20


def _with_history(app_cli: AppCLI, name: str) -> None:
    repo = "https://github.com/argoproj/argocd-example-apps.git"
    app_cli.patch(
        name,
        {"status": {"history": [
            {"id": 0, "revision": "1" * 40, "deployedAt": "2026-01-01T00:00:00Z",
             "source": {"repoURL": repo, "path": "guestbook", "targetRevision": "v1"}},
            {"id": 1, "revision": "2" * 40, "deployedAt": "2026-01-02T00:00:00Z",
             "source": {"repoURL": repo, "path": "guestbook", "targetRevision": "v2"}},
        ]}},
    )  # fmt: skip


def test_history_table(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("web"))
    _with_history(app_cli, "web")
    lines = app_cli("history", "web").output.splitlines()
    assert lines[0] == "SOURCE  https://github.com/argoproj/argocd-example-apps.git"
    assert lines[1].split() == ["ID", "DATE", "REVISION"]
    assert lines[2].split() == ["0", "2026-01-01", "00:00:00", "+0000", "UTC", "v1", "(1111111)"]
    assert lines[3].split()[0] == "1"
    assert app_cli("history", "web", "-o", "id").output == "0\n1\n"


def test_rollback_sets_history_source_and_disables_automation(
    app_cli: AppCLI, guestbook: CreateArgs
) -> None:
    app_cli(*guestbook("web", "--sync-policy", "automated", "--auto-prune"))
    _with_history(app_cli, "web")
    unknown = app_cli("rollback", "web", "7", "--async")
    assert unknown.exit_code == 20
    assert "does not have deployment with id 7 (ids: 0, 1)" in unknown.output
    result = app_cli("rollback", "web", "--async")
    assert result.exit_code == 0, result.output
    app = app_cli.app("web")
    assert app["operation"]["sync"]["revision"] == "1" * 40
    assert app["operation"]["sync"]["source"]["targetRevision"] == "v1"
    assert app["operation"]["sync"]["syncStrategy"] == {"apply": {}}
    assert "automated" not in app["spec"].get("syncPolicy", {})


def test_rollback_needs_two_deployments(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("web"))
    result = app_cli("rollback", "web")
    assert result.exit_code == 20
    assert "should have at least two successful deployments" in result.output


def test_terminate_op(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("web"))
    idle = app_cli("terminate-op", "web")
    assert idle.exit_code == 20
    assert "No operation is in progress" in idle.output
    app_cli("sync", "web", "--async")
    app_cli.patch("web", {"status": {"operationState": {"phase": "Running"}}})
    result = app_cli("terminate-op", "web")
    assert result.exit_code == 0, result.output
    assert result.output == "Application 'web' operation terminating\n"
    assert app_cli.app("web")["status"]["operationState"]["phase"] == "Terminating"


def test_get_refresh_waits_for_the_controller(app_cli: AppCLI, guestbook: CreateArgs) -> None:
    app_cli(*guestbook("web"))
    seen: list[str] = []

    def controller(app: dict[str, Any]) -> dict[str, Any] | None:
        value = (app["metadata"].get("annotations") or {}).get("argocd.argoproj.io/refresh")
        if not value:
            return None
        seen.append(value)
        return {
            "metadata": {"annotations": {"argocd.argoproj.io/refresh": None}},
            "status": {"reconciledAt": "2026-01-01T00:00:09Z", "health": {"status": "Healthy"}},
        }

    with stand_in(app_cli, "web", controller):
        result = app_cli("get", "web", "--hard-refresh", "-o", "json")
    assert result.exit_code == 0, result.output
    assert seen == ["hard"]
    assert json.loads(result.output)["status"]["reconciledAt"] == "2026-01-01T00:00:09Z"
