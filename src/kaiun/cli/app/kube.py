"""``kaiun app`` in core mode: ``AppBackend`` on the Kubernetes API, as ``argocd --core``.

The CLI reads and writes ``Application`` objects itself (operations by setting
``Application.operation``, refreshes by annotation, cascading deletes by finalizer) and
makes the project checks Argo CD's API server would make; the controller does the rest.
Each method connects, does its work on one event loop, and closes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from kaiun.cli.app import comparison, policy
from kaiun.cli.app.core import (
    APP_API,
    APP_KIND,
    BACKGROUND_FINALIZER,
    FINALIZER,
    AppError,
    AppNotFound,
    Core,
    get_app,
    patch_app,
    poll,
    replace_app,
    require_crd,
    username,
)
from kaiun.cli.app.orphans import orphaned_resources
from kaiun.cli.app.tree import TreeNode, resource_tree
from kaiun.cli.app.views import Key
from kaiun.cli.app.watch import Progress, WaitFor, operation_in_progress, refresh, wait_for
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors

CONFLICT_RETRIES = 5
_CASCADE_FINALIZERS = (FINALIZER, BACKGROUND_FINALIZER)


def finalizers_for(current: list[str], cascade: bool | None, policy: str) -> list[str]:
    """The app's finalizers after applying ``--cascade`` / ``--propagation-policy``."""
    if cascade is None:
        return current
    kept = [f for f in current if f not in _CASCADE_FINALIZERS]
    if not cascade:
        return kept
    return [*kept, BACKGROUND_FINALIZER if policy == "background" else FINALIZER]


def history_entry(app: dict[str, Any], history_id: int | None) -> dict[str, Any]:
    """The deployment to roll back to: ``history_id``, or the one before the current."""
    history = (app.get("status") or {}).get("history") or []
    name = app["metadata"]["name"]
    if history_id is None:
        if len(history) < 2:
            raise AppError(f"Application '{name}' should have at least two successful deployments")
        return dict(history[-2])
    for entry in history:
        if int(entry.get("id", -1)) == history_id:
            return dict(entry)
    ids = ", ".join(str(e.get("id")) for e in history) or "none"
    raise AppError(f"application {name} does not have deployment with id {history_id} (ids: {ids})")


def rollback_operation(entry: dict[str, Any], *, prune: bool, dry_run: bool) -> dict[str, Any]:
    """An operation syncing to a history entry's revision and source(s)."""
    sync: dict[str, Any] = {
        "prune": prune,
        "dryRun": dry_run,
        "syncStrategy": {"apply": {}},
    }
    if entry.get("sources"):
        sync["sources"] = entry["sources"]
        sync["revisions"] = entry.get("revisions") or []
    else:
        sync["source"] = entry.get("source") or {}
        sync["revision"] = entry.get("revision", "")
    return {"sync": sync, "initiatedBy": {"username": username()}}


async def request_operation(
    client: KubeClient,
    ns: str,
    name: str,
    build: Callable[[dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]],
) -> dict[str, Any]:
    """Set the operation ``build(app)`` returns (with extra patch fields) unless one is
    already running, as Argo CD refuses too; retried when the controller wrote meanwhile."""
    for _ in range(CONFLICT_RETRIES):
        app = await get_app(client, ns, name)
        if app.get("operation"):
            raise AppError(
                f"another operation is already in progress on {name!r}: wait for it or "
                "stop it with `kaiun app terminate-op`"
            )
        operation, extra = build(app)
        patch: dict[str, Any] = {
            **extra,
            "metadata": {"resourceVersion": app["metadata"].get("resourceVersion")},
            "operation": operation,
        }
        try:
            await patch_app(client, ns, name, patch)
        except kerrors.Conflict:
            continue
        return app
    raise AppError(f"application {name!r} kept changing while requesting the operation; retry")


