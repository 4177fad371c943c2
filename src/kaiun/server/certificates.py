"""``/api/v1/certificates``: SSH known hosts and TLS certificates for repository servers.

Stored where Argo CD keeps them: ``argocd-ssh-known-hosts-cm`` (key ``ssh_known_hosts``, one
``host type key`` line each) and ``argocd-tls-certs-cm`` (one key per server name, PEM data).
RBAC resource ``certificates`` with an empty object, as in Argo CD.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import re
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from kaiun.kube import errors as kerrors
from kaiun.server.applications import Ctx, Who
from kaiun.server.context import ServerContext, translate
from kaiun.server.errors import InvalidArgument
from kaiun.server.security import require

router = APIRouter(prefix="/api/v1", tags=["CertificateService"])
SSH_CM, SSH_KEY, TLS_CM = "argocd-ssh-known-hosts-cm", "ssh_known_hosts", "argocd-tls-certs-cm"
_HOST = re.compile(r"^[A-Za-z0-9._\-\[\]:]{1,253}$")
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----")


class Certificate(BaseModel):
    """Argo CD's ``RepositoryCertificate``."""

    model_config = ConfigDict(extra="ignore")
    serverName: str
    certType: str
    certSubType: str = ""
    certData: str = ""
    certInfo: str = ""


class CertificateList(BaseModel):
    """Argo CD's ``RepositoryCertificateList``."""

    model_config = ConfigDict(extra="ignore")
    items: list[Certificate] = Field(default_factory=list)


async def _cm(ctx: ServerContext, name: str) -> dict[str, Any] | None:
    try:
        return await ctx.client.get("v1", "ConfigMap", name, ctx.namespace)
    except kerrors.NotFound:
        return None
    except kerrors.KubeError as exc:
        raise translate(exc, f"configmap {name}") from exc


def _ssh_entries(text: str) -> list[dict[str, str]]:
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 3 or line.lstrip().startswith("#"):
            continue
        host, subtype, key = parts[0], parts[1], parts[2]
        try:
            raw = base64.b64decode(key, validate=True)
        except (binascii.Error, ValueError):
            continue
        fingerprint = base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")
        out.append(
            {
                "serverName": host,
                "certType": "ssh",
                "certSubType": subtype,
                "certData": base64.b64encode(key.encode()).decode(),
                "certInfo": f"SHA256:{fingerprint}",
            }
        )
    return out


def _tls_entries(data: dict[str, str]) -> list[dict[str, str]]:
    out = []
    for host, pem in sorted(data.items()):
        for block in _PEM.findall(pem):
            digest = hashlib.sha256(block.encode()).hexdigest()[:16]
            out.append(
                {
                    "serverName": host,
                    "certType": "https",
                    "certSubType": "",
                    "certData": base64.b64encode(block.encode()).decode(),
                    "certInfo": f"sha256:{digest}",
                }
            )
    return out


async def _all(ctx: ServerContext) -> list[dict[str, str]]:
    ssh = await _cm(ctx, SSH_CM)
    tls = await _cm(ctx, TLS_CM)
    return _ssh_entries(((ssh or {}).get("data") or {}).get(SSH_KEY, "")) + _tls_entries(
        (tls or {}).get("data") or {}
    )


def _matches(c: dict[str, str], pattern: str, cert_type: str, sub_type: str) -> bool:
    return (
        (not pattern or fnmatch.fnmatchcase(c["serverName"], pattern))
        and (not cert_type or c["certType"] == cert_type)
        and (not sub_type or c["certSubType"] == sub_type)
    )


@router.get("/certificates")
async def list_certificates(
    ctx: Ctx, caller: Who, hostNamePattern: str = "", certType: str = "", certSubType: str = ""
) -> dict[str, Any]:
    """Known hosts and TLS certificates, filtered by host glob and type."""
    require(ctx.security, caller, "certificates", "get", "")
    items = [c for c in await _all(ctx) if _matches(c, hostNamePattern, certType, certSubType)]
    return {"metadata": {}, "items": items}


