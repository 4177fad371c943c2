"""Compare one Application: render its sources, pair desired with live, diff and assess.

``render_app`` asks the repo server for every source's manifests (optionally at given
revisions: a sync to a revision, a rollback); ``compare_app`` prepares them (namespace
defaulted, tracking set — the sync engine's ``prepare_targets``, injected), takes the app's
live objects from the cluster cache, diffs each pair with the app's and argocd-cm's
ignoreDifferences, assesses health, and returns a ``Comparison`` in Argo CD's status shape.
A render failure is a ``ComparisonError`` condition carrying the repo server's message
(file and line for malformed YAML); nothing live is touched by comparing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from kaiun import diff, health
from kaiun.engine.comparison import (
    OUT_OF_SYNC,
    SYNCED,
    UNKNOWN,
    Comparison,
    Condition,
    ResourceState,
    app_health,
    sync_status_of,
)
from kaiun.engine.orphans import orphaned_keys
from kaiun.kube.cache import ClusterCache, Record, ResourceKey
from kaiun.model.application import Application
from kaiun.repo import ApplicationSource, ManifestRequest, RenderSettings, RepoError
from kaiun.repo.multisource import generate_sources

Obj = dict[str, Any]
PrepareTargets = Callable[[list[Obj]], Awaitable[list[Obj]]]
IGNORE_EXTRANEOUS = "IgnoreExtraneous"


class ManifestSource(Protocol):
    """``RepoService`` in-process, or a client of the repo-server role."""

    async def generate_manifest(self, request: ManifestRequest) -> Any:
        """Render one source."""
        ...

    async def resolve_revision(self, source: ApplicationSource, *, refresh: bool = False) -> str:
        """The commit (or chart version) a source's target revision names now."""
        ...


class ResourcePolicy(Protocol):
    """The AppProject's resource allow/deny lists (``kaiun.model.appproject.AppProject``)."""

    def resource_permitted(
        self, group: str, kind: str, *, namespaced: bool, name: str = ""
    ) -> bool:
        """Whether the project lets the app manage this kind."""
        ...


@dataclass(frozen=True)
class Rendered:
    """Manifests of every source, the resolved revisions and the tools that rendered them."""

    manifests: list[Obj]
    revisions: list[str]
    source_types: list[str]
    warnings: list[str]


@dataclass(frozen=True)
class CompareConfig:
    """What, besides the app, decides a comparison (argocd-cm and the project)."""

    normalizer: diff.Normalizer = diff.DEFAULT_NORMALIZER
    health_overrides: Mapping[str, health.HealthOverride] | None = None
    render_settings: RenderSettings = dataclasses.field(default_factory=RenderSettings)
    policy: ResourcePolicy | None = None
    orphaned: Mapping[str, Any] | None = None  # the project's spec.orphanedResources
    kube_version: str = ""
    api_versions: tuple[str, ...] = ()


def _with_revision(source: Mapping[str, Any], revision: str | None) -> dict[str, Any]:
    out = dict(source)
    if revision:
        out["targetRevision"] = revision
    return out


async def render_app(
    app: Application,
    repo: ManifestSource,
    config: CompareConfig,
    *,
    sources: Sequence[Mapping[str, Any]] | None = None,
    revisions: Sequence[str] | None = None,
    no_cache: bool = False,
    force_resolve: bool = False,
) -> Rendered:
    """Render the app's sources (or ``sources``), each at ``revisions[i]`` when given.

    ``force_resolve`` re-resolves branch and tag names instead of trusting the revision
    cache (a refresh request); ``no_cache`` also re-renders (a hard refresh). Raises the
    repo room's ``RepoError`` (its message is the user's ComparisonError).
    """
    srcs = list(sources if sources is not None else app.sources)
    if revisions:
        srcs = [_with_revision(s, r) for s, r in zip(srcs, revisions, strict=False)] + srcs[
            len(revisions) :
        ]
    if force_resolve and not no_cache:
        for src in srcs:
            await repo.resolve_revision(ApplicationSource.from_dict(src), refresh=True)
    template = ManifestRequest(
        source=ApplicationSource(repo_url=""),
        app_name=app.name,
        namespace=app.destination.namespace,
        project=app.project,
        kube_version=config.kube_version,
        api_versions=config.api_versions,
        settings=config.render_settings,
        no_cache=no_cache,
    )
    combined = await generate_sources(repo, srcs, template)
    manifests = [dict(m) for m in combined.manifests]
    return Rendered(
        manifests=manifests,
        revisions=[r.revision for r in combined.responses],
        source_types=[r.source_type for r in combined.responses],
        warnings=list(combined.warnings),
    )


