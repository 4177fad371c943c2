"""A client for one registry endpoint: Docker Registry HTTP API v2 / OCI distribution (IO).

The conversation: ping ``/v2/`` (unless ``ping: no``) to learn the auth scheme from
``WWW-Authenticate``; for ``Bearer`` fetch a token per repository scope from the realm (basic
credentials if any); for ``Basic`` send the credentials. Then list tags (following ``Link``
pagination), read manifests and image indexes, and config blobs for creation times. Requests
are spaced to ``limit`` per second. Every failure is a :class:`RegistryError` whose ``step``
says which part failed; credentials never appear in messages.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from kaiun.controllers.imageupdater import manifests
from kaiun.controllers.imageupdater.credref import Credentials
from kaiun.controllers.imageupdater.errors import RegistryError
from kaiun.controllers.imageupdater.registries import RegistryConfig
from kaiun.controllers.imageupdater.strategies import ImageVariant, TagMetadata

TAG_PAGE = 1000
CONNECTIONS = 16
# Config blobs remembered per client (they never change for a digest).
CONFIG_CACHE = 4096


class RateLimiter:
    """Spaces request starts ``1/limit`` seconds apart (no limit when ``limit`` is 0)."""

    def __init__(
        self,
        limit: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.interval = 1.0 / limit if limit > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self._next = 0.0

    async def wait(self) -> None:
        """Return when the next request may start."""
        if not self.interval:
            return
        # Reserve a slot synchronously (no await in between), so concurrent callers queue.
        now = self.clock()
        start = max(now, self._next)
        self._next = start + self.interval
        if start > now:
            await self.sleep(start - now)


@dataclass
class _Token:
    value: str
    expires: float


class RegistryClient:
    """One registry endpoint with one set of credentials (or none)."""

    def __init__(
        self,
        config: RegistryConfig,
        *,
        credentials: Credentials | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        page_size: int = TAG_PAGE,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.config = config
        self.page_size = page_size
        self.credentials = credentials
        self.http = httpx.AsyncClient(
            base_url=config.api_url,
            verify=not config.insecure,
            timeout=timeout,
            follow_redirects=True,
            transport=transport,
            # Keep every connection alive: closing and reopening them under load costs more
            # than the registry's answer.
            limits=httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS),
        )
        self.limiter = limiter or RateLimiter(config.limit)
        self.requests = 0
        self._challenge: manifests.Challenge | None = None
        self._pinged = False
        self._tokens: dict[str, _Token] = {}
        self._ping_lock = asyncio.Lock()
        self._configs: dict[tuple[str, str], asyncio.Task[manifests.ImageConfig]] = {}

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- transport ------------------------------------------------------------------------

    async def _send(self, method: str, url: str, step: str, **kwargs: Any) -> httpx.Response:
        await self.limiter.wait()
        self.requests += 1
        try:
            return await self.http.request(method, url, **kwargs)
        except httpx.TimeoutException:
            raise RegistryError(step, self.config.api_url, "the request timed out") from None
        except httpx.TransportError as exc:
            raise RegistryError(
                step, self.config.api_url, f"cannot connect ({type(exc).__name__}: {exc})"
            ) from None

    async def ping(self) -> manifests.Challenge | None:
        """``GET /v2/``: None when no auth is needed, else the auth challenge."""
        async with self._ping_lock:
            if self._pinged:
                return self._challenge
            resp = await self._send("GET", "/v2/", "ping")
            if resp.status_code == 401:
                self._challenge = manifests.parse_challenge(
                    resp.headers.get("www-authenticate", "")
                )
            elif resp.status_code >= 400:
                raise RegistryError(
                    "ping",
                    self.config.api_url,
                    f"GET /v2/ answered HTTP {resp.status_code}; is this a Docker/OCI registry? "
                    "(registries.conf 'ping: no' skips this probe)",
                )
            self._pinged = True
            return self._challenge

    # -- auth -----------------------------------------------------------------------------

    def _basic(self) -> httpx.BasicAuth | None:
        if self.credentials is None:
            return None
        return httpx.BasicAuth(self.credentials.username, self.credentials.password)

    def _who(self) -> str:
        return f"user {self.credentials.username!r}" if self.credentials else "anonymous access"

    async def _token(self, scope: str) -> str:
        cached = self._tokens.get(scope)
        if cached and cached.expires > time.monotonic():
            return cached.value
        challenge = self._challenge
        assert challenge is not None
        if not challenge.realm:
            raise RegistryError("token", self.config.api_url, "the Bearer challenge has no realm")
        params = {"scope": scope}
        if challenge.service:
            params["service"] = challenge.service
        resp = await self._send("GET", challenge.realm, "token", params=params, auth=self._basic())
        if resp.status_code in (401, 403):
            raise RegistryError(
                "token",
                self.config.api_url,
                f"the token realm {challenge.realm} refused {self._who()} "
                f"(HTTP {resp.status_code}); check the credentials",
            )
        if resp.status_code >= 400:
            raise RegistryError(
                "token", self.config.api_url, f"the token realm answered HTTP {resp.status_code}"
            )
        try:
            body = orjson.loads(resp.content)
            value = body.get("token") or body.get("access_token")
        except (orjson.JSONDecodeError, AttributeError):
            value = None
        if not isinstance(value, str) or not value:
            raise RegistryError("token", self.config.api_url, "the token realm sent no token")
        ttl = float(body.get("expires_in") or 60)
        self._tokens[scope] = _Token(value, time.monotonic() + max(ttl - 5, 1))
        return value

    async def _headers(self, scope: str) -> dict[str, str]:
        challenge = self._challenge
        if challenge is None:
            return {}
        if challenge.scheme == "bearer":
            return {"Authorization": f"Bearer {await self._token(scope)}"}
        if self.credentials is None:
            raise RegistryError(
                "basic-auth", self.config.api_url, "the registry requires credentials; none given"
            )
        pair = f"{self.credentials.username}:{self.credentials.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}

    async def _get(self, url: str, *, scope: str, step: str, accept: str = "") -> httpx.Response:
        if self.config.ping:
            await self.ping()
        for attempt in (0, 1):
            headers = await self._headers(scope)
            if accept:
                headers["Accept"] = accept
            resp = await self._send("GET", url, step, headers=headers)
            if resp.status_code != 401:
                return resp
            fresh = manifests.parse_challenge(resp.headers.get("www-authenticate", ""))
            if (
                attempt == 0
                and fresh is not None
                and fresh.scheme != getattr(self._challenge, "scheme", None)
            ):
                # ping: no, or the registry changed its mind: learn the scheme and retry once.
                self._challenge = fresh
                continue
            self._tokens.pop(scope, None)
            break
        raise self._refused(step)

    def _refused(self, step: str) -> RegistryError:
        scheme = getattr(self._challenge, "scheme", "")
        if scheme == "basic":
            return RegistryError(
                "basic-auth",
                self.config.api_url,
                f"the registry refused {self._who()} (HTTP 401); check the username and password",
            )
        if scheme == "bearer":
            return RegistryError(
                "token",
                self.config.api_url,
                f"the registry refused the token issued for {self._who()} during {step}",
            )
        return RegistryError(step, self.config.api_url, "the registry answered HTTP 401")

    # -- API ------------------------------------------------------------------------------

    async def tags(self, repository: str) -> list[str]:
        """Every tag of ``repository``, across pages."""
        scope = f"repository:{repository}:pull"
        url = f"/v2/{repository}/tags/list?n={self.page_size}"
        found: list[str] = []
        while url:
            resp = await self._get(url, scope=scope, step="tag-list")
            if resp.status_code == 404:
                raise RegistryError(
                    "tag-list", self.config.api_url, f"repository {repository!r} not found"
                )
            _check(resp, "tag-list", self.config.api_url, f"listing tags of {repository}")
            try:
                found.extend(orjson.loads(resp.content).get("tags") or [])
            except (orjson.JSONDecodeError, AttributeError):
                raise RegistryError(
                    "tag-list", self.config.api_url, "the tag list is not valid JSON"
                ) from None
            url = manifests.next_link(resp.headers.get("link", ""))
        return found

    async def _manifest(self, repository: str, reference: str) -> tuple[dict[str, Any], str, str]:
        scope = f"repository:{repository}:pull"
        resp = await self._get(
            f"/v2/{repository}/manifests/{reference}",
            scope=scope,
            step="manifest",
            accept=manifests.ACCEPT,
        )
        _check(resp, "manifest", self.config.api_url, f"{repository}:{reference}")
        digest = resp.headers.get("docker-content-digest") or (
            "sha256:" + hashlib.sha256(resp.content).hexdigest()
        )
        try:
            doc = orjson.loads(resp.content)
        except orjson.JSONDecodeError:
            raise RegistryError(
                "manifest", self.config.api_url, f"{repository}:{reference} is not JSON"
            ) from None
        return doc, manifests.media_type(doc, resp.headers.get("content-type", "")), digest

    async def image_config(self, repository: str, digest: str) -> manifests.ImageConfig:
        """The config blob ``digest`` of ``repository``: content-addressed, so fetched once
        per client (concurrent callers share the request)."""
        key = (repository, digest)
        task = self._configs.get(key)
        if task is None or (task.done() and task.exception() is not None):
            if len(self._configs) >= CONFIG_CACHE:
                self._configs.pop(next(iter(self._configs)))
            task = asyncio.ensure_future(self._fetch_config(repository, digest))
            self._configs[key] = task
        return await asyncio.shield(task)

    async def _fetch_config(self, repository: str, digest: str) -> manifests.ImageConfig:
        resp = await self._get(
            f"/v2/{repository}/blobs/{digest}",
            scope=f"repository:{repository}:pull",
            step="config-blob",
        )
        _check(resp, "config-blob", self.config.api_url, f"{repository}@{digest}")
        try:
            return manifests.parse_config(orjson.loads(resp.content))
        except (orjson.JSONDecodeError, AttributeError):
            raise RegistryError("config-blob", self.config.api_url, "config is not JSON") from None

    async def metadata(self, repository: str, tag: str, *, created: bool = True) -> TagMetadata:
        """The tag's digest and platform images (with creation times when ``created``)."""
        doc, kind, digest = await self._manifest(repository, tag)
        if kind in manifests.INDEX_TYPES:
            entries = manifests.index_entries(doc)
            if not created:
                variants = tuple(
                    ImageVariant(e.os, e.arch, e.variant, None, e.digest) for e in entries
                )
                return TagMetadata(tag, digest, variants)
            children = await asyncio.gather(*(self._image(repository, e.digest) for e in entries))
            variants = tuple(
                ImageVariant(e.os, e.arch, e.variant, c.created, e.digest)
                for e, c in zip(entries, children, strict=True)
            )
            return TagMetadata(tag, digest, variants)
        config = await self.image_config(repository, manifests.config_digest(doc))
        return TagMetadata(
            tag,
            digest,
            (ImageVariant(config.os, config.arch, config.variant, config.created, digest),),
        )

    async def _image(self, repository: str, digest: str) -> manifests.ImageConfig:
        doc, _, _ = await self._manifest(repository, digest)
        return await self.image_config(repository, manifests.config_digest(doc))


def _check(resp: httpx.Response, step: str, registry: str, what: str) -> None:
    if resp.status_code == 429:
        raise RegistryError(step, registry, f"rate limited (HTTP 429) on {what}; lower 'limit'")
    if resp.status_code == 403:
        raise RegistryError(step, registry, f"access to {what} denied (HTTP 403)")
    if resp.status_code == 404:
        raise RegistryError(step, registry, f"{what} not found")
    if resp.status_code >= 400:
        raise RegistryError(step, registry, f"HTTP {resp.status_code} on {what}")
