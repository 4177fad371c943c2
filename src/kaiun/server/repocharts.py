"""``/api/v1/repositories/{repo}/helmcharts`` and ``/oci-tags``: what a Helm repository
offers (charts and their versions, from ``index.yaml``) and the tags of an OCI repository.

As in Argo CD, the repository need not be registered: an unregistered URL is read with the
credential template that matches it. RBAC ``repositories, get`` on ``<project>/<url>`` (the
registered repository's project, else ``appProject`` when given) or the URL.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from kaiun.repo import RepoError
from kaiun.repo.credentials import RepoCredential
from kaiun.repo.oci import parse_oci_ref
from kaiun.repo.urls import redact_url
from kaiun.server import repostore as store
from kaiun.server.applications import Ctx, Who
from kaiun.server.context import ServerContext
from kaiun.server.errors import InvalidArgument
from kaiun.server.repositories import RESOURCE, rbac_object
from kaiun.server.security import Caller, require

router = APIRouter(prefix="/api/v1", tags=["RepositoryService"])


async def _authorized(
    ctx: ServerContext, caller: Caller, repo: str, project: str
) -> tuple[str, RepoCredential | None]:
    """The repository's URL and credential (registered, or from a template) once the caller
    may ``get`` it."""
    if not repo.strip():
        raise InvalidArgument("repo is required (the repository URL)")
    found = await store.find_secret(ctx, "repository", repo)
    url = found[1].url if found else repo
    scope = found[1].project if found else project
    require(ctx.security, caller, RESOURCE, "get", rbac_object(url, scope))
    return url, (await store.credential_store(ctx)).lookup(url) or (found[1] if found else None)


def _failure(exc: RepoError, cred: RepoCredential | None) -> InvalidArgument:
    message = str(exc)
    if cred is not None:
        message = store.scrub(message, cred)
    return InvalidArgument(message)


@router.get("/repositories/{repo:path}/helmcharts")
async def list_helm_charts(
    request: Request,
    ctx: Ctx,
    caller: Who,
    repo: str,
    appProject: str = "",
    forceRefresh: bool = False,
) -> dict[str, Any]:
    """Argo CD's ``HelmChartsResponse``: ``{"items": [{"name", "versions"}]}`` by chart name,
    versions in the index's order."""
    url, cred = await _authorized(ctx, caller, repo, appProject)
    if url.startswith("oci://") or (cred is not None and cred.enable_oci):
        raise InvalidArgument(
            f"{redact_url(url)} is an OCI registry, which has no chart index: list a chart's "
            "versions with /oci-tags"
        )
    if not url.startswith(("https://", "http://")):
        raise InvalidArgument(f"{redact_url(url)} is not a Helm repository (http or https)")
    svc = await store.refreshed_service(request, ctx)
    try:
        index = await svc.helm_repos.index(url, refresh=forceRefresh)
    except RepoError as exc:
        raise _failure(exc, cred) from None
    items = []
    for name, entries in sorted((index.get("entries") or {}).items()):
        versions = [
            str(e["version"]) for e in entries or [] if isinstance(e, dict) and e.get("version")
        ]
        items.append({"name": str(name), "versions": versions})
    return {"items": items}


@router.get("/repositories/{repo:path}/oci-tags")
async def list_oci_tags(
    request: Request, ctx: Ctx, caller: Who, repo: str, appProject: str = ""
) -> dict[str, Any]:
    """The tags of an OCI repository (``oci://host/path``), in Argo CD's ``Refs`` shape."""
    url, cred = await _authorized(ctx, caller, repo, appProject)
    if "://" in url and not url.startswith("oci://"):
        raise InvalidArgument(f"{redact_url(url)} is not an OCI repository (oci://host/path)")
    try:
        ref = parse_oci_ref(url)
    except RepoError as exc:
        raise InvalidArgument(str(exc)) from None
    svc = await store.refreshed_service(request, ctx)
    try:
        tags = await svc.oci.tags(url, ref)
    except RepoError as exc:
        raise _failure(exc, cred) from None
    return {"branches": [], "tags": tags}
