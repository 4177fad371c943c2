"""Sync tasks: (target, live) pairs with their phase and wave, planned in Argo CD's order.

``plan`` turns the desired objects, the live objects the application tracks and the current
live state into sorted ``SyncTask`` values: one per (object, phase) for resources and hooks,
plus prune tasks for tracked objects no longer desired and, with ``CreateNamespace=true``, a
PreSync task creating the destination namespace. Pure: the caller supplies live objects.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, NamedTuple

from kaiun import diff
from kaiun.model import tracking
from kaiun.sync import hooks, order
from kaiun.sync import options as opt
from kaiun.sync.hooks import DeletePolicy, SyncPhase
from kaiun.sync.options import SyncOptions

Obj = dict[str, Any]


class ResourceKey(NamedTuple):
    """Identity of an object in a cluster (namespace empty for cluster-scoped kinds)."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.group}/{self.kind}/{self.namespace}/{self.name}"


def key_of(obj: Mapping[str, Any]) -> ResourceKey:
    """The ``ResourceKey`` of an object."""
    meta = obj.get("metadata") or {}
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return ResourceKey(
        group, str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name", ""))
    )


@dataclass(frozen=True)
class SyncTask:
    """One thing to do: apply ``target``, run a hook, or prune ``live`` (no target)."""

    phase: SyncPhase
    wave: int
    target: Obj | None
    live: Obj | None
    hook: bool = False
    options: SyncOptions = field(default_factory=SyncOptions)
    skip_dry_run: bool = False
    error: str = ""
    out_of_sync: bool = True
    creates_namespace: bool = False

    @property
    def obj(self) -> Obj:
        """The target, or the live object of a prune task."""
        obj = self.target if self.target is not None else self.live
        assert obj is not None, "a task has a target or a live object"
        return obj

    @cached_property
    def key(self) -> ResourceKey:
        """The object's identity."""
        return key_of(self.obj)

    @cached_property
    def result_key(self) -> str:
        """Key of this task's entry in the operation's results (object and phase)."""
        return f"{self.key}:{self.phase.value}"

    @property
    def version(self) -> str:
        """The API version (without group) of the object."""
        return str(self.obj.get("apiVersion", "")).rpartition("/")[2]

    @property
    def is_prune(self) -> bool:
        """Whether this task deletes a live object that is no longer desired."""
        return self.target is None

    @property
    def delete_policies(self) -> frozenset[DeletePolicy]:
        """The hook's delete policies (empty for a non-hook)."""
        return hooks.delete_policies(self.obj) if self.hook else frozenset()

    def sort_key(self) -> tuple[int, int, int, str]:
        """Argo CD's order: phase, wave, kind, name."""
        return (self.phase.rank, self.wave, order.kind_rank(self.key.kind), self.key.name)


@dataclass(frozen=True)
class Selection:
    """Selective sync: the resources named by ``operation.sync.resources``."""

    items: tuple[tuple[str, str, str, str], ...]

    @classmethod
    def parse(cls, resources: Sequence[Mapping[str, Any]] | None) -> Selection | None:
        """From Argo CD's ``[{group, kind, name, namespace}]``; None when absent or empty."""
        if not resources:
            return None
        return cls(
            tuple(
                (
                    str(r.get("group") or ""),
                    str(r.get("kind") or ""),
                    str(r.get("namespace") or ""),
                    str(r.get("name") or ""),
                )
                for r in resources
            )
        )

    def contains(self, key: ResourceKey) -> bool:
        """Whether ``key`` is selected (an empty namespace in the selection matches any)."""
        return any(
            g == key.group and k == key.kind and n == key.name and (not ns or ns == key.namespace)
            for g, k, ns, n in self.items
        )


@dataclass(frozen=True)
class PlanInput:
    """Everything ``plan`` needs, gathered by the caller."""

    desired: Sequence[Obj]
    tracked: Sequence[Obj]
    live: Mapping[ResourceKey, Obj]
    options: SyncOptions = field(default_factory=SyncOptions)
    app_name: str = ""
    revision: str = ""
    started_at: int = 0
    skip_hooks: bool = False
    selection: Selection | None = None
    destination_namespace: str = ""
    managed_namespace_metadata: Mapping[str, Any] | None = None
    ignore_rules: Sequence[diff.IgnoreRule] = ()
    invalid: Mapping[ResourceKey, str] = field(default_factory=dict)
    unknown_kinds: frozenset[tuple[str, str]] = frozenset()
    tracking_method: tracking.TrackingMethod = tracking.TrackingMethod.ANNOTATION
    instance_label_key: str = tracking.DEFAULT_INSTANCE_LABEL


