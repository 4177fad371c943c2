"""Operation state and per-resource results, in the JSON shape of Argo CD's
``status.operationState`` (``syncResult.resources[]`` entries are ``ResourceResult``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from typing import Any

from kaiun.sync.tasks import SyncTask


class OperationPhase(StrEnum):
    """``operationState.phase`` and a result's ``hookPhase``."""

    RUNNING = "Running"
    TERMINATING = "Terminating"
    FAILED = "Failed"
    ERROR = "Error"
    SUCCEEDED = "Succeeded"

    @property
    def completed(self) -> bool:
        """Whether the phase is final."""
        return self in (OperationPhase.FAILED, OperationPhase.ERROR, OperationPhase.SUCCEEDED)


class ResultCode(StrEnum):
    """A resource result's ``status``."""

    SYNCED = "Synced"
    SYNC_FAILED = "SyncFailed"
    PRUNED = "Pruned"
    PRUNE_SKIPPED = "PruneSkipped"


@dataclass(frozen=True)
class ResourceResult:
    """What happened to one object in one phase."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str
    sync_phase: str
    status: str = ""
    message: str = ""
    hook_type: str = ""
    hook_phase: str = ""

    @cached_property
    def result_key(self) -> str:
        """Same key as ``SyncTask.result_key``."""
        return f"{self.group}/{self.kind}/{self.namespace}/{self.name}:{self.sync_phase}"

    def to_json(self) -> dict[str, Any]:
        """Argo CD's ``ResourceResult`` (empty optional fields omitted)."""
        out: dict[str, Any] = {
            "group": self.group,
            "version": self.version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
        }
        for name, value in (
            ("status", self.status),
            ("message", self.message),
            ("hookType", self.hook_type),
            ("hookPhase", self.hook_phase),
            ("syncPhase", self.sync_phase),
        ):
            if value:
                out[name] = value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ResourceResult:
        """Read one entry of ``syncResult.resources``."""
        return cls(
            group=str(data.get("group") or ""),
            version=str(data.get("version") or ""),
            kind=str(data.get("kind") or ""),
            namespace=str(data.get("namespace") or ""),
            name=str(data.get("name") or ""),
            sync_phase=str(data.get("syncPhase") or "Sync"),
            status=str(data.get("status") or ""),
            message=str(data.get("message") or ""),
            hook_type=str(data.get("hookType") or ""),
            hook_phase=str(data.get("hookPhase") or ""),
        )


def result_for(task: SyncTask, status: str, hook_phase: str, message: str) -> ResourceResult:
    """A fresh result for ``task``."""
    key = task.key
    return ResourceResult(
        group=key.group,
        version=task.version,
        kind=key.kind,
        namespace=key.namespace,
        name=key.name,
        sync_phase=task.phase.value,
        status=status,
        message=message,
        hook_type=task.phase.value if task.hook else "",
        hook_phase=hook_phase,
    )


@dataclass(frozen=True)
class SyncState:
    """The engine-independent part of an operation: phase, message and results so far."""

    phase: OperationPhase = OperationPhase.RUNNING
    message: str = ""
    results: tuple[ResourceResult, ...] = field(default_factory=tuple)
    # The dry run of every object passed (not persisted: a resumed operation that has
    # results is past it; one without results simply dry-runs again).
    validated: bool = False

    @property
    def started(self) -> bool:
        """Whether any task has run (so the dry run is behind us)."""
        return bool(self.results)

    @cached_property
    def _index(self) -> dict[str, ResourceResult]:
        return {r.result_key: r for r in self.results}

    def result(self, task: SyncTask) -> ResourceResult | None:
        """The recorded result of ``task``, if any."""
        return self._index.get(task.result_key)

    def with_result(
        self, task: SyncTask, status: str | None, hook_phase: str, message: str
    ) -> SyncState:
        """Record (or update) a task's result; an empty message keeps the previous one."""
        previous = self.result(task)
        if previous is None:
            new = result_for(task, status or "", hook_phase, message)
            return replace(self, results=(*self.results, new))
        updated = replace(
            previous,
            status=previous.status if status is None else status,
            hook_phase=hook_phase,
            message=message or previous.message,
        )
        results = tuple(updated if r is previous else r for r in self.results)
        return replace(self, results=results)

    def with_phase(self, phase: OperationPhase, message: str) -> SyncState:
        """The state with a new operation phase and message."""
        return replace(self, phase=phase, message=message)

    @classmethod
    def from_json(cls, operation_state: Mapping[str, Any] | None) -> SyncState:
        """Resume from a persisted ``status.operationState``."""
        if not operation_state:
            return cls()
        sync_result = operation_state.get("syncResult") or {}
        raw = sync_result.get("resources") or []
        results: Sequence[Mapping[str, Any]] = [r for r in raw if isinstance(r, Mapping)]
        try:
            phase = OperationPhase(str(operation_state.get("phase") or "Running"))
        except ValueError:
            phase = OperationPhase.RUNNING
        return cls(
            phase=phase,
            message=str(operation_state.get("message") or ""),
            results=tuple(ResourceResult.from_json(r) for r in results),
            validated=bool(results),
        )

    def resources_json(self) -> list[dict[str, Any]]:
        """``syncResult.resources``."""
        return [r.to_json() for r in self.results]
