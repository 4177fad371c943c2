"""``kaiun up --demo``: a local git repository of example apps, and Applications for them.

The repository (``DATA_DIR/demo-repo``, a real git work tree on branch ``main``) is built
once from the package's ``repo/`` tree: plain YAML, Kustomize overlays, a Helm chart with a
values file per environment, Jsonnet, sync waves with a PreSync hook, and an App of Apps
root. Rerunning leaves an existing repository and existing Applications alone, so the
user's own commits and edits survive ``kaiun up`` restarts.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from kaiun.kube import KubeClient
from kaiun.kube import errors as kube_errors

__all__ = ["DEMO_APPS", "DemoApp", "demo_applications", "seed_demo", "write_repository"]

REPO_DIR = "demo-repo"
FIELD_MANAGER = "kaiun-demo"
IN_CLUSTER = "https://kubernetes.default.svc"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
# Tokens in the template tree replaced when the repository is written.
URL_TOKEN = "__REPO_URL__"
NAMESPACE_TOKEN = "__CONTROL_NAMESPACE__"
_GIT_IDENTITY = ("-c", "user.name=kaiun demo", "-c", "user.email=demo@kaiun.invalid")


@dataclass(frozen=True)
class DemoApp:
    """One registered demo Application: where it renders from and where it deploys."""

    name: str
    path: str
    namespace: str
    what: str
    source_extra: dict[str, Any] = field(default_factory=dict)


DEMO_APPS: tuple[DemoApp, ...] = (
    DemoApp("guestbook", "guestbook", "guestbook", "plain YAML"),
    DemoApp("kustomize-dev", "kustomize-guestbook/overlays/dev", "kustomize-dev", "Kustomize"),
    DemoApp("kustomize-prod", "kustomize-guestbook/overlays/prod", "kustomize-prod", "Kustomize"),
    DemoApp(
        "helm-dev",
        "helm-guestbook",
        "helm-dev",
        "Helm",
        {"helm": {"valueFiles": ["values-dev.yaml"]}},
    ),
    DemoApp(
        "helm-prod",
        "helm-guestbook",
        "helm-prod",
        "Helm",
        {"helm": {"valueFiles": ["values-prod.yaml"]}},
    ),
    DemoApp("jsonnet", "jsonnet-guestbook", "jsonnet", "Jsonnet"),
    DemoApp("sync-waves", "sync-waves", "sync-waves", "sync waves + PreSync hook"),
)
# The App of Apps root deploys the Application manifests of apps/ into the control plane.
ROOT_APP = "root-app"


def application(app: DemoApp, repo_url: str, control_namespace: str) -> dict[str, Any]:
    """The Application object for one demo app (automated prune + selfHeal)."""
    spec: dict[str, Any] = {
        "project": "default",
        "source": {
            "repoURL": repo_url,
            "targetRevision": "main",
            "path": app.path,
            **app.source_extra,
        },
        "destination": {"server": IN_CLUSTER, "namespace": app.namespace},
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            "syncOptions": ["CreateNamespace=true"],
        },
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": app.name,
            "namespace": control_namespace,
            "labels": {"app.kubernetes.io/part-of": "kaiun-demo"},
            "finalizers": [FINALIZER],
        },
        "spec": spec,
    }


def demo_applications(
    repo_url: str, control_namespace: str
) -> list[tuple[DemoApp, dict[str, Any]]]:
    """Every Application seed_demo registers, root last, with what each demonstrates."""
    apps = list(DEMO_APPS)
    apps.append(DemoApp(ROOT_APP, "apps", control_namespace, "App of Apps root"))
    return [(a, application(a, repo_url, control_namespace)) for a in apps]


def _template_files(root: Traversable, prefix: str = "") -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        rel = f"{prefix}{entry.name}"
        if entry.is_dir():
            out.extend(_template_files(entry, rel + "/"))
        elif entry.is_file():
            out.append((rel, entry.read_text(encoding="utf-8")))
    return out


def template_files(repo_url: str, control_namespace: str) -> dict[str, str]:
    """The demo repository's files (path -> text) with the tokens filled in."""
    root = resources.files("kaiun.cli.demo").joinpath("repo")
    return {
        rel: text.replace(URL_TOKEN, repo_url).replace(NAMESPACE_TOKEN, control_namespace)
        for rel, text in _template_files(root)
    }


async def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1"}
    proc = await asyncio.create_subprocess_exec(
        "git",
        *_GIT_IDENTITY,
        *args,
        cwd=repo,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {repo}: {err.decode().strip()}")
    return out.decode().strip()


def _write_tree(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


async def write_repository(repo: Path, control_namespace: str) -> str:
    """Create the demo repository at ``repo`` unless it exists; one line saying which."""
    url = repo.as_uri()
    if (repo / ".git").exists():
        head = await _git(repo, "rev-parse", "--short", "HEAD")
        return f"demo repository {repo} (at {head}) already exists; left as it is"
    await asyncio.to_thread(_write_tree, repo, template_files(url, control_namespace))
    await _git(repo, "init", "-q", "-b", "main")
    await _git(repo, "add", "-A")
    await _git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "kaiun demo apps")
    head = await _git(repo, "rev-parse", "--short", "HEAD")
    return f"demo repository created at {repo} ({url}, commit {head})"


async def seed_demo(client: KubeClient, data_dir: Path, namespace: str = "argocd") -> list[str]:
    """Create the demo repository under ``data_dir`` and register its Applications.

    Expects the control plane installed (``kaiun.engine.install_control_plane``).
    Idempotent: what exists is left unchanged. Returns one human-readable line per step.
    """
    repo = (data_dir / REPO_DIR).resolve()
    lines = [await write_repository(repo, namespace)]
    for app, obj in demo_applications(repo.as_uri(), namespace):
        where = f"{app.what}: {app.path}/ -> namespace {app.namespace}"
        try:
            await client.create(obj, field_manager=FIELD_MANAGER)
            lines.append(f"application/{app.name} created ({where})")
        except kube_errors.AlreadyExists:
            lines.append(f"application/{app.name} unchanged")
    return lines
