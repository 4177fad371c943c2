"""``/api/v1/repositories`` and ``/api/v1/repocreds``: Argo CD's repository services.

Repositories live as labelled Secrets (``kaiun.server.repostore``); RBAC resource
``repositories`` (``repositories`` too for credential templates, as in Argo CD) with object
``<project>/<url>`` when the repository is scoped to a project, else the URL. Every response
is sanitized: secret fields are accepted on write and never returned.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict

from kaiun.kube import errors as kerrors
from kaiun.repo import ApplicationSource, RepoError
from kaiun.repo.credentials import RepoCredential, credential_from_secret
from kaiun.repo.urls import redact_url
from kaiun.server import repostore as store
from kaiun.server.applications import Ctx, Who
from kaiun.server.context import ServerContext, translate
from kaiun.server.errors import InvalidArgument, NotFound, permission_denied
from kaiun.server.security import Caller, require

router = APIRouter(prefix="/api/v1", tags=["RepositoryService"])
RESOURCE = "repositories"


class RepoFields(BaseModel):
    """Argo CD's ``Repository`` as a client sends it (secret fields write-only)."""

    model_config = ConfigDict(extra="ignore")
    repo: str | None = None
    url: str | None = None
    type: str | None = None
    name: str | None = None
    project: str | None = None
    username: str | None = None
    password: str | None = None
    bearerToken: str | None = None
    sshPrivateKey: str | None = None
    tlsClientCertData: str | None = None
    tlsClientCertKey: str | None = None
    insecure: bool | None = None
    enableLfs: bool | None = None
    enableOCI: bool | None = None
    forceHttpBasicAuth: bool | None = None
    insecureOCIForceHttp: bool | None = None
    proxy: str | None = None
    noProxy: str | None = None
    githubAppID: int | None = None
    githubAppInstallationID: int | None = None
    githubAppPrivateKey: str | None = None
    githubAppEnterpriseBaseUrl: str | None = None


class AppDetailsQuery(BaseModel):
    """Argo CD's ``RepoAppDetailsQuery``."""

    model_config = ConfigDict(extra="ignore")
    source: dict[str, Any]
    appName: str | None = None
    appProject: str | None = None


def rbac_object(url: str, project: str = "") -> str:
    """``<project>/<url>`` for project-scoped repositories, else the URL (Argo CD's rule)."""
    return f"{project}/{url}" if project else url


async def _load(
    ctx: ServerContext, caller: Caller, url: str, action: str, kind: str = "repository"
) -> tuple[dict[str, Any], RepoCredential]:
    found = await store.find_secret(ctx, kind, url)
    if found is None:
        # Same answer for missing and forbidden unless the caller may see any such repo.
        if ctx.security.enforce(caller, RESOURCE, action, url):
            raise NotFound(f"repo {redact_url(url)} not found")
        raise permission_denied(RESOURCE, action, url)
    require(ctx.security, caller, RESOURCE, action, rbac_object(found[1].url, found[1].project))
    return found


# -- repositories ---------------------------------------------------------------------------


@router.get("/repositories")
async def list_repositories(
    ctx: Ctx, caller: Who, repo: str | None = None, forceRefresh: bool = False
) -> dict[str, Any]:
    """Repositories the caller may ``get``, each with its connection state."""
    creds = [c for s in await store.list_secrets(ctx, "repository") if (c := store.parse(s))]
    visible = [
        c
        for c in sorted(creds, key=lambda c: c.url)
        if (not repo or c.url == repo)
        and ctx.security.enforce(caller, RESOURCE, "get", rbac_object(c.url, c.project))
    ]
    lookup = await store.credential_store(ctx)
    states = await asyncio.gather(
        *(store.connection_state(lookup.lookup(c.url) or c, force=forceRefresh) for c in visible)
    )
    items = [
        {**store.sanitized(c), "connectionState": s} for c, s in zip(visible, states, strict=True)
    ]
    return {"metadata": {}, "items": items}


