"""Controller runtime: work queue, reconciler outcomes, worker pools and informers.

Owns the machinery every controller shares; knows nothing of Applications. Imports only
``kaiun.kube`` (informers) and the standard library.
"""

from kaiun.controllers.runtime.informer import Informer
from kaiun.controllers.runtime.queue import WorkQueue
from kaiun.controllers.runtime.reconciler import (
    Done,
    Outcome,
    Reconciler,
    Requeue,
    Terminal,
    Transient,
    run_workers,
)

__all__ = [
    "Done",
    "Informer",
    "Outcome",
    "Reconciler",
    "Requeue",
    "Terminal",
    "Transient",
    "WorkQueue",
    "run_workers",
]
