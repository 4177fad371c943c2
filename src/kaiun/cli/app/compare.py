"""``kaiun app diff|manifests``: render an Application's sources locally (``kaiun.repo``) and
compare them with the live objects (``kaiun.diff``), as ``argocd app diff`` prints it.

A small comparison of the CLI's own: desired objects get the destination namespace and the
tracking metadata the controller would write, then each is diffed against its live object
(app-level ``ignoreDifferences`` respected); live objects the app tracks that Git no longer
has show as removals. Secrets are masked by ``kaiun.diff``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import yaml

from kaiun import diff as kdiff
from kaiun import repo
from kaiun.cli.app.core import AppError, Core, DiffFailed, get_app
from kaiun.cli.app.edit import app_namespace_option
from kaiun.cli.app.views import sources_of
from kaiun.cli.app.watch import refresh
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors
from kaiun.model import tracking
from kaiun.repo.multisource import generate_sources


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
    app: dict[str, Any],
    control_ns: str,
    *,
    revision: str | None = None,
    hard: bool = False,
) -> list[dict[str, Any]]:
    """The app's desired objects, rendered from Git (``revision`` overrides the first
    source's target revision)."""
    sources = [dict(s) for s in sources_of(app)]
    if not sources:
        raise AppError("the application has no source to render")
    if revision:
        sources[0]["targetRevision"] = revision
    spec = app.get("spec") or {}
    template = repo.ManifestRequest(
        source=repo.ApplicationSource.from_dict(sources[0]),
        app_name=app["metadata"]["name"],
        namespace=str((spec.get("destination") or {}).get("namespace") or ""),
        project=str(spec.get("project") or ""),
        no_cache=hard,
    )
    service = await _repo_service(client, control_ns)
    try:
        combined = await generate_sources(service, sources, template)
    except repo.RepoError as exc:
        raise AppError(f"cannot render the application's manifests: {exc}") from exc
    return [dict(m) for m in combined.manifests]


async def _settings(client: KubeClient, control_ns: str) -> dict[str, str]:
    try:
        cm = await client.get("v1", "ConfigMap", "argocd-cm", control_ns)
    except kerrors.NotFound:
        return {}
    return {str(k): str(v) for k, v in (cm.get("data") or {}).items()}


def _instance_name(app: dict[str, Any], control_ns: str) -> str:
    meta = app["metadata"]
    if meta.get("namespace") in (None, "", control_ns):
        return str(meta["name"])
    return f"{meta['namespace']}_{meta['name']}"


async def prepare(
    client: KubeClient, app: dict[str, Any], objs: list[dict[str, Any]], control_ns: str
) -> list[dict[str, Any]]:
    """Desired objects as the controller applies them: destination namespace defaulted on
    namespaced kinds, tracking annotation and/or label set."""
    settings = await _settings(client, control_ns)
    method = tracking.TrackingMethod.parse(settings.get("application.resourceTrackingMethod"))
    label_key = settings.get("application.instanceLabelKey") or tracking.DEFAULT_INSTANCE_LABEL
    dest_ns = ((app.get("spec") or {}).get("destination") or {}).get("namespace") or ""
    instance = _instance_name(app, control_ns)
    out = []
    for obj in objs:
        obj = {**obj, "metadata": dict(obj.get("metadata") or {})}
        meta = obj["metadata"]
        try:
            namespaced = (
                await client.info(str(obj.get("apiVersion")), str(obj.get("kind")))
            ).namespaced
        except kerrors.NotFound:
            namespaced = True
        if namespaced and not meta.get("namespace") and dest_ns:
            meta["namespace"] = dest_ns
        if not namespaced:
            meta.pop("namespace", None)
        if method is not tracking.TrackingMethod.LABEL:
            tid = tracking.tracking_id_for(instance, obj).format()
            meta["annotations"] = {
                **(meta.get("annotations") or {}),
                tracking.TRACKING_ID_ANNOTATION: tid,
            }
        if method is not tracking.TrackingMethod.ANNOTATION:
            meta["labels"] = {**(meta.get("labels") or {}), label_key: instance}
        out.append(obj)
    return out


async def _live(client: KubeClient, key: Key, api_version: str) -> dict[str, Any] | None:
    try:
        return await client.get(api_version, key.kind, key.name, key.namespace or None)
    except kerrors.NotFound:
        return None