class KubeApps:
    """Applications through the Kubernetes API of ``core``'s kubeconfig."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.control = core.namespace

    def _ns(self, ns: str | None) -> str:
        return ns or self.control

    # -- reading ----------------------------------------------------------------------------

    def get(self, ns: str | None, name: str) -> dict[str, Any]:
        """One Application (``AppNotFound`` when missing)."""
        return self.core.run(lambda c: get_app(c, self._ns(ns), name))

    def list_apps(
        self, ns: str | None, *, selector: str | None, projects: tuple[str, ...], repo: str | None
    ) -> list[dict[str, Any]]:
        """Applications by label selector (projects and repo are filtered by the caller)."""

        async def run(client: KubeClient) -> list[dict[str, Any]]:
            await require_crd(client)
            found = await client.list(APP_API, APP_KIND, self._ns(ns), label_selector=selector)
            return found.items

        return self.core.run(run)

    def url(self, app: dict[str, Any]) -> str:
        """Core mode has no server to link to."""
        return ""

    # -- writing ----------------------------------------------------------------------------

    def create(self, app: dict[str, Any], *, upsert: bool) -> str:
        """Create after the project check; an existing app is unchanged, or needs upsert."""
        return self.core.run(lambda c: self._create(c, app, upsert))

    async def _create(self, client: KubeClient, app: dict[str, Any], upsert: bool) -> str:
        meta = app["metadata"]
        await policy.validate(client, self.control, app)
        try:
            await client.create(app, field_manager="kaiun-cli")
            return "created"
        except kerrors.Conflict:
            pass
        existing = await get_app(client, meta["namespace"], meta["name"])
        same = existing.get("spec") == app["spec"] and all(
            (existing["metadata"].get(k) or {}) == (meta.get(k) or {})
            for k in ("labels", "annotations")
        )
        if same:
            return "unchanged"
        if not upsert:
            raise AppError(
                f"existing application spec is different for {meta['name']!r}, "
                "use the --upsert flag to force an update"
            )
        existing["spec"] = app["spec"]
        for key in ("labels", "annotations", "finalizers"):
            if meta.get(key):
                existing["metadata"][key] = meta[key]
        await replace_app(client, existing)
        return "updated"

    def update_spec(self, app: dict[str, Any]) -> None:
        """Replace the app after the project check (its resourceVersion guards the write)."""

        async def run(client: KubeClient) -> None:
            await policy.validate(client, self.control, app)
            await replace_app(client, app)

        self.core.run(run)

    def patch(self, ns: str | None, name: str, body: Any, patch_type: str) -> dict[str, Any]:
        """A JSON or merge patch of the app."""

        async def run(client: KubeClient) -> dict[str, Any]:
            await get_app(client, self._ns(ns), name)
            try:
                return await patch_app(client, self._ns(ns), name, body, patch_type=patch_type)
            except (kerrors.Invalid, kerrors.BadRequest, kerrors.UnsupportedMediaType) as exc:
                raise AppError(f"the patch was refused: {exc.api_message or exc}") from exc

        return self.core.run(run)

    def delete(self, ns: str | None, name: str, *, cascade: bool | None, policy: str) -> None:
        """Set the finalizers ``--cascade`` asks for, then delete."""

        async def run(client: KubeClient) -> None:
            app = await get_app(client, self._ns(ns), name)
            current = list(app["metadata"].get("finalizers") or [])
            wanted = finalizers_for(current, cascade, policy)
            if wanted != current:
                await patch_app(client, self._ns(ns), name, {"metadata": {"finalizers": wanted}})
            with contextlib.suppress(kerrors.NotFound):
                await client.delete(APP_API, APP_KIND, name, namespace=self._ns(ns))

        self.core.run(run)

    # -- operations -------------------------------------------------------------------------

    def sync(self, ns: str | None, name: str, operation: dict[str, Any]) -> None:
        """Set ``operation`` unless a sync window or a running operation forbids it."""

        async def run(client: KubeClient) -> None:
            app = await get_app(client, self._ns(ns), name)
            await policy.require_manual_sync(client, self.control, app)
            await request_operation(client, self._ns(ns), name, lambda _a: (operation, {}))

        self.core.run(run)

    def rollback(self, ns: str | None, name: str, entry_id: int, *, prune: bool, dry: bool) -> None:
        """Sync to a history entry and, in the same write, turn automated sync off."""

        def build(app: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
            operation = rollback_operation(history_entry(app, entry_id), prune=prune, dry_run=dry)
            sync_policy = (app.get("spec") or {}).get("syncPolicy") or {}
            if sync_policy.get("automated") is not None and not dry:
                return operation, {"spec": {"syncPolicy": {"automated": None}}}
            return operation, {}

        async def run(client: KubeClient) -> None:
            app = await get_app(client, self._ns(ns), name)
            await policy.require_manual_sync(client, self.control, app)
            await request_operation(client, self._ns(ns), name, build)

        self.core.run(run)

    def terminate(self, ns: str | None, name: str) -> None:
        """Set ``status.operationState.phase`` to Terminating."""

        async def run(client: KubeClient) -> None:
            app = await get_app(client, self._ns(ns), name)
            state = (app.get("status") or {}).get("operationState")
            if not operation_in_progress(app) or not app.get("operation"):
                raise AppError("Unable to terminate operation. No operation is in progress")
            if not state:
                raise AppError(
                    "Unable to terminate operation: the controller has not started it yet; "
                    "retry in a moment"
                )
            patch = {
                "metadata": {"resourceVersion": app["metadata"].get("resourceVersion")},
                "status": {"operationState": {"phase": "Terminating"}},
            }
            await patch_app(client, self._ns(ns), name, patch)

        self.core.run(run)

    def refresh(self, ns: str | None, name: str, *, hard: bool) -> dict[str, Any]:
        """Annotate and wait until the controller has refreshed."""
        return self.core.run(lambda c: refresh(c, self._ns(ns), name, hard=hard))

    # -- manifests, diffs, trees ------------------------------------------------------------

    def manifests(
        self, app: dict[str, Any], *, override: dict[str, str] | None
    ) -> list[dict[str, Any]]:
        """Render the app here (``override`` replaces fields of its first source)."""
        return self.core.run(lambda c: comparison.render(c, app, self.control, override=override))

    def live_objects(self, app: dict[str, Any]) -> list[dict[str, Any]]:
        """The live objects of the managed resources."""
        return self.core.run(lambda c: comparison.live_objects(c, app))

    def differences(
        self, app: dict[str, Any], *, override: dict[str, str] | None, hard: bool
    ) -> list[tuple[Key, str]]:
        """Run the controller's comparison here and return each out-of-sync diff."""

        async def run(client: KubeClient) -> list[tuple[Key, str]]:
            found = await comparison.compare(
                client, app, self.control, override=override, hard=hard
            )
            return [
                ((k.group, k.kind, k.namespace, k.name), text)
                for k, text in comparison.differences(found)
            ]

        return self.core.run(run)

    def sync_window(self, app: dict[str, Any]) -> str:
        """The project's windows now."""
        return self.core.run(lambda c: policy.sync_window_status(c, self.control, app))

    def tree(self, app: dict[str, Any]) -> dict[Key, tuple[TreeNode, ...]]:
        """Owned objects from a cache of the destination cluster."""
        return self.core.run(lambda c: resource_tree(c, app, self.control))

    def orphaned(self, app: dict[str, Any]) -> list[dict[str, Any]]:
        """Objects in the destination namespace no app tracks."""
        return self.core.run(lambda c: orphaned_resources(c, app, self.control))

    # -- waiting ----------------------------------------------------------------------------

    def wait(
        self,
        ns: str | None,
        name: str,
        conditions: WaitFor,
        *,
        seconds: float,
        progress: Progress,
    ) -> dict[str, Any]:
        """Poll until ``conditions`` hold (one connection for the whole wait)."""
        where = self._ns(ns)
        return self.core.run(
            lambda c: wait_for(c, where, name, conditions, seconds=seconds, progress=progress)
        )

    def wait_gone(self, ns: str | None, name: str, seconds: float) -> None:
        """Poll until the app no longer exists."""

        async def run(client: KubeClient) -> None:
            deadline = time.monotonic() + seconds if seconds else None
            try:
                async for app in poll(client, self._ns(ns), name):
                    if deadline is not None and time.monotonic() > deadline:
                        left = app["metadata"].get("finalizers") or []
                        raise AppError(
                            f"timed out ({int(seconds)}s) waiting for application {name!r} to "
                            f"be deleted (finalizers left: {', '.join(left) or 'none'})"
                        )
            except AppNotFound:
                return

        self.core.run(run)
