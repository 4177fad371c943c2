"""Realistic Deployment pairs (Git config, live object as an API server returns it)."""

from __future__ import annotations

import copy
from typing import Any

import orjson


def config_for(i: int) -> dict[str, Any]:
    """A Deployment as written in Git: two containers, env, probes, resources, volumes."""
    name = f"svc-{i}"
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "shop"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": dict(labels)},
        "spec": {
            "replicas": 2 + i % 3,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {
                    "labels": dict(labels),
                    "annotations": {"prometheus.io/scrape": "true"},
                },
                "spec": {
                    "serviceAccountName": name,
                    "containers": [
                        {
                            "name": "app",
                            "image": f"registry.example.com/shop/{name}:1.{i % 50}.0",
                            "ports": [{"name": "http", "containerPort": 8080}],
                            "env": [
                                {"name": "LOG_LEVEL", "value": "info"},
                                {"name": "DB_HOST", "value": "postgres.shop.svc"},
                                {
                                    "name": "POD_NAME",
                                    "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
                                },
                            ],
                            "resources": {
                                "requests": {"cpu": "250m", "memory": "256Mi"},
                                "limits": {"cpu": "1", "memory": "512Mi"},
                            },
                            "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
                            "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}],
                        },
                        {
                            "name": "log-shipper",
                            "image": "fluent/fluent-bit:3.1",
                            "resources": {"limits": {"cpu": "100m", "memory": "64Mi"}},
                        },
                    ],
                    "volumes": [{"name": "config", "configMap": {"name": f"{name}-config"}}],
                },
            },
        },
    }


def _default_container(c: dict[str, Any]) -> None:
    c.update(
        imagePullPolicy="IfNotPresent",
        terminationMessagePath="/dev/termination-log",
        terminationMessagePolicy="File",
    )
    for port in c.get("ports", []):
        port["protocol"] = "TCP"
    probe = c.get("readinessProbe")
    if probe:
        probe["httpGet"]["scheme"] = "HTTP"
        probe.update(timeoutSeconds=1, periodSeconds=10, successThreshold=1, failureThreshold=3)
    for env in c.get("env", []):
        if "valueFrom" in env:
            env["valueFrom"]["fieldRef"]["apiVersion"] = "v1"


def live_for(config: dict[str, Any], i: int) -> dict[str, Any]:
    """The same Deployment as the API server returns it: defaults, metadata, status."""
    live = copy.deepcopy(config)
    meta = live["metadata"]
    meta.update(
        uid=f"6c4e9d0a-2f1b-4a8e-9f7d-{i:012d}",
        resourceVersion=str(100000 + i),
        generation=3,
        creationTimestamp="2026-11-20T08:00:00Z",
        annotations={
            "deployment.kubernetes.io/revision": "3",
            "kubectl.kubernetes.io/last-applied-configuration": orjson.dumps(
                config, option=orjson.OPT_SORT_KEYS
            ).decode()
            + "\n",
        },
        managedFields=[
            {
                "manager": "argocd-controller",
                "operation": "Apply",
                "apiVersion": "apps/v1",
                "time": "2026-11-20T08:00:00Z",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {}}}},
            }
        ],
    )
    spec = live["spec"]
    spec.update(
        revisionHistoryLimit=10,
        progressDeadlineSeconds=600,
        strategy={
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
        },
    )
    pod = spec["template"]["spec"]
    spec["template"]["metadata"]["creationTimestamp"] = None
    pod.update(
        restartPolicy="Always",
        terminationGracePeriodSeconds=30,
        dnsPolicy="ClusterFirst",
        securityContext={},
        schedulerName="default-scheduler",
        serviceAccount=pod["serviceAccountName"],
    )
    for c in pod["containers"]:
        _default_container(c)
    pod["volumes"][0]["configMap"]["defaultMode"] = 420
    replicas = spec["replicas"]
    live["status"] = {
        "observedGeneration": 3,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "conditions": [
            {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"},
        ],
    }
    return live


def pairs(n: int, *, drift: bool) -> list[tuple[bytes, bytes]]:
    """``n`` (config, live) pairs as JSON; with ``drift`` each live has one changed field."""
    out = []
    for i in range(n):
        config = config_for(i)
        live = live_for(config, i)
        if drift:
            live["spec"]["template"]["spec"]["containers"][0]["image"] += "-hotfix"
        out.append((orjson.dumps(config), orjson.dumps(live)))
    return out