@router.get("/repositories/{repo:path}/refs")
async def list_refs(ctx: Ctx, caller: Who, repo: str) -> dict[str, Any]:
    """Branches and tags of a git repository (``{"branches": [...], "tags": [...]}``)."""
    _, cred = await _load(ctx, caller, repo, "get")
    refs = await _probe(ctx, cred)
    branches = sorted(r.removeprefix("refs/heads/") for r in refs if r.startswith("refs/heads/"))
    tags = sorted(r.removeprefix("refs/tags/") for r in refs if r.startswith("refs/tags/"))
    return {"branches": branches, "tags": tags}


async def _probe(ctx: ServerContext, cred: RepoCredential) -> dict[str, str]:
    merged = (await store.credential_store(ctx)).lookup(cred.url) or cred
    try:
        return await store.probe(merged)
    except RepoError as exc:
        raise InvalidArgument(store.scrub(str(exc), merged)) from None


@router.get("/repositories/{repo:path}/apps")
async def list_apps(
    request: Request,
    ctx: Ctx,
    caller: Who,
    repo: str,
    revision: str = "HEAD",
    appName: str | None = None,
    appProject: str | None = None,
) -> dict[str, Any]:
    """Directories of the repository that look like applications, with their source type."""
    _, cred = await _load(ctx, caller, repo, "get")
    svc = await store.refreshed_service(request, ctx)
    try:
        commit = await svc.git.resolve(cred.url, revision or "HEAD")
        root = await svc.git.checkout(cred.url, commit)
    except RepoError as exc:
        raise InvalidArgument(str(exc)) from None
    items = await asyncio.to_thread(_discover, root)
    return {"items": [{"type": t, "path": p} for p, t in items]}


def _discover(root: Any) -> list[tuple[str, str]]:
    """``(path, type)`` of every directory holding a chart, a kustomization or manifests."""
    found: list[tuple[str, str]] = []
    for directory in sorted(p for p in [root, *root.rglob("*")] if p.is_dir()):
        rel = directory.relative_to(root).as_posix()
        if any(part.startswith(".") for part in directory.relative_to(root).parts):
            continue
        names = {p.name for p in directory.iterdir() if p.is_file() and not p.is_symlink()}
        if "Chart.yaml" in names:
            found.append((rel or ".", "Helm"))
        elif names & {"kustomization.yaml", "kustomization.yml", "Kustomization"}:
            found.append((rel or ".", "Kustomize"))
    return found


@router.post("/repositories/{repo:path}/appdetails")
async def app_details(
    request: Request, ctx: Ctx, caller: Who, repo: str, query: AppDetailsQuery
) -> dict[str, Any]:
    """Source type and Helm values/parameters of a source (``RepoAppDetailsResponse``).

    As Argo CD does since GHSA-r9cr-hvjj-496v, the caller needs ``get`` on the repository
    and paths are resolved inside the repository only (by the repo room)."""
    url = str(query.source.get("repoURL") or repo)
    await _load(ctx, caller, url, "get")
    svc = await store.refreshed_service(request, ctx)
    try:
        source = ApplicationSource.from_dict({**query.source, "repoURL": url})
        commit = await svc.resolve_revision(source)
        root = await svc.git.checkout(url, commit) if not source.chart else None
    except (RepoError, ValueError, TypeError, KeyError) as exc:
        raise InvalidArgument(f"cannot read source: {exc}") from None
    if root is None:
        return {"type": "Helm", "helm": {"name": source.chart}}
    return await asyncio.to_thread(_details, root, source)


def _details(root: Any, source: ApplicationSource) -> dict[str, Any]:
    base = root.resolve()
    directory = (base / (source.path or ".")).resolve()
    if base != directory and base not in directory.parents:
        raise InvalidArgument("source path leaves the repository")
    if not directory.is_dir():
        raise InvalidArgument(f"app path {source.path!r} does not exist")
    names = {p.name for p in directory.iterdir()}
    if "Chart.yaml" in names:
        values = directory / "values.yaml"
        inside = values.is_file() and not values.is_symlink()
        text = values.read_text(errors="replace") if inside else ""
        files = sorted(n for n in names if n.endswith((".yaml", ".yml")) and "values" in n)
        return {
            "type": "Helm",
            "helm": {"name": directory.name, "valueFiles": files, "values": text},
        }
    if names & {"kustomization.yaml", "kustomization.yml", "Kustomization"}:
        return {"type": "Kustomize", "kustomize": {}}
    return {"type": "Directory", "directory": {}}


