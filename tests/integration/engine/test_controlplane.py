"""The control plane installs into the local cluster and real kubectl can use its CRDs."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from kaiun.engine import install_control_plane
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster
from tests.support import Kubectl


async def _install(lc: LocalCluster, namespace: str) -> None:
    async with await KubeClient.connect(from_kubeconfig(lc.kubeconfig)) as client:
        await install_control_plane(client, namespace)


@pytest.fixture
def control_ns(local_cluster: LocalCluster) -> str:
    ns = f"cp-{uuid.uuid4().hex[:8]}"
    asyncio.run(_install(local_cluster, ns))
    return ns


def test_default_project_and_settings_exist(control_ns: str, kubectl: Kubectl) -> None:
    proj = json.loads(kubectl("get", "appproject", "default", "-n", control_ns, "-o", "json"))
    assert proj["spec"]["sourceRepos"] == ["*"]
    assert proj["spec"]["destinations"] == [{"server": "*", "namespace": "*"}]
    names = kubectl("get", "configmaps", "-n", control_ns, "-o", "name").split()
    assert {"configmap/argocd-cm", "configmap/argocd-rbac-cm"} <= set(names)
    kubectl("get", "secret", "argocd-secret", "-n", control_ns)


def test_reinstall_keeps_user_settings(
    local_cluster: LocalCluster, control_ns: str, kubectl: Kubectl
) -> None:
    kubectl(
        "patch", "configmap", "argocd-cm", "-n", control_ns, "--type", "merge",
        "-p", '{"data": {"timeout.reconciliation": "60s"}}',
    )  # fmt: skip
    asyncio.run(_install(local_cluster, control_ns))
    cm = json.loads(kubectl("get", "configmap", "argocd-cm", "-n", control_ns, "-o", "json"))
    assert cm["data"] == {"timeout.reconciliation": "60s"}


def test_application_crd_accepts_argo_cd_yaml(control_ns: str, kubectl: Kubectl) -> None:
    app = f"""
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: guestbook
  namespace: {control_ns}
spec:
  project: default
  source:
    repoURL: https://github.com/argoproj/argocd-example-apps.git
    targetRevision: HEAD
    path: guestbook
    helm:
      valueFiles: [values-prod.yaml]
  destination:
    server: https://kubernetes.default.svc
    namespace: guestbook
  syncPolicy:
    automated: {{prune: true, selfHeal: true}}
    syncOptions: [CreateNamespace=true]
    retry: {{limit: 5, backoff: {{duration: 5s, factor: 2, maxDuration: 3m}}}}
"""
    kubectl("apply", "-f", "-", input=app)
    got = json.loads(kubectl("get", "app", "guestbook", "-n", control_ns, "-o", "json"))
    # Unknown-to-the-schema but legal fields (helm options) survive structural pruning.
    assert got["spec"]["source"]["helm"] == {"valueFiles": ["values-prod.yaml"]}
    assert got["spec"]["syncPolicy"]["retry"]["backoff"]["factor"] == 2
    table = kubectl("get", "applications", "-n", control_ns)
    assert "SYNC STATUS" in table and "HEALTH STATUS" in table


def test_application_without_project_is_refused(control_ns: str, kubectl: Kubectl) -> None:
    bad = f"""
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: broken, namespace: {control_ns}}}
spec:
  destination: {{server: https://kubernetes.default.svc, namespace: x}}
"""
    result = kubectl.run("apply", "-f", "-", input=bad, check=False)
    assert result.returncode != 0
    assert "spec.project" in result.stderr
