"""The Kubernetes access layer (L3, IO): the only code that talks to a Kubernetes API.

Owns: connection settings (kubeconfig, in-cluster, Argo CD cluster Secrets), the HTTPS
transport and credentials, typed API errors, discovery, the client (every verb, SSA and
client-side apply, dry-run) and the per-cluster cache (``kaiun.kube.cache``). Must not import
``kaiun.localcluster`` (an independent L3 room) or any room above L3.

A thin client of our own over ``httpx`` rather than lightkube: objects stay plain dicts end to
end (orjson on the hot paths), and one ``httpx`` transport seam serves real clusters and the
local one alike.
"""

from kaiun.kube.client import KubeClient, ListResult
from kaiun.kube.config import (
    ClusterConfig,
    ExecConfig,
    from_cluster_secret,
    from_kubeconfig,
    in_cluster,
)
from kaiun.kube.discovery import Discovery, ResourceInfo

__all__ = [
    "ClusterConfig",
    "Discovery",
    "ExecConfig",
    "KubeClient",
    "ListResult",
    "ResourceInfo",
    "from_cluster_secret",
    "from_kubeconfig",
    "in_cluster",
]
