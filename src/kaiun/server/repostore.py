"""Repository and repo-creds Secrets as Argo CD stores them, and the server's repo access.

A repository is a Secret labelled ``argocd.argoproj.io/secret-type: repository`` (a
credential template: ``repo-creds``) in the control-plane namespace, fields in ``data``.
Responses never carry a secret field: Argo CD's sanitized ``Repository`` shape is built
from an allow-list, so a field added later cannot leak by default.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request

from kaiun.kube import errors as kerrors
from kaiun.repo import CredentialStore, GitRepos, HelmRepos, RepoError, RepoService
from kaiun.repo.credentials import SECRET_TYPE_LABEL, RepoCredential, credential_from_secret
from kaiun.repo.urls import normalize_repo_url, redact_url
from kaiun.server.context import ServerContext, translate
from kaiun.server.errors import InvalidArgument

# Request field -> Secret data key; secrets are write-only (accepted, stored, never returned).
WRITABLE = (
    *("url", "name", "type", "project", "username", "password", "bearerToken"),
    *("sshPrivateKey", "tlsClientCertData", "tlsClientCertKey", "proxy", "noProxy"),
    *("githubAppPrivateKey", "githubAppEnterpriseBaseUrl"),
)
SECRET_FIELDS = frozenset(
    {"password", "bearerToken", "sshPrivateKey", "tlsClientCertKey", "githubAppPrivateKey"}
)
FLAGS = ("insecure", "enableLfs", "enableOCI", "forceHttpBasicAuth", "insecureOCIForceHttp")
_NUMERIC = {"githubAppID": "githubAppID", "githubAppInstallationID": "githubAppInstallationID"}


def secret_name(kind: str, url: str) -> str:
    """A stable Secret name for a URL (``repo-…`` / ``creds-…``), like Argo CD's hashed names."""
    digest = hashlib.sha256(normalize_repo_url(url).encode()).hexdigest()[:12]
    return f"{'repo' if kind == 'repository' else 'creds'}-{digest}"


async def list_secrets(ctx: ServerContext, kind: str) -> list[dict[str, Any]]:
    """The control plane's Secrets of one ``secret-type``."""
    try:
        listed = await ctx.client.list(
            "v1", "Secret", ctx.namespace, label_selector=f"{SECRET_TYPE_LABEL}={kind}"
        )
    except kerrors.KubeError as exc:
        raise translate(exc, "repository secrets") from exc
    return list(listed.items)


def parse(secret: dict[str, Any]) -> RepoCredential | None:
    """The credential a Secret holds, or None when it is unreadable (skipped, not fatal)."""
    try:
        return credential_from_secret(secret)
    except RepoError:
        return None


async def find_secret(
    ctx: ServerContext, kind: str, url: str
) -> tuple[dict[str, Any], RepoCredential] | None:
    """The Secret (and its credential) for ``url``, matching normalized URLs."""
    key = normalize_repo_url(url)
    for secret in await list_secrets(ctx, kind):
        cred = parse(secret)
        if cred is not None and normalize_repo_url(cred.url) == key:
            return secret, cred
    return None


async def credential_store(ctx: ServerContext) -> CredentialStore:
    """Every stored credential, for reaching repositories the way the repo server would."""
    repos = [c for s in await list_secrets(ctx, "repository") if (c := parse(s))]
    creds = [c for s in await list_secrets(ctx, "repo-creds") if (c := parse(s))]
    return CredentialStore(repos, creds)


