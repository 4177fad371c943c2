"""OCI registries: Helm charts stored as OCI artifacts and OCI artifacts as generic sources.

Our own small client for the distribution API (``/v2/``): tags, manifests and blobs, with
basic or bearer-token authentication from the repository Secret, size caps on manifests
and blobs, digests verified, and layers unpacked with the same guards as chart archives.
A generic source (``repoURL: oci://host/repo``) resolves to the manifest digest, which is
what the response reports as its revision; a chart resolves to its version.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nodesemver
import orjson

from kaiun.repo.credentials import CredentialStore, RepoCredential
from kaiun.repo.errors import (
    AuthenticationError,
    ChartRepositoryError,
    ManifestTooLargeError,
    RevisionNotFoundError,
)
from kaiun.repo.helmrepo import safe_extract_chart
from kaiun.repo.singleflight import SingleFlight
from kaiun.repo.tlscerts import TlsCerts

__all__ = ["OciClient", "OciRef", "parse_oci_ref"]

_ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class OciRef:
    """A repository in a registry: ``host[:port]`` and a path like ``charts/my-chart``."""

    host: str
    repository: str

    def __str__(self) -> str:
        return f"oci://{self.host}/{self.repository}"


def parse_oci_ref(url: str, *suffix: str) -> OciRef:
    """``oci://host/path`` or ``host/path`` (plus extra path parts) as an ``OciRef``."""
    rest = url.removeprefix("oci://").strip("/")
    host, _, path = rest.partition("/")
    full = "/".join(p.strip("/") for p in (path, *suffix) if p)
    if not host or not full:
        raise ChartRepositoryError(f"{url!r} is not an OCI repository reference")
    return OciRef(host, full)


