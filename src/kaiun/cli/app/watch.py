"""Waiting on an Application the way argocd does: for a refresh to be processed, and for
sync / health / operation conditions, printing resource state changes as they happen.

Core mode reads the Application from the API; the controller does the work. Waits poll the
object (it has no status subresource to watch separately), twice a second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import click

from kaiun.cli.app.core import REFRESH_ANNOTATION, AppError, patch_app, poll
from kaiun.cli.app.views import RESOURCE_HEADER, resource_rows, table
from kaiun.kube import KubeClient

COMPLETED_PHASES = ("Succeeded", "Failed", "Error")
REFRESH_TIMEOUT = 120.0


def operation_in_progress(app: dict[str, Any]) -> bool:
    """An operation is requested or its state has not finished."""
    if app.get("operation"):
        return True
    state = (app.get("status") or {}).get("operationState") or {}
    return bool(state) and state.get("phase") not in COMPLETED_PHASES


async def refresh(client: KubeClient, namespace: str, name: str, *, hard: bool) -> dict[str, Any]:
    """Ask the controller to refresh (``argocd.argoproj.io/refresh``) and wait until it has:
    the controller removes the annotation when the new status is written."""
    kind = "hard" if hard else "normal"
    await patch_app(
        client, namespace, name, {"metadata": {"annotations": {REFRESH_ANNOTATION: kind}}}
    )
    deadline = time.monotonic() + REFRESH_TIMEOUT
    async for app in poll(client, namespace, name):
        annotations = (app.get("metadata") or {}).get("annotations") or {}
        if REFRESH_ANNOTATION not in annotations:
            return app
        if time.monotonic() > deadline:
            raise AppError(
                f"timed out ({int(REFRESH_TIMEOUT)}s) waiting for application {name!r} to be "
                "refreshed: is the kaiun controller running (`kaiun up` or `kaiun controller`)?"
            )
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class WaitFor:
    """What ``app wait`` waits for; nothing chosen means sync, health and operation."""

    sync: bool = False
    health: bool = False
    operation: bool = False
    suspended: bool = False
    degraded: bool = False

    def effective(self) -> WaitFor:
        """Argo CD's default when no condition flag is given."""
        if any((self.sync, self.health, self.operation, self.suspended, self.degraded)):
            return self
        return WaitFor(sync=True, health=True, operation=True)

    def met(self, app: dict[str, Any]) -> bool:
        """Whether ``app`` satisfies every chosen condition."""
        status = app.get("status") or {}
        health = (status.get("health") or {}).get("status")
        annotations = (app.get("metadata") or {}).get("annotations") or {}
        checks = [
            REFRESH_ANNOTATION not in annotations,
            not self.sync or (status.get("sync") or {}).get("status") == "Synced",
            not self.health or health == "Healthy",
            not self.operation or not operation_in_progress(app),
            not self.suspended or health == "Suspended",
            not self.degraded or health == "Degraded",
        ]
        return all(checks)


class Progress:
    """Prints resource rows whose state changed since the last poll (argocd's wait output)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.seen: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.header_done = False

    def update(self, app: dict[str, Any]) -> None:
        """Print what changed in ``app``'s resource states."""
        if not self.enabled:
            return
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        changed = []
        for row in resource_rows(app):
            key, state = tuple(row[:4]), tuple(row[4:])
            if self.seen.get(key) != state:
                self.seen[key] = state
                changed.append([now, *row])
        if not changed:
            return
        rows = changed if self.header_done else [["TIMESTAMP", *RESOURCE_HEADER], *changed]
        self.header_done = True
        click.echo(table(rows), nl=False)


async def wait_for(
    client: KubeClient,
    namespace: str,
    name: str,
    conditions: WaitFor,
    *,
    seconds: float,
    progress: Progress,
) -> dict[str, Any]:
    """Poll until ``conditions`` hold (``seconds`` 0 waits forever); AppError on timeout."""
    wanted = conditions.effective()
    deadline = time.monotonic() + seconds if seconds > 0 else None
    async for app in poll(client, namespace, name):
        progress.update(app)
        if wanted.met(app):
            return app
        if deadline is not None and time.monotonic() > deadline:
            raise AppError(
                f"timed out ({int(seconds)}s) waiting for app {name!r} match desired state"
            )
    raise AssertionError("unreachable")  # pragma: no cover
