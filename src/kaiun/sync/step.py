"""The re-entrant sync step: given the state so far and freshly planned tasks, decide what to
do next.

``step`` never touches a cluster. It returns the new state and a list of ``Action`` values
(dry-run, apply, prune, delete, remove a hook finalizer) for the caller to execute in order;
the caller reports each action's outcomes through ``record`` and calls ``step`` again after
the cluster has moved. The state is all that has to survive a restart: tasks that already
have a result are never run again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from kaiun import health
from kaiun.sync import hooks
from kaiun.sync.hooks import DeletePolicy, SyncPhase
from kaiun.sync.state import OperationPhase, ResultCode, SyncState
from kaiun.sync.tasks import SyncTask

RUNNING = OperationPhase.RUNNING.value
SUCCEEDED = OperationPhase.SUCCEEDED.value
FAILED = OperationPhase.FAILED.value
ERROR = OperationPhase.ERROR.value


class Verb(StrEnum):
    """What an action asks the executor to do with each of its tasks."""

    DRY_RUN = "dry-run"
    APPLY = "apply"
    PRUNE = "prune"
    DELETE = "delete"
    REMOVE_FINALIZER = "remove-finalizer"


@dataclass(frozen=True)
class Action:
    """One batch of tasks to execute concurrently; the executor stops after a failing batch.

    ``fail_message``: when a task of this batch fails, the operation ends Failed with it.
    """

    verb: Verb
    tasks: tuple[SyncTask, ...]
    fail_message: str = ""


@dataclass(frozen=True)
class Outcome:
    """The result of executing one task of an action."""

    task: SyncTask
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class StepConfig:
    """Operation-wide switches of the step."""

    dry_run: bool = False
    prune: bool = False
    prune_confirmed: bool = False
    apply_out_of_sync_only: bool = False
    health_overrides: Mapping[str, health.HealthOverride] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """What ``step`` decided: the new state, actions to run, and how to continue.

    ``finish``: the phase and message to end with once every action succeeded.
    ``wave_delay``: a non-final wave was started; wait the wave delay before the next step.
    ``waiting``: nothing can be done until the cluster progresses.
    """

    state: SyncState
    actions: tuple[Action, ...] = ()
    finish: tuple[OperationPhase, str] | None = None
    wave_delay: bool = False
    waiting: bool = False


# -- task status, read from the recorded results ------------------------------------------


def _hook_phase(state: SyncState, task: SyncTask) -> str:
    res = state.result(task)
    return res.hook_phase if res is not None else ""


def pending(state: SyncState, task: SyncTask) -> bool:
    """Whether ``task`` has not run yet."""
    return _hook_phase(state, task) == ""


def running(state: SyncState, task: SyncTask) -> bool:
    """Whether ``task`` ran and is waiting for completion or health."""
    return _hook_phase(state, task) == RUNNING


def completed(state: SyncState, task: SyncTask) -> bool:
    """Whether ``task`` finished, successfully or not."""
    return _hook_phase(state, task) in (SUCCEEDED, FAILED, ERROR)


def successful(state: SyncState, task: SyncTask) -> bool:
    """Whether ``task`` finished successfully."""
    return _hook_phase(state, task) == SUCCEEDED


def _has_finalizer(task: SyncTask) -> bool:
    meta = (task.live or {}).get("metadata") or {}
    return hooks.HOOK_FINALIZER in (meta.get("finalizers") or [])


def _deleting(task: SyncTask) -> bool:
    return bool(((task.live or {}).get("metadata") or {}).get("deletionTimestamp"))


# -- health of running tasks ---------------------------------------------------------------


def hook_outcome(
    live: Mapping[str, Any], overrides: Mapping[str, health.HealthOverride]
) -> tuple[str, str]:
    """A hook's phase and message from its live object's health."""
    name = str((live.get("metadata") or {}).get("name", ""))
    verdict = health.assess(live, overrides=overrides)
    if verdict is None:
        return SUCCEEDED, f"{name} created"
    status = verdict.status
    if status in (health.HealthStatus.UNKNOWN, health.HealthStatus.DEGRADED):
        return FAILED, verdict.message
    if status in (health.HealthStatus.PROGRESSING, health.HealthStatus.SUSPENDED):
        return RUNNING, verdict.message
    if status is health.HealthStatus.HEALTHY:
        return SUCCEEDED, verdict.message
    return SUCCEEDED, f"{name} created"


def _refresh_running(state: SyncState, tasks: Sequence[SyncTask], cfg: StepConfig) -> SyncState:
    for task in tasks:
        if not running(state, task) or task.live is None or task.is_prune:
            continue
        if task.hook:
            phase, message = hook_outcome(task.live, cfg.health_overrides)
            state = state.with_result(task, None, phase, message)
            continue
        verdict = health.assess(task.live, overrides=cfg.health_overrides)
        if verdict is None or verdict.status is health.HealthStatus.HEALTHY:
            state = state.with_result(task, None, SUCCEEDED, verdict.message if verdict else "")
        elif verdict.status is health.HealthStatus.DEGRADED:
            state = state.with_result(task, None, FAILED, verdict.message)
    return state


def running_message(tasks: Sequence[SyncTask], deletion: bool = False) -> str:
    """Argo CD's "waiting for ..." message for the tasks being waited on."""
    if not tasks:
        return ""
    hook_tasks = [t for t in tasks if t.hook]
    resources = [t for t in tasks if not t.hook]
    reason = "completion of hook" if hook_tasks else "healthy state of"
    task_type = "hooks" if not resources else "resources"
    if deletion:
        reason = "deletion of hook" if hook_tasks else "deletion of"
    first = hook_tasks[0] if hook_tasks else resources[0]
    key = first.key
    message = f"waiting for {reason} {key.group}/{key.kind}/{key.name}"
    if len(tasks) > 1:
        message += f" and {len(tasks) - 1} more {task_type}"
    return message


