"""The ``argocd-manager`` ServiceAccount ``cluster add`` installs on a cluster, as Argo CD
does: the account, a ClusterRole (or a Role per namespace) allowing everything, the binding,
and a long-lived token Secret whose token the cluster's token controller fills in."""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors

RBAC = "rbac.authorization.k8s.io/v1"
ROLE = "argocd-manager-role"
BINDING = "argocd-manager-role-binding"
FIELD_MANAGER = "kaiun-cluster-add"
_ALL = [
    {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
]


@dataclass(frozen=True)
class ManagerAccount:
    """Which account to use and how far its rights reach."""

    namespace: str
    name: str
    create: bool
    namespaces: tuple[str, ...] = ()
    cluster_resources: bool = False

    @property
    def token_secret(self) -> str:
        """The Secret the cluster writes the account's token into."""
        return f"{self.name}-long-lived-token"


def _rbac_objects(account: ManagerAccount) -> list[dict[str, Any]]:
    subject = [{"kind": "ServiceAccount", "name": account.name, "namespace": account.namespace}]
    objs: list[dict[str, Any]] = []
    if not account.namespaces or account.cluster_resources:
        rules = [*_ALL, {"nonResourceURLs": ["*"], "verbs": ["*"]}]
        if account.namespaces:  # cluster-scoped kinds only read/write what the cluster holds
            rules = _ALL
        objs.append({"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": ROLE},
                     "rules": rules})  # fmt: skip
        objs.append({
            "apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": BINDING},
            "roleRef": {"apiGroup": RBAC.split("/")[0], "kind": "ClusterRole", "name": ROLE},
            "subjects": subject,
        })  # fmt: skip
    for ns in account.namespaces:
        objs.append({"apiVersion": RBAC, "kind": "Role",
                     "metadata": {"name": ROLE, "namespace": ns}, "rules": _ALL})  # fmt: skip
        objs.append({
            "apiVersion": RBAC, "kind": "RoleBinding",
            "metadata": {"name": BINDING, "namespace": ns},
            "roleRef": {"apiGroup": RBAC.split("/")[0], "kind": "Role", "name": ROLE},
            "subjects": subject,
        })  # fmt: skip
    return objs


async def install_manager(
    kube: KubeClient,
    account: ManagerAccount,
    *,
    wait_seconds: float,
    report: Callable[[str], None],
) -> str:
    """Install the account (when asked) and return its bearer token."""
    if account.create:
        await kube.apply(
            {"apiVersion": "v1", "kind": "ServiceAccount",
             "metadata": {"name": account.name, "namespace": account.namespace}},
            field_manager=FIELD_MANAGER, force=True,
        )  # fmt: skip
        report(f'ServiceAccount "{account.name}" created in namespace "{account.namespace}"')
        for obj in _rbac_objects(account):
            await kube.apply(obj, field_manager=FIELD_MANAGER, force=True)
            where = obj["metadata"].get("namespace")
            suffix = f' in namespace "{where}"' if where else ""
            report(f'{obj["kind"]} "{obj["metadata"]["name"]}" created{suffix}')
    else:
        await kube.get("v1", "ServiceAccount", account.name, account.namespace)
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "metadata": {
            "name": account.token_secret,
            "namespace": account.namespace,
            "annotations": {"kubernetes.io/service-account.name": account.name},
        },
    }
    with contextlib.suppress(kerrors.AlreadyExists):
        await kube.create(secret, field_manager=FIELD_MANAGER)
    token = await _wait_token(kube, account, wait_seconds)
    report(f'Created bearer token secret for ServiceAccount "{account.name}"')
    return token


async def _wait_token(kube: KubeClient, account: ManagerAccount, wait_seconds: float) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while True:
        obj = await kube.get("v1", "Secret", account.token_secret, account.namespace)
        raw = (obj.get("data") or {}).get("token")
        if raw:
            return base64.b64decode(raw).decode()
        if loop.time() >= deadline:
            raise kerrors.KubeError(
                f"the cluster issued no token into Secret {account.namespace}/"
                f"{account.token_secret} within {wait_seconds:g}s (is its token controller "
                "running?); pass --bearer-token to register a token you have"
            )
        await asyncio.sleep(0.5)
