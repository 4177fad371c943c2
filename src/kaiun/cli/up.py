"""``kaiun up``: everything in one process on the embedded local cluster.

The local cluster, the repo server (in process) and the Application controller share one
event loop; ``--demo`` seeds a local git repository of example apps and registers their
Applications (``kaiun.cli.demo.seed_demo``), which the controller then syncs. Ctrl-C stops
the controller first, then the cluster; state stays in the data dir for the next run.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

import click

from kaiun.cli.controller import run_control_plane
from kaiun.cli.demo import seed_demo
from kaiun.controllers.application import ApplicationController
from kaiun.engine import DEFAULT_NAMESPACE
from kaiun.kube import KubeClient, from_kubeconfig
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
def up(data_dir: Path, port: int, demo: bool, namespace: str) -> None:
    """Run kaiun on the embedded local cluster until Ctrl-C."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    data_dir = data_dir.resolve()
    lc = LocalCluster(
        Options(data_dir=data_dir / "cluster", port=port, kubeconfig=data_dir / "kubeconfig")
    )
    asyncio.run(_main(lc, data_dir, demo, namespace))


async def _main(lc: LocalCluster, data_dir: Path, demo: bool, namespace: str) -> None:
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

    async def started(client: KubeClient, controller: ApplicationController) -> None:
        if demo:
            for line in await seed_demo(client, data_dir, namespace):
                click.echo(line)
        _announce(lc, demo, namespace)

    try:
        await run_control_plane(
            from_kubeconfig(lc.kubeconfig),
            namespace=namespace,
            work_dir=data_dir / "repo-server",
            stop=stop,
            on_started=started,
        )
    finally:
        lc.request_stop()
        await serve


def _announce(lc: LocalCluster, demo: bool, namespace: str) -> None:
    click.echo(
        f"\nkaiun is up. Local cluster: {lc.url}\n"
        f"  export KUBECONFIG={lc.kubeconfig}\n"
        f"  kubectl get applications -n {namespace}\n"
        + ("  kubectl get deploy,pods,svc -n guestbook\n" if demo else "")
        + "Press Ctrl-C to stop; state is kept for the next `kaiun up`.",
        nl=True,
    )