@router.get("/repositories/{repo:path}")
async def get_repository(
    ctx: Ctx, caller: Who, repo: str, forceRefresh: bool = False
) -> dict[str, Any]:
    """One repository, sanitized, with its connection state."""
    _, cred = await _load(ctx, caller, repo, "get")
    merged = (await store.credential_store(ctx)).lookup(cred.url) or cred
    state = await store.connection_state(merged, force=forceRefresh)
    return {**store.sanitized(cred), "connectionState": state}


@router.post("/repositories/{repo:path}/validate")
async def validate_access(
    ctx: Ctx, caller: Who, repo: str, body: Annotated[RepoFields | None, Body()] = None
) -> dict[str, Any]:
    """Check that the repository is reachable with the given credentials; ``{}`` if so."""
    fields = store.validate_fields({**(body.model_dump() if body else {}), "repo": repo})
    require(ctx.security, caller, RESOURCE, "create", rbac_object(fields["url"], ""))
    cred = _credential(ctx, fields)
    await _probe_with(cred)
    return {}


def _credential(ctx: ServerContext, fields: dict[str, Any]) -> RepoCredential:
    return credential_from_secret(store.secret_body(ctx, "repository", fields))


async def _probe_with(cred: RepoCredential) -> None:
    try:
        await store.probe(cred)
    except RepoError as exc:
        raise InvalidArgument(store.scrub(str(exc), cred)) from None


@router.post("/repositories")
async def create_repository(
    ctx: Ctx, caller: Who, body: RepoFields, upsert: bool = False, credsOnly: bool = False
) -> dict[str, Any]:
    """Store a repository after checking it can be reached (``upsert`` replaces)."""
    fields = store.validate_fields(body.model_dump())
    obj = rbac_object(fields["url"], fields.get("project") or "")
    require(ctx.security, caller, RESOURCE, "create", obj)
    secret = store.secret_body(ctx, "repository", fields)
    cred = credential_from_secret(secret)
    if not credsOnly:
        merged = cred if cred.secret_values() else (
            (await store.credential_store(ctx)).lookup(cred.url) or cred
        )  # fmt: skip
        await _probe_with(merged)
    existing = await store.find_secret(ctx, "repository", fields["url"])
    if existing is not None:
        if existing[1] == cred:
            return store.sanitized(cred)
        if not upsert:
            raise InvalidArgument(
                "existing repository spec is different; use upsert flag to force update"
            )
        require(ctx.security, caller, RESOURCE, "update", obj)
        await _replace_secret(ctx, existing[0], secret)
    else:
        await _create_secret(ctx, secret)
    return store.sanitized(cred)


@router.put("/repositories/{repo:path}")
async def update_repository(ctx: Ctx, caller: Who, repo: str, body: RepoFields) -> dict[str, Any]:
    """Replace a repository's settings; omitted secret fields keep their stored values."""
    existing, old = await _load(ctx, caller, repo, "update")
    fields = store.validate_fields({**body.model_dump(), "repo": body.repo or repo})
    new_obj = rbac_object(old.url, fields.get("project", ""))
    require(ctx.security, caller, RESOURCE, "update", new_obj)
    secret = store.secret_body(ctx, "repository", _keep_secrets(fields, old))
    await _replace_secret(ctx, existing, secret)
    return store.sanitized(credential_from_secret(secret))


def _keep_secrets(fields: dict[str, Any], old: RepoCredential) -> dict[str, Any]:
    kept = {
        "password": old.password,
        "bearerToken": old.bearer_token,
        "sshPrivateKey": old.ssh_private_key,
        "tlsClientCertKey": old.tls_client_cert_key,
        "githubAppPrivateKey": old.github_app_private_key,
    }
    return {**{k: v for k, v in kept.items() if v}, **fields}


