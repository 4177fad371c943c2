"""Running the local cluster: TLS, token, kubeconfig, uvicorn and the in-process controllers.

``LocalCluster`` runs in the foreground (``kaiun localcluster serve``) or in a background
thread (tests, ``kaiun up``). State lives in ``<data_dir>/state.db``; with no data dir it is
in memory and gone when the server stops.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
import signal
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
import yaml

from kaiun.localcluster import controllers, gc, tls
from kaiun.localcluster.cluster import Cluster
from kaiun.localcluster.routes import KubeAPI
from kaiun.localcluster.store import Store

log = logging.getLogger("kaiun.localcluster")


@dataclass
class Options:
    """How to run a local cluster."""

    data_dir: Path | None = None
    host: str = "127.0.0.1"
    port: int = 0
    kubeconfig: Path | None = None
    # Simulated workloads: seconds before a started Pod reports Ready.
    pod_ready_delay: float = 1.0
    extra_controllers: list[Any] = field(default_factory=list)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class LocalCluster:
    """One local Kubernetes API server and its controllers."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if options.data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="kaiun-lc-")
            self.state_dir = Path(self._tmp.name)
            db_path = None
        else:
            self.state_dir = options.data_dir
            self.state_dir.mkdir(parents=True, exist_ok=True)
            db_path = self.state_dir / "state.db"
        self.port = options.port or free_port(options.host)
        self.ca, self.cert, self.key = tls.ensure_certs(self.state_dir / "pki")
        self.token = _token(self.state_dir / "token")
        self.kubeconfig = options.kubeconfig or self.state_dir / "kubeconfig"
        self.store = Store(db_path)
        self.cluster = Cluster(self.store)
        self.cluster.ca_pem = self.ca.read_text()
        self.url = f"https://{_url_host(options.host)}:{self.port}"
        self.api = KubeAPI(self.cluster, token=self.token, address=f"{options.host}:{self.port}")
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def write_kubeconfig(self) -> Path:
        """Write a kubeconfig (context ``kaiun-local``) that real kubectl can use."""
        doc = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "kaiun-local",
            "clusters": [
                {
                    "name": "kaiun-local",
                    "cluster": {
                        "server": self.url,
                        "certificate-authority-data": base64.b64encode(
                            self.ca.read_bytes()
                        ).decode(),
                    },
                }
            ],
            "users": [{"name": "kaiun-admin", "user": {"token": self.token}}],
            "contexts": [
                {
                    "name": "kaiun-local",
                    "context": {
                        "cluster": "kaiun-local",
                        "user": "kaiun-admin",
                        "namespace": "default",
                    },
                }
            ],
            "preferences": {},
        }
        self.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        self.kubeconfig.write_text(yaml.safe_dump(doc, sort_keys=False))
        self.kubeconfig.chmod(0o600)
        return self.kubeconfig

    def _controllers(self) -> list[Any]:
        from kaiun.localcluster import workloads

        c = self.cluster
        return [
            gc.GarbageCollector(c),
            gc.NamespaceController(c),
            *workloads.controllers(c, pod_ready_delay=self.options.pod_ready_delay),
            *self.options.extra_controllers,
        ]

    async def serve(self) -> None:
        """Serve until ``stop()`` (or a signal, in the foreground)."""
        config = uvicorn.Config(
            self.api,
            host=self.options.host,
            port=self.port,
            ssl_certfile=str(self.cert),
            ssl_keyfile=str(self.key),
            log_level="warning",
            lifespan="off",
            http="httptools",
            timeout_keep_alive=120,
            access_log=False,
        )
        self._server = uvicorn.Server(config)
        self.write_kubeconfig()
        tasks = [
            asyncio.ensure_future(controllers.run(self.cluster, ctl, self.api.stopping))
            for ctl in self._controllers()
        ]
        serve = asyncio.ensure_future(self._server.serve())
        # uvicorn exposes readiness only as a flag, so poll it briefly.
        while not self._server.started and not serve.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        self._ready.set()
        try:
            await serve
        finally:
            self.api.stopping.set()
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
            self.store.close()

    async def serve_until_signalled(self, on_ready: Callable[[], None]) -> None:
        """Serve in the foreground; SIGTERM/SIGINT stop it; ``on_ready`` runs once it listens."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        task = asyncio.ensure_future(self.serve())
        # uvicorn exposes readiness only as a flag, so poll it briefly.
        while not self.ready and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        if not task.done():
            on_ready()
        await task

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def request_stop(self) -> None:
        self.api.stopping.set()
        self.store.events.wake_all()
        if self._server is not None:
            self._server.should_exit = True

    # background-thread mode ---------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> LocalCluster:
        """Start in a background thread and wait until it accepts connections."""

        def target() -> None:
            try:
                asyncio.run(self._thread_main())
            except BaseException as exc:  # surfaced to the starting thread
                self._error = exc
                self._ready.set()

        self._thread = threading.Thread(target=target, name="kaiun-localcluster", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout) or self._error is not None:
            raise RuntimeError(f"local cluster did not start: {self._error!r}")
        return self

    async def _thread_main(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.serve()

    def stop(self, timeout: float = 15.0) -> None:
        """Stop a server started with ``start()``."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.request_stop)
        if self._thread is not None:
            self._thread.join(timeout)
        if self._tmp is not None:
            self._tmp.cleanup()

    def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn`` on the server's loop (the cluster is not thread-safe) and return."""
        assert self._loop is not None

        async def run() -> Any:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(30)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _token(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    token = secrets.token_urlsafe(32)
    path.write_text(token)
    path.chmod(0o600)
    return token
