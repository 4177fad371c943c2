"""The engine room (L4): glue between the pure rooms and the cluster, no policy of its own.

Owns running a sync operation through ``kaiun.kube`` (``run_operation``: read live state,
plan, step, execute, persist the operation state) and preparing desired objects for it
(``prepare_targets``). May import ``kaiun.kube``, ``kaiun.repo`` and every pure room; must
not import ``kaiun.controllers``, ``kaiun.server``, ``kaiun.ui`` or ``kaiun.cli``.
"""

from kaiun.engine.sync import SyncContext, prepare_targets, run_operation

__all__ = ["SyncContext", "prepare_targets", "run_operation"]