def plan(data: PlanInput) -> list[SyncTask]:
    """Sorted tasks for one sync step (see the module docstring)."""
    tasks: list[SyncTask] = []
    desired_keys: set[ResourceKey] = set()
    for target in data.desired:
        key = key_of(target)
        if hooks.is_hook(target) or hooks.is_delete_hook(target):
            if not data.skip_hooks and not hooks.is_delete_hook(target):
                tasks.extend(_hook_tasks(data, target))
            continue
        desired_keys.add(key)
        if data.selection is not None and not data.selection.contains(key):
            continue
        tasks.extend(_resource_tasks(data, target, data.live.get(key)))
    for live in data.tracked:
        key = key_of(live)
        if key in desired_keys or hooks.is_hook(live) or hooks.is_delete_hook(live):
            continue
        if data.selection is not None and not data.selection.contains(key):
            continue
        current = data.live.get(key)
        if current is None:
            continue  # already gone
        tasks.append(
            SyncTask(
                SyncPhase.SYNC, hooks.wave(current), None, current, options=_opts(data, current)
            )
        )
    ns_task = _namespace_task(data)
    if ns_task is not None:
        tasks.append(ns_task)
    return sort_tasks(_prune_waves(tasks, data.options.true(opt.PRUNE_LAST)))


def _opts(data: PlanInput, obj: Obj | None) -> SyncOptions:
    return data.options.for_resource(obj)


def _resource_tasks(data: PlanInput, target: Obj, live: Obj | None) -> list[SyncTask]:
    options = _opts(data, target)
    key = key_of(target)
    error = data.invalid.get(key, "")
    if not error and live is not None and options.true(opt.FAIL_ON_SHARED_RESOURCE):
        owner = tracking.owning_app(live, data.tracking_method, data.instance_label_key)
        if owner and owner != data.app_name:
            error = f"{key.kind}/{key.name} is part of applications {data.app_name} and {owner}"
    if live is not None and options.true(opt.RESPECT_IGNORE_DIFFERENCES) and data.ignore_rules:
        target = diff.respect_ignore_differences(target, live, data.ignore_rules)
    out_of_sync = True
    if live is not None and options.true(opt.APPLY_OUT_OF_SYNC_ONLY):
        out_of_sync = diff.diff(
            target, live, normalizer=diff.Normalizer(rules=tuple(data.ignore_rules))
        ).modified
    return [
        SyncTask(
            phase,
            hooks.wave(target),
            target,
            live,
            options=options,
            skip_dry_run=_skip_dry_run(data, key, options),
            error=error,
            out_of_sync=out_of_sync,
        )
        for phase in hooks.sync_phases(target)
    ]


def _skip_dry_run(data: PlanInput, key: ResourceKey, options: SyncOptions) -> bool:
    if (key.group, key.kind) not in data.unknown_kinds:
        return False
    return options.true(opt.SKIP_DRY_RUN_ON_MISSING_RESOURCE) or _crd_in(data.desired, key)


def _crd_in(desired: Sequence[Obj], key: ResourceKey) -> bool:
    for obj in desired:
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            names = spec.get("names") or {}
            if spec.get("group") == key.group and names.get("kind") == key.kind:
                return True
    return False


def hook_name(generate_name: str, revision: str, phase: SyncPhase, started_at: int) -> str:
    """The name Argo CD gives a ``generateName`` hook: stable for one operation."""
    return f"{generate_name}{revision[:7]}-{phase.value}-{started_at}".lower()


def _hook_tasks(data: PlanInput, target: Obj) -> list[SyncTask]:
    out = []
    for phase in hooks.sync_phases(target):
        obj = copy.deepcopy(target)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            meta["name"] = hook_name(
                str(meta.get("generateName") or ""), data.revision, phase, data.started_at
            )
            meta.pop("generateName", None)
        finalizers = list(meta.get("finalizers") or [])
        if hooks.HOOK_FINALIZER not in finalizers:
            meta["finalizers"] = [*finalizers, hooks.HOOK_FINALIZER]
        annotations = meta.get("annotations")
        if isinstance(annotations, dict) and tracking.TRACKING_ID_ANNOTATION in annotations:
            # Tracking was set before the generated name was known.
            app = data.app_name or str(annotations[tracking.TRACKING_ID_ANNOTATION]).split(":")[0]
            annotations[tracking.TRACKING_ID_ANNOTATION] = tracking.tracking_id_for(
                app, obj
            ).format()
        key = key_of(obj)
        out.append(
            SyncTask(
                phase,
                hooks.wave(obj),
                obj,
                data.live.get(key),
                hook=True,
                options=_opts(data, obj),
                skip_dry_run=_skip_dry_run(data, key, _opts(data, obj)),
                error=data.invalid.get(key_of(target), ""),
            )
        )
    return out