def _multi_step(tasks: Sequence[SyncTask]) -> bool:
    return bool(tasks) and (tasks[0].wave != tasks[-1].wave or tasks[0].phase != tasks[-1].phase)


# -- the step ------------------------------------------------------------------------------


def step(state: SyncState, tasks: Sequence[SyncTask], cfg: StepConfig) -> Step:
    """Decide the next move of a sync operation (see the module docstring)."""
    if state.phase.completed:
        return Step(state)
    invalid = [t for t in tasks if t.error]
    if invalid:
        for task in invalid:
            state = state.with_result(task, ResultCode.SYNC_FAILED.value, FAILED, task.error)
        return Step(
            state.with_phase(
                OperationPhase.FAILED, "one or more synchronization tasks are not valid"
            )
        )
    if not state.validated:
        return _validate(state, tasks, cfg)
    state = _refresh_running(state, tasks, cfg)
    waiting = [t for t in tasks if (_multi_step(tasks) or t.hook) and running(state, t)]
    if waiting:
        return _wait_running(state, waiting)
    deleting = [t for t in tasks if t.is_prune and completed(state, t) and _deleting(t)]
    if deleting:
        return Step(
            state.with_phase(OperationPhase.RUNNING, running_message(deleting, True)), waiting=True
        )
    return _advance(state, tasks, cfg)


def _validate(state: SyncState, tasks: Sequence[SyncTask], cfg: StepConfig) -> Step:
    """First step: create the destination namespace, then dry-run everything."""
    actions = []
    ns_tasks = tuple(t for t in tasks if t.creates_namespace and pending(state, t))
    if ns_tasks and not cfg.dry_run:
        actions.append(Action(Verb.APPLY, ns_tasks, fail_message="the namespace failed to apply"))
    dry = [t for t in tasks if t not in ns_tasks and not t.skip_dry_run and not t.is_prune]
    if cfg.apply_out_of_sync_only:
        dry = [t for t in dry if _out_of_sync(t)]
    actions.append(
        Action(
            Verb.DRY_RUN, tuple(dry), fail_message="one or more objects failed to apply (dry run)"
        )
    )
    return Step(state, tuple(actions))


def _out_of_sync(task: SyncTask) -> bool:
    return task.hook or task.is_prune or task.live is None or task.out_of_sync


def _wait_running(state: SyncState, waiting: list[SyncTask]) -> Step:
    for task in waiting:
        if task.live is None and state.result(task) is not None:
            key = task.key
            missing = f"Resource {key.group}/{key.kind}/{key.name} is missing"
            state = state.with_result(
                task,
                ResultCode.SYNC_FAILED.value,
                ERROR,
                f"{missing}, it might have been deleted",
            )
    return Step(state.with_phase(OperationPhase.RUNNING, running_message(waiting)), waiting=True)


def _cleanup_actions(
    state: SyncState, tasks: Sequence[SyncTask], policy: DeletePolicy
) -> list[Action]:
    """Remove finalizers of completed hooks, and delete those whose policy says so."""
    done = [t for t in tasks if t.hook and t.live is not None and completed(state, t)]
    actions = []
    unhook = tuple(t for t in done if _has_finalizer(t))
    if unhook:
        actions.append(Action(Verb.REMOVE_FINALIZER, unhook))
    delete = tuple(t for t in done if policy in t.delete_policies and not _deleting(t))
    if delete:
        actions.append(Action(Verb.DELETE, delete))
    return actions


