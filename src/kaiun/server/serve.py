"""Run the API server: install the control plane, initialize accounts, serve HTTP(S).

``serve`` is what ``kaiun server`` runs and what ``kaiun up`` starts next to the
controller; it returns when ``stop`` is set (or its task is cancelled), after uvicorn has
closed its socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from kaiun.engine import install_control_plane
from kaiun.kube import KubeClient
from kaiun.server.app import create_app
from kaiun.server.authn import AuthSecurity
from kaiun.server.context import ServerContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServeOptions:
    """Where and how to listen; no ``certfile`` means plain HTTP."""

    address: str = "127.0.0.1"
    port: int = 8080
    certfile: Path | None = None
    keyfile: Path | None = None
    install: bool = True
    log_level: str = "warning"
    dex_server: str = ""  # an external Dex (Argo CD's --dex-server): SSO via dex.config
    # Called with the app after its API routes are in place: how ``kaiun.cli`` adds the
    # web UI (``kaiun.ui.mount``) without the server importing it.
    mounts: tuple[Callable[[FastAPI], None], ...] = ()


class _Server(uvicorn.Server):
    """uvicorn's server; with a ``stop`` event the caller owns SIGINT/SIGTERM (``kaiun up``
    runs other parts in the same process), so uvicorn must not take them over."""

    def __init__(self, config: uvicorn.Config, *, own_signals: bool) -> None:
        super().__init__(config)
        self._own_signals = own_signals

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if self._own_signals:
            with super().capture_signals():
                yield
        else:
            yield


async def prepare(
    client: KubeClient, namespace: str, *, install: bool = True, dex_server: str = ""
) -> AuthSecurity:
    """Install the control plane (optional), create the secret key and the admin's
    initial password if missing, and load the auth settings."""
    if install:
        await install_control_plane(client, namespace)
    security = AuthSecurity(client, namespace, env=dict(os.environ), dex_server=dex_server)
    await security.store.initialize()
    await security.failures.load()
    await security.refresh(force=True)
    return security


async def serve(
    client: KubeClient,
    namespace: str = "argocd",
    options: ServeOptions | None = None,
    *,
    started: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Serve the API until ``stop`` is set or the task is cancelled; ``started`` is set
    once the socket accepts connections. Without ``stop``, uvicorn handles Ctrl-C itself."""
    opts = options or ServeOptions()
    security = await prepare(client, namespace, install=opts.install, dex_server=opts.dex_server)
    ctx = ServerContext(client=client, namespace=namespace, security=security)
    app = create_app(ctx)
    for extend in opts.mounts:
        extend(app)
    config = uvicorn.Config(
        app,
        host=opts.address,
        port=opts.port,
        log_level=opts.log_level,
        lifespan="off",
        ssl_certfile=str(opts.certfile) if opts.certfile else None,
        ssl_keyfile=str(opts.keyfile) if opts.keyfile else None,
    )
    server = _Server(config, own_signals=stop is None)

    async def watch() -> None:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers only this flag
            await asyncio.sleep(0.05)
        if started is not None:
            started.set()
        if stop is not None:
            await stop.wait()
            server.should_exit = True

    watcher = asyncio.create_task(watch())
    try:
        await server.serve()
    except asyncio.CancelledError:
        server.should_exit = True
        raise
    finally:
        watcher.cancel()
        # The Application watch outlives requests; it must not outlive the server (the
        # client it reads through may be closed next).
        await ctx.hub.close()
