"""An application's sources through the repo room: rendered manifests, commit metadata.

``GET .../manifests`` renders the app's source(s) at a revision (Secrets masked in the
output, as Argo CD's manifest endpoint redacts them); ``GET .../revisions/{rev}/metadata``
reads author, date, message and tags of a commit from the repository mirror.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter, Request

from kaiun.diff import redact_secrets
from kaiun.repo import ApplicationSource, ManifestRequest, RepoError, RepoService
from kaiun.repo.urls import redact_url
from kaiun.server.applications import Ctx, Who, load_app
from kaiun.server.context import ServerContext
from kaiun.server.errors import InvalidArgument, NotFound
from kaiun.server.repostore import refreshed_service

router = APIRouter(prefix="/api/v1", tags=["ApplicationService"])
GIT_TIMEOUT = 60.0


def _sources(app: dict[str, Any]) -> list[dict[str, Any]]:
    spec = app.get("spec") or {}
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    return [s for s in sources if isinstance(s, dict) and s.get("repoURL")]


async def render(
    svc: RepoService, app: dict[str, Any], revision: str | None = None
) -> list[tuple[str, list[dict[str, Any]], str]]:
    """``(revision, manifests, source type)`` per source of ``app``."""
    spec = app.get("spec") or {}
    out = []
    for raw in _sources(app):
        if raw.get("ref") and not raw.get("path") and not raw.get("chart"):
            continue  # a values-only ref source renders nothing itself
        source = dict(raw)
        if revision:
            source["targetRevision"] = revision
        try:
            request = ManifestRequest(
                source=ApplicationSource.from_dict(source),
                app_name=app["metadata"]["name"],
                namespace=str((spec.get("destination") or {}).get("namespace") or ""),
                project=str(spec.get("project") or "default"),
            )
            response = await svc.generate_manifest(request)
        except (RepoError, ValueError, TypeError, KeyError) as exc:
            raise InvalidArgument(
                f"cannot render {redact_url(str(raw['repoURL']))}: {exc}"
            ) from None
        out.append((response.revision, [dict(m) for m in response.manifests], response.source_type))
    return out


async def target_objects(
    request: Request, ctx: ServerContext, app: dict[str, Any]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Rendered objects keyed ``(group, kind, namespace, name)``; empty if rendering fails."""
    svc = await refreshed_service(request, ctx)
    try:
        rendered = await render(svc, app)
    except InvalidArgument:
        return {}
    default_ns = str(((app.get("spec") or {}).get("destination") or {}).get("namespace") or "")
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for _, manifests, _ in rendered:
        for obj in manifests:
            meta = obj.get("metadata") or {}
            group = str(obj.get("apiVersion", "")).rpartition("/")[0]
            key = (group, obj.get("kind"), meta.get("namespace") or default_ns, meta.get("name"))
            out[key] = obj
    return out


@router.get("/applications/{name}/manifests")
async def manifests(
    request: Request, ctx: Ctx, caller: Who, name: str, revision: str | None = None,
    appNamespace: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Argo CD's ``ManifestResponse``: the rendered manifests as JSON strings."""
    app = await load_app(ctx, caller, name, "get", appNamespace)
    svc = await refreshed_service(request, ctx)
    rendered = await render(svc, app, revision)
    all_manifests = [m for _, ms, _ in rendered for m in ms]
    masked = redact_secrets(*all_manifests) if all_manifests else ()
    dest = (app.get("spec") or {}).get("destination") or {}
    return {
        "manifests": [orjson.dumps(m).decode() for m in masked],
        "namespace": dest.get("namespace", ""),
        "server": dest.get("server") or dest.get("name") or "",
        "revision": rendered[0][0] if rendered else "",
        "sourceType": rendered[0][2] if rendered else "",
    }


@router.get("/applications/{name}/revisions/{revision}/metadata")
async def revision_metadata(
    request: Request, ctx: Ctx, caller: Who, name: str, revision: str,
    sourceIndex: int = 0, appNamespace: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Argo CD's ``RevisionMetadata`` (author, date, tags, message) of a git commit."""
    app = await load_app(ctx, caller, name, "get", appNamespace)
    sources = _sources(app)
    if not 0 <= sourceIndex < len(sources):
        raise InvalidArgument(f"source index {sourceIndex} out of range")
    url = str(sources[sourceIndex]["repoURL"])
    svc = await refreshed_service(request, ctx)
    try:
        commit = await svc.git.resolve(url, revision)
        await svc.git.fetch(url)
    except RepoError as exc:
        raise NotFound(f"revision {revision!r} not found: {exc}") from None
    return await _git_show(svc, url, commit)


async def _git_show(svc: RepoService, url: str, commit: str) -> dict[str, Any]:
    mirror = svc.git.mirror_path(url)
    fmt = "%an <%ae>%x00%aI%x00%B"
    proc = await asyncio.create_subprocess_exec(
        "git", "-C", str(mirror), "show", "-s", f"--format={fmt}", commit, "--",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), GIT_TIMEOUT)
    if proc.returncode != 0:
        raise NotFound(f"commit {commit} not found in {redact_url(url)}")
    author, date, message = ([*out.decode(errors="replace").split("\x00"), "", ""])[:3]
    tags_proc = await asyncio.create_subprocess_exec(
        "git", "-C", str(mirror), "tag", "--points-at", commit,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    tags_out, _ = await asyncio.wait_for(tags_proc.communicate(), GIT_TIMEOUT)
    tags = [t for t in tags_out.decode(errors="replace").split() if t]
    return {
        "author": author.strip(),
        "date": date.strip(),
        "tags": tags,
        "message": message.strip(),
    }