class OciClient:
    """Reads tags, manifests and layers from OCI registries; one instance per service."""

    def __init__(
        self,
        root: Path,
        credentials: CredentialStore | None = None,
        *,
        max_manifest_bytes: int = 4 * 1024 * 1024,
        max_blob_bytes: int = 100 * 1024 * 1024,
        max_extracted_bytes: int = 1024 * 1024 * 1024,
        timeout: float = 90.0,
        tls_certs: TlsCerts | None = None,
    ) -> None:
        self.root = root
        self.tls_certs = tls_certs or TlsCerts()
        self.credentials = credentials or CredentialStore()
        self.max_manifest_bytes = max_manifest_bytes
        self.max_blob_bytes = max_blob_bytes
        self.max_extracted_bytes = max_extracted_bytes
        self.timeout = timeout
        self._tokens: dict[str, str] = {}
        self._flights = SingleFlight()
        root.mkdir(parents=True, exist_ok=True)

    # -- HTTP ------------------------------------------------------------------------

    def forget_tokens(self) -> None:
        """Drop the registry tokens granted so far (the credentials behind them changed)."""
        self._tokens = {}

    def _cred(self, repo_url: str) -> RepoCredential | None:
        return self.credentials.lookup(repo_url)

    def _base(self, ref: OciRef, cred: RepoCredential | None) -> str:
        plain = cred is not None and cred.insecure_oci_force_http
        return f"{'http' if plain else 'https'}://{ref.host}/v2/{ref.repository}"

    async def _get(
        self, repo_url: str, ref: OciRef, path: str, limit: int, accept: str = "*/*"
    ) -> bytes:
        try:
            return await self._fetch(repo_url, ref, path, limit, accept)
        except httpx.HTTPError as exc:
            # Unreachable, TLS to a plain-HTTP registry...: a repository error, not a crash.
            raise ChartRepositoryError(f"{ref}: {path}: {type(exc).__name__}") from None

    async def _fetch(self, repo_url: str, ref: OciRef, path: str, limit: int, accept: str) -> bytes:
        cred = self._cred(repo_url)
        url = f"{self._base(ref, cred)}/{path}"
        verify = self.tls_certs.httpx_verify(repo_url, cred)
        proxy = cred.proxy_for(url) if cred else None
        async with httpx.AsyncClient(timeout=self.timeout, verify=verify, proxy=proxy) as client:
            for attempt in range(2):
                headers = {"Accept": accept}
                token = self._tokens.get(str(ref))
                if token:
                    headers["Authorization"] = token
                async with client.stream("GET", url, headers=headers, follow_redirects=True) as r:
                    if r.status_code == 401 and attempt == 0:
                        self._tokens[str(ref)] = await self._authorize(
                            client, r, ref, cred, repo_url
                        )
                        continue
                    if r.status_code in (401, 403):
                        raise AuthenticationError(str(ref))
                    if r.status_code == 404:
                        raise RevisionNotFoundError(f"{path.split('/')[-1]!r} not found in {ref}")
                    if r.status_code != 200:
                        raise ChartRepositoryError(f"{ref}: HTTP {r.status_code} for {path}")
                    body = bytearray()
                    async for chunk in r.aiter_bytes():
                        body += chunk
                        if len(body) > limit:
                            raise ManifestTooLargeError(f"{ref}: {path} exceeds {limit} bytes")
                    return bytes(body)
        raise AuthenticationError(str(ref))

    async def _authorize(
        self,
        client: httpx.AsyncClient,
        response: httpx.Response,
        ref: OciRef,
        cred: RepoCredential | None,
        repo_url: str,
    ) -> str:
        """The Authorization header the registry's challenge asks for (basic or bearer)."""
        challenge = response.headers.get("www-authenticate", "")
        basic = httpx.BasicAuth(cred.username, cred.password) if cred and cred.username else None
        if challenge.lower().startswith("basic"):
            if cred is None or not cred.username:
                raise AuthenticationError(str(ref))
            pair = f"{cred.username}:{cred.password}".encode()
            return "Basic " + base64.b64encode(pair).decode()
        params = dict(_CHALLENGE.findall(challenge))
        if "realm" not in params:
            raise AuthenticationError(str(ref))
        query = {"service": params.get("service", ""), "scope": f"repository:{ref.repository}:pull"}
        token_response = await client.get(params["realm"], params=query, auth=basic)
        if token_response.status_code != 200:
            raise AuthenticationError(str(ref))
        data = token_response.json()
        return f"Bearer {data.get('token') or data.get('access_token')}"

    # -- registry reads --------------------------------------------------------------

    async def tags(self, repo_url: str, ref: OciRef) -> list[str]:
        """Every tag of ``ref``."""
        body = await self._get(repo_url, ref, "tags/list", self.max_manifest_bytes)
        return [str(t) for t in orjson.loads(body).get("tags") or []]

    async def resolve_tag(self, repo_url: str, ref: OciRef, revision: str, prefix: str = "") -> str:
        """The tag ``revision`` names: exact, else the highest tag matching a semver range."""
        tags = await self.tags(repo_url, ref)
        if revision in tags:
            return revision
        if "+" in revision and revision.replace("+", "_") in tags:
            # Helm pushes a chart version's "+" (build metadata) as "_": OCI tags cannot hold
            # "+". A targetRevision names the version, so look it up the way Helm does.
            return revision.replace("+", "_")
        versions = {
            str(v): t
            for t in tags
            if t.startswith(prefix)
            for v in [nodesemver.valid(t.removeprefix(prefix), loose=True)]
            if v is not None
        }
        best = nodesemver.max_satisfying(list(versions), revision or "*", loose=True)
        if best is None:
            raise RevisionNotFoundError(f"no tag matching {revision or '*'!r} in {ref}")
        return versions[str(best)]

    async def manifest(
        self, repo_url: str, ref: OciRef, reference: str
    ) -> tuple[str, dict[str, Any]]:
        """``(digest, manifest)`` of a tag or digest."""
        body = await self._get(
            repo_url, ref, f"manifests/{reference}", self.max_manifest_bytes, _ACCEPT
        )
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if _DIGEST.match(reference) and reference != digest:
            raise ChartRepositoryError(f"{ref}: manifest digest mismatch for {reference}")
        return digest, orjson.loads(body)

    async def unpack(self, repo_url: str, ref: OciRef, digest: str, *, chart: str = "") -> Path:
        """The artifact's layers unpacked into a directory shared by every app (by digest)."""
        dest = self.root / digest.replace(":", "-")
        if dest.is_dir():
            return dest

        async def fetch() -> Path:
            _, manifest = await self.manifest(repo_url, ref, digest)
            staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".tmp-"))
            try:
                out = staging / "out"
                out.mkdir()
                for layer in manifest.get("layers") or []:
                    blob = await self._blob(repo_url, ref, str(layer.get("digest")))
                    archive = staging / "layer"
                    archive.write_bytes(blob)
                    await asyncio.to_thread(
                        safe_extract_chart, archive, out, max_bytes=self.max_extracted_bytes
                    )
                if dest.is_dir():
                    return dest
                out.rename(dest)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            return dest

        return await self._flights.do(f"unpack {dest}", fetch)

    async def _blob(self, repo_url: str, ref: OciRef, digest: str) -> bytes:
        if not _DIGEST.match(digest):
            raise ChartRepositoryError(f"{ref}: unsupported layer digest {digest!r}")
        body = await self._get(repo_url, ref, f"blobs/{digest}", self.max_blob_bytes)
        if "sha256:" + hashlib.sha256(body).hexdigest() != digest:
            raise ChartRepositoryError(f"{ref}: layer {digest} does not match its digest")
        return body