def key_of(obj: Mapping[str, Any]) -> ResourceKey:
    """The cache key of a desired or live object."""
    meta = obj.get("metadata") or {}
    return ResourceKey(
        str(obj.get("apiVersion", "")).rpartition("/")[0],
        str(obj.get("kind", "")),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )


def live_objects(cache: ClusterCache, app_name: str) -> dict[ResourceKey, Obj]:
    """Objects the app tracks directly (not their descendants), by key."""
    out: dict[ResourceKey, Obj] = {}
    for rec in cache.app_resources(app_name):
        if rec.app == app_name and rec.obj is not None:
            out[rec.key] = rec.obj
    return out


async def compare_app(
    app: Application,
    *,
    repo: ManifestSource,
    cache: ClusterCache,
    prepare: PrepareTargets,
    config: CompareConfig,
    hard_refresh: bool = False,
    force_resolve: bool = False,
) -> Comparison:
    """Compare the app's desired state (at its target revisions) with the live cluster."""
    base = _empty(app)
    try:
        rendered = await render_app(
            app, repo, config, no_cache=hard_refresh, force_resolve=force_resolve
        )
    except RepoError as exc:
        return _failed(base, cache, app, config, f"Failed to load target state: {exc}")
    base.revisions = rendered.revisions
    base.source_types = rendered.source_types
    base.conditions.extend(Condition("RepeatedResourceWarning", w) for w in rendered.warnings)
    try:
        targets = await prepare(rendered.manifests)
    except Exception as exc:  # the sync engine's errors have no shared base; report them all
        return _failed(base, cache, app, config, f"Failed to prepare target state: {exc}")
    return assemble(base, targets, cache, app, config)


def _empty(app: Application) -> Comparison:
    return Comparison(
        sync_status=UNKNOWN,
        revisions=[],
        sources=[dict(s) for s in app.sources],
        multi_source=app.multi_source,
        destination=dict(app.raw.get("spec", {}).get("destination") or {}),
        ignore_differences=[dict(i) for i in app.ignore_differences],
        resources=[],
        health=health.Health(health.HealthStatus.UNKNOWN),
    )


def _failed(
    base: Comparison, cache: ClusterCache, app: Application, config: CompareConfig, message: str
) -> Comparison:
    """No desired state: list what is live, sync status Unknown, a ComparisonError."""
    live = live_objects(cache, app.instance_name)
    base.resources = sorted(
        (_live_only(key, obj, config, status=UNKNOWN, prune=False) for key, obj in live.items()),
        key=_order,
    )
    base.live = list(live.values())
    base.health = app_health(base.resources)
    base.sync_status = UNKNOWN
    base.rendered = False
    base.conditions.append(Condition("ComparisonError", message))
    return base


def _order(r: ResourceState) -> tuple[str, str, str, str]:
    return (r.group, r.kind, r.namespace, r.name)


def assemble(
    base: Comparison,
    targets: list[Obj],
    cache: ClusterCache,
    app: Application,
    config: CompareConfig,
) -> Comparison:
    """Pair prepared ``targets`` with live objects and fill ``base`` with the verdicts."""
    live = live_objects(cache, app.instance_name)
    states: list[ResourceState] = []
    seen: dict[ResourceKey, Obj] = {}
    kept: list[Obj] = []
    for target in targets:
        key = key_of(target)
        if health.is_hook(target):
            continue  # hooks run during syncs; they are not part of the desired state
        if not cache.settings.watched(key.group, key.kind, cache.client.config.server):
            base.conditions.append(
                Condition(
                    "ExcludedResourceWarning",
                    f"Resource {key.group}/{key.kind} {key.name} is excluded in the settings",
                )
            )
            continue
        if key in seen:
            base.conditions.append(
                Condition(
                    "RepeatedResourceWarning",
                    f"Resource {key.group}/{key.kind}/{key.namespace}/{key.name} appeared "
                    "2 times among application resources.",
                )
            )
        seen[key] = target
        kept.append(target)
        _check_permitted(base, key, config, app)
    for key, target in seen.items():
        states.append(_pair(key, target, live.get(key), cache, app, base, config))
    for key, obj in live.items():
        if key not in seen:
            states.append(_live_only(key, obj, config))
    states.sort(key=_order)
    base.resources = states
    base.targets = kept
    base.live = list(live.values())
    base.sync_status = sync_status_of(r for r in states if not _ignored_extraneous(r))
    base.health = app_health(states)
    _orphans(base, cache, app, config)
    return base