def secret_body(ctx: ServerContext, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A Secret in Argo CD's layout for the request's fields (strings in ``data``)."""
    data: dict[str, str] = {}
    for key in (*WRITABLE, *_NUMERIC):
        value = fields.get(key)
        if value not in (None, ""):
            data[key] = str(value)
    for key in FLAGS:
        if fields.get(key):
            data[key] = "true"
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name(kind, str(fields["url"])),
            "namespace": ctx.namespace,
            "labels": {SECRET_TYPE_LABEL: kind},
            "annotations": {"managed-by": "argocd.argoproj.io"},
        },
        "type": "Opaque",
        "data": encoded,
    }


def sanitized(cred: RepoCredential, *, kind: str = "repository") -> dict[str, Any]:
    """Argo CD's sanitized ``Repository``/``RepoCreds``: never a secret field."""
    out: dict[str, Any] = {"repo" if kind == "repository" else "url": cred.url}
    optional = {
        "type": cred.type if kind == "repository" else "",
        "name": cred.name,
        "project": cred.project,
        "username": cred.username,
        "proxy": cred.proxy,
        "noProxy": cred.no_proxy,
        "githubAppEnterpriseBaseUrl": cred.github_app_enterprise_base_url,
    }
    out.update({k: v for k, v in optional.items() if v})
    for key, value in (
        ("insecure", cred.insecure),
        ("enableLfs", cred.enable_lfs),
        ("enableOCI", cred.enable_oci),
        ("forceHttpBasicAuth", cred.force_http_basic_auth),
        ("insecureOCIForceHttp", cred.insecure_oci_force_http),
    ):
        if value:
            out[key] = True
    if cred.github_app_id.isdigit():
        out["githubAppID"] = int(cred.github_app_id)
    if cred.github_app_installation_id.isdigit():
        out["githubAppInstallationID"] = int(cred.github_app_installation_id)
    return out


def validate_fields(fields: dict[str, Any], *, key: str = "repo") -> dict[str, Any]:
    """The request as Secret fields (``repo`` becomes ``url``); 400 on a missing URL or a
    scheme a browser would run."""
    out = {k: v for k, v in fields.items() if v is not None}
    url = out.pop(key, None) or out.get("url")
    if not isinstance(url, str) or not url.strip():
        raise InvalidArgument(f"{key} is required (the repository URL)")
    if url.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
        raise InvalidArgument("repository URL scheme is not allowed")
    out["url"] = url.strip()
    kind = out.get("type") or "git"
    if kind not in ("git", "helm", "oci"):
        raise InvalidArgument(f"repository type {kind!r} is not one of git, helm, oci")
    out["type"] = kind
    return out


def repo_service(request: Request) -> RepoService:
    """The server's RepoService (``app.state.repo_service``; made on first use otherwise)."""
    svc: RepoService | None = getattr(request.app.state, "repo_service", None)
    if svc is None:
        svc = RepoService(Path(tempfile.mkdtemp(prefix="kaiun-api-repo-")))
        request.app.state.repo_service = svc
    return svc


async def refreshed_service(request: Request, ctx: ServerContext) -> RepoService:
    """The RepoService with the credentials currently stored in the cluster."""
    svc = repo_service(request)
    store = await credential_store(ctx)
    svc.git.credentials = store
    svc.helm_repos.credentials = store
    svc.oci.credentials = store
    return svc


PROBE_SECONDS = 20.0
# Lists probe every repository; like Argo CD, reuse a recent answer (``forceRefresh`` skips).
STATE_CACHE_SECONDS = 60.0
_states: dict[str, tuple[float, dict[str, Any]]] = {}


async def connection_state(cred: RepoCredential, *, force: bool = False) -> dict[str, Any]:
    """Argo CD's ``ConnectionState`` for one repository, probing with ``cred`` only."""
    material = repr((cred, cred.secret_values())).encode()
    key = hashlib.sha256(material).hexdigest()
    cached = _states.get(key)
    if cached and not force and time.monotonic() - cached[0] < STATE_CACHE_SECONDS:
        return cached[1]
    state = await _probe_state(cred)
    if len(_states) > 10_000:
        _states.clear()
    _states[key] = (time.monotonic(), state)
    return state


async def _probe_state(cred: RepoCredential) -> dict[str, Any]:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        await asyncio.wait_for(probe(cred), PROBE_SECONDS)
    except TimeoutError:
        message = f"timed out reaching {redact_url(cred.url)}"
        return {"status": "Failed", "message": message, "attemptedAt": now}
    except RepoError as exc:
        return {"status": "Failed", "message": scrub(str(exc), cred), "attemptedAt": now}
    return {"status": "Successful", "message": "", "attemptedAt": now}


def scrub(message: str, cred: RepoCredential) -> str:
    """``message`` with every secret value of ``cred`` replaced."""
    for value in cred.secret_values():
        message = message.replace(value, "******")
    return message


async def probe(cred: RepoCredential) -> dict[str, str]:
    """Reach the repository (git ls-remote / helm index.yaml); its refs for git."""
    store = CredentialStore([cred])
    with tempfile.TemporaryDirectory(prefix="kaiun-probe-") as tmp:
        if cred.type == "helm" and not cred.enable_oci:
            await HelmRepos(Path(tmp), store).index(cred.url, refresh=True)
            return {}
        if cred.type in ("helm", "oci"):
            return {}  # OCI registries are checked when a chart or artifact is pulled
        return await GitRepos(Path(tmp), store).ls_remote(cred.url, refresh=True)
