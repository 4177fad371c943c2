"""Kustomize sources via the real tool (``kustomize build``, else ``kubectl kustomize``).

Argo CD applies ``spec.source.kustomize`` overrides with ``kustomize edit`` inside its
checkout. Our checkouts are shared and read-only, so the overrides go into a generated
overlay in the render's scratch directory whose only resource is the app directory: the
same transformers run on the same objects, and the checkout is never touched.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import shlex
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml

from kaiun.repo.contract import KustomizeSpec, RenderSettings
from kaiun.repo.errors import RenderError, SourceError
from kaiun.repo.manifests import parse_yaml_stream
from kaiun.repo.process import run_tool
from kaiun.repo.render.context import RenderContext, Rendered
from kaiun.repo.render.kustomize_paths import RemoteChart, check_kustomization_paths
from kaiun.repo.sandbox import resolve_inside

__all__ = [
    "ChartFetcher",
    "kustomize_command",
    "overlay_kustomization",
    "parse_image",
    "render_kustomize",
]

Obj = dict[str, Any]
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_DIGEST = re.compile(r"^(?P<name>.+)@(?P<digest>sha256:[0-9a-f]+)$")


def _split_reference(reference: str) -> tuple[str, Obj]:
    digest = _DIGEST.match(reference)
    if digest:
        return digest["name"], {"digest": digest["digest"]}
    repo, colon, tag = reference.rpartition(":")
    if colon and "/" not in tag:
        return repo, {"newTag": tag}
    return reference, {}


def parse_image(spec: str) -> Obj:
    """One ``kustomize edit set image`` argument (``name=new:tag``, ``name:tag``, ``@digest``)."""
    name, sep, new = spec.partition("=")
    reference, entry = _split_reference(new if sep else spec)
    if not sep:
        name = reference
    elif reference != name:
        entry["newName"] = reference
    return {"name": name, **entry}


_ENV_REF = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def _envsubst(value: str, env: dict[str, str]) -> str:
    """``${VAR}``/``$VAR`` from the build environment (unknown names become empty)."""
    return _ENV_REF.sub(lambda m: env.get(m.group(1) or m.group(2), ""), value)


def overlay_kustomization(spec: KustomizeSpec, ctx: RenderContext, overlay: Path) -> Obj:
    """The overlay's kustomization: the app directory plus every override of ``spec``."""

    def rel(target: Path) -> str:
        return os.path.relpath(target, overlay)

    doc: Obj = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [rel(ctx.app_dir)],
    }
    annotations = dict(spec.common_annotations)
    if spec.common_annotations_envsubst:
        env = ctx.build_env
        annotations = {k: _envsubst(v, env) for k, v in annotations.items()}
    simple = {
        "namePrefix": spec.name_prefix,
        "nameSuffix": spec.name_suffix,
        "namespace": spec.namespace,
        "commonAnnotations": annotations,
    }
    doc.update({k: v for k, v in simple.items() if v})
    if spec.common_labels and spec.label_without_selector:
        # `kustomize edit add label --without-selector`: labels, selectors untouched.
        doc["labels"] = [{"pairs": dict(spec.common_labels), "includeSelectors": False}]
    elif spec.common_labels:
        doc["commonLabels"] = dict(spec.common_labels)
    if spec.images:
        doc["images"] = [parse_image(i) for i in spec.images]
    if spec.replicas:
        doc["replicas"] = [{"name": n, "count": c} for n, c in spec.replicas]
    if spec.components:
        doc["components"] = [
            rel(resolve_inside(ctx.root, ctx.app_dir, c, what="kustomize component"))
            for c in spec.components
        ]
    if spec.patches:
        doc["patches"] = [_inline_patch(p, ctx) for p in spec.patches]
    return doc


def _inline_patch(patch: Obj, ctx: RenderContext) -> Obj:
    out = {k: v for k, v in patch.items() if k != "path"}
    if patch.get("path"):
        # The overlay lives outside the repository, where kustomize would refuse the file:
        # read it ourselves (inside the repository only) and inline it.
        source = resolve_inside(ctx.root, ctx.app_dir, str(patch["path"]), what="kustomize patch")
        out["patch"] = source.read_text()
    return out


def _split(build_options: tuple[str, ...]) -> list[str]:
    return [arg for option in build_options for arg in shlex.split(option)]


def _has_flag(options: list[str], flag: str) -> bool:
    return any(o == flag or o.startswith(flag + "=") for o in options)


def _helm_enabled(options: list[str]) -> bool:
    # kubectl and kustomize parse booleans as Go does; "--enable-helm=false" turns it off.
    value = next(
        (o.partition("=")[2] or "true" for o in reversed(options)
         if o == "--enable-helm" or o.startswith("--enable-helm=")),
        "false",
    )  # fmt: skip
    return value.lower() in ("1", "t", "true")


def kustomize_command(
    build_options: tuple[str, ...],
    directory: Path,
    *,
    helm_command: str | None = None,
    kube_version: str = "",
    api_versions: tuple[str, ...] = (),
    binary: str | None = None,
) -> list[str]:
    """``BINARY build DIR`` for a configured kustomize version, else ``kustomize build DIR``
    if a kustomize binary is on PATH, else ``kubectl kustomize DIR``.

    With ``--enable-helm`` in the build options, kustomize's Helm chart inflator gets
    ``helm_command`` and the app's kube and API versions, unless the options name their own.
    """
    options = _split(build_options)
    if _helm_enabled(options):
        if not _has_flag(options, "--helm-command"):
            if helm_command is None:
                raise RenderError(
                    "kustomize.buildOptions has --enable-helm but no helm binary was found: "
                    "put helm on PATH or pass RepoService(helm_binary=...)"
                )
            options += ["--helm-command", helm_command]
        if kube_version and not _has_flag(options, "--helm-kube-version"):
            options += ["--helm-kube-version", kube_version]
        if not _has_flag(options, "--helm-api-versions"):
            options += [f"--helm-api-versions={api}" for api in api_versions]
    if binary is not None:
        return [binary, "build", str(directory), *options]
    if shutil.which("kustomize"):
        return ["kustomize", "build", str(directory), *options]
    return ["kubectl", "kustomize", str(directory), *options]


