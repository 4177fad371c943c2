"""Checking watched images against their registries (IO): one check cycle's engine.

:class:`ImageChecker` finds the endpoint for an image (registries.conf), resolves its
credentials (the image's ``pull-secret``, else the registry's ``credentials``; re-resolved after
``credsexpire``), lists tags, fetches manifests only when the strategy needs them, and lets
:mod:`strategies` choose. Tag lists and tag metadata are cached for ``cache_ttl`` (the check
interval) and concurrent checks of one image share a single request, so one cycle lists each
image's tags at most once however many applications watch it. Failures become a
:class:`CheckResult` with the failing ``step`` and message; nothing raises past :meth:`check`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import platform as host
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast

import httpx

from kaiun.controllers.imageupdater import imageref, strategies
from kaiun.controllers.imageupdater.credentials import CredentialResolver
from kaiun.controllers.imageupdater.credref import Credentials
from kaiun.controllers.imageupdater.errors import (
    ConfigError,
    CredentialsError,
    ImageUpdaterError,
    RegistryError,
)
from kaiun.controllers.imageupdater.model import ImageSpec, Platform, Strategy
from kaiun.controllers.imageupdater.registries import Registries, RegistryConfig
from kaiun.controllers.imageupdater.registry import RateLimiter, RegistryClient
from kaiun.controllers.imageupdater.strategies import Candidates, Choice, TagMetadata

_T = TypeVar("_T")
DEFAULT_INTERVAL = 120.0
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def runtime_platform() -> Platform:
    """The platform this process runs on, in OCI terms (``linux/amd64``...)."""
    machine = host.machine().lower()
    if machine.startswith("armv"):
        return Platform(host.system().lower(), "arm", f"v{machine[4]}")
    return Platform(host.system().lower(), _ARCH.get(machine, machine))


@dataclass(frozen=True)
class CheckResult:
    """The outcome of checking one image: a choice, or the step that failed and why."""

    spec: ImageSpec
    registry: str
    repository: str
    tags: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    choice: Choice | None = None
    step: str = ""
    error: str = ""
    warnings: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether the check reached a choice (which may still be "nothing qualifies")."""
        return not self.error


class _TTLCache:
    """A cache of awaitable results: entries live ``ttl`` seconds; concurrent misses share
    one computation. With ``enabled`` False every call computes afresh."""

    def __init__(self, ttl: float, *, enabled: bool, clock: Callable[[], float]) -> None:
        self.ttl, self.enabled, self.clock = ttl, enabled, clock
        self._entries: dict[object, tuple[float, asyncio.Task[object]]] = {}

    async def get(self, key: object, compute: Callable[[], Awaitable[_T]]) -> _T:
        if not self.enabled:
            return await compute()
        now = self.clock()
        hit = self._entries.get(key)
        if hit is None or hit[0] <= now or _failed_task(hit[1]):
            task: asyncio.Task[object] = asyncio.ensure_future(compute())
            self._entries[key] = (now + self.ttl, task)
            hit = self._entries[key]
        return cast(_T, await asyncio.shield(hit[1]))


def _failed_task(task: asyncio.Task[object]) -> bool:
    # A failed lookup is retried by the next caller rather than cached for the interval.
    return task.done() and (task.cancelled() or task.exception() is not None)


