"""``kaiun up``: everything in one process on the embedded local cluster.

The local cluster, the repo server (in process), the Application controller, the API server
and the image updater share one event loop; ``--demo`` seeds a local git repository of
example apps and registers their Applications (``kaiun.cli.demo.seed_demo``), which the
controller then syncs. Ctrl-C stops the API server, updater and controller first, then the
cluster; state stays in the data dir for the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from pathlib import Path

import click

from kaiun.cli.controller import METRICS_PORT, MetricsOptions, run_control_plane
from kaiun.cli.demo import seed_demo
from kaiun.cli.server import run_api_server
from kaiun.controllers.application import ApplicationController
from kaiun.controllers.imageupdater import Updater
from kaiun.engine import DEFAULT_NAMESPACE
from kaiun.kube import ClusterConfig, KubeClient, from_kubeconfig
from kaiun.localcluster import LocalCluster, Options


@click.command("up")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=Path(".kaiun"),
    show_default=True,
    help="Where kaiun keeps its state.",
)
@click.option(
    "--port",
    type=int,
    default=16443,
    show_default=True,
    help="HTTPS port of the local cluster on 127.0.0.1 (0 picks a free one).",
)
@click.option(
    "--demo/--no-demo", default=False, help="Seed a git repository of example apps and sync them."
)
@click.option(
    "--namespace", default=DEFAULT_NAMESPACE, show_default=True, help="Control-plane namespace."
)
@click.option(
    "--api-port",
    type=int,
    default=8080,
    show_default=True,
    help="HTTPS port of the API server on 127.0.0.1 (0 disables it).",
)
@click.option(
    "--image-updater/--no-image-updater",
    default=True,
    show_default=True,
    help="Run the image updater (every 2 minutes) in this process.",
)
@click.option(
    "--metrics-port",
    type=int,
    default=METRICS_PORT,
    show_default=True,
    help="Port of the controller's Prometheus /metrics on 127.0.0.1 (0 disables it; "
    "skipped with a warning when the port is taken).",
)
def up(
    data_dir: Path,
    port: int,
    demo: bool,
    namespace: str,
    api_port: int,
    image_updater: bool,
    metrics_port: int,
) -> None:
    """Run kaiun on the embedded local cluster until Ctrl-C."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    data_dir = data_dir.resolve()
    lc = LocalCluster(
        Options(data_dir=data_dir / "cluster", port=port, kubeconfig=data_dir / "kubeconfig")
    )
    if metrics_port and not _port_free(metrics_port):
        click.echo(f"warning: port {metrics_port} is taken; controller metrics not served")
        metrics_port = 0
    asyncio.run(_main(lc, data_dir, demo, namespace, api_port, image_updater, metrics_port))


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def _main(
    lc: LocalCluster,
    data_dir: Path,
    demo: bool,
    namespace: str,
    api_port: int = 0,
    image_updater: bool = False,
    metrics_port: int = 0,
) -> None:
    ready = asyncio.Event()
    serve = asyncio.create_task(lc.serve_until_signalled(ready.set))
    waiter = asyncio.create_task(ready.wait())
    await asyncio.wait({serve, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if serve.done():
        waiter.cancel()
        await serve
        return
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # Ctrl-C stops the controller first (it still needs the cluster to finish a write).
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    extras: list[asyncio.Task[None]] = []

    async def started(client: KubeClient, controller: ApplicationController) -> None:
        if demo:
            for line in await seed_demo(client, data_dir, namespace):
                click.echo(line)
        api_up = asyncio.Event()
        config = from_kubeconfig(lc.kubeconfig)
        extras.append(
            asyncio.create_task(
                _serve_extras(config, namespace, data_dir, api_port, image_updater, stop, api_up)
            )
        )
        if api_port:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(api_up.wait(), 30)
        served = controller.metrics_server.port if controller.metrics_server else 0
        _announce(lc, demo, namespace, api_port if api_up.is_set() else 0, served)

    try:
        await run_control_plane(
            from_kubeconfig(lc.kubeconfig),
            namespace=namespace,
            work_dir=data_dir / "repo-server",
            stop=stop,
            on_started=started,
            metrics=MetricsOptions(port=metrics_port, address="127.0.0.1"),
        )
    finally:
        stop.set()
        await asyncio.gather(*extras, return_exceptions=True)
        lc.request_stop()
        await serve


async def _serve_extras(
    config: ClusterConfig,
    namespace: str,
    data_dir: Path,
    api_port: int,
    image_updater: bool,
    stop: asyncio.Event,
    api_up: asyncio.Event,
) -> None:
    """The API server and the image updater, on their own connection to the cluster so the
    controller's shutdown never closes it under them."""
    async with await KubeClient.connect(config) as client:
        tasks: list[asyncio.Task[None]] = []
        updater = Updater(client, namespace) if image_updater else None
        if api_port:
            tasks.append(
                asyncio.create_task(
                    run_api_server(
                        client,
                        namespace,
                        port=api_port,
                        tls_dir=data_dir / "server-tls",
                        started=api_up,
                        stop=stop,
                    )
                )
            )
        if updater is not None:
            tasks.append(asyncio.create_task(updater.run()))
        try:
            await stop.wait()
        finally:
            if updater is not None:
                updater.stop()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            if updater is not None:
                await updater.aclose()
            for result in results:
                if isinstance(result, Exception):
                    logging.getLogger(__name__).error(
                        "kaiun up: %s stopped: %s", type(result).__name__, result
                    )


def _announce(
    lc: LocalCluster, demo: bool, namespace: str, api_port: int, metrics_port: int = 0
) -> None:
    api = (
        f"API server: https://127.0.0.1:{api_port}  (user admin; password: "
        f"kaiun admin initial-password --kubeconfig {lc.kubeconfig} -n {namespace})\n"
        f"  kaiun login 127.0.0.1:{api_port} --insecure --username admin --password ...\n"
        f"Web UI: https://127.0.0.1:{api_port}/applications\n"
        if api_port
        else ""
    )
    click.echo(
        f"\nkaiun is up. Local cluster: {lc.url}\n" + api + f"  export KUBECONFIG={lc.kubeconfig}\n"
        f"  kubectl get applications -n {namespace}\n"
        f"  kaiun app list -n {namespace}\n"
        + ("  kubectl get deploy,pods,svc -n guestbook\n" if demo else "")
        + (f"Controller metrics: http://127.0.0.1:{metrics_port}/metrics\n" if metrics_port else "")
        + "Press Ctrl-C to stop; state is kept for the next `kaiun up`.",
        nl=True,
    )
