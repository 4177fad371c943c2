"""The sync room (L2, pure): plan and step a sync operation, Argo CD's way.

Owns sync tasks (live/target pairs) and their order (phase, wave, kind, name), hooks and
their Helm mapping, sync options, prune ordering, the re-entrant ``step`` that decides the
next actions from the recorded state, operation results in Argo CD's JSON shape, and the
retry backoff. Imports only ``kaiun.health``, ``kaiun.diff`` and ``kaiun.model``; does no
IO (no clock, sockets or asyncio): the engine executes the actions and supplies times.
"""

from kaiun.sync.hooks import (
    DeletePolicy,
    HookType,
    SyncPhase,
    delete_policies,
    hook_types,
    is_hook,
    sync_phases,
    wave,
)
from kaiun.sync.operation import SyncRequest, operation_state
from kaiun.sync.options import SyncOptions, parse_items
from kaiun.sync.order import KIND_ORDER, kind_rank
from kaiun.sync.retry import RetryPolicy, RetryPolicyError, parse_duration
from kaiun.sync.state import OperationPhase, ResourceResult, ResultCode, SyncState
from kaiun.sync.step import (
    Action,
    Outcome,
    Step,
    StepConfig,
    Verb,
    conclude,
    hook_outcome,
    record,
    step,
    terminate,
)
from kaiun.sync.tasks import (
    PlanInput,
    ResourceKey,
    Selection,
    SyncTask,
    hook_name,
    key_of,
    namespace_object,
    plan,
    sort_tasks,
)

__all__ = [
    "KIND_ORDER",
    "Action",
    "DeletePolicy",
    "HookType",
    "OperationPhase",
    "Outcome",
    "PlanInput",
    "ResourceKey",
    "ResourceResult",
    "ResultCode",
    "RetryPolicy",
    "RetryPolicyError",
    "Selection",
    "Step",
    "StepConfig",
    "SyncOptions",
    "SyncPhase",
    "SyncRequest",
    "SyncState",
    "SyncTask",
    "Verb",
    "conclude",
    "delete_policies",
    "hook_name",
    "hook_outcome",
    "hook_types",
    "is_hook",
    "key_of",
    "kind_rank",
    "namespace_object",
    "operation_state",
    "parse_duration",
    "parse_items",
    "plan",
    "record",
    "sort_tasks",
    "step",
    "sync_phases",
    "terminate",
    "wave",
]