class ImageChecker:
    """Checks images; one instance per updater process (its caches span cycles)."""

    def __init__(
        self,
        registries: Registries,
        resolver: CredentialResolver | None = None,
        *,
        cache_ttl: float = DEFAULT_INTERVAL,
        cache: bool = True,
        platforms: tuple[Platform, ...] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registries = registries
        # Image Updater's default: an image without `platforms` only considers images for
        # the platform the updater runs on; an empty tuple lifts that restriction.
        self.platforms = (runtime_platform(),) if platforms is None else platforms
        self.resolver = resolver or CredentialResolver()
        self.transport = transport
        self.clock = clock
        self._clients: dict[tuple[str, str], RegistryClient] = {}
        self._creds: dict[tuple[str, str], tuple[float, Credentials]] = {}
        # One limiter per registry, shared by its clients (one per set of credentials).
        self._limiters: dict[str, RateLimiter] = {}
        self._tags = _TTLCache(cache_ttl, enabled=cache, clock=clock)
        self._meta = _TTLCache(cache_ttl, enabled=cache, clock=clock)
        self.tag_list_requests = 0

    async def aclose(self) -> None:
        """Close every registry connection."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    @property
    def requests(self) -> int:
        """HTTP requests sent to registries so far."""
        return sum(c.requests for c in self._clients.values())

    def requests_by_registry(self) -> dict[str, int]:
        """HTTP requests sent so far, per registry prefix."""
        out: dict[str, int] = {}
        for (prefix, _scope), client in self._clients.items():
            out[prefix] = out.get(prefix, 0) + client.requests
        return out

    async def _credentials(self, endpoint: RegistryConfig, reference: str) -> Credentials | None:
        if not reference:
            return None
        key = (endpoint.prefix, reference)
        hit = self._creds.get(key)
        if hit and (hit[0] == 0 or hit[0] > self.clock()):
            return hit[1]
        hosts = (endpoint.prefix, endpoint.api_url.split("://", 1)[-1].split("/", 1)[0])
        creds = await self.resolver.resolve(reference, hosts=hosts)
        expires = self.clock() + endpoint.credsexpire if endpoint.credsexpire else 0.0
        self._creds[key] = (expires, creds)
        return creds

    async def _client(self, endpoint: RegistryConfig, reference: str) -> RegistryClient:
        creds = await self._credentials(endpoint, reference)
        return await self._client_for(endpoint, reference, creds)

    async def _client_for(
        self, endpoint: RegistryConfig, reference: str, creds: Credentials | None
    ) -> RegistryClient:
        key = (endpoint.prefix, reference)
        client = self._clients.get(key)
        if client is None or client.credentials != creds or client.config != endpoint:
            if client is not None:
                await client.aclose()
            limiter = self._limiters.setdefault(endpoint.prefix, RateLimiter(endpoint.limit))
            client = RegistryClient(
                endpoint, credentials=creds, transport=self.transport, limiter=limiter
            )
            self._clients[key] = client
        return client

    async def tags(self, client: RegistryClient, repository: str, scope: str = "") -> list[str]:
        """The tag list, cached for the interval (``scope`` names the credentials used)."""

        async def fetch() -> list[str]:
            self.tag_list_requests += 1
            return await client.tags(repository)

        key = (client.config.prefix, scope, repository)
        return list(await self._tags.get(key, fetch))

    async def list_tags(
        self,
        registry: str,
        repository: str,
        *,
        reference: str = "",
        credentials: Credentials | None = None,
        plain_http: bool = False,
    ) -> list[str]:
        """The tags of ``registry/repository`` (an OCI chart's versions), cached as image tags
        are; credentials from ``reference`` (a pull-secret form), else the given ones (Argo CD
        repository credentials), else the registry's registries.conf credentials."""
        endpoint = self.registries.for_registry(registry)
        if plain_http and endpoint.api_url == f"https://{registry}":
            endpoint = dataclasses.replace(endpoint, api_url=f"http://{registry}")
        if reference or credentials is None:
            scope = reference or endpoint.credentials
            client = await self._client(endpoint, scope)
        else:
            # Keyed by the user, never the password, which must not sit in a cache key.
            scope = f"repository-credentials:{credentials.username}"
            client = await self._client_for(endpoint, scope, credentials)
        return await self.tags(client, repository, scope)

    async def _metadata(
        self,
        client: RegistryClient,
        repository: str,
        tags: tuple[str, ...],
        *,
        created: bool,
        scope: str,
    ) -> dict[str, TagMetadata]:
        async def one(tag: str) -> TagMetadata:
            key = (client.config.prefix, scope, repository, tag, created)
            return await self._meta.get(
                key, lambda: client.metadata(repository, tag, created=created)
            )

        found = await asyncio.gather(*(one(t) for t in tags))
        return dict(zip(tags, found, strict=True))

    async def check(self, spec: ImageSpec) -> CheckResult:
        """Check one image; never raises an :class:`ImageUpdaterError`."""
        if not spec.platforms and self.platforms:
            spec = dataclasses.replace(spec, platforms=self.platforms)
        endpoint = self.registries.for_registry(spec.image.registry)
        repository = imageref.api_repository(
            spec.image.repository, default_namespace=endpoint.defaultns
        )
        base = CheckResult(spec, endpoint.api_url, repository, warnings=spec.warnings)
        try:
            scope = spec.pull_secret or endpoint.credentials
            client = await self._client(endpoint, scope)
            tags = await self.tags(client, repository, scope)
            found = strategies.candidates(spec, tags)
            metadata: Mapping[str, TagMetadata] | None = None
            if strategies.needs_metadata(spec.strategy) and found.tags:
                created = spec.strategy is Strategy.NEWEST_BUILD
                metadata = await self._metadata(
                    client, repository, found.tags, created=created, scope=scope
                )
            choice = strategies.choose(spec, found, metadata)
        except RegistryError as exc:
            return _failed(base, exc.step, str(exc))
        except CredentialsError as exc:
            return _failed(base, "credentials", str(exc))
        except ConfigError as exc:
            return _failed(base, "config", str(exc))
        except ImageUpdaterError as exc:
            return _failed(base, "check", str(exc))
        return _done(base, tuple(tags), found, choice)


def _failed(base: CheckResult, step: str, message: str) -> CheckResult:
    return CheckResult(
        base.spec, base.registry, base.repository, step=step, error=message, warnings=base.warnings
    )


def _done(
    base: CheckResult, tags: tuple[str, ...], found: Candidates, choice: Choice
) -> CheckResult:
    return CheckResult(
        base.spec,
        base.registry,
        base.repository,
        tags=tags,
        candidates=found.tags,
        choice=choice,
        warnings=base.warnings,
    )
