"""``/api/v1/settings`` and ``/api/version``: what a client may know about this server.

Only public settings, as Argo CD's ``Settings`` message: never a secret, never a value
resolved from argocd-secret except the OIDC client ids a browser needs. A caller without a
session gets the login page's minimum (GHSA-87p9-x75h-p4j2); every URL handed out must be
``http(s)`` (``javascript:`` and other schemes are dropped: the UI renders them as links).
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlparse

import yaml
from fastapi import APIRouter, Depends

from kaiun.server.applications import Ctx
from kaiun.server.authn import AuthSecurity
from kaiun.server.security import Caller
from kaiun.server.session import optional_caller
from kaiun.settings import resource_customizations as rc
from kaiun.settings.accounts import password_pattern

router = APIRouter(tags=["SettingsService"])
Maybe = Annotated[Caller | None, Depends(optional_caller)]


def safe_url(value: Any) -> str:
    """``value`` if it is an absolute http(s) URL, else ""."""
    if not isinstance(value, str):
        return ""
    parsed = urlparse(value.strip())
    return value.strip() if parsed.scheme in ("http", "https") and parsed.netloc else ""


def _yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        return None


def _oidc(security: AuthSecurity) -> dict[str, Any] | None:
    """What a client needs to start an SSO login; never the client secret."""
    sso = security.sso
    if sso is None or sso.dex:
        return None
    out: dict[str, Any] = {
        "name": sso.name,
        "issuer": safe_url(sso.issuer),
        "clientID": sso.client_id,
        "scopes": list(sso.scopes),
    }
    if sso.cli_client_id:
        out["cliClientID"] = sso.cli_client_id
    if sso.pkce:
        out["enablePKCEAuthentication"] = True
    if sso.id_token_claims:
        out["idTokenClaims"] = dict(sso.id_token_claims)
    return out


def _dex(cm: Mapping[str, str]) -> dict[str, Any] | None:
    config = _yaml(cm.get("dex.config", ""))
    if not isinstance(config, dict):
        return None
    connectors = [
        {"name": str(c.get("name", "")), "type": str(c.get("type", ""))}
        for c in config.get("connectors") or []
        if isinstance(c, dict)
    ]
    return {"connectors": connectors}


def _overrides(cm: Mapping[str, str]) -> dict[str, Any]:
    try:
        parsed = rc.parse_resource_overrides(cm)
    except rc.ResourceCustomizationsError:
        return {}
    out: dict[str, Any] = {}
    for key, o in parsed.items():
        entry: dict[str, Any] = {}
        if o.health_lua:
            entry["healthLua"] = o.health_lua
            entry["useOpenLibs"] = o.use_open_libs
        if o.actions:
            entry["actions"] = o.actions
        for name, spec in (
            ("ignoreDifferences", o.ignore_differences),
            ("ignoreResourceUpdates", o.ignore_resource_updates),
        ):
            if spec:
                entry[name] = {
                    "jsonPointers": list(spec.json_pointers),
                    "jqPathExpressions": list(spec.jq_path_expressions),
                    "managedFieldsManagers": list(spec.managed_fields_managers),
                }
        if o.known_type_fields:
            entry["knownTypeFields"] = [dict(f) for f in o.known_type_fields]
        out[key] = entry
    return out


def _login_settings(security: AuthSecurity, cm: Mapping[str, str]) -> dict[str, Any]:
    logins = any(a.enabled and a.can("login") for a in security.accounts.values())
    body: dict[str, Any] = {
        "url": safe_url(cm.get("url")),
        "userLoginsDisabled": not logins,
        "uiCssURL": safe_url(cm.get("ui.cssurl")),
        "uiBannerContent": cm.get("ui.bannercontent", ""),
        "uiBannerURL": safe_url(cm.get("ui.bannerurl")),
        "uiBannerPermanent": cm.get("ui.bannerpermanent", "") == "true",
        "uiBannerPosition": cm.get("ui.bannerposition", ""),
        "help": {
            "chatUrl": safe_url(cm.get("help.chatUrl")),
            "chatText": cm.get("help.chatText", ""),
        },
    }
    extra = _yaml(cm.get("additionalUrls", ""))
    if isinstance(extra, list):
        body["additionalUrls"] = [u for u in map(safe_url, extra) if u]
    return body


@router.get("/api/v1/settings")
async def get_settings(ctx: Ctx, caller: Maybe) -> dict[str, Any]:
    """Argo CD's ``Settings``: public settings; the login-page minimum without a session."""
    security = ctx.security
    if not isinstance(security, AuthSecurity):
        return {}
    await security.refresh()
    cm = security.settings
    body = _login_settings(security, cm)
    if (oidc := _oidc(security)) is not None:
        body["oidcConfig"] = oidc
    if security.dex_server and (dex := _dex(cm)) is not None:
        body["dexConfig"] = dex
    if caller is None or caller.anonymous:
        return body
    body |= {
        "appLabelKey": cm.get("application.instanceLabelKey") or "app.kubernetes.io/instance",
        "trackingMethod": cm.get("application.resourceTrackingMethod") or "annotation",
        "statusBadgeEnabled": cm.get("statusbadge.enabled", "") == "true",
        "statusBadgeRootUrl": safe_url(cm.get("statusbadge.url")),
        "resourceOverrides": _overrides(cm),
        "kustomizeOptions": {"buildOptions": cm.get("kustomize.buildOptions", "")},
        "passwordPattern": password_pattern(cm),
        "controllerNamespace": security.namespace,
        "execEnabled": cm.get("exec.enabled", "") == "true",
        "appsInAnyNamespaceEnabled": False,
        "impersonationEnabled": cm.get("application.sync.impersonation.enabled", "") == "true",
        "hydratorEnabled": False,
        "installationID": cm.get("installationID", ""),
    }
    return body


@router.get("/api/version", tags=["VersionService"])
async def version(ctx: Ctx, caller: Maybe) -> dict[str, Any]:
    """Argo CD's ``VersionMessage``; build details only for a caller with a session."""
    if caller is None or caller.anonymous:
        return {"Version": ctx.version}
    return {
        "Version": ctx.version,
        "BuildDate": "",
        "GitCommit": "",
        "GitTag": "",
        "GitTreeState": "",
        "GoVersion": "",
        "Compiler": "cpython",
        "Platform": f"{platform.system().lower()}/{platform.machine().lower()}",
        "KustomizeVersion": "",
        "HelmVersion": "",
        "KubectlVersion": "",
        "JsonnetVersion": "",
        "ExtraBuildInfo": f"python {platform.python_version()}",
    }
