"""``kaiun localcluster``: run the embedded Kubernetes-API-compatible cluster."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import click

from kaiun.localcluster import LocalCluster, Options


@click.group("localcluster")
def group() -> None:
    """The embedded local Kubernetes cluster."""


@group.command("serve")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=Path(".kaiun/cluster"),
    show_default=True,
    help="Where state (SQLite), certificates and token live.",
)
@click.option(
    "--port",
    type=int,
    default=16443,
    show_default=True,
    help="HTTPS port on 127.0.0.1 (0 picks a free one).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--kubeconfig",
    type=click.Path(path_type=Path),
    default=None,
    help="Where to write the kubeconfig (default: DATA_DIR/kubeconfig).",
)
@click.option(
    "--pod-ready-delay",
    type=float,
    default=1.0,
    show_default=True,
    help="Seconds before a simulated Pod becomes Ready.",
)
def serve(
    data_dir: Path, port: int, host: str, kubeconfig: Path | None, pod_ready_delay: float
) -> None:
    """Run the local cluster in the foreground until SIGTERM/SIGINT."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    lc = LocalCluster(
        Options(
            data_dir=data_dir.resolve(),
            host=host,
            port=port,
            kubeconfig=kubeconfig.resolve() if kubeconfig else None,
            pod_ready_delay=pod_ready_delay,
        )
    )
    asyncio.run(
        lc.serve_until_signalled(
            lambda: click.echo(f"local cluster ready at {lc.url}; kubeconfig: {lc.kubeconfig}")
        )
    )
