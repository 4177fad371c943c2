"""Waves, kind order and hooks on the local cluster."""

from __future__ import annotations

import json

from kaiun.kube import ClusterConfig
from tests.integration.sync.conftest import cm, deployment, run, sync_app
from tests.support import Kubectl


def _get(kubectl: Kubectl, namespace: str, *what: str) -> dict:
    return json.loads(kubectl("get", *what, "-n", namespace, "-o", "json"))


def test_waves_apply_in_order(kube_config: ClusterConfig, namespace: str, kubectl: Kubectl) -> None:
    manifests = [cm("c-late", 2), deployment("web", 1), cm("a-first", -1), cm("b-zero")]
    result = run(sync_app(kube_config, manifests, namespace=namespace))
    assert result["phase"] == "Succeeded", result["message"]
    assert result["message"] == "successfully synced (all tasks run)"
    versions = {}
    for kind, name in [
        ("configmap", "a-first"),
        ("configmap", "b-zero"),
        ("deployment", "web"),
        ("configmap", "c-late"),
    ]:
        obj = _get(kubectl, namespace, kind, name)
        versions[name] = int(obj["metadata"]["resourceVersion"])
    assert versions["a-first"] < versions["b-zero"] < versions["web"] < versions["c-late"]
    names = [(r["kind"], r["name"], r["status"]) for r in result["syncResult"]["resources"]]
    assert names == [
        ("ConfigMap", "a-first", "Synced"),
        ("ConfigMap", "b-zero", "Synced"),
        ("Deployment", "web", "Synced"),
        ("ConfigMap", "c-late", "Synced"),
    ]
    assert result["syncResult"]["revision"] == "abc1234def"
    assert result["startedAt"] <= result["finishedAt"]
