"""Simulated workload controllers, like kwok: objects progress as a real cluster's would.

Owns the controllers the local cluster runs in-process so that kubectl output,
``kubectl rollout status`` and health checks behave realistically: a scheduler and kubelet
for one simulated node, the Deployment, ReplicaSet, StatefulSet, DaemonSet, Job and CronJob
controllers, PVC binding, Service endpoints and load-balancer / Ingress addresses, with the
Events the real components record. Failure switches (``local.kaiun.io/simulate`` on a pod
template, or image tags such as ``:fail-pull``) are documented in
``docs/local-cluster-workloads.md``. Must not import anything above ``kaiun.localcluster``.
"""

from __future__ import annotations

from kaiun.localcluster.cluster import Cluster
from kaiun.localcluster.controllers import Controller
from kaiun.localcluster.workloads.api import MODES, NODE_NAME, RUN_SECONDS, SIMULATE, Api
from kaiun.localcluster.workloads.cronjob import EVERY_SECONDS, CronJobController
from kaiun.localcluster.workloads.daemonset import DaemonSetController
from kaiun.localcluster.workloads.deployment import DeploymentController
from kaiun.localcluster.workloads.job import JobController
from kaiun.localcluster.workloads.kubelet import Kubelet
from kaiun.localcluster.workloads.network import (
    EndpointsController,
    IngressController,
    LoadBalancerController,
)
from kaiun.localcluster.workloads.replicaset import ReplicaSetController
from kaiun.localcluster.workloads.statefulset import StatefulSetController
from kaiun.localcluster.workloads.storage import VolumeBinder

__all__ = ["EVERY_SECONDS", "MODES", "NODE_NAME", "RUN_SECONDS", "SIMULATE", "controllers"]


def controllers(cluster: Cluster, *, pod_ready_delay: float) -> list[Controller]:
    """Every simulated controller, ready for ``controllers.run``."""
    api = Api(cluster)
    return [
        Kubelet(api, ready_delay=pod_ready_delay),
        ReplicaSetController(api),
        DeploymentController(api),
        StatefulSetController(api),
        DaemonSetController(api),
        JobController(api),
        CronJobController(api),
        VolumeBinder(api),
        EndpointsController(api),
        LoadBalancerController(api),
        IngressController(api),
    ]
