"""``kaiun server``: the API server on its own, against any cluster a kubeconfig names.

HTTPS with a self-signed certificate (made once under ``--tls-dir``) unless ``--insecure``.
``run_api_server`` is the same start-up for ``kaiun up``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

import click

from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.kube import errors as kube_errors
from kaiun.localcluster.tls import ensure_certs
from kaiun.server.serve import ServeOptions, serve
from kaiun.ui import mount as mount_ui


def default_tls_dir() -> Path:
    """Where the self-signed serving certificate lives (``~/.config/kaiun/server-tls``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kaiun" / "server-tls"


async def run_api_server(
    client: KubeClient,
    namespace: str = "argocd",
    *,
    address: str = "127.0.0.1",
    port: int = 8080,
    insecure: bool = False,
    tls_dir: Path | None = None,
    started: asyncio.Event | None = None,
    stop: asyncio.Event | None = None,
    ui: bool = True,
) -> None:
    """Install the control plane, initialize accounts and serve the API (and the web UI
    unless ``ui`` is false) until ``stop`` (HTTPS with a self-signed certificate unless
    ``insecure``)."""
    certfile = keyfile = None
    if not insecure:
        _, certfile, keyfile = ensure_certs(tls_dir or default_tls_dir())
    options = ServeOptions(
        address=address,
        port=port,
        certfile=certfile,
        keyfile=keyfile,
        mounts=(mount_ui,) if ui else (),
    )
    await serve(client, namespace, options, started=started, stop=stop)


@click.command("server")
@click.option("--kubeconfig", default=None, help="Kubeconfig file (default: $KUBECONFIG).")
@click.option("--context", default=None, help="Kubeconfig context to use.")
@click.option("-n", "--namespace", default="argocd", show_default=True)
@click.option("--address", default="127.0.0.1", show_default=True, help="Listen address.")
@click.option("--port", type=int, default=8080, show_default=True, help="Listen port.")
@click.option("--insecure", is_flag=True, help="Serve plain HTTP (no TLS).")
@click.option(
    "--tls-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Directory of the self-signed certificate (default ~/.config/kaiun/server-tls).",
)
def server(
    kubeconfig: str | None,
    context: str | None,
    namespace: str,
    address: str,
    port: int,
    insecure: bool,
    tls_dir: Path | None,
) -> None:
    """Run the Argo CD-compatible API server until Ctrl-C."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    async def main() -> None:
        async with await KubeClient.connect(from_kubeconfig(kubeconfig, context=context)) as kube:
            started = asyncio.Event()
            task = asyncio.create_task(
                run_api_server(
                    kube,
                    namespace,
                    address=address,
                    port=port,
                    insecure=insecure,
                    tls_dir=tls_dir,
                    started=started,
                )
            )
            waiter = asyncio.create_task(started.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if started.is_set():
                scheme = "http" if insecure else "https"
                click.echo(f"kaiun API server listening on {scheme}://{address}:{port}")
            waiter.cancel()
            await task

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())
    except kube_errors.KubeError as exc:
        raise click.ClickException(f"cannot reach the cluster: {exc}") from exc
