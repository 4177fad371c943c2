"""``kaiun up``: everything in one process on the embedded local cluster.

Today that is the local cluster itself (and, with ``--demo``, a demo app deployed into it);
the controller, repo server and API server join this process as they land.
"""

from __future__ import annotations

import asyncio
import logging
from importlib import resources
from pathlib import Path
from typing import Any

import click
import yaml

from kaiun.localcluster import LocalCluster, Options
from kaiun.localcluster.cluster import WriteOptions
from kaiun.localcluster.errors import APIError

DEMO_MANAGER = "kaiun-up-demo"


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
@click.option("--demo/--no-demo", default=False, help="Deploy the guestbook demo app.")
def up(data_dir: Path, port: int, demo: bool) -> None:
    """Run kaiun on the embedded local cluster until Ctrl-C."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    data_dir = data_dir.resolve()
    lc = LocalCluster(
        Options(data_dir=data_dir / "cluster", port=port, kubeconfig=data_dir / "kubeconfig")
    )
    asyncio.run(lc.serve_until_signalled(lambda: _announce(lc, demo)))


def _announce(lc: LocalCluster, demo: bool) -> None:
    if demo:
        for line in deploy_demo(lc):
            click.echo(line)
    click.echo(
        f"\nkaiun is up. Local cluster: {lc.url}\n"
        f"  export KUBECONFIG={lc.kubeconfig}\n"
        f"  kubectl get namespaces\n"
        + ("  kubectl get deploy,pods,svc -n guestbook\n" if demo else "")
        + "Press Ctrl-C to stop; state is kept for the next `kaiun up`."
    )


def demo_manifests() -> list[dict[str, Any]]:
    """The demo app's objects, in apply order."""
    text = resources.files("kaiun.cli.demo").joinpath("guestbook.yaml").read_text()
    return [doc for doc in yaml.safe_load_all(text) if doc]


def deploy_demo(lc: LocalCluster) -> list[str]:
    """Create (or leave unchanged) the demo objects; one line of outcome per object."""
    lines = []
    cluster = lc.cluster
    for obj in demo_manifests():
        rt = cluster.registry.by_kind(obj["apiVersion"], obj["kind"])
        assert rt is not None, obj["kind"]
        ns = obj["metadata"].get("namespace", "")
        what = f"{rt.kind.lower()}/{obj['metadata']['name']}"
        try:
            cluster.create(rt, ns, obj, WriteOptions(field_manager=DEMO_MANAGER))
            lines.append(f"{what} created")
        except APIError as exc:
            if exc.reason != "AlreadyExists":
                raise
            lines.append(f"{what} unchanged")
    return lines
