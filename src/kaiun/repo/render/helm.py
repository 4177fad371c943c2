"""Helm sources: assembling values the way Argo CD does, then rendering with a Helm engine.

Precedence, lowest first: the chart's own values, ``valueFiles`` in order, ``values`` (or
``valuesObject``, which replaces it), then ``parameters`` and ``fileParameters`` (``--set``
and ``--set-file``). Every local file is resolved inside its repository (``$ref/...`` inside
the referenced source's repository); symlinks out of bounds are always refused for value
files, whatever ``reposerver.allow.oob.symlinks`` says.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import yaml

from kaiun.repo.contract import HelmSpec
from kaiun.repo.errors import (
    MalformedManifestError,
    ManifestTooLargeError,
    RenderError,
    SourceError,
)
from kaiun.repo.manifests import parse_yaml_stream
from kaiun.repo.render.context import RenderContext, Rendered
from kaiun.repo.render.helm_engine import HelmEngine, HelmRenderOptions
from kaiun.repo.sandbox import resolve_inside

__all__ = ["assemble_values", "deep_merge", "may_have_crds", "render_helm", "set_expression"]

Obj = dict[str, Any]
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")
_REMOTE = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://")
_MAX_REMOTE_VALUES = 10 * 1024 * 1024
_HOOK = "helm.sh/hook"


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> Obj:
    """Helm's ``mergeMaps``: maps merge key by key, anything else is replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def set_expression(name: str, value: str) -> str:
    """``name=value`` for ``--set``, commas escaped as Argo CD does (``{a,b}`` lists kept)."""
    if not (value.startswith("{") and value.endswith("}")):
        value = _UNESCAPED_COMMA.sub(r"\\,", value)
    return f"{name}={value}"


def _load_yaml(text: str, what: str) -> Obj:
    try:
        doc = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise MalformedManifestError(
            what, mark.line + 1 if mark else None, str(exc.problem)
        ) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise MalformedManifestError(what, None, "helm values must be a mapping")
    return doc


async def _remote_values(url: str, allowed: tuple[str, ...]) -> str:
    scheme = _REMOTE.match(url)
    assert scheme is not None
    if scheme["scheme"].lower() not in allowed:
        raise SourceError(
            f"value file {url!r}: scheme {scheme['scheme']!r} is not allowed "
            "(helm.valuesFileSchemes)"
        )
    async with (
        httpx.AsyncClient(timeout=30, follow_redirects=False) as client,
        client.stream("GET", url) as response,
    ):
        if response.status_code != 200:
            raise RenderError(f"value file {url}: HTTP {response.status_code}")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > _MAX_REMOTE_VALUES:
                raise RenderError(f"value file {url}: larger than {_MAX_REMOTE_VALUES} bytes")
    return body.decode(errors="replace")


def _value_file(ctx: RenderContext, entry: str) -> Path:
    if entry.startswith("$"):
        ref, _, rest = entry[1:].partition("/")
        ref_root = ctx.ref_roots.get(ref)
        if ref_root is None:
            raise SourceError(f"value file {entry!r}: no source has 'ref: {ref}'")
        return resolve_inside(ref_root, ref_root, rest, what="value file")
    return resolve_inside(ctx.root, ctx.app_dir, entry, what="value file")


async def assemble_values(ctx: RenderContext, spec: HelmSpec) -> Obj:
    """The user values passed to Helm, merged in Argo CD's precedence order."""
    values: Obj = {}
    for entry in spec.value_files:
        if _REMOTE.match(entry):
            text = await _remote_values(entry, ctx.settings.helm_values_file_schemes)
        else:
            path = _value_file(ctx, entry)
            if not path.is_file():
                if spec.ignore_missing_value_files:
                    continue
                raise SourceError(f"value file {entry!r} not found in the repository")
            text = path.read_text(errors="replace")
        values = deep_merge(values, _load_yaml(text, entry))
    if spec.values_object is not None:
        values = deep_merge(values, spec.values_object)
    elif spec.values:
        values = deep_merge(values, _load_yaml(spec.values, "helm.values"))
    return deep_merge(values, _set_values(ctx, spec))


def _set_values(ctx: RenderContext, spec: HelmSpec) -> Obj:
    import helm_python

    values: Obj = {}
    try:
        for p in spec.parameters:
            parse = (
                helm_python.parse_set_string_values
                if p.force_string
                else helm_python.parse_set_string
            )
            values = deep_merge(values, parse(set_expression(p.name, p.value)))
        for fp in spec.file_parameters:
            content = resolve_inside(ctx.root, ctx.app_dir, fp.path, what="file parameter")
            values = deep_merge(
                values, helm_python.parse_set_literal(f"{fp.name}={content.read_text()}")
            )
    except helm_python.HelmError as exc:
        raise SourceError(f"helm parameters: {exc}") from None
    return values


def _is_test_hook(obj: Obj) -> bool:
    hooks = (obj.get("metadata", {}).get("annotations") or {}).get(_HOOK, "")
    return any(h.strip() in ("test", "test-success", "test-failure") for h in hooks.split(","))


def may_have_crds(chart_dir: Path) -> bool:
    """Whether the chart or a subchart can carry CRDs: a ``crds`` directory anywhere in it,
    or a packaged subchart (whose content is not looked into)."""
    for _, dirnames, filenames in os.walk(chart_dir):
        if "crds" in dirnames or any(f.endswith(".tgz") for f in filenames):
            return True
    return False


async def render_helm(
    ctx: RenderContext, engine: HelmEngine, chart_dir: Path | None = None, *, crds: bool = True
) -> Rendered:
    """Render the chart at ``chart_dir`` (default: the app directory) with assembled values.

    ``crds=False`` says the chart is known to have none (``may_have_crds``), which spares
    asking Helm for them.
    """
    spec = ctx.request.source.helm or HelmSpec()
    values = await assemble_values(ctx, spec)
    options = HelmRenderOptions(
        release_name=spec.release_name or ctx.request.app_name or "release-name",
        namespace=spec.namespace or ctx.request.namespace or "default",
        kube_version=spec.kube_version or ctx.request.kube_version,
        api_versions=spec.api_versions or ctx.request.api_versions,
        include_crds=crds and not spec.skip_crds,
        timeout=ctx.settings.exec_timeout_seconds,
    )
    parts = await engine.render(chart_dir or ctx.app_dir, values, options)
    objects: list[Obj] = []
    total = 0
    for name, text in parts:
        if name.endswith("NOTES.txt"):
            continue
        total += len(text)
        if total > ctx.settings.max_combined_manifest_bytes:
            raise ManifestTooLargeError(
                f"helm output exceeds the limit of {ctx.settings.max_combined_manifest_bytes} bytes"
            )
        objects.extend(parse_yaml_stream(text, name))
    if spec.skip_tests:
        objects = [o for o in objects if not _is_test_hook(o)]
    return Rendered(objects, (f"{engine.name} template {options.release_name}",))