def namespace_object(name: str, metadata: Mapping[str, Any] | None) -> Obj:
    """The Namespace ``CreateNamespace=true`` creates, with managed labels/annotations."""
    meta: dict[str, Any] = {"name": name}
    for field_name in ("labels", "annotations"):
        values = (metadata or {}).get(field_name)
        if isinstance(values, Mapping) and values:
            meta[field_name] = {str(k): str(v) for k, v in values.items()}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def _namespace_task(data: PlanInput) -> SyncTask | None:
    name = data.destination_namespace
    if not name or not data.options.true(opt.CREATE_NAMESPACE) or data.selection is not None:
        return None
    if any(key_of(o) == ResourceKey("", "Namespace", "", name) for o in data.desired):
        return None
    target = namespace_object(name, data.managed_namespace_metadata)
    live = data.live.get(ResourceKey("", "Namespace", "", name))
    if live is not None and not _metadata_differs(target, live):
        return None
    return SyncTask(SyncPhase.PRE_SYNC, 0, target, live, creates_namespace=True)


def _metadata_differs(target: Obj, live: Obj) -> bool:
    for field_name in ("labels", "annotations"):
        want = target["metadata"].get(field_name) or {}
        have = (live.get("metadata") or {}).get(field_name) or {}
        if any(have.get(k) != v for k, v in want.items()):
            return True
    return False


def _prune_waves(tasks: list[SyncTask], prune_last_app: bool) -> list[SyncTask]:
    """Prune in reverse wave order; ``PruneLast`` after the last Sync wave."""
    prune_waves = sorted({t.wave for t in tasks if t.is_prune})
    mirror = dict(zip(prune_waves, reversed(prune_waves), strict=True))
    last = max([0, *(t.wave for t in tasks if t.phase is SyncPhase.SYNC)]) + 1
    out = []
    for task in tasks:
        if task.is_prune:
            wave = mirror[task.wave]
            if prune_last_app or task.options.true(opt.PRUNE_LAST):
                wave = last
            task = replace(task, wave=wave)
        out.append(task)
    return out


def sort_tasks(tasks: list[SyncTask]) -> list[SyncTask]:
    """Sort, then pull Namespaces and CRDs ahead of the first task that needs them."""
    ordered = sorted(tasks, key=SyncTask.sort_key)
    ordered = _bubble(ordered, _namespace_dep, lambda t: t.key.namespace or None)
    return _bubble(ordered, _crd_dep, lambda t: f"{t.key.group}/{t.key.kind}")


def _namespace_dep(task: SyncTask) -> str | None:
    key = task.key
    return key.name if key.kind == "Namespace" and key.group == "" else None


def _crd_dep(task: SyncTask) -> str | None:
    obj = task.obj
    if obj.get("kind") != "CustomResourceDefinition":
        return None
    spec = obj.get("spec") or {}
    return f"{spec.get('group', '')}/{(spec.get('names') or {}).get('kind', '')}"


def _bubble(
    tasks: list[SyncTask],
    provides: Callable[[SyncTask], str | None],
    needs: Callable[[SyncTask], str | None],
) -> list[SyncTask]:
    """Move a dependency before its first dependant, taking that task's phase and wave."""
    out: list[SyncTask] = []
    first_user: dict[str, int] = {}
    for task in tasks:
        if task.target is None:
            out.append(task)
            continue
        dep = provides(task)
        if dep is not None and dep in first_user:
            index = first_user[dep]
            user = out[index]
            out.insert(index, replace(task, phase=user.phase, wave=user.wave))
            first_user = {k: (i + 1 if i >= index else i) for k, i in first_user.items()}
            continue
        if dep is None:
            wanted = needs(task)
            if wanted is not None and wanted not in first_user:
                first_user[wanted] = len(out)
        out.append(task)
    return out
