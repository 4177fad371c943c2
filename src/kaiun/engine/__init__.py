"""The engine room (L4): glue between the IO rooms and the pure ones, no policy of its own.

Owns installing the control plane (CRDs, default project, settings objects), comparing an
Application (render + diff + health) and running sync steps through ``kaiun.kube``. May import
kube, repo, auth and every pure room; never controllers, server, ui or cli.
"""

from kaiun.engine.controlplane import (
    DEFAULT_NAMESPACE,
    crd_manifests,
    create_if_absent,
    default_project,
    install_control_plane,
    install_crds,
)

__all__ = [
    "DEFAULT_NAMESPACE",
    "crd_manifests",
    "create_if_absent",
    "default_project",
    "install_control_plane",
    "install_crds",
]