def _advance(state: SyncState, tasks: Sequence[SyncTask], cfg: StepConfig) -> Step:
    sync_fail = [t for t in tasks if t.phase is SyncPhase.SYNC_FAIL]
    main = [t for t in tasks if t.phase is not SyncPhase.SYNC_FAIL]
    failed = [t for t in main if completed(state, t) and not successful(state, t)]
    if failed:
        return _sync_fail(state, tasks, sync_fail, failed, cfg)
    todo = [t for t in main if pending(state, t)]
    if cfg.apply_out_of_sync_only:
        todo = [t for t in todo if _out_of_sync(t)]
    if not todo:
        cleanup = _cleanup_actions(state, tasks, DeletePolicy.HOOK_SUCCEEDED)
        return Step(
            state,
            tuple(cleanup),
            finish=(OperationPhase.SUCCEEDED, "successfully synced (no more tasks)"),
        )
    phase, wave = todo[0].phase, todo[0].wave
    final = phase == todo[-1].phase and wave == todo[-1].wave
    current = [t for t in todo if t.phase == phase and t.wave == wave]
    state = state.with_phase(OperationPhase.RUNNING, "one or more tasks are running")
    state, actions, wait = _run_tasks(state, current, cfg)
    if wait is not None:
        return Step(state.with_phase(OperationPhase.RUNNING, wait), tuple(actions), waiting=True)
    finish = None
    if final and not any(t.hook for t in current):
        # The last wave without hooks succeeds once applied, even if resources degrade later.
        actions += _cleanup_actions(state, tasks, DeletePolicy.HOOK_SUCCEEDED)
        finish = (OperationPhase.SUCCEEDED, "successfully synced (all tasks run)")
    return Step(state, tuple(actions), finish=finish, wave_delay=not final)


def _run_tasks(
    state: SyncState, tasks: Sequence[SyncTask], cfg: StepConfig
) -> tuple[SyncState, list[Action], str | None]:
    """Actions for one wave: prune first, delete old hooks, then apply kind by kind.

    Returns a "waiting" message instead of applying when something must happen first.
    """
    prune = [t for t in tasks if t.is_prune]
    create = [t for t in tasks if not t.is_prune]
    confirm = [t for t in prune if t.options.prune_confirm] if cfg.prune and not cfg.dry_run else []
    if confirm and not cfg.prune_confirmed:
        names = [f"{t.obj.get('apiVersion')}/{t.key.kind}/{t.key.name}" for t in confirm]
        more = f" and {len(names) - 1} more resources" if len(names) > 1 else ""
        return state, [], f"Waiting for pruning confirmation of {names[0]}{more}"
    state, to_delete = _settle_prunes(state, prune, cfg)
    actions: list[Action] = []
    if to_delete:
        actions.append(Action(Verb.PRUNE, tuple(to_delete)))
    old_hooks = [
        t
        for t in create
        if t.hook and t.live is not None and DeletePolicy.BEFORE_HOOK_CREATION in t.delete_policies
    ]
    if old_hooks and not cfg.dry_run:
        unhook = tuple(t for t in old_hooks if _has_finalizer(t))
        if unhook:
            actions.append(Action(Verb.REMOVE_FINALIZER, unhook))
        actions.append(Action(Verb.DELETE, tuple(old_hooks)))
        return state, actions, running_message(old_hooks, deletion=True)
    group: list[SyncTask] = []
    for task in create:
        if group and group[0].key.kind != task.key.kind:
            actions.append(Action(Verb.APPLY, tuple(group)))
            group = []
        group.append(task)
    if group:
        actions.append(Action(Verb.APPLY, tuple(group)))
    return state, actions, None


def _settle_prunes(
    state: SyncState, prune: Sequence[SyncTask], cfg: StepConfig
) -> tuple[SyncState, list[SyncTask]]:
    """Record prunes that need no API call; return those that do."""
    to_delete = []
    for task in prune:
        if not cfg.prune:
            state = state.with_result(
                task, ResultCode.PRUNE_SKIPPED.value, SUCCEEDED, "ignored (requires pruning)"
            )
        elif task.options.prune_disabled:
            state = state.with_result(
                task, ResultCode.PRUNE_SKIPPED.value, SUCCEEDED, "ignored (no prune)"
            )
        elif cfg.dry_run:
            state = state.with_result(task, ResultCode.PRUNED.value, SUCCEEDED, "pruned (dry run)")
        elif _deleting(task):
            state = state.with_result(task, ResultCode.PRUNED.value, SUCCEEDED, "pruned")
        else:
            to_delete.append(task)
    return state, to_delete


