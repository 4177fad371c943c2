"""Running a sync operation: the IO loop around the sync room's re-entrant step.

Each step re-reads the live objects, plans tasks (``sync.plan``), lets ``sync.step`` decide,
executes its actions (``execute.Executor``) and persists ``status.operationState`` through
the caller's ``persist``. Retries with backoff, termination and resuming a persisted state
all live here; every decision is the sync room's.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kaiun import diff, health, sync
from kaiun.engine.execute import Executor
from kaiun.engine.observe import kind_info, read_live
from kaiun.kube import KubeClient
from kaiun.kube import errors as kube_errors
from kaiun.model import tracking
from kaiun.model.tracking import TrackingMethod
from kaiun.sync import options as opt

log = logging.getLogger(__name__)
Obj = dict[str, Any]
_POLL_MIN = 0.05
_POLL_MAX = 1.0


@dataclass(frozen=True)
class SyncContext:
    """Where and as whom a sync runs, and the settings it depends on."""

    client: KubeClient
    app_name: str
    app_namespace: str
    destination_namespace: str
    tracking_method: TrackingMethod = TrackingMethod.ANNOTATION
    instance_label_key: str = tracking.DEFAULT_INSTANCE_LABEL
    health_overrides: Mapping[str, health.HealthOverride] = field(default_factory=dict)
    wave_delay: float = 2.0
    field_manager: str = "argocd-controller"


async def prepare_targets(ctx: SyncContext, manifests: Sequence[Obj]) -> list[Obj]:
    """Desired objects made complete: namespace defaulted for namespaced kinds (via
    discovery; cluster-scoped ones left without), tracking label/annotation set per ctx.

    Objects that are not well-formed are passed through unchanged; ``run_operation``
    reports them per resource.
    """
    default_ns = ctx.destination_namespace or ctx.client.config.namespace or "default"
    out: list[Obj] = []
    for manifest in manifests:
        if (
            not isinstance(manifest, dict)
            or not manifest.get("apiVersion")
            or not manifest.get("kind")
        ):
            out.append(manifest)
            continue
        obj = copy.deepcopy(manifest)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            out.append(manifest)
            continue
        info = await kind_info(ctx.client, str(obj["apiVersion"]), str(obj["kind"]))
        if info is not None and not info.namespaced:
            meta.pop("namespace", None)
        elif not meta.get("namespace"):
            meta["namespace"] = default_ns
        _set_tracking(ctx, obj)
        out.append(obj)
    return out


def _set_tracking(ctx: SyncContext, obj: Obj) -> None:
    meta = obj["metadata"]
    if ctx.tracking_method in (TrackingMethod.ANNOTATION, TrackingMethod.ANNOTATION_AND_LABEL):
        annotations = dict(meta.get("annotations") or {})
        tid = tracking.tracking_id_for(ctx.app_name, obj)
        annotations[tracking.TRACKING_ID_ANNOTATION] = tid.format()
        meta["annotations"] = annotations
    if ctx.tracking_method in (TrackingMethod.LABEL, TrackingMethod.ANNOTATION_AND_LABEL):
        labels = dict(meta.get("labels") or {})
        labels[ctx.instance_label_key] = ctx.app_name
        meta["labels"] = labels


def _timestamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unix(timestamp: str) -> int:
    try:
        return int(
            datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        )
    except ValueError:
        return int(datetime.now(UTC).timestamp())


async def run_operation(
    ctx: SyncContext,
    *,
    desired: Sequence[Obj],
    live: Sequence[Obj],
    operation: dict[str, Any],
    sync_policy: dict[str, Any] | None,
    revision: str,
    state: dict[str, Any] | None,
    persist: Callable[[Obj], Awaitable[None]],
    terminate_requested: Callable[[], bool] = lambda: False,
    ignore_differences: Sequence[Obj] = (),
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    prune_confirmed: Callable[[], bool] = lambda: False,
) -> Obj:
    """Run (or resume) one sync operation to its end; return the final operationState.

    Retries (``operation.retry``, else ``syncPolicy.retry``) wait with the injected
    ``sleep``; ``terminate_requested`` is checked between steps, and ``prune_confirmed``
    (the Application's ``argocd.argoproj.io/deletion-approved`` annotation is newer than
    the operation) releases prunes held by ``Prune=confirm``.
    """
    resuming = bool(state) and (state or {}).get("phase") == "Running"
    run = _Run(
        operation=operation,
        revision=revision,
        started_at=str((state or {}).get("startedAt") or "") if resuming else "",
        retry_count=int((state or {}).get("retryCount") or 0) if resuming else 0,
        persist=persist,
    )
    sync_state = sync.SyncState.from_json(state) if resuming else sync.SyncState()
    try:
        request = sync.SyncRequest.parse(operation, sync_policy)
        rules = tuple(diff.IgnoreRule.from_spec(spec) for spec in ignore_differences)
    except (ValueError, diff.DiffError) as exc:
        return await run.finish(sync_state.with_phase(sync.OperationPhase.ERROR, str(exc)))
    run.request = request
    while True:
        op = _Operation(ctx, request, desired, live, revision, _unix(run.started_at), rules)
        sync_state, terminated = await op.run(
            sync_state, run.save, terminate_requested, sleep, prune_confirmed
        )
        if (
            sync_state.phase is sync.OperationPhase.SUCCEEDED
            or terminated
            or not request.retry.allows(run.retry_count)
        ):
            return await run.finish(sync_state)
        delay = request.retry.delay(run.retry_count)
        run.retry_count += 1
        message = f"Retrying attempt #{run.retry_count} at {_timestamp()}: {sync_state.message}"
        await run.save(sync_state.with_phase(sync.OperationPhase.RUNNING, message))
        await sleep(delay)
        sync_state = sync.SyncState()


@dataclass
class _Run:
    """The operation-wide part of the state: times, retries, and writing it out."""

    operation: Obj
    revision: str
    started_at: str
    retry_count: int
    persist: Callable[[Obj], Awaitable[None]]
    request: sync.SyncRequest | None = None
    last_saved: Obj | None = None

    def __post_init__(self) -> None:
        self.started_at = self.started_at or _timestamp()

    def snapshot(self, current: sync.SyncState, done: bool) -> Obj:
        """``status.operationState`` for ``current``."""
        return sync.operation_state(
            current,
            operation=self.operation,
            revision=self.revision,
            started_at=self.started_at,
            finished_at=_timestamp() if done else None,
            retry_count=self.retry_count,
            managed_namespace_metadata=(
                self.request.managed_namespace_metadata if self.request else None
            ),
        )

    async def save(self, current: sync.SyncState) -> None:
        """Persist a running state; polls that change nothing are not written."""
        doc = self.snapshot(current, False)
        if doc != self.last_saved:
            self.last_saved = doc
            await self.persist(doc)

    async def finish(self, current: sync.SyncState) -> Obj:
        """Persist and return the final state."""
        final = self.snapshot(current, True)
        await self.persist(final)
        return final


class _Operation:
    """One attempt of a sync operation."""

    def __init__(
        self,
        ctx: SyncContext,
        request: sync.SyncRequest,
        desired: Sequence[Obj],
        tracked: Sequence[Obj],
        revision: str,
        started_unix: int,
        rules: tuple[diff.IgnoreRule, ...],
    ) -> None:
        self.ctx = ctx
        self.request = request
        self.desired = [d for d in desired if isinstance(d, dict)]
        self.malformed = len(self.desired) != len(desired)
        self.tracked = list(tracked)
        self.revision = revision
        self.started_unix = started_unix
        self.rules = rules
        created = {
            str((o.get("metadata") or {}).get("name", ""))
            for o in self.desired
            if o.get("kind") == "Namespace" and not str(o.get("apiVersion", "")).count("/")
        }
        if request.options.true(opt.CREATE_NAMESPACE) and ctx.destination_namespace:
            created.add(ctx.destination_namespace)
        self.executor = Executor(ctx.client, ctx.field_manager, frozenset(created))
        self.config = sync.StepConfig(
            dry_run=request.dry_run,
            prune=request.prune,
            apply_out_of_sync_only=request.options.true(opt.APPLY_OUT_OF_SYNC_ONLY),
            health_overrides=ctx.health_overrides,
        )

    async def run(
        self,
        state: sync.SyncState,
        save: Callable[[sync.SyncState], Awaitable[None]],
        terminate_requested: Callable[[], bool],
        sleep: Callable[[float], Awaitable[None]],
        prune_confirmed: Callable[[], bool],
    ) -> tuple[sync.SyncState, bool]:
        """Step until the attempt ends; returns the state and whether it was terminated."""
        if self.malformed:
            message = "one or more manifests are not Kubernetes objects (expected a mapping)"
            return state.with_phase(sync.OperationPhase.FAILED, message), False
        try:
            invalid, unknown = await self._inspect()
        except kube_errors.KubeError as exc:
            return state.with_phase(sync.OperationPhase.ERROR, f"discovery failed: {exc}"), False
        poll = _POLL_MIN
        while True:
            try:
                tasks = await self._tasks(invalid, unknown)
            except kube_errors.KubeError as exc:
                message = f"failed to read the live state: {exc}"
                return state.with_phase(sync.OperationPhase.ERROR, message), False
            if terminate_requested():
                decided = sync.terminate(state, tasks)
                state = await self._execute(decided.state, decided)
                await save(state)
                return state, True
            config = dataclasses.replace(self.config, prune_confirmed=prune_confirmed())
            decided = sync.step(state, tasks, config)
            state = await self._execute(decided.state, decided)
            await save(state)
            if state.phase.completed:
                return state, False
            if decided.wave_delay and self.ctx.wave_delay > 0:
                await sleep(self.ctx.wave_delay)
            if decided.waiting or not decided.actions:
                await asyncio.sleep(poll)
                poll = min(poll * 1.5, _POLL_MAX)
            else:
                poll = _POLL_MIN

    async def _execute(self, state: sync.SyncState, decided: sync.Step) -> sync.SyncState:
        all_ok = True
        for action in decided.actions:
            outcomes = await self.executor.run(action, dry_run=self.request.dry_run)
            state = sync.record(state, action, outcomes, dry_run=self.request.dry_run)
            if not all(o.ok for o in outcomes):
                all_ok = False
                break
        return sync.conclude(state, decided, all_ok)

    async def _inspect(self) -> tuple[dict[sync.ResourceKey, str], frozenset[tuple[str, str]]]:
        """Per-resource problems found before planning: malformed objects, unknown kinds."""
        invalid: dict[sync.ResourceKey, str] = {}
        unknown: set[tuple[str, str]] = set()
        for obj in self.desired:
            key = sync.key_of(obj)
            problem = _malformed(obj)
            if problem:
                invalid[key] = problem
                continue
            api_version = str(obj["apiVersion"])
            if await kind_info(self.ctx.client, api_version, key.kind) is None:
                unknown.add((key.group, key.kind))
                if not self._may_skip_dry_run(obj, key):
                    invalid[key] = (
                        f"the server does not serve {key.kind} in {api_version}: check apiVersion "
                        "and kind, or install its CustomResourceDefinition first"
                    )
        return invalid, frozenset(unknown)

    def _may_skip_dry_run(self, obj: Obj, key: sync.ResourceKey) -> bool:
        if self.request.options.for_resource(obj).true(opt.SKIP_DRY_RUN_ON_MISSING_RESOURCE):
            return True
        for other in self.desired:
            spec = other.get("spec") or {}
            if (
                other.get("kind") == "CustomResourceDefinition"
                and spec.get("group") == key.group
                and (spec.get("names") or {}).get("kind") == key.kind
            ):
                return True
        return False

    async def _tasks(
        self, invalid: Mapping[sync.ResourceKey, str], unknown: frozenset[tuple[str, str]]
    ) -> list[sync.SyncTask]:
        extra = []
        if self.request.options.true(opt.CREATE_NAMESPACE) and self.ctx.destination_namespace:
            extra.append(("v1", "Namespace", ""))
        wellformed = [o for o in self.desired if not _malformed(o)]
        live = await read_live(self.ctx.client, [*wellformed, *self.tracked], extra)
        return sync.plan(
            sync.PlanInput(
                desired=self.desired,
                tracked=self.tracked,
                live=live,
                options=self.request.options,
                app_name=self.ctx.app_name,
                revision=self.revision,
                started_at=self.started_unix,
                skip_hooks=self.request.selection is not None,
                selection=self.request.selection,
                destination_namespace=self.ctx.destination_namespace,
                managed_namespace_metadata=self.request.managed_namespace_metadata,
                ignore_rules=self.rules,
                invalid=invalid,
                unknown_kinds=unknown,
                tracking_method=self.ctx.tracking_method,
                instance_label_key=self.ctx.instance_label_key,
            )
        )


def _malformed(obj: Obj) -> str:
    if not obj.get("apiVersion") or not obj.get("kind"):
        return "invalid manifest: apiVersion and kind are required"
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return "invalid manifest: metadata must be an object"
    if not meta.get("name") and not (meta.get("generateName") and sync.is_hook(obj)):
        return f"invalid manifest: {obj.get('kind')} has no metadata.name"
    return ""
