"""The Application controller: watches Applications and AppProjects, runs two worker pools.

Refreshes are queued on: an app's spec (or deletion, finalizers, skip-reconcile) changing,
the refresh annotation, cluster-cache events touching the app's resources, a project
change, and the periodic resync (``timeout.reconciliation`` + jitter; 0 disables).
Operations are queued when an app carries ``operation``. Status and operation processing
have separate pools (``controller.status.processors`` / ``controller.operation.processors``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from kaiun.controllers.application.clusters import Clusters
from kaiun.controllers.application.context import Context, Settings, health_fn
from kaiun.controllers.application.operation import OperationReconciler
from kaiun.controllers.application.refresh import RefreshReconciler
from kaiun.controllers.repocreds import CredentialsChange, RepoCredentialsWatch
from kaiun.controllers.runtime import Informer, WorkQueue, run_workers
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.kube.cache import CacheEvent, CacheSettings
from kaiun.model.application import (
    API_VERSION,
    KIND,
    SKIP_RECONCILE_ANNOTATION,
    Application,
    ApplicationSpecError,
)
from kaiun.repo import RenderSettings
from kaiun.settings import resource_customizations as rc
from kaiun.settings.controller import ControllerSettings

log = logging.getLogger(__name__)
# Bursts of live-object events (a rollout touches many objects) collapse into one refresh.
EVENT_DEBOUNCE = 0.25
SYNC_WAIT = 120.0


async def _config_map(client: KubeClient, namespace: str, name: str) -> dict[str, str]:
    try:
        cm = await client.get("v1", "ConfigMap", name, namespace)
    except kerrors.NotFound:
        return {}
    return {str(k): str(v) for k, v in (cm.get("data") or {}).items()}


async def load_settings(client: KubeClient, namespace: str) -> tuple[Settings, CacheSettings]:
    """Read argocd-cm and argocd-cmd-params-cm from the control-plane namespace."""
    cm = await _config_map(client, namespace, "argocd-cm")
    params = await _config_map(client, namespace, "argocd-cmd-params-cm")
    settings = Settings(
        controller=ControllerSettings.from_config_maps(cm, params),
        argocd_cm=cm,
        overrides=rc.parse_resource_overrides(cm),
        render=RenderSettings(
            helm_enabled=cm.get("helm.enable", "true") != "false",
            kustomize_enabled=cm.get("kustomize.enable", "true") != "false",
            jsonnet_enabled=cm.get("jsonnet.enable", "true") != "false",
            kustomize_build_options=tuple(cm.get("kustomize.buildOptions", "").split()),
        ),
    )
    return settings, CacheSettings.from_argocd_cm(cm)


def _fingerprint(obj: dict[str, Any]) -> bytes:
    """What, when it changes, needs a refresh (not status: the controller writes that)."""
    meta = obj.get("metadata") or {}
    return orjson.dumps(
        [
            obj.get("spec"),
            meta.get("deletionTimestamp"),
            meta.get("finalizers"),
            (meta.get("annotations") or {}).get(SKIP_RECONCILE_ANNOTATION),
        ],
        option=orjson.OPT_SORT_KEYS,
    )


class ApplicationController:
    """Reconciles the Applications of one control-plane namespace."""

    def __init__(
        self,
        client: KubeClient,
        repo: Any,
        namespace: str = "argocd",
        *,
        status_processors: int | None = None,
        operation_processors: int | None = None,
        settings: Callable[[ControllerSettings], ControllerSettings] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        repo_credentials: bool = True,
    ) -> None:
        """``settings`` may adjust what argocd-cm / argocd-cmd-params-cm say (tests, flags).

        With ``repo_credentials``, an in-process repo service (one with ``set_credentials``)
        is kept supplied with the namespace's repository Secrets, known hosts and CA certs.
        """
        self.client = client
        self.repo = repo
        self.namespace = namespace
        self._status_processors = status_processors
        self._operation_processors = operation_processors
        self._adjust = settings
        self._clock = clock
        self._seen: dict[str, bytes] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.ctx: Context | None = None
        self.ready = asyncio.Event()
        self._watch_credentials = repo_credentials and hasattr(repo, "set_credentials")
        self.credentials: RepoCredentialsWatch | None = None

    async def start(self) -> Context:
        """Load settings, start informers, caches and workers; return once listed."""
        settings, cache_settings = await load_settings(self.client, self.namespace)
        cs = settings.controller
        if self._adjust is not None:
            cs = self._adjust(cs)
        if self._status_processors:
            cs = _replace(cs, status_processors=self._status_processors)
        if self._operation_processors:
            cs = _replace(cs, operation_processors=self._operation_processors)
        settings.controller = cs
        cache_settings = _replace(
            cache_settings,
            tracking_method=cs.tracking_method,
            instance_label_key=cs.instance_label_key,
        )
        refresh_q: WorkQueue[str] = WorkQueue()
        operation_q: WorkQueue[str] = WorkQueue()
        clusters = Clusters(
            self.client,
            self.namespace,
            cache_settings,
            self._on_cache_event,
            health=health_fn(settings.overrides),
        )
        await clusters.load_secrets()
        ctx = Context(
            client=self.client,
            repo=self.repo,
            namespace=self.namespace,
            settings=settings,
            apps=Informer(self.client, API_VERSION, KIND, self.namespace, self._on_app),
            projects=Informer(
                self.client, API_VERSION, "AppProject", self.namespace, self._on_project
            ),
            clusters=clusters,
            refresh_queue=refresh_q,
            operation_queue=operation_q,
            clock=self._clock,
        )
        self.ctx = ctx
        await ctx.projects.start()
        await ctx.projects.wait_synced(SYNC_WAIT)
        await ctx.apps.start()
        await ctx.apps.wait_synced(SYNC_WAIT)
        if self._watch_credentials:
            # Before the workers: the first renders already need private repositories' creds.
            self.credentials = RepoCredentialsWatch(
                self.client, self.namespace, self.repo, self._on_credentials
            )
            await self.credentials.start()
        self._tasks = [
            asyncio.create_task(
                run_workers(refresh_q, RefreshReconciler(ctx), cs.status_processors, name="refresh")
            ),
            asyncio.create_task(
                run_workers(
                    operation_q, OperationReconciler(ctx), cs.operation_processors, name="operation"
                )
            ),
        ]
        self.ready.set()
        log.info(
            "application controller started namespace=%s apps=%d", self.namespace,
            len(ctx.apps.store),
        )  # fmt: skip
        return ctx

    async def run(self) -> None:
        """Start and run until cancelled (or ``stop``)."""
        await self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop workers, informers and caches."""
        ctx = self.ctx
        if ctx is None:
            return
        ctx.refresh_queue.shutdown()
        ctx.operation_queue.shutdown()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self.credentials is not None:
            await self.credentials.stop()
            self.credentials = None
        await ctx.apps.stop()
        await ctx.projects.stop()
        await ctx.clusters.close()
        self.ctx = None

    # -- event handlers -----------------------------------------------------------------

    def _on_app(self, name: str, obj: dict[str, Any] | None) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        if obj is None:
            self._seen.pop(name, None)
            ctx.last_full.pop(name, None)
            return
        fp = _fingerprint(obj)
        try:
            app = Application.from_dict(obj)
        except ApplicationSpecError:
            ctx.request_refresh(name)
            return
        if self._seen.get(name) != fp or app.refresh is not None:
            self._seen[name] = fp
            ctx.request_refresh(name)
        if app.operation is not None and name not in ctx.running_operations:
            ctx.operation_queue.add(name)

    def _on_project(self, name: str, obj: dict[str, Any] | None) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        for app_name, app in list(ctx.apps.store.items()):
            if ((app.get("spec") or {}).get("project") or "default") == name:
                ctx.request_refresh(app_name)

    def _on_credentials(self, change: CredentialsChange) -> None:
        """Refresh the apps whose repositories are now reached with other credentials."""
        ctx = self.ctx
        if ctx is None:
            return
        for name, obj in list(ctx.apps.store.items()):
            spec = obj.get("spec") or {}
            sources = [spec.get("source") or {}, *(spec.get("sources") or [])]
            urls = {s.get("repoURL") for s in sources if isinstance(s, dict)}
            if any(change.affects(url) for url in urls if isinstance(url, str) and url):
                ctx.request_refresh(name)

    def _on_cache_event(self, event: CacheEvent) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        for name in event.apps:
            if name in ctx.apps.store:
                ctx.refresh_queue.add_after(name, EVENT_DEBOUNCE)


def _replace(obj: Any, **changes: Any) -> Any:
    return dataclasses.replace(obj, **changes)