def _binary_and_options(
    spec: KustomizeSpec, settings: RenderSettings
) -> tuple[str | None, tuple[str, ...]]:
    """The kustomize binary (None: the default one) and build options for ``spec``: a
    configured version brings its own options in place of the default ones, as in Argo CD."""
    if not spec.version:
        return None, settings.kustomize_build_options
    version = settings.kustomize_version(spec.version)
    if version is None:
        configured = ", ".join(v.name for v in settings.kustomize_versions) or "none"
        raise SourceError(
            f"kustomize version {spec.version!r} is not configured (configured: {configured});"
            f" add kustomize.path.{spec.version} to argocd-cm or remove"
            " spec.source.kustomize.version"
        )
    return version.path, version.build_options


# Fetches a chart (name, repo, version) through the server's chart caches and credentials;
# None when it cannot (kustomize then pulls it itself).
ChartFetcher = Callable[[str, str, str], Awaitable[Path | None]]


def _stays_inside(target: Path, directory: Path) -> bool:
    return Path(os.path.realpath(target)).is_relative_to(os.path.realpath(directory))


async def _prefetch_charts(
    charts: list[RemoteChart], root: Path, copy: Path, fetch_chart: ChartFetcher
) -> None:
    """Put each remote chart where kustomize looks before pulling, inside the private
    ``copy`` of ``root``: kustomize then pulls nothing, and the chart came through our
    cache (one download per repo server) with the repository Secrets' credentials."""
    for chart in charts:
        if not _PLAIN_NAME.match(chart.name) or "/" in chart.version or ".." in chart.version:
            continue  # not a chart name Helm accepts: left to kustomize to refuse
        try:
            target = copy / chart.chart_dir.relative_to(root)
        except ValueError:
            continue  # an absolute chartHome: kustomize's own business
        if target.exists():
            continue  # committed in the repository: kustomize uses it as it is
        if not _stays_inside(target, copy):
            continue  # through a symlink out of the copy: never write there
        source = await fetch_chart(chart.name, chart.repo, chart.version)
        if source is not None:
            await asyncio.to_thread(shutil.copytree, source, target, symlinks=True)


async def render_kustomize(
    ctx: RenderContext, *, fetch_chart: ChartFetcher | None = None
) -> Rendered:
    """Build the app's kustomization (with overrides) and parse its output.

    With ``--enable-helm``, remote ``helmCharts`` are fetched with ``fetch_chart`` (when
    given) into a private copy of the repository before kustomize runs.
    """
    spec = ctx.request.source.kustomize or KustomizeSpec()
    binary, build_options = _binary_and_options(spec, ctx.settings)
    remote_charts = check_kustomization_paths(ctx.root, ctx.app_dir)
    if remote_charts and _helm_enabled(_split(build_options)):
        # kustomize writes pulled charts into the kustomization's chartHome: give it a
        # private copy, so the shared checkout stays exactly the commit's tree.
        copy = ctx.work_dir / "repo"
        await asyncio.to_thread(shutil.copytree, ctx.root, copy, symlinks=True)
        if fetch_chart is not None:
            await _prefetch_charts(remote_charts, ctx.root, copy, fetch_chart)
        ctx = dataclasses.replace(ctx, root=copy, app_dir=copy / ctx.app_dir.relative_to(ctx.root))
    target = ctx.app_dir
    if not spec.is_empty():
        target = ctx.work_dir / "kustomize-overlay"
        target.mkdir(parents=True, exist_ok=True)
        doc = overlay_kustomization(spec, ctx, target)
        (target / "kustomization.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    argv = kustomize_command(
        build_options,
        target,
        helm_command=ctx.helm_binary,
        kube_version=ctx.request.kube_version,
        api_versions=ctx.request.api_versions,
        binary=binary,
    )
    helm_home = ctx.work_dir / "helm"
    # kustomize points helm's homes at a temporary directory of its own (or helmGlobals'
    # configHome) for every helm it runs; these only make sure nothing else reaches the
    # home shared by every render. Remote charts were put in place above, so helm pulls
    # nothing with those homes.
    env = {
        **ctx.tool_env,
        **ctx.build_env,
        "HELM_CACHE_HOME": str(helm_home / "cache"),
        "HELM_CONFIG_HOME": str(helm_home / "config"),
        "HELM_DATA_HOME": str(helm_home / "data"),
    }
    result = await run_tool(
        argv,
        cwd=str(ctx.app_dir),
        env=env,
        time_limit=ctx.settings.exec_timeout_seconds,
        max_output=ctx.settings.max_combined_manifest_bytes,
    )
    shown = " ".join(argv).replace(str(ctx.root), ".").replace(str(ctx.work_dir), "<work>")
    text = result.stdout.decode(errors="replace")
    return Rendered(
        parse_yaml_stream(text, f"kustomize output of {ctx.request.source.path}"), (shown,)
    )
