"""Helm chart repositories over HTTP: ``index.yaml``, version constraints, capped downloads.

``HelmRepos.resolve`` picks the chart version ``targetRevision`` names (an exact version or
a semver range, highest stable match); ``HelmRepos.chart_dir`` downloads that version once
and unpacks it safely. Index and archive downloads are size-capped (CVE-2024-29893: an
unbounded ``index.yaml`` OOM-killed Argo CD), archives are unpacked with no absolute,
``..`` or link entries and a cap on the unpacked size (CVE-2023-40584).
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import nodesemver
import yaml

from kaiun.repo.credentials import CredentialStore, RepoCredential
from kaiun.repo.errors import (
    AuthenticationError,
    ChartRepositoryError,
    ManifestTooLargeError,
    PathEscapeError,
    RevisionNotFoundError,
)
from kaiun.repo.singleflight import SingleFlight
from kaiun.repo.tlscerts import TlsCerts
from kaiun.repo.urls import normalize_repo_url, redact_url

__all__ = ["HelmRepos", "safe_extract_chart"]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_extract_chart(
    archive: Path, dest: Path, *, max_bytes: int, max_files: int = 10_000
) -> None:
    """Unpack a chart archive; refuse links, escapes, too many files or too many bytes."""
    total = 0
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        if len(members) > max_files:
            raise ManifestTooLargeError(f"chart archive has more than {max_files} entries")
        for member in members:
            if member.issym() or member.islnk():
                raise PathEscapeError(f"chart archive entry {member.name!r} is a link")
            if member.name.startswith("/") or ".." in Path(member.name).parts:
                raise PathEscapeError(f"chart archive entry {member.name!r} escapes the chart")
            total += max(member.size, 0)
            if total > max_bytes:
                raise ManifestTooLargeError(f"chart archive unpacks to more than {max_bytes} bytes")
        tar.extractall(dest, members=members, filter="data")


class HelmRepos:
    """Index cache, version resolution and unpacked charts under one directory."""

    def __init__(
        self,
        root: Path,
        credentials: CredentialStore | None = None,
        *,
        max_index_bytes: int = 50 * 1024 * 1024,
        max_chart_bytes: int = 100 * 1024 * 1024,
        max_extracted_bytes: int = 1024 * 1024 * 1024,
        index_cache_seconds: float = 180.0,
        timeout: float = 90.0,
        tls_certs: TlsCerts | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.tls_certs = tls_certs or TlsCerts()
        self.credentials = credentials or CredentialStore()
        self.max_index_bytes = max_index_bytes
        self.max_chart_bytes = max_chart_bytes
        self.max_extracted_bytes = max_extracted_bytes
        self.index_cache_seconds = index_cache_seconds
        self.timeout = timeout
        self._clock = clock
        self._indexes: dict[str, tuple[float, dict[str, Any]]] = {}
        self._flights = SingleFlight()
        self.index_fetch_count = 0
        root.mkdir(parents=True, exist_ok=True)

    async def _download(
        self, url: str, repo_url: str, limit: int, what: str, *, send_auth: bool
    ) -> bytes:
        cred = self.credentials.lookup(repo_url)
        auth = _basic_auth(cred) if send_auth else None
        verify = self.tls_certs.httpx_verify(repo_url, cred)
        try:
            async with (
                httpx.AsyncClient(
                    timeout=self.timeout,
                    verify=verify,
                    auth=auth,
                    proxy=cred.proxy_for(url) if cred else None,
                ) as client,
                client.stream("GET", url) as response,
            ):
                if response.status_code in (401, 403):
                    raise AuthenticationError(redact_url(repo_url))
                if response.status_code != 200:
                    raise ChartRepositoryError(
                        f"{what} {redact_url(url)}: HTTP {response.status_code}"
                    )
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > limit:
                        raise ManifestTooLargeError(
                            f"{what} {redact_url(url)} exceeds {limit} bytes"
                        )
        except httpx.HTTPError as exc:
            raise ChartRepositoryError(f"{what} {redact_url(url)}: {type(exc).__name__}") from None
        return bytes(body)

    async def index(self, repo_url: str, *, refresh: bool = False) -> dict[str, Any]:
        """The repository's parsed ``index.yaml``, cached for ``index_cache_seconds``."""
        key = normalize_repo_url(repo_url)
        cached = self._indexes.get(key)
        if not refresh and cached and self._clock() - cached[0] < self.index_cache_seconds:
            return cached[1]

        async def load() -> dict[str, Any]:
            self.index_fetch_count += 1
            url = repo_url.rstrip("/") + "/index.yaml"
            body = await self._download(
                url, repo_url, self.max_index_bytes, "index", send_auth=True
            )
            try:
                doc = yaml.load(body, Loader=_Loader)
            except yaml.YAMLError:
                raise ChartRepositoryError(f"index {redact_url(url)} is not valid YAML") from None
            if not isinstance(doc, dict) or not isinstance(doc.get("entries"), dict):
                raise ChartRepositoryError(f"index {redact_url(url)} has no 'entries'")
            self._indexes[key] = (self._clock(), doc)
            return doc

        return await self._flights.do(f"index {key}", load)

    async def resolve(
        self, repo_url: str, chart: str, revision: str, *, refresh: bool = False
    ) -> dict[str, Any]:
        """The index entry of the chart version ``revision`` names (exact or a semver range)."""
        entries = (await self.index(repo_url, refresh=refresh))["entries"].get(chart) or []
        by_version = {str(e.get("version")): e for e in entries if isinstance(e, dict)}
        if revision in by_version:
            return by_version[revision]
        versions = [v for v in by_version if nodesemver.valid(v, loose=True)]
        best = nodesemver.max_satisfying(versions, revision or "*", loose=True)
        if best is None:
            raise RevisionNotFoundError(
                f"chart {chart!r} has no version matching {revision or '*'!r} in "
                f"{redact_url(repo_url)}"
            )
        return by_version[str(best)]

    async def chart_dir(
        self, repo_url: str, chart: str, entry: dict[str, Any], *, pass_credentials: bool = False
    ) -> Path:
        """The unpacked chart of ``entry``; downloaded once, then shared read-only."""
        version = str(entry.get("version"))
        key = hashlib.sha256(f"{normalize_repo_url(repo_url)} {chart} {version}".encode())
        dest = self.root / key.hexdigest()[:24]
        if (dest / chart / "Chart.yaml").is_file():
            return dest / chart

        async def fetch() -> Path:
            urls = entry.get("urls") or []
            if not urls:
                raise ChartRepositoryError(f"chart {chart} {version} has no download URL")
            url = urljoin(repo_url.rstrip("/") + "/", str(urls[0]))
            # Like helm, credentials go to another host only with passCredentials.
            same_host = urlsplit(url).netloc == urlsplit(repo_url).netloc
            body = await self._download(
                url, repo_url, self.max_chart_bytes, "chart",
                send_auth=same_host or pass_credentials,
            )  # fmt: skip
            await asyncio.to_thread(self._unpack, body, dest, chart)
            return dest / chart

        return await self._flights.do(f"chart {dest}", fetch)

    def _unpack(self, body: bytes, dest: Path, chart: str) -> None:
        staging = Path(tempfile.mkdtemp(dir=self.root, prefix=".tmp-"))
        try:
            archive = staging / "chart.tgz"
            archive.write_bytes(body)
            out = staging / "out"
            out.mkdir()
            try:
                safe_extract_chart(archive, out, max_bytes=self.max_extracted_bytes)
            except tarfile.TarError as exc:
                raise ChartRepositoryError(f"chart {chart}: bad archive ({exc})") from None
            if not (out / chart / "Chart.yaml").is_file():
                raise ChartRepositoryError(f"chart archive has no {chart}/Chart.yaml")
            shutil.rmtree(dest, ignore_errors=True)
            out.rename(dest)
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _basic_auth(cred: RepoCredential | None) -> httpx.BasicAuth | None:
    if cred is None or not (cred.username or cred.password):
        return None
    return httpx.BasicAuth(cred.username, cred.password)
