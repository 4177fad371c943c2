"""The one IO seam: an ``httpx.AsyncClient`` configured for a ``ClusterConfig``.

TLS (CA data, client certificates, insecure-skip-tls-verify) and authentication (bearer
token, token file, basic auth, exec credential plugins) live here. Tests and the local
cluster pass their own ``httpx.AsyncBaseTransport`` through the same seam.
"""

# httpcore's network interface names its parameters `timeout`; the wrappers must match it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import base64
import os
import ssl
import tempfile
from collections.abc import AsyncGenerator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpcore
import httpx
import orjson

from kaiun.kube.config import ClusterConfig, ExecConfig
from kaiun.kube.errors import ConfigError

EXEC_TIMEOUT = 30.0


def ssl_context(config: ClusterConfig, cert_pem: str | None, key_pem: str | None) -> ssl.SSLContext:
    """A client TLS context trusting the cluster's CA (or nothing, if insecure)."""
    ctx = ssl.create_default_context()
    if config.insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif config.ca_data:
        try:
            ctx.load_verify_locations(cadata=config.ca_data)
        except ssl.SSLError as exc:
            raise ConfigError(f"cluster {config.name}: CA data is not a PEM certificate") from exc
    if cert_pem and key_pem:
        # The ssl module loads key pairs from files only: use a private, short-lived directory.
        with tempfile.TemporaryDirectory(prefix="kaiun-tls-") as tmp:
            cert, key = Path(tmp) / "c.pem", Path(tmp) / "k.pem"
            for path, data in ((cert, cert_pem), (key, key_pem)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
                with os.fdopen(fd, "w") as fh:
                    fh.write(data)
            try:
                ctx.load_cert_chain(cert, key)
            except ssl.SSLError as exc:
                raise ConfigError(
                    f"cluster {config.name}: client certificate/key do not load or do not match"
                ) from exc
    return ctx


class ExecCredential:
    """Runs an exec credential plugin and caches its answer until it expires."""

    def __init__(self, exec_config: ExecConfig, server: str) -> None:
        self._cfg = exec_config
        self._server = server
        self._token: str | None = None
        self.cert_pem: str | None = None
        self.key_pem: str | None = None
        self._expires: datetime | None = None
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        if self._token is None and self.cert_pem is None:
            return False
        return self._expires is None or datetime.now(UTC) < self._expires

    async def token(self, *, force: bool = False) -> str | None:
        """The plugin's bearer token, running it when missing, expired or ``force``d."""
        async with self._lock:
            if force or not self._fresh():
                await self._run()
            return self._token

    async def _run(self) -> None:
        cfg = self._cfg
        info: dict[str, object] = {
            "apiVersion": cfg.api_version,
            "kind": "ExecCredential",
            "spec": {"interactive": False},
        }
        if cfg.provide_cluster_info:
            info["spec"] = {"interactive": False, "cluster": {"server": self._server}}
        env = {**os.environ, **dict(cfg.env), "KUBERNETES_EXEC_INFO": orjson.dumps(info).decode()}
        hint = f" ({cfg.install_hint})" if cfg.install_hint else ""
        try:
            proc = await asyncio.create_subprocess_exec(
                cfg.command,
                *cfg.args,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise ConfigError(
                f"exec plugin {cfg.command!r} cannot run: {exc.strerror}{hint}"
            ) from exc
        try:
            out, err = await asyncio.wait_for(proc.communicate(), EXEC_TIMEOUT)
        except TimeoutError as exc:
            proc.kill()
            await proc.wait()
            raise ConfigError(f"exec plugin {cfg.command!r} did not answer in time") from exc
        if proc.returncode != 0:
            # stderr may hold anything; keep only its last line and never stdout (the token).
            last = err.decode(errors="replace").strip().splitlines()[-1:] or [""]
            raise ConfigError(f"exec plugin {cfg.command!r} failed ({proc.returncode}): {last[0]}")
        self._parse(out)

    def _parse(self, out: bytes) -> None:
        try:
            status = orjson.loads(out).get("status") or {}
        except (orjson.JSONDecodeError, AttributeError) as exc:
            raise ConfigError(
                f"exec plugin {self._cfg.command!r} did not print ExecCredential JSON"
            ) from exc
        self._token = status.get("token")
        self.cert_pem = status.get("clientCertificateData")
        self.key_pem = status.get("clientKeyData")
        if not (self._token or (self.cert_pem and self.key_pem)):
            raise ConfigError(f"exec plugin {self._cfg.command!r} returned no token or certificate")
        stamp = status.get("expirationTimestamp")
        self._expires = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None


class ClusterAuth(httpx.Auth):
    """Adds credentials to each request; re-runs an exec plugin once after a 401."""

    def __init__(self, config: ClusterConfig, exec_credential: ExecCredential | None) -> None:
        self._config = config
        self._exec = exec_credential

    def __repr__(self) -> str:
        return f"ClusterAuth(cluster={self._config.name!r})"

    async def _bearer(self, force: bool) -> str | None:
        cfg = self._config
        if self._exec is not None:
            return await self._exec.token(force=force)
        if cfg.token_file is not None:
            # Projected service-account tokens rotate: read the file on each use.
            try:
                return cfg.token_file.read_text().strip()
            except OSError as exc:
                raise ConfigError(
                    f"cannot read token file {cfg.token_file}: {exc.strerror}"
                ) from exc
        return cfg.token

    async def _set(self, request: httpx.Request, force: bool) -> None:
        cfg = self._config
        token = await self._bearer(force)
        if token:
            request.headers["Authorization"] = f"Bearer {token}"
        elif cfg.username is not None:
            raw = f"{cfg.username}:{cfg.password or ''}".encode()
            request.headers["Authorization"] = "Basic " + base64.b64encode(raw).decode()

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await self._set(request, force=False)
        response = yield request
        if response.status_code == 401 and self._exec is not None:
            await response.aread()
            await self._set(request, force=True)
            yield request


async def open_client(
    config: ClusterConfig,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    request_timeout: float = 30.0,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` for ``config`` (runs an exec plugin first if it yields certs)."""
    exec_cred = ExecCredential(config.exec, config.server) if config.exec else None
    cert, key = config.client_cert_data, config.client_key_data
    if exec_cred is not None:
        await exec_cred.token()
        cert, key = exec_cred.cert_pem or cert, exec_cred.key_pem or key
    if transport is None:
        ctx = ssl_context(config, cert, key)
        # Each watched kind holds one streaming connection: no cap on connections.
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=32)
        transport = https_transport(ctx, limits=limits)
    return httpx.AsyncClient(
        base_url=config.server,
        transport=transport,
        auth=ClusterAuth(config, exec_cred),
        timeout=httpx.Timeout(request_timeout, connect=min(request_timeout, 10.0)),
        headers={"Accept": "application/json", "User-Agent": "kaiun"},
    )


class _CancelSafeStream(httpcore.AsyncNetworkStream):
    """A TCP stream that closes itself when its TLS handshake is cancelled.

    httpcore closes the raw socket only on ``Exception``; a watch task cancelled mid-handshake
    (cache stop, CRD gone, cluster restart) raised ``CancelledError`` and left the socket to
    the garbage collector.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            return await self._inner.start_tls(ssl_context, server_hostname, timeout)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._inner.aclose()
            raise

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _CancelSafeBackend(httpcore.AsyncNetworkBackend):
    """The default backend, handing out ``_CancelSafeStream``s."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return _CancelSafeStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def https_transport(
    ctx: ssl.SSLContext, *, limits: httpx.Limits | None = None
) -> httpx.AsyncHTTPTransport:
    """An HTTPS transport whose connections close when a request is cancelled mid-handshake."""
    transport = httpx.AsyncHTTPTransport(
        verify=ctx, retries=0, limits=limits or httpx.Limits(max_connections=None)
    )
    # httpx does not pass a network backend through to its httpcore pool; the pool's own
    # attribute is the one seam for it.
    pool = transport._pool
    pool._network_backend = _CancelSafeBackend(pool._network_backend)
    return transport
