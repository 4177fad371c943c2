"""Kustomize sources via the real tool (``kustomize build``, else ``kubectl kustomize``).

Argo CD applies ``spec.source.kustomize`` overrides with ``kustomize edit`` inside its
checkout. Our checkouts are shared and read-only, so the overrides go into a generated
overlay in the render's scratch directory whose only resource is the app directory: the
same transformers run on the same objects, and the checkout is never touched.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import yaml

from kaiun.repo.contract import KustomizeSpec
from kaiun.repo.manifests import parse_yaml_stream
from kaiun.repo.process import run_tool
from kaiun.repo.render.context import RenderContext, Rendered
from kaiun.repo.render.kustomize_paths import check_kustomization_paths
from kaiun.repo.sandbox import resolve_inside

__all__ = ["kustomize_command", "overlay_kustomization", "parse_image", "render_kustomize"]

Obj = dict[str, Any]
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


def kustomize_command(build_options: tuple[str, ...], directory: Path) -> list[str]:
    """``kustomize build DIR`` if a kustomize binary is on PATH, else ``kubectl kustomize DIR``."""
    options = [arg for option in build_options for arg in shlex.split(option)]
    if shutil.which("kustomize"):
        return ["kustomize", "build", str(directory), *options]
    return ["kubectl", "kustomize", str(directory), *options]


async def render_kustomize(ctx: RenderContext) -> Rendered:
    """Build the app's kustomization (with overrides) and parse its output."""
    spec = ctx.request.source.kustomize or KustomizeSpec()
    check_kustomization_paths(ctx.root, ctx.app_dir)
    target = ctx.app_dir
    if not spec.is_empty():
        target = ctx.work_dir / "kustomize-overlay"
        target.mkdir(parents=True, exist_ok=True)
        doc = overlay_kustomization(spec, ctx, target)
        (target / "kustomization.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    argv = kustomize_command(ctx.settings.kustomize_build_options, target)
    env = {**ctx.tool_env, **ctx.build_env}
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