def _failure_message(state: SyncState, failed: Sequence[SyncTask]) -> str:
    apply_failed = any(
        (r := state.result(t)) is not None and r.status == ResultCode.SYNC_FAILED.value
        for t in failed
    )
    message = (
        "one or more objects failed to apply"
        if apply_failed
        else "one or more synchronization tasks completed unsuccessfully"
    )
    return _with_reasons(state, failed, message)


def _with_reasons(state: SyncState, tasks: Sequence[SyncTask], message: str) -> str:
    reasons: list[str] = []
    for task in tasks:
        res = state.result(task)
        if res is not None and res.message and res.message not in reasons:
            reasons.append(res.message)
    return f"{message}, reason: {','.join(reasons)}" if reasons else message


def _sync_fail(
    state: SyncState,
    tasks: Sequence[SyncTask],
    sync_fail: Sequence[SyncTask],
    failed: Sequence[SyncTask],
    cfg: StepConfig,
) -> Step:
    """A task failed: run the SyncFail hooks, then end Failed with the failures' messages."""
    message = _failure_message(state, failed)
    cleanup = tuple(_cleanup_actions(state, tasks, DeletePolicy.HOOK_FAILED))
    if not sync_fail or all(completed(state, t) for t in sync_fail):
        bad = [t for t in sync_fail if not successful(state, t)]
        if bad:
            message += "\n" + _with_reasons(state, bad, "one or more SyncFail hooks failed")
        return Step(state, cleanup, finish=(OperationPhase.FAILED, message))
    todo = [t for t in sync_fail if pending(state, t)]
    if not todo:
        return Step(state, cleanup, waiting=True)
    state, actions, wait = _run_tasks(state, todo, cfg)
    state = state.with_phase(OperationPhase.RUNNING, wait or running_message(todo))
    return Step(state, (*cleanup, *actions), waiting=wait is not None)


def terminate(state: SyncState, tasks: Sequence[SyncTask]) -> Step:
    """Stop the operation: running hooks are marked Terminated and deleted."""
    actions: list[Action] = []
    hooks_running = [t for t in tasks if t.hook and running(state, t)]
    for task in hooks_running:
        state = state.with_result(task, None, FAILED, "Terminated")
    live_hooks = tuple(t for t in hooks_running if t.live is not None)
    unhook = tuple(t for t in live_hooks if _has_finalizer(t))
    if unhook:
        actions.append(Action(Verb.REMOVE_FINALIZER, unhook))
    if live_hooks:
        actions.append(Action(Verb.DELETE, live_hooks))
    return Step(state, tuple(actions), finish=(OperationPhase.FAILED, "Operation terminated"))


# -- recording what the executor did ---------------------------------------------------------


def record(
    state: SyncState, action: Action, outcomes: Sequence[Outcome], *, dry_run: bool = False
) -> SyncState:
    """Fold one executed action's outcomes into the state."""
    for out in outcomes:
        state = _record_one(state, action.verb, out, dry_run)
    if action.verb is Verb.DRY_RUN and all(o.ok for o in outcomes):
        state = replace(state, validated=True)
    if action.fail_message and not all(o.ok for o in outcomes):
        bad = [o.task for o in outcomes if not o.ok]
        state = state.with_phase(
            OperationPhase.FAILED, _with_reasons(state, bad, action.fail_message)
        )
    return state


def _record_one(state: SyncState, verb: Verb, out: Outcome, dry_run: bool) -> SyncState:
    task = out.task
    failed_code = ResultCode.SYNC_FAILED.value
    if verb is Verb.DRY_RUN:
        if not out.ok:
            return state.with_result(task, failed_code, FAILED, out.message)
        return state
    if verb is Verb.APPLY:
        if not out.ok:
            return state.with_result(task, failed_code, FAILED, out.message)
        return state.with_result(
            task, ResultCode.SYNCED.value, SUCCEEDED if dry_run else RUNNING, out.message
        )
    if verb is Verb.PRUNE:
        if not out.ok:
            return state.with_result(task, failed_code, FAILED, out.message)
        return state.with_result(task, ResultCode.PRUNED.value, SUCCEEDED, "pruned")
    if out.ok or state.result(task) is None:
        return state
    prefix = (
        "failed to delete resource" if verb is Verb.DELETE else "failed to remove hook finalizer"
    )
    return state.with_result(task, None, ERROR, f"{prefix}: {out.message}")


def conclude(state: SyncState, decided: Step, all_ok: bool) -> SyncState:
    """After the executor ran a step's actions: apply its ``finish`` if nothing failed."""
    if state.phase.completed or decided.finish is None:
        return state
    phase, message = decided.finish
    if all_ok or phase is OperationPhase.FAILED:
        return state.with_phase(phase, message)
    return state
