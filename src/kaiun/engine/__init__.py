"""The engine room (L4): glue between the IO rooms and the pure ones, no policy of its own.

Owns installing the control plane (CRDs, default project, settings objects), comparing an
Application (``compare_app``: render + diff + health), running a sync operation through
``kaiun.kube`` (``run_operation``: read live state, plan, step, execute, persist the operation
state) and preparing desired objects for it (``prepare_targets``). May import kube, repo,
auth and every pure room; must not import controllers, server, ui or cli.
"""

from kaiun.engine.compare import (
    CompareConfig,
    Rendered,
    compare_app,
    live_objects,
    render_app,
)
from kaiun.engine.comparison import Comparison, Condition, ResourceState
from kaiun.engine.controlplane import (
    DEFAULT_NAMESPACE,
    crd_manifests,
    create_if_absent,
    default_project,
    install_control_plane,
    install_crds,
)
from kaiun.engine.sync import SyncContext, prepare_targets, run_operation

__all__ = [
    "DEFAULT_NAMESPACE",
    "CompareConfig",
    "Comparison",
    "Condition",
    "Rendered",
    "ResourceState",
    "SyncContext",
    "compare_app",
    "crd_manifests",
    "create_if_absent",
    "default_project",
    "install_control_plane",
    "install_crds",
    "live_objects",
    "prepare_targets",
    "render_app",
    "run_operation",
]
