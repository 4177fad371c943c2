"""``kaiun image-updater run`` (the updater loop) and ``pin`` / ``unpin`` (hold an image).

``run`` checks every watched Application each ``--interval`` (``--once``: one cycle), serves
Prometheus metrics on ``--metrics-port`` and, with ``--dry-run``, prints what it would change
without writing anything. ``pin APP [ALIAS|IMAGE] [--tag T]`` sets the
``kaiun.io/image-updater-pin.<key>`` annotation the loop honours; ``unpin`` removes it.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import click

from kaiun.cli.imageupdater import group
from kaiun.controllers.imageupdater import charts, record
from kaiun.controllers.imageupdater.check import DEFAULT_INTERVAL
from kaiun.controllers.imageupdater.errors import ImageUpdaterError
from kaiun.controllers.imageupdater.metrics import Metrics
from kaiun.controllers.imageupdater.runner import APP_API, AppOutcome, Updater, select
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.kube import errors as kube_errors

__all__ = ["metrics_server", "pin", "run", "unpin"]


def _print(outcomes: list[AppOutcome], dry_run: bool) -> None:
    for o in outcomes:
        rec = o.record
        click.echo(f"{o.name}:")
        for image in rec.get("images", []):
            click.echo(f"  {image['alias'] or image['image']}: {image['action']} — "
                       f"{image['message']}")  # fmt: skip
        wb = rec.get("writeBack")
        if wb:
            verb = "would write" if dry_run else "wrote"
            click.echo(f"  {verb} ({wb.get('method')}): {wb.get('where', wb.get('error', ''))}")
        for error in rec.get("errors", []):
            click.echo(f"  error: {error}")
        if dry_run and o.patch.get("spec"):
            click.echo(f"  would patch: {json.dumps({'spec': o.patch['spec']})}")


async def metrics_server(metrics: Metrics, port: int, host: str = "0.0.0.0") -> asyncio.Server:
    """Serve ``metrics`` as Prometheus text on every path of ``host:port``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        body = metrics.render().encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, host, port)


async def _run(kubeconfig: str | None, namespace: str, interval: float, once: bool,
               dry_run: bool, metrics_port: int) -> None:  # fmt: skip
    client = await KubeClient.connect(from_kubeconfig(kubeconfig))
    updater = Updater(client, namespace, interval=interval, dry_run=dry_run)
    try:
        if once:
            _print(await updater.run_once(), dry_run)
            return
        server = await metrics_server(updater.metrics, metrics_port) if metrics_port else None
        try:
            await updater.run()
        finally:
            if server is not None:
                server.close()
    finally:
        await updater.aclose()
        await client.aclose()


@group.command("run")
@click.option("--once", is_flag=True, help="run one check cycle and exit")
@click.option("--dry-run", is_flag=True, help="print what would change; write nothing")
@click.option("--interval", type=float, default=DEFAULT_INTERVAL, show_default=True,
              help="seconds between check cycles")  # fmt: skip
@click.option("--kubeconfig", help="default: $KUBECONFIG or ~/.kube/config")
@click.option("--namespace", default="argocd", show_default=True,
              help="the control-plane namespace (Applications, ImageUpdaters, config)")  # fmt: skip
@click.option("--metrics-port", type=int, default=8081, show_default=True,
              help="serve Prometheus /metrics here (0: off)")  # fmt: skip
def run(once: bool, dry_run: bool, interval: float, kubeconfig: str | None, namespace: str,
        metrics_port: int) -> None:  # fmt: skip
    """Keep watched Applications' images current (Argo CD Image Updater's controller)."""
    try:
        asyncio.run(_run(kubeconfig, namespace, interval, once or dry_run, dry_run, metrics_port))
    except (ImageUpdaterError, kube_errors.KubeError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


async def _pin_keys(client: KubeClient, app: dict[str, Any], which: str) -> list[str]:
    from kaiun.controllers.imageupdater import resource as iuresource

    try:
        found = await client.list(
            iuresource.API_VERSION, iuresource.KIND, app["metadata"]["namespace"]
        )
        resources = [iuresource.parse(o) for o in found.items]
    except kube_errors.KubeError:
        resources = []
    images = select(app, resources)
    tracks_chart = charts.VERSION in (app["metadata"].get("annotations") or {})
    if images is None and not tracks_chart:
        raise ImageUpdaterError(f"application {app['metadata']['name']} watches no images")
    keys = {record.pin_key(s): s for s in (images.images if images else ())}
    if not which:
        return list(keys) + ([charts.PIN_KEY] if tracks_chart else [])
    if which == charts.PIN_KEY and tracks_chart:
        return [charts.PIN_KEY]
    for key, spec in keys.items():
        if which in (key, spec.alias, spec.image.name):
            return [key]
    raise ImageUpdaterError(
        f"application {app['metadata']['name']} watches no image {which!r} "
        f"(its images: {', '.join(keys)})"
    )


async def _set_pins(kubeconfig: str | None, namespace: str, app_name: str, which: str,
                    tag: str | None) -> list[str]:  # fmt: skip
    client = await KubeClient.connect(from_kubeconfig(kubeconfig))
    try:
        app = await client.get(*APP_API, app_name, namespace)
        keys = await _pin_keys(client, app, which)
        value = None if tag is None else tag
        patch = {"metadata": {"annotations": {record.PIN_PREFIX + k: value for k in keys}}}
        await client.patch(*APP_API, app_name, patch, namespace=namespace)
        return keys
    finally:
        await client.aclose()


@group.command("pin")
@click.argument("app")
@click.argument("image", required=False, default="")
@click.option("--tag", default="", help="the tag to hold (default: whatever runs)")
@click.option("--kubeconfig")
@click.option("--namespace", default="argocd", show_default=True)
def pin(app: str, image: str, tag: str, kubeconfig: str | None, namespace: str) -> None:
    """Hold APP's IMAGE (an alias or image name; default: all) — the updater skips it."""
    try:
        keys = asyncio.run(_set_pins(kubeconfig, namespace, app, image, tag))
    except (ImageUpdaterError, kube_errors.KubeError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"pinned {', '.join(keys)} in {app}" + (f" at {tag}" if tag else ""))


@group.command("unpin")
@click.argument("app")
@click.argument("image", required=False, default="")
@click.option("--kubeconfig")
@click.option("--namespace", default="argocd", show_default=True)
def unpin(app: str, image: str, kubeconfig: str | None, namespace: str) -> None:
    """Let the updater update APP's IMAGE again (default: all)."""
    try:
        keys = asyncio.run(_set_pins(kubeconfig, namespace, app, image, None))
    except (ImageUpdaterError, kube_errors.KubeError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"unpinned {', '.join(keys)} in {app}")
