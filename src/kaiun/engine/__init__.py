"""The engine room (L4): glue between the IO rooms and the pure ones, no policy of its own.

Owns installing the control plane (CRDs, default project, settings objects), comparing an
Application (render + diff + health) and running sync operations through ``kaiun.kube``
(``run_operation``: read live state, plan, step, execute, persist the operation state;
``prepare_targets`` completes desired objects for it). May import kube, repo, auth and every
pure room; must not import controllers, server, ui or cli.
"""

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
    "SyncContext",
    "crd_manifests",
    "create_if_absent",
    "default_project",
    "install_control_plane",
    "install_crds",
    "prepare_targets",
    "run_operation",
]
