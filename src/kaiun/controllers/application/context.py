"""What the application controller's reconcilers share: informers, clusters, settings, queues.

Also the per-app derived values (normalizer, compare config, sync context) built from the
settings and the app, and the one way status is written (a merge patch of the object).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kaiun import diff, health
from kaiun.controllers.application import project as policy
from kaiun.controllers.application.clusters import Cluster, Clusters, DestinationError
from kaiun.controllers.application.metrics import ControllerMetrics
from kaiun.controllers.runtime import Informer, WorkQueue
from kaiun.engine import CompareConfig, SyncContext
from kaiun.kube import KubeClient
from kaiun.model.application import API_VERSION, KIND, Application
from kaiun.repo import RenderSettings
from kaiun.settings import resource_customizations as rc
from kaiun.settings.controller import ControllerSettings

log = logging.getLogger(__name__)


@dataclass
class Settings:
    """Everything read from argocd-cm / argocd-cmd-params-cm at start."""

    controller: ControllerSettings
    argocd_cm: Mapping[str, str] = field(default_factory=dict)
    overrides: Mapping[str, rc.ResourceOverride] = field(default_factory=dict)
    render: RenderSettings = field(default_factory=RenderSettings)
    params: Mapping[str, str] = field(default_factory=dict)  # argocd-cmd-params-cm data


@dataclass
class Context:
    """Shared by the refresh and operation reconcilers of one controller."""

    client: KubeClient
    repo: Any  # kaiun.repo.RepoService or a remote client with generate_manifest
    namespace: str
    settings: Settings
    apps: Informer
    projects: Informer
    clusters: Clusters
    refresh_queue: WorkQueue[str]
    operation_queue: WorkQueue[str]
    clock: Callable[[], datetime]
    metrics: ControllerMetrics = field(default_factory=ControllerMetrics)
    running_operations: set[str] = field(default_factory=set)
    # Apps whose next refresh must compare with the latest revision (and stamp reconciledAt);
    # refreshes caused only by live-object events compare with the revision already known.
    full_refresh: set[str] = field(default_factory=set)
    # Automated syncs this controller requested, by app, with when: the informer may not
    # show the new ``operation`` yet, and a second request would sync the commit twice.
    requested_ops: dict[str, float] = field(default_factory=dict)
    # The last operation finished per app: a late watch event may still show it Running.
    finished_ops: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    last_full: dict[str, float] = field(default_factory=dict)

    def request_refresh(self, name: str) -> None:
        """Queue a full refresh of ``name`` (spec change, refresh request, operation end)."""
        self.full_refresh.add(name)
        self.refresh_queue.add(name)

    def operation_pending(self, name: str, now: float, grace: float = 30.0) -> bool:
        """Whether an operation runs or was requested moments ago for ``name``."""
        if name in self.running_operations:
            return True
        asked = self.requested_ops.get(name)
        return asked is not None and now - asked < grace

    def take_full(self, name: str, now: float) -> bool:
        """Whether this refresh of ``name`` is a full one (requested, or the resync is due)."""
        period = self.settings.controller.resync_seconds
        due = period > 0 and now - self.last_full.get(name, float("-inf")) >= period
        if name in self.full_refresh or due or name not in self.last_full:
            self.full_refresh.discard(name)
            self.last_full[name] = now
            return True
        return False

    def app(self, key: str) -> Application | None:
        """The latest Application with queue key ``key`` (None when gone)."""
        obj = self.apps.get(key)
        return Application.from_dict(obj, self.namespace) if obj is not None else None

    def key(self, app: Application) -> str:
        """The app's queue and store key (``name``, or ``namespace/name`` outside the
        control plane, as Argo CD qualifies app names)."""
        return app_key(app.namespace, app.name, self.namespace)

    def key_of_instance(self, instance: str) -> str:
        """The key of the app whose resources carry ``instance`` as their tracking name."""
        namespace, sep, name = instance.partition("_")
        return f"{namespace}/{name}" if sep else instance

    def project_check(self, app: Application) -> policy.ProjectVerdict:
        """The app's project and the InvalidSpecError messages it yields."""
        return policy.check(
            app,
            self.projects.get(app.project),
            cluster_names=self.clusters.names,
            control_namespace=self.namespace,
        )

    def dest_server(self, destination: Mapping[str, Any]) -> str:
        """The server URL of a destination (by ``server`` or cluster ``name``; "" unknown)."""
        server = str(destination.get("server") or "")
        return server or self.clusters.names.get(str(destination.get("name") or ""), "")

    def ident(self, app: Application) -> tuple[str, str, str]:
        """(namespace, name, project): the labels every per-app metric starts with."""
        return (app.namespace, app.name, app.project)

    def server_of(self, app: Application) -> str:
        """The app's destination server, "" when it names no known cluster."""
        try:
            return self.clusters.server_of(app.destination)
        except DestinationError:
            return ""

    def normalizer(self, app: Application) -> diff.Normalizer:
        """argocd-cm's and the app's ignoreDifferences."""
        rules = tuple(diff.IgnoreRule.from_spec(spec) for spec in app.ignore_differences)
        return rc.normalizer(self.settings.argocd_cm, rules)

    def compare_config(self, app: Application, verdict: policy.ProjectVerdict) -> CompareConfig:
        """How to compare ``app`` (normalizer, health overrides, project rules)."""
        proj = verdict.project
        orphaned = None
        if proj is not None and proj.spec.get("orphanedResources") is not None:
            orphaned = dict(proj.spec.get("orphanedResources") or {})
        return CompareConfig(
            normalizer=self.normalizer(app),
            health_overrides=self.settings.overrides or None,
            render_settings=self.settings.render,
            policy=proj,
            orphaned=orphaned,
        )

    def sync_context(self, app: Application, cluster: Cluster) -> SyncContext:
        """Where and how the app's operations run."""
        cs = self.settings.controller
        return SyncContext(
            client=cluster.client,
            app_name=app.instance_name,
            app_namespace=app.namespace,
            destination_namespace=app.destination.namespace,
            tracking_method=cs.tracking_method,
            instance_label_key=cs.instance_label_key,
            health_overrides=dict(self.settings.overrides),
            wave_delay=cs.wave_delay,
        )

    async def patch_app(self, key: str, patch: Mapping[str, Any]) -> dict[str, Any]:
        """Merge-patch the Application (status included: the CRD has no subresource)."""
        namespace, _, name = key.rpartition("/")
        return await self.client.patch(
            API_VERSION,
            KIND,
            name,
            dict(patch),
            namespace=namespace or self.namespace,
            field_manager="argocd-application-controller",
        )


def app_key(namespace: str, name: str, control_namespace: str) -> str:
    """``name`` in the control-plane namespace, else ``namespace/name``."""
    return name if not namespace or namespace == control_namespace else f"{namespace}/{name}"


def health_fn(overrides: Mapping[str, rc.ResourceOverride]) -> Callable[[dict[str, Any]], object]:
    """The cluster cache's health hook (ignoreResourceUpdates keeps health changes)."""

    def assess(obj: dict[str, Any]) -> object:
        return health.assess(obj, overrides=overrides or None)

    return assess


def with_controller(settings: Settings, **changes: Any) -> Settings:
    """``settings`` with some controller knobs changed (tests, the CLI's flags)."""
    return replace(settings, controller=replace(settings.controller, **changes))
