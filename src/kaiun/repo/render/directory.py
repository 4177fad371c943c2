"""Plain directory sources: YAML (multi-document), JSON and Jsonnet files.

Follows Argo CD's ``ApplicationSourceDirectory``: ``recurse``, ``include``/``exclude`` globs
(``{a,b}`` alternatives, ``*`` crossing ``/``, exclude wins), only ``.yaml/.yml/.json/.jsonnet``
unless ``disableExtensionFilter``, hidden directories skipped. The combined size of the files
read is capped (``reposerver.max.combined.directory.manifests.size``, 10 MB by default).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kaiun.repo.contract import DirectorySpec
from kaiun.repo.errors import ManifestTooLargeError, PathEscapeError, ToolDisabledError
from kaiun.repo.manifests import parse_json, parse_yaml_stream
from kaiun.repo.render.context import RenderContext, Rendered
from kaiun.repo.render.detect import KUSTOMIZATION_FILES
from kaiun.repo.render.jsonnet import evaluate_jsonnet

__all__ = ["expand_braces", "glob_match", "render_directory"]

Obj = dict[str, Any]
_EXTENSIONS = (".yaml", ".yml", ".json", ".jsonnet")
_BRACE = re.compile(r"\{([^{}]*)\}")


def expand_braces(pattern: str) -> list[str]:
    """``a/{b,c}.yaml`` -> ``['a/b.yaml', 'a/c.yaml']`` (nested braces expand inside out)."""
    match = _BRACE.search(pattern)
    if match is None:
        return [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    return [
        expanded
        for option in match.group(1).split(",")
        for expanded in expand_braces(head + option + tail)
    ]


def glob_match(pattern: str, rel_path: str) -> bool:
    """Argo CD's directory glob: ``*`` may cross ``/``, ``{a,b}`` are alternatives."""
    return any(fnmatch.fnmatchcase(rel_path, p) for p in expand_braces(pattern))


def _candidates(ctx: RenderContext, spec: DirectorySpec) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(ctx.app_dir):
        if not spec.recurse:
            dirnames.clear()
        elif not ctx.settings.include_hidden_directories:
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            rel = str(path.relative_to(ctx.app_dir))
            if not spec.disable_extension_filter and not name.endswith(_EXTENSIONS):
                continue
            if name in KUSTOMIZATION_FILES:
                continue  # Argo CD skips kustomization files in directory apps too
            if spec.exclude and glob_match(spec.exclude, rel):
                continue
            if spec.include and not glob_match(spec.include, rel):
                continue
            yield path


def _checked(ctx: RenderContext, path: Path) -> Path:
    """``path`` itself, refused if it is a symlink whose target leaves the repository."""
    if path.is_symlink() and not ctx.settings.allow_out_of_bounds_symlinks:
        target = path.resolve()
        root = ctx.root.resolve()
        if target != root and root not in target.parents:
            rel = path.relative_to(ctx.root)
            raise PathEscapeError(
                f"symlink {str(rel)!r} points outside the repository; out-of-bounds "
                "symlinks are refused (reposerver.allow.oob.symlinks)"
            )
    return path


async def render_directory(ctx: RenderContext) -> Rendered:
    """Read every matching manifest file under the app directory."""
    spec = ctx.request.source.directory or DirectorySpec()
    limit = ctx.settings.max_combined_manifest_bytes
    total = 0
    objects: list[Obj] = []
    for path in _candidates(ctx, spec):
        path = _checked(ctx, path)
        rel = str(path.relative_to(ctx.root))
        total += path.stat().st_size
        if total > limit:
            raise ManifestTooLargeError(
                f"manifests under {ctx.request.source.path or '.'!r} exceed the combined size "
                f"limit of {limit} bytes (reposerver.max.combined.directory.manifests.size)"
            )
        if path.suffix == ".jsonnet":
            if not ctx.settings.jsonnet_enabled:
                raise ToolDisabledError(f"{rel}: jsonnet is disabled in argocd-cm (jsonnet.enable)")
            objects.extend(
                await evaluate_jsonnet(path, root=ctx.root, spec=spec.jsonnet, app_dir=ctx.app_dir)
            )
        elif path.suffix == ".json":
            objects.extend(parse_json(path.read_bytes(), rel))
        else:
            objects.extend(parse_yaml_stream(path.read_text(errors="replace"), rel))
    return Rendered(objects)