def _normalizer(app: dict[str, Any]) -> kdiff.Normalizer:
    specs = (app.get("spec") or {}).get("ignoreDifferences") or []
    try:
        rules = tuple(kdiff.IgnoreRule.from_spec(s) for s in specs)
    except kdiff.DiffError as exc:
        raise AppError(f"invalid ignoreDifferences in the application: {exc}") from exc
    return kdiff.Normalizer(rules=rules)


async def compute_diffs(
    client: KubeClient, app: dict[str, Any], desired: list[dict[str, Any]]
) -> list[tuple[Key, str]]:
    """(key, unified diff) of every resource that differs, in a stable order."""
    normalizer = _normalizer(app)
    results: list[tuple[Key, str]] = []
    seen: set[Key] = set()
    for obj in desired:
        key = Key.of(obj)
        seen.add(key)
        live = await _live(client, key, str(obj.get("apiVersion", "")))
        result = kdiff.diff(obj, live, normalizer=normalizer)
        if result.modified:
            results.append((key, result.unified_diff))
    for res in (app.get("status") or {}).get("resources") or []:
        key = Key(res.get("group", ""), res.get("kind", ""), res.get("namespace", ""), res["name"])
        if key in seen:
            continue
        api_version = (
            f"{key.group}/{res.get('version', '')}" if key.group else res.get("version", "v1")
        )
        live = await _live(client, key, api_version)
        if live is not None:
            results.append((key, kdiff.diff(None, live, normalizer=normalizer).unified_diff))
    return sorted(results, key=lambda r: (r[0].group, r[0].kind, r[0].namespace, r[0].name))


@click.command("diff")
@click.argument("name", metavar="APPNAME")
@app_namespace_option
@click.option("--revision", help="Compare live with this revision instead of the target.")
@click.option("--refresh", "refresh_", is_flag=True, help="Refresh application data first.")
@click.option("--hard-refresh", is_flag=True, help="Render without the manifests cache.")
@click.option(
    "--exit-code/--no-exit-code", default=True, help="Exit non-zero when there is a diff."
)
@click.option("--diff-exit-code", type=int, default=1, show_default=True)
@click.pass_obj
def diff(core: Core, /, name: str, app_namespace: str | None, **opts: Any) -> None:
    """Perform a diff against the target and live state.

    Exit codes: 0 when no diff is found, 1 (--diff-exit-code) when one is, 2 on errors.
    """
    ns, short = core.ref(name, app_namespace)

    async def run(client: KubeClient) -> list[tuple[Key, str]]:
        app = await get_app(client, ns, short)
        if opts["refresh_"]:
            app = await refresh(client, ns, short, hard=False)
        objs = await render(
            client, app, core.namespace, revision=opts["revision"], hard=opts["hard_refresh"]
        )
        return await compute_diffs(client, app, await prepare(client, app, objs, core.namespace))

    try:
        found = core.run(run)
    except AppError as exc:
        raise DiffFailed(exc.message) from exc
    for key, text in found:
        click.echo(f"\n===== {key.group}/{key.kind} {key.namespace}/{key.name} ======")
        click.echo(text, nl=False)
    if found and opts["exit_code"]:
        sys.exit(opts["diff_exit_code"])


@click.command("manifests")
@click.argument("name", metavar="APPNAME")
@app_namespace_option
@click.option(
    "--source",
    type=click.Choice(["git", "live"]),
    default="git",
    show_default=True,
    help="Print the manifests from git, or the live objects.",
)
@click.option("--revision", help="Render this revision (with --source git).")
@click.pass_obj
def manifests(
    core: Core, /, name: str, app_namespace: str | None, source: str, revision: str | None
) -> None:
    """Print the manifests of an application."""
    if revision and source == "live":
        raise AppError("--revision applies to --source git only")
    ns, short = core.ref(name, app_namespace)

    async def run(client: KubeClient) -> list[dict[str, Any]]:
        app = await get_app(client, ns, short)
        if source == "git":
            return await render(client, app, core.namespace, revision=revision)
        objs = []
        for res in (app.get("status") or {}).get("resources") or []:
            group, version = res.get("group", ""), res.get("version", "v1")
            key = Key(group, res.get("kind", ""), res.get("namespace", ""), res.get("name", ""))
            live = await _live(client, key, f"{group}/{version}" if group else version)
            if live is not None:
                objs.append(live)
        return objs

    for obj in core.run(run):
        click.echo("---")
        click.echo(yaml.safe_dump(obj, sort_keys=False), nl=False)
