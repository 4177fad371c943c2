"""``kaiun app`` over an API server: ``AppBackend`` on Argo CD's REST paths and JSON
(``/api/v1/applications...``), and the waits (operation, conditions, refresh, deletion)
done by polling the app, with core mode's messages and exit codes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from kaiun import diff as kdiff
from kaiun.cli.app.core import REFRESH_ANNOTATION, AppError, AppNotFound
from kaiun.cli.app.tree import MAX_DEPTH, TreeNode
from kaiun.cli.app.views import Key
from kaiun.cli.app.watch import REFRESH_TIMEOUT, Progress, WaitFor
from kaiun.cli.restclient import RestClient, RestError, path
from kaiun.cli.restconfig import Target
from kaiun.controllers.application import project as projects
from kaiun.model.application import IN_CLUSTER_NAME, IN_CLUSTER_SERVER, Application

POLL_INTERVAL = 0.5
APPS = "/api/v1/applications"
CORE_ONLY = (
    "--local and --revision render on this machine: use them in core mode (--core, with a "
    "kubeconfig for the control plane)"
)


def _url(name: str, *rest: str) -> str:
    return f"{APPS}/{path(name, *rest)}"


class RestApps:
    """Applications through the API server of ``target``."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.http = RestClient(target)

    # -- reading ----------------------------------------------------------------------------

    def get(self, ns: str | None, name: str) -> dict[str, Any]:
        """One Application; a missing one is ``AppNotFound`` (core mode's message)."""
        try:
            return dict(self.http.get(_url(name), appNamespace=ns))
        except RestError as exc:
            if exc.status == 404:
                raise AppNotFound(
                    f'application "{name}" not found' + (f' in namespace "{ns}"' if ns else "")
                ) from exc
            raise

    def list_apps(
        self, ns: str | None, *, selector: str | None, projects: tuple[str, ...], repo: str | None
    ) -> list[dict[str, Any]]:
        """Applications the caller may see."""
        body = self.http.get(
            APPS, appNamespace=ns, selector=selector, projects=list(projects), repo=repo
        )
        return list(body.get("items") or [])

    def url(self, app: dict[str, Any]) -> str:
        """argocd's ``URL:`` line: the app's page on the server."""
        return f"{self.target.base_url}/applications/{app['metadata']['name']}"

    # -- writing ----------------------------------------------------------------------------

    def create(self, app: dict[str, Any], *, upsert: bool) -> str:
        """Create, as argocd: look first, so the answer says created/unchanged/updated."""
        meta = app["metadata"]
        try:
            existing: dict[str, Any] | None = self.get(meta.get("namespace"), meta["name"])
        except AppNotFound:
            existing = None
        except RestError as exc:
            if exc.status != 403:  # may create without being allowed to get: just create
                raise
            existing = None
        body = dict(app)
        if existing is not None and existing.get("metadata", {}).get("namespace"):
            body["metadata"] = {**meta, "namespace": existing["metadata"]["namespace"]}
        created = self.http.post(APPS, body, upsert=upsert)
        if existing is None:
            return "created"
        same = created.get("metadata", {}).get("resourceVersion") == existing.get(
            "metadata", {}
        ).get("resourceVersion")
        return "unchanged" if same else "updated"

    def update_spec(self, app: dict[str, Any]) -> None:
        """``PUT .../spec``, as argocd's ``app set`` / ``app unset``."""
        name = app["metadata"]["name"]
        self.http.request(
            "PUT",
            _url(name, "spec"),
            json=app["spec"],
            params=_ns(app["metadata"].get("namespace")),
        )

    def patch(self, ns: str | None, name: str, body: Any, patch_type: str) -> dict[str, Any]:
        """Argo CD's ``ApplicationPatchRequest`` (the patch as a JSON string)."""
        request = {"name": name, "patch": orjson.dumps(body).decode(), "patchType": patch_type}
        if ns:
            request["appNamespace"] = ns
        return dict(self.http.patch(_url(name), request))

    def delete(self, ns: str | None, name: str, *, cascade: bool | None, policy: str) -> None:
        """``DELETE`` with ``cascade`` / ``propagationPolicy`` (only when given, so the app's
        finalizers decide otherwise, as in core mode)."""
        self.http.delete(
            _url(name),
            cascade=cascade,
            propagationPolicy=policy if cascade else None,
            appNamespace=ns,
        )

    # -- operations -------------------------------------------------------------------------

    def sync(self, ns: str | None, name: str, operation: dict[str, Any]) -> None:
        """Turn the operation core mode would write into an ``ApplicationSyncRequest``."""
        sync = operation["sync"]
        request: dict[str, Any] = {
            "name": name,
            "revision": sync.get("revision") or None,
            "prune": bool(sync.get("prune")),
            "dryRun": bool(sync.get("dryRun")),
            "strategy": sync.get("syncStrategy"),
        }
        if sync.get("resources"):
            request["resources"] = sync["resources"]
        if sync.get("syncOptions"):
            request["syncOptions"] = {"items": sync["syncOptions"]}
        if operation.get("retry"):
            request["retryStrategy"] = operation["retry"]
        if ns:
            request["appNamespace"] = ns
        self.http.post(_url(name, "sync"), request)

    def rollback(self, ns: str | None, name: str, entry_id: int, *, prune: bool, dry: bool) -> None:
        """``POST .../rollback``; the server turns automated sync off, as Argo CD."""
        request: dict[str, Any] = {"name": name, "id": entry_id, "prune": prune, "dryRun": dry}
        if ns:
            request["appNamespace"] = ns
        self.http.post(_url(name, "rollback"), request)

    def terminate(self, ns: str | None, name: str) -> None:
        """``DELETE .../operation``."""
        self.http.delete(_url(name, "operation"), appNamespace=ns)

    def refresh(self, ns: str | None, name: str, *, hard: bool) -> dict[str, Any]:
        """``GET ?refresh=``, then wait until the controller has removed the annotation."""
        self.http.get(_url(name), refresh="hard" if hard else "normal", appNamespace=ns)
        deadline = time.monotonic() + REFRESH_TIMEOUT
        while True:
            app = self.get(ns, name)
            if REFRESH_ANNOTATION not in ((app.get("metadata") or {}).get("annotations") or {}):
                return app
            if time.monotonic() > deadline:
                raise AppError(
                    f"timed out ({int(REFRESH_TIMEOUT)}s) waiting for application {name!r} to "
                    "be refreshed: is the kaiun controller running?"
                )
            time.sleep(POLL_INTERVAL)

    # -- manifests, diffs, trees ------------------------------------------------------------

    def manifests(
        self, app: dict[str, Any], *, override: dict[str, str] | None
    ) -> list[dict[str, Any]]:
        """``GET .../manifests`` (JSON strings, secrets masked by the server); the server
        renders another revision, nothing else (no local directories)."""
        if override and set(override) != {"targetRevision"}:
            raise AppError(CORE_ONLY)
        revision = (override or {}).get("targetRevision")
        meta = app["metadata"]
        body = self.http.get(
            _url(meta["name"], "manifests"), revision=revision, appNamespace=_app_ns(app)
        )
        return [orjson.loads(m) for m in body.get("manifests") or []]

    def _managed(self, app: dict[str, Any]) -> list[dict[str, Any]]:
        body = self.http.get(
            _url(app["metadata"]["name"], "managed-resources"), appNamespace=_app_ns(app)
        )
        return list(body.get("items") or [])

    def live_objects(self, app: dict[str, Any]) -> list[dict[str, Any]]:
        """The live state of each managed resource (from ``managed-resources``)."""
        out = []
        for item in self._managed(app):
            live = orjson.loads(item.get("liveState") or "null")
            if isinstance(live, dict):
                out.append(live)
        return out

    def differences(
        self, app: dict[str, Any], *, override: dict[str, str] | None, hard: bool
    ) -> list[tuple[Key, str]]:
        """Diffs from ``managed-resources``: a resource differs when the controller says it
        is OutOfSync or its live state lacks what Git says (two-way, as the server sends the
        rendered target without the controller's tracking fields)."""
        if override:
            raise AppError(CORE_ONLY)
        never_compared = not ((app.get("status") or {}).get("sync") or {}).get("status")
        if hard or never_compared:
            # The server diffs what the controller tracks: a new app needs its first compare.
            app = self.refresh(_app_ns(app), app["metadata"]["name"], hard=hard)
        status = app.get("status") or {}
        errors = [
            str(c.get("message", ""))
            for c in status.get("conditions") or []
            if c.get("type") == "ComparisonError"
        ]
        if errors:
            raise AppError("; ".join(errors))
        verdicts = {_key(r): r.get("status") for r in status.get("resources") or []}
        out = []
        for item in self._managed(app):
            if item.get("hook"):
                continue
            key = _key(item)
            live = orjson.loads(item.get("liveState") or "null")
            target = orjson.loads(item.get("targetState") or "null")
            if live is None and target is None:
                continue
            result = kdiff.diff(target, live, use_last_applied=False)
            if result.modified or verdicts.get(key) == "OutOfSync":
                out.append((key, result.unified_diff))
        return out

    def tree(self, app: dict[str, Any]) -> dict[Key, tuple[TreeNode, ...]]:
        """Children of each managed resource from ``resource-tree`` (``parentRefs``)."""
        body = self.http.get(
            _url(app["metadata"]["name"], "resource-tree"), appNamespace=_app_ns(app)
        )
        nodes = list(body.get("nodes") or [])
        children: dict[str, list[dict[str, Any]]] = {}
        for n in nodes:
            for ref in n.get("parentRefs") or []:
                children.setdefault(str(ref.get("uid")), []).append(n)
        by_key = {_key(n): n for n in nodes}

        def build(uid: str, depth: int) -> tuple[TreeNode, ...]:
            if depth >= MAX_DEPTH:
                return ()
            kids = sorted(children.get(uid, ()), key=_key)
            return tuple(
                TreeNode(
                    kind=str(k.get("kind", "")),
                    name=str(k.get("name", "")),
                    health=str((k.get("health") or {}).get("status", "")),
                    children=build(str(k.get("uid")), depth + 1),
                )
                for k in kids
            )

        out: dict[Key, tuple[TreeNode, ...]] = {}
        for res in (app.get("status") or {}).get("resources") or []:
            found = by_key.get(_key(res))
            out[_key(res)] = build(str(found.get("uid")), 0) if found else ()
        return out

    def orphaned(self, app: dict[str, Any]) -> list[dict[str, Any]]:
        """``resource-tree``'s ``orphanedNodes``."""
        body = self.http.get(
            _url(app["metadata"]["name"], "resource-tree"), appNamespace=_app_ns(app)
        )
        return [
            {"group": n.get("group", ""), "kind": n.get("kind", ""),
             "namespace": n.get("namespace", ""), "name": n.get("name", ""), "orphaned": True}
            for n in body.get("orphanedNodes") or []
        ]  # fmt: skip

    def sync_window(self, app: dict[str, Any]) -> str:
        """The project's windows now, computed as core mode does; ``Sync Allowed`` when the
        project cannot be read (a caller may see an app but not its project)."""
        project_name = (app.get("spec") or {}).get("project") or "default"
        try:
            project = self.http.get(f"/api/v1/projects/{path(project_name)}")
        except RestError:
            return "Sync Allowed"
        if not (project.get("spec") or {}).get("syncWindows"):
            return "Sync Allowed"
        model = Application.from_dict(app)
        verdict = projects.check(
            model, project, cluster_names={}, control_namespace=model.namespace
        )
        names = self._cluster_names()
        server = model.destination.server or names.get(model.destination.name, "")
        cluster = next((n for n, s in names.items() if s == server), server)
        allowed, _ = projects.window_allows(
            verdict.project, model, server=server, cluster_name=cluster,
            now=datetime.now(UTC), manual=False,
        )  # fmt: skip
        return "Sync Allowed" if allowed else "Sync Denied"

    def _cluster_names(self) -> dict[str, str]:
        names = {IN_CLUSTER_NAME: IN_CLUSTER_SERVER}
        try:
            body = self.http.get("/api/v1/clusters")
        except RestError:
            return names
        for c in body.get("items") or []:
            if c.get("name") and c.get("server"):
                names[str(c["name"])] = str(c["server"])
        return names

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
        """Poll until ``conditions`` hold (``seconds`` 0: forever); core mode's timeout."""
        wanted = conditions.effective()

        def done(app: dict[str, Any]) -> bool:
            progress.update(app)
            return wanted.met(app)

        return self._poll(
            ns,
            name,
            done,
            seconds,
            f"timed out ({int(seconds)}s) waiting for app {name!r} match desired state",
        )

    def wait_gone(self, ns: str | None, name: str, seconds: float) -> None:
        """Poll until the app no longer exists."""
        try:
            self._poll(
                ns,
                name,
                lambda _app: False,
                seconds,
                f"timed out ({int(seconds)}s) waiting for application {name!r} to be deleted",
            )
        except AppNotFound:
            return

    def _poll(
        self,
        ns: str | None,
        name: str,
        done: Callable[[dict[str, Any]], bool],
        seconds: float,
        timeout_message: str,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + seconds if seconds > 0 else None
        while True:
            app = self.get(ns, name)
            if done(app):
                return app
            if deadline is not None and time.monotonic() > deadline:
                raise AppError(timeout_message)
            time.sleep(POLL_INTERVAL)


def _key(item: dict[str, Any]) -> Key:
    return (
        str(item.get("group", "")),
        str(item.get("kind", "")),
        str(item.get("namespace", "")),
        str(item.get("name", "")),
    )


def _ns(ns: str | None) -> dict[str, str]:
    return {"appNamespace": ns} if ns else {}


def _app_ns(app: dict[str, Any]) -> str | None:
    # The server knows its namespace; naming it again is harmless and keeps NS/NAME exact.
    return (app.get("metadata") or {}).get("namespace") or None
