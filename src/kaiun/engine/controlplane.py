"""Install what a kaiun control plane needs in a cluster: Argo CD's CRDs, its namespace,
the ``default`` AppProject and empty settings objects.

Idempotent: objects that exist are left as the user has them (a user's ``argocd-cm`` or
``default`` project is never overwritten); CRDs are server-side applied so a newer kaiun
updates their schemas.
"""

from __future__ import annotations

import asyncio
import importlib.resources
from collections.abc import Sequence
from typing import Any

import yaml

from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors

DEFAULT_NAMESPACE = "argocd"
FIELD_MANAGER = "kaiun"
CRD_FILES = ("application.yaml", "appproject.yaml", "applicationset.yaml", "imageupdater.yaml")
PART_OF = {"app.kubernetes.io/part-of": "argocd"}


def crd_manifests() -> list[dict[str, Any]]:
    """The CRDs kaiun installs (Application, AppProject, ApplicationSet, ImageUpdater), as
    dicts."""
    root = importlib.resources.files("kaiun.engine") / "crds"
    return [yaml.safe_load((root / name).read_text(encoding="utf-8")) for name in CRD_FILES]


def default_project(namespace: str = DEFAULT_NAMESPACE) -> dict[str, Any]:
    """Argo CD's ``default`` AppProject: any source, any destination, any kind."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "default", "namespace": namespace},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        },
    }


def settings_objects(namespace: str = DEFAULT_NAMESPACE) -> list[dict[str, Any]]:
    """Empty ``argocd-cm``, ``argocd-rbac-cm``, ``argocd-cmd-params-cm`` and ``argocd-secret``."""
    objs: list[dict[str, Any]] = []
    for name in ("argocd-cm", "argocd-rbac-cm", "argocd-cmd-params-cm"):
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": namespace, "labels": dict(PART_OF)},
            }
        )
    objs.append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "argocd-secret", "namespace": namespace, "labels": dict(PART_OF)},
            "type": "Opaque",
        }
    )
    return objs


async def install_crds(client: KubeClient) -> None:
    """Server-side apply kaiun's CRDs and wait until the API serves them (bound it with
    ``asyncio.timeout``)."""
    crds = crd_manifests()
    for crd in crds:
        await client.apply(crd, field_manager=FIELD_MANAGER, force=True)
    await _wait_established(client, [c["metadata"]["name"] for c in crds])
    client.discovery.invalidate()


async def install_control_plane(client: KubeClient, namespace: str = DEFAULT_NAMESPACE) -> None:
    """CRDs, the control-plane namespace, the default project and settings objects."""
    await install_crds(client)
    await create_if_absent(
        client,
        [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
            default_project(namespace),
            *settings_objects(namespace),
        ],
    )


async def create_if_absent(client: KubeClient, objs: Sequence[dict[str, Any]]) -> None:
    """Create each object unless one of that name exists (never overwrite a user's)."""
    for obj in objs:
        try:
            await client.create(obj, field_manager=FIELD_MANAGER)
        except kerrors.AlreadyExists:
            continue


async def _wait_established(client: KubeClient, names: Sequence[str]) -> None:
    pending = set(names)
    while pending:
        for name in sorted(pending):
            crd = await client.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
            conditions = (crd.get("status") or {}).get("conditions") or []
            if any(
                c.get("type") == "Established" and c.get("status") == "True" for c in conditions
            ):
                pending.discard(name)
        if pending:
            await asyncio.sleep(0.05)
