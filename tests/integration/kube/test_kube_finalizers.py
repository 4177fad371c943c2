"""Client-side apply merges ``metadata.finalizers`` exactly as real ``kubectl apply`` does.

Each step applies the same configuration to two twin ConfigMaps, one with kubectl and one with
kaiun, after the same foreign writes; kaiun's three-way patch must equal the body kubectl sent
(read from ``kubectl -v=8``) and both objects must end up alike.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kaiun.kube import ClusterConfig, KubeClient
from kaiun.kube.client import LAST_APPLIED_ANNOTATION, with_last_applied
from kaiun.kube.threeway import three_way_patch
from tests.integration.kube.conftest import run
from tests.support import Kubectl

_BODY = re.compile(r'"Request Body" body=("(?:[^"\\]|\\.)*")')
_FOREIGN = '{"metadata":{"finalizers":%s}}'

# (finalizers in the configuration — None: key absent —, finalizers another writer sets first)
STEPS: list[tuple[list[str] | None, list[str] | None]] = [
    (["a.example/x", "b.example/y"], None),
    (["a.example/x", "b.example/y"], ["a.example/x", "b.example/y", "c.example/z"]),
    (["b.example/y", "d.example/w"], None),
    (["d.example/w", "b.example/y", "e.example/v"], ["c.example/z", "b.example/y", "d.example/w"]),
    ([], None),
    (["f.example/u"], None),
    (None, ["f.example/u", "g.example/t"]),
    (["h.example/s"], None),
]


def _cm(ns: str, name: str, finalizers: list[str] | None, step: int) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if finalizers is not None:
        meta["finalizers"] = finalizers
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"step": str(step)}}


def _live(kubectl: Kubectl, ns: str, name: str) -> dict[str, Any] | None:
    proc = kubectl.run("get", "configmap", name, "-n", ns, "-o", "json", check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def _kubectl_apply(kubectl: Kubectl, obj: dict[str, Any]) -> dict[str, Any] | None:
    """Apply with kubectl; the PATCH body it sent (None when it sent none)."""
    proc = kubectl.run("apply", "-v=8", "-f", "-", input=json.dumps(obj))
    lines = proc.stderr.splitlines()
    for n, line in enumerate(lines):
        if " PATCH https://" in line:
            found = _BODY.search(lines[n - 1])
            assert found, lines[n - 1]
            return json.loads(json.loads(found.group(1)))
    return None


def _comparable(obj: dict[str, Any] | None) -> Any:
    if obj is None:
        return None
    meta = obj["metadata"]
    return {"finalizers": meta.get("finalizers"), "data": obj["data"]}


def test_finalizers_merge_like_kubectl(
    kube_config: ClusterConfig, kubectl: Kubectl, namespace: str
) -> None:
    twin = "k"

    async def kaiun_apply(obj: dict[str, Any]) -> dict[str, Any]:
        async with await KubeClient.connect(kube_config) as client:
            return await client.apply_client_side(obj)

    for step, (finalizers, foreign) in enumerate(STEPS):
        for name in (twin, "p"):
            if foreign is not None:
                patch = _FOREIGN % json.dumps(foreign)
                kubectl("patch", "configmap", name, "-n", namespace, "--type=merge", "-p", patch)
        before = _live(kubectl, namespace, twin)
        config = _cm(namespace, twin, finalizers, step)
        sent = _kubectl_apply(kubectl, config)
        if before is not None:
            last = json.loads(before["metadata"]["annotations"][LAST_APPLIED_ANNOTATION])
            ours = three_way_patch(last, with_last_applied(config), before, strategic=True)
            assert ours == (sent or {}), f"step {step}"
        run(kaiun_apply(_cm(namespace, "p", finalizers, step)))
        by_kubectl = _comparable(_live(kubectl, namespace, twin))
        assert _comparable(_live(kubectl, namespace, "p")) == by_kubectl, f"step {step}"
    # Clear the finalizers so the namespace can go.
    for name in (twin, "p"):
        kubectl(
            "patch", "configmap", name, "-n", namespace, "--type=merge", "-p", _FOREIGN % "null"
        )
