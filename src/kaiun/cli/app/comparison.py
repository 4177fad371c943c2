"""The comparison behind ``kaiun app diff|manifests`` in core mode: render an Application's
sources locally (``kaiun.repo``) and compare them with the live objects.

The comparison is the controller's own (``kaiun.engine.compare_app``) run in the CLI process:
the same settings, project checks, target preparation (namespace, tracking), normalization
and ignoreDifferences, against a cache of the destination cluster. Live objects the app
tracks that Git no longer has show as removals; Secrets are masked by ``kaiun.diff``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kaiun import diff as kdiff
from kaiun import repo
from kaiun.cli.app.core import AppError
from kaiun.cli.app.destination import open_destination
from kaiun.cli.app.local import local_source
from kaiun.controllers.application.controller import load_settings
from kaiun.engine import (
    CompareConfig,
    Comparison,
    SyncContext,
    compare_app,
    prepare_targets,
    render_app,
)
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.model.application import Application
from kaiun.settings import resource_customizations as rc


def _work_dir() -> Path:
    env = os.environ.get("KAIUN_REPO_WORK_DIR")
    if env:
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "kaiun" / "repo"


@dataclass(frozen=True)
class Key:
    """A resource's identity as Argo CD prints it."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: dict[str, Any]) -> Key:
        """The key of a Kubernetes object."""
        meta = obj.get("metadata") or {}
        return cls(
            str(obj.get("apiVersion", "")).rpartition("/")[0],
            str(obj.get("kind", "")),
            str(meta.get("namespace") or ""),
            str(meta.get("name", "")),
        )


async def _repo_service(client: KubeClient, control_ns: str) -> repo.RepoService:
    """A local repo service with the repository credentials of the control plane."""
    secrets: list[dict[str, Any]] = []
    for kind in ("repository", "repo-creds"):
        try:
            found = await client.list(
                "v1", "Secret", control_ns, label_selector=f"argocd.argoproj.io/secret-type={kind}"
            )
        except kerrors.Forbidden:
            continue
        secrets.extend(found.items)
    return repo.RepoService(_work_dir(), credentials=repo.CredentialStore.from_secrets(secrets))


async def render(
    client: KubeClient,
    app_obj: dict[str, Any],
    control_ns: str,
    *,
    override: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The app's manifests as the repo server renders them (first source overridden)."""
    app = _target_app(app_obj, override)
    settings, _ = await load_settings(client, control_ns)
    service = await _repo_service(client, control_ns)
    try:
        rendered = await render_app(app, service, CompareConfig(render_settings=settings.render))
    except repo.RepoError as exc:
        raise AppError(f"cannot render the application's manifests: {exc}") from exc
    return rendered.manifests


async def _live(client: KubeClient, key: Key, api_version: str) -> dict[str, Any] | None:
    try:
        return await client.get(api_version, key.kind, key.name, key.namespace or None)
    except kerrors.NotFound:
        return None


def _target_app(app: dict[str, Any], override: dict[str, str] | None) -> Application:
    """The Application to compare; ``override`` replaces fields of its first source (a
    revision, or a local snapshot's URL and path)."""
    if not override:
        return Application.from_dict(app)
    spec = dict(app.get("spec") or {})
    if spec.get("sources"):
        spec["sources"] = [{**spec["sources"][0], **override}, *spec["sources"][1:]]
    else:
        spec["source"] = {**(spec.get("source") or {}), **override}
    return Application.from_dict({**app, "spec": spec})


@contextmanager
def source_override(app: dict[str, Any], opts: dict[str, Any]) -> Iterator[dict[str, str] | None]:
    """What ``--revision`` or ``--local`` change in the app's first source (None: nothing)."""
    if opts.get("local"):
        if opts.get("revision"):
            raise AppError("--local and --revision are mutually exclusive")
        if (app.get("spec") or {}).get("sources"):
            raise AppError("--local is not supported for multi-source applications")
        with local_source(opts["local"], opts.get("local_repo_root") or ".") as fields:
            yield fields
        return
    yield {"targetRevision": opts["revision"]} if opts.get("revision") else None


async def compare(
    client: KubeClient,
    app_obj: dict[str, Any],
    control_ns: str,
    *,
    override: dict[str, str] | None = None,
    hard: bool = False,
) -> Comparison:
    """The controller's comparison of the app (``kaiun.engine.compare_app``), run here:
    settings and project from the control plane, a cache of the destination cluster."""
    app = _target_app(app_obj, override)
    async with open_destination(client, control_ns, app) as dest:
        cs = dest.settings.controller
        sync_ctx = SyncContext(
            client=dest.cluster.client,
            app_name=app.name,
            app_namespace=app.namespace,
            destination_namespace=app.destination.namespace,
            tracking_method=cs.tracking_method,
            instance_label_key=cs.instance_label_key,
            health_overrides=dict(dest.settings.overrides),
        )

        async def prepare(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return await prepare_targets(sync_ctx, manifests)

        rules = tuple(kdiff.IgnoreRule.from_spec(spec) for spec in app.ignore_differences)
        config = CompareConfig(
            normalizer=rc.normalizer(dest.settings.argocd_cm, rules),
            health_overrides=dest.settings.overrides or None,
            render_settings=dest.settings.render,
            policy=dest.verdict.project,
        )
        return await compare_app(
            app,
            repo=await _repo_service(client, control_ns),
            cache=dest.cluster.cache,
            prepare=prepare,
            config=config,
            hard_refresh=hard,
        )


def differences(comparison: Comparison) -> list[tuple[Key, str]]:
    """(key, unified diff) of every out-of-sync resource, in the comparison's order."""
    if not comparison.rendered:
        errors = [c.message for c in comparison.conditions if c.type == "ComparisonError"]
        raise AppError("; ".join(errors) or "the application could not be rendered")
    out = []
    for res in comparison.resources:
        if res.status != "OutOfSync" or res.hook:
            continue
        result = res.diff if res.diff is not None else kdiff.diff(res.target, res.live)
        out.append((Key(res.group, res.kind, res.namespace, res.name), result.unified_diff))
    return out


async def live_objects(client: KubeClient, app: dict[str, Any]) -> list[dict[str, Any]]:
    objs = []
    for res in (app.get("status") or {}).get("resources") or []:
        group, version = res.get("group", ""), res.get("version", "v1")
        key = Key(group, res.get("kind", ""), res.get("namespace", ""), res.get("name", ""))
        live = await _live(client, key, f"{group}/{version}" if group else version)
        if live is not None:
            objs.append(live)
    return objs