@router.delete("/repositories/{repo:path}")
async def delete_repository(ctx: Ctx, caller: Who, repo: str) -> dict[str, Any]:
    """Remove a repository's Secret."""
    secret, _ = await _load(ctx, caller, repo, "delete")
    await _delete_secret(ctx, secret)
    return {}


# -- credential templates -------------------------------------------------------------------


@router.get("/repocreds")
async def list_repocreds(ctx: Ctx, caller: Who, url: str | None = None) -> dict[str, Any]:
    """Credential templates the caller may ``get`` (URL prefixes, no secrets)."""
    creds = [c for s in await store.list_secrets(ctx, "repo-creds") if (c := store.parse(s))]
    items = [
        store.sanitized(c, kind="repo-creds")
        for c in sorted(creds, key=lambda c: c.url)
        if (not url or c.url == url) and ctx.security.enforce(caller, RESOURCE, "get", c.url)
    ]
    return {"metadata": {}, "items": items}


@router.post("/repocreds")
async def create_repocreds(
    ctx: Ctx, caller: Who, body: RepoFields, upsert: bool = False
) -> dict[str, Any]:
    """Store a credential template for every repository under ``url``."""
    fields = store.validate_fields(body.model_dump(), key="url")
    require(ctx.security, caller, RESOURCE, "create", fields["url"])
    secret = store.secret_body(ctx, "repo-creds", fields)
    cred = credential_from_secret(secret)
    existing = await store.find_secret(ctx, "repo-creds", fields["url"])
    if existing is not None:
        if existing[1] == cred:
            return store.sanitized(cred, kind="repo-creds")
        if not upsert:
            raise InvalidArgument(
                "existing repository credentials spec is different; use upsert flag to force update"
            )
        require(ctx.security, caller, RESOURCE, "update", fields["url"])
        await _replace_secret(ctx, existing[0], secret)
    else:
        await _create_secret(ctx, secret)
    return store.sanitized(cred, kind="repo-creds")


@router.put("/repocreds/{url:path}")
async def update_repocreds(ctx: Ctx, caller: Who, url: str, body: RepoFields) -> dict[str, Any]:
    """Replace a credential template; omitted secret fields keep their stored values."""
    existing, old = await _load(ctx, caller, url, "update", kind="repo-creds")
    fields = store.validate_fields({**body.model_dump(), "url": old.url}, key="url")
    secret = store.secret_body(ctx, "repo-creds", _keep_secrets(fields, old))
    await _replace_secret(ctx, existing, secret)
    return store.sanitized(credential_from_secret(secret), kind="repo-creds")


@router.delete("/repocreds/{url:path}")
async def delete_repocreds(ctx: Ctx, caller: Who, url: str) -> dict[str, Any]:
    """Remove a credential template."""
    secret, _ = await _load(ctx, caller, url, "delete", kind="repo-creds")
    await _delete_secret(ctx, secret)
    return {}


# -- storage --------------------------------------------------------------------------------


async def _create_secret(ctx: ServerContext, secret: dict[str, Any]) -> None:
    try:
        await ctx.client.create(secret)
    except kerrors.AlreadyExists:
        # Two creates raced on one URL: the loser reports a conflict, never a crash.
        raise InvalidArgument("repository was created concurrently; retry") from None
    except kerrors.KubeError as exc:
        raise translate(exc, "repository secret") from exc


async def _replace_secret(ctx: ServerContext, old: dict[str, Any], new: dict[str, Any]) -> None:
    body = {**new, "metadata": {**old["metadata"], "labels": new["metadata"]["labels"]}}
    body["metadata"].pop("managedFields", None)
    try:
        await ctx.client.replace(body)
    except kerrors.KubeError as exc:
        raise translate(exc, "repository secret") from exc


async def _delete_secret(ctx: ServerContext, secret: dict[str, Any]) -> None:
    meta = secret["metadata"]
    try:
        await ctx.client.delete("v1", "Secret", meta["name"], namespace=meta["namespace"])
    except kerrors.NotFound:
        return
    except kerrors.KubeError as exc:
        raise translate(exc, "repository secret") from exc