def _validated(cert: Certificate) -> tuple[str, str]:
    if not _HOST.match(cert.serverName):
        raise InvalidArgument(f"invalid server name {cert.serverName!r}")
    try:
        data = base64.b64decode(cert.certData, validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        data = cert.certData
    if cert.certType == "ssh":
        try:
            base64.b64decode(data.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise InvalidArgument("ssh certData must be a base64 public key") from None
        if not re.fullmatch(r"[a-z0-9@.\-]{3,64}", cert.certSubType):
            raise InvalidArgument("ssh certSubType must be the key type, e.g. ssh-ed25519")
        return f"{cert.serverName} {cert.certSubType} {data.strip()}", ""
    if cert.certType == "https":
        blocks = _PEM.findall(data)
        if not blocks:
            raise InvalidArgument("https certData must hold PEM certificates")
        return "\n".join(blocks), cert.serverName
    raise InvalidArgument("certType must be ssh or https")


async def _write(ctx: ServerContext, name: str, data: dict[str, str], existing: Any) -> None:
    meta: dict[str, Any] = {"name": name, "namespace": ctx.namespace}
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}
    try:
        if existing is None:
            await ctx.client.create(body)
        else:
            meta["resourceVersion"] = existing["metadata"]["resourceVersion"]
            await ctx.client.replace(body)
    except kerrors.KubeError as exc:
        raise translate(exc, f"configmap {name}") from exc


@router.post("/certificates")
async def create_certificates(
    ctx: Ctx, caller: Who, body: CertificateList, upsert: bool = False
) -> dict[str, Any]:
    """Add known hosts / TLS certificates (``upsert`` replaces a server's TLS data)."""
    require(ctx.security, caller, "certificates", "create", "")
    ssh_cm, tls_cm = await _cm(ctx, SSH_CM), await _cm(ctx, TLS_CM)
    ssh_lines = (((ssh_cm or {}).get("data") or {}).get(SSH_KEY, "")).splitlines()
    tls = dict((tls_cm or {}).get("data") or {})
    for cert in body.items:
        entry, host = _validated(cert)
        if cert.certType == "ssh":
            if entry not in ssh_lines:
                ssh_lines.append(entry)
        elif host in tls and tls[host].strip() != entry and not upsert:
            raise InvalidArgument(f"TLS data for {host} exists and is different; use upsert")
        else:
            tls[host] = entry
    await _write(ctx, SSH_CM, {SSH_KEY: "\n".join(ssh_lines) + "\n"}, ssh_cm)
    await _write(ctx, TLS_CM, tls, tls_cm)
    return {"metadata": {}, "items": [c.model_dump() for c in body.items]}


@router.delete("/certificates")
async def delete_certificates(
    ctx: Ctx, caller: Who, hostNamePattern: str = "", certType: str = "", certSubType: str = ""
) -> dict[str, Any]:
    """Remove matching certificates; returns what was removed."""
    require(ctx.security, caller, "certificates", "delete", "")
    if not hostNamePattern:
        raise InvalidArgument("hostNamePattern is required")
    removed = [c for c in await _all(ctx) if _matches(c, hostNamePattern, certType, certSubType)]
    ssh_cm, tls_cm = await _cm(ctx, SSH_CM), await _cm(ctx, TLS_CM)
    if ssh_cm is not None:
        kept = [
            line
            for line in ((ssh_cm.get("data") or {}).get(SSH_KEY, "")).splitlines()
            if not (e := _ssh_entries(line))
            or not _matches(e[0], hostNamePattern, certType, certSubType)
        ]
        await _write(ctx, SSH_CM, {SSH_KEY: "\n".join(kept) + "\n"}, ssh_cm)
    if tls_cm is not None and certType in ("", "https"):
        tls = {
            h: v
            for h, v in (tls_cm.get("data") or {}).items()
            if not fnmatch.fnmatchcase(h, hostNamePattern)
        }
        await _write(ctx, TLS_CM, tls, tls_cm)
    return {"metadata": {}, "items": removed}
