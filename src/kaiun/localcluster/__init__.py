"""The embedded, Kubernetes-API-compatible local cluster (L3, IO).

Owns: the SQLite-backed object store, the REST API real ``kubectl`` talks to (discovery,
CRUD, watch, patch, server-side apply, dry-run), garbage collection, namespace lifecycle and
simulated workload controllers. Must not import ``kube/`` or any room above L3.
"""

from kaiun.localcluster.server import LocalCluster, Options

__all__ = ["LocalCluster", "Options"]
