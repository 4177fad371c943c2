"""``POST /api/webhook``: git pushes refresh the applications that follow the pushed branch.

Unauthenticated, as in Argo CD: the proof is the provider's signature against a secret in
``argocd-secret`` (``webhook.github.secret`` ...). The body is read up to
``webhook.maxPayloadSizeMB`` (argocd-cm, default 50) before any parsing; rejected requests
are logged by provider and reason only, never with their body.
"""

from __future__ import annotations

import base64
import logging
import secrets
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from kaiun.kube import errors as kerrors
from kaiun.repo import normalize_repo_url, parse_generate_paths
from kaiun.repo.generatepaths import paths_changed
from kaiun.server.applications import API_VERSION, KIND, REFRESH_ANNOTATION
from kaiun.server.context import ServerContext, context_of
from kaiun.server.metrics import webhook_requests
from kaiun.server.webhookparse import PushEvent, WebhookError, detect_provider, parse_push, verify

log = logging.getLogger(__name__)
router = APIRouter(tags=["Webhook"])

GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"
DEFAULT_MAX_MB = 50
PART_OF_LABEL = "app.kubernetes.io/part-of"


class PayloadTooLarge(Exception):
    """The body is over the configured cap."""


@router.post("/api/webhook", response_class=PlainTextResponse)
async def webhook(request: Request) -> PlainTextResponse:
    """Verify, parse and act on one provider webhook."""
    ctx = context_of(request)
    settings = await _config_map(ctx, "argocd-cm")
    limit = _max_bytes(settings.get("webhook.maxPayloadSizeMB", ""))
    try:
        provider = detect_provider(request.headers)
        body = await _read_capped(request, limit)
        verify(provider, request.headers, body, await _secret(ctx, "argocd-secret"))
        if provider == "github" and "json" not in request.headers.get("content-type", ""):
            raise WebhookError("github webhooks must use content type application/json")
        event = parse_push(provider, request.headers, body)
    except PayloadTooLarge:
        log.warning("webhook rejected: payload over %d bytes", limit)
        return PlainTextResponse(f"payload exceeds {limit} bytes", status_code=400)
    except WebhookError as exc:
        log.warning("webhook rejected: %s", exc)
        return PlainTextResponse(f"Webhook processing failed: {exc}", status_code=400)
    if event is None:
        return PlainTextResponse("event ignored")
    refreshed = await refresh_matching(ctx, event)
    # Only repositories some app follows become label values: unsigned webhooks (no secret
    # configured) must not grow the metric's cardinality at will.
    webhook_requests.labels(repo=event.repo_urls[0] if refreshed else "other").inc()
    log.info("webhook %s push to %s refreshed %d apps", event.provider, event.revision, refreshed)
    return PlainTextResponse(f"refreshed {refreshed} applications")


def _max_bytes(value: str) -> int:
    try:
        mb = int(value) if value else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return max(mb, 1) * 1024 * 1024


async def _read_capped(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def _config_map(ctx: ServerContext, name: str) -> dict[str, str]:
    try:
        cm = await ctx.client.get("v1", "ConfigMap", name, ctx.namespace)
    except kerrors.KubeError:
        return {}
    return {str(k): str(v) for k, v in (cm.get("data") or {}).items()}


async def _secret_data(ctx: ServerContext, name: str) -> dict[str, str] | None:
    try:
        secret = await ctx.client.get("v1", "Secret", name, ctx.namespace)
    except kerrors.KubeError:
        return None
    if name != "argocd-secret":
        labels = (secret.get("metadata") or {}).get("labels") or {}
        if labels.get(PART_OF_LABEL) != "argocd":
            return None  # Argo CD only dereferences Secrets labelled part-of: argocd
    out: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            out[str(key)] = base64.b64decode(value).decode()
        except (ValueError, UnicodeDecodeError):
            continue
    return out


async def _secret(ctx: ServerContext, name: str) -> dict[str, str]:
    """argocd-secret's values, with Argo CD's ``$<secret>:<key>`` references resolved."""
    out = await _secret_data(ctx, name) or {}
    for key, value in list(out.items()):
        if key.startswith("webhook.") and value.startswith("$") and ":" in value:
            ref_name, _, ref_key = value[1:].partition(":")
            ref = await _secret_data(ctx, ref_name) or {}
            # An unresolvable reference must reject every request: "" would disable the
            # check and the reference text itself is guessable, so use a random value.
            out[key] = ref.get(ref_key) or secrets.token_hex(32)
    return out


def repo_key(url: str) -> str:
    """``host/path`` of a repository URL: https, ssh and scp-like spellings of one
    repository (with or without user, port or ``.git``) share it, as Argo CD's web-URL
    regex lets them."""
    parts = urlsplit(normalize_repo_url(url))
    host = (parts.hostname or "").removeprefix("altssh.").removeprefix("ssh.")
    return f"{host}/{parts.path.strip('/')}" if host else normalize_repo_url(url)


def source_matches(source: dict[str, Any], event: PushEvent, urls: set[str]) -> bool:
    """Whether a push to ``event``'s branch of one of ``urls`` concerns ``source``."""
    if repo_key(str(source.get("repoURL") or "")) not in urls:
        return False
    target = str(source.get("targetRevision") or "HEAD")
    for prefix in ("refs/heads/", "refs/tags/"):
        target = target.removeprefix(prefix)
    if target == "HEAD":
        # Unknown default branch (some providers omit it): refreshing is the safe side.
        return not event.default_branch or event.revision == event.default_branch
    return target == event.revision


def wants_refresh(app: dict[str, Any], event: PushEvent, urls: set[str]) -> bool:
    """Whether ``app`` follows the pushed branch and, with manifest-generate-paths, a
    changed file lies under one of its paths."""
    spec = app.get("spec") or {}
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    hits = [s for s in sources if isinstance(s, dict) and source_matches(s, event, urls)]
    if not hits:
        return False
    annotation = ((app.get("metadata") or {}).get("annotations") or {}).get(GENERATE_PATHS)
    if not annotation or event.changed_files is None:
        return True
    entries = parse_generate_paths(str(annotation))
    return any(paths_changed(entries, str(s.get("path") or ""), event.changed_files) for s in hits)


async def refresh_matching(ctx: ServerContext, event: PushEvent) -> int:
    """Annotate every matching application for a normal refresh; how many were."""
    urls = {repo_key(u) for u in event.repo_urls}
    try:
        apps = await ctx.client.list(API_VERSION, KIND, ctx.namespace)
    except kerrors.KubeError:
        log.warning("webhook: cannot list applications")
        return 0
    count = 0
    for app in apps.items:
        if not wants_refresh(app, event, urls):
            continue
        patch = {"metadata": {"annotations": {REFRESH_ANNOTATION: "normal"}}}
        try:
            await ctx.client.patch(
                API_VERSION, KIND, app["metadata"]["name"], patch,
                namespace=ctx.namespace, patch_type="merge",
            )  # fmt: skip
            count += 1
        except kerrors.KubeError:
            log.warning("webhook: cannot refresh application %s", app["metadata"]["name"])
    return count