def _check_permitted(
    base: Comparison, key: ResourceKey, config: CompareConfig, app: Application
) -> None:
    policy = config.policy
    if policy is None:
        return
    if not policy.resource_permitted(
        key.group, key.kind, namespaced=bool(key.namespace), name=key.name
    ):
        base.conditions.append(
            Condition(
                "InvalidSpecError",
                f"resource {key.group}:{key.kind} is not permitted in project {app.project}",
            )
        )


def _version(obj: Mapping[str, Any] | None) -> str:
    return str((obj or {}).get("apiVersion", "")).rpartition("/")[2]


def _pair(
    key: ResourceKey,
    target: Obj,
    live: Obj | None,
    cache: ClusterCache,
    app: Application,
    base: Comparison,
    config: CompareConfig,
) -> ResourceState:
    if live is None:
        other = cache.get(key)
        if other is not None and other.app and other.app != app.instance_name:
            base.conditions.append(
                Condition(
                    "SharedResourceWarning",
                    f"{key.kind}/{key.name} is part of applications {app.instance_name} "
                    f"and {other.app}",
                )
            )
        live = _untracked_body(other)
    try:
        result = diff.diff(target, live, normalizer=config.normalizer)
        status = OUT_OF_SYNC if result.modified else SYNCED
    except diff.DiffError as exc:
        result = None
        status = OUT_OF_SYNC
        base.conditions.append(Condition("ComparisonError", f"{key.kind}/{key.name}: {exc}"))
    verdict = (
        health.assess(live, overrides=config.health_overrides)
        if live is not None
        else health.Health(health.HealthStatus.MISSING)
    )
    return ResourceState(
        group=key.group,
        version=_version(target),
        kind=key.kind,
        namespace=key.namespace,
        name=key.name,
        status=status,
        health=verdict,
        target=target,
        live=live,
        diff=result,
    )


def _untracked_body(rec: Record | None) -> Obj | None:
    # An object the app does not track yet counts as live (a sync adopts it); without its
    # body the cache still tells that it exists, which makes the resource OutOfSync.
    if rec is None:
        return None
    return rec.obj if rec.obj is not None else {"metadata": {"name": rec.key.name}}


def _live_only(
    key: ResourceKey,
    obj: Obj,
    config: CompareConfig,
    *,
    status: str = OUT_OF_SYNC,
    prune: bool = True,
) -> ResourceState:
    hook = health.is_hook(obj)
    return ResourceState(
        group=key.group,
        version=_version(obj),
        kind=key.kind,
        namespace=key.namespace,
        name=key.name,
        status=SYNCED if hook else status,
        health=health.assess(obj, overrides=config.health_overrides),
        target=None,
        live=obj,
        hook=hook,
        requires_pruning=prune and not hook,
    )


def _ignored_extraneous(r: ResourceState) -> bool:
    return r.target is None and diff.CompareOptions.of(r.live).ignore_extraneous


def _orphans(
    base: Comparison, cache: ClusterCache, app: Application, config: CompareConfig
) -> None:
    spec = config.orphaned
    if spec is None or not app.destination.namespace:
        return
    keys = orphaned_keys(cache, app.destination.namespace, spec.get("ignore") or ())
    base.orphaned = len(keys)
    if keys and spec.get("warn", True):
        base.conditions.append(
            Condition("OrphanedResourceWarning", f"Application has {len(keys)} orphaned resources")
        )
