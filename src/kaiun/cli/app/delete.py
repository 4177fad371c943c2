"""``kaiun app delete``: delete Applications, choosing cascading by finalizer as Argo CD does.

``--cascade`` (or ``--cascade=true``) adds ``resources-finalizer.argocd.argoproj.io`` (or its
``/background`` variant with ``--propagation-policy background``) before deleting, so the
controller deletes the app's resources first; ``--cascade=false`` removes those finalizers so
the resources stay. Without the flag the app's finalizers decide.
"""

from __future__ import annotations

import contextlib
import time

import click

from kaiun.cli.app.core import (
    APP_API,
    APP_KIND,
    BACKGROUND_FINALIZER,
    FINALIZER,
    AppError,
    AppNotFound,
    ArgoCommand,
    Core,
    get_app,
    patch_app,
    poll,
)
from kaiun.cli.app.edit import app_namespace_option
from kaiun.cli.app.rest import RestApps
from kaiun.kube import KubeClient
from kaiun.kube import errors as kerrors

_CASCADE_FINALIZERS = (FINALIZER, BACKGROUND_FINALIZER)


def finalizers_for(current: list[str], cascade: bool | None, policy: str) -> list[str]:
    """The app's finalizers after applying ``--cascade`` / ``--propagation-policy``."""
    if cascade is None:
        return current
    kept = [f for f in current if f not in _CASCADE_FINALIZERS]
    if not cascade:
        return kept
    return [*kept, BACKGROUND_FINALIZER if policy == "background" else FINALIZER]


def _confirm(names: tuple[str, ...], cascade: bool | None) -> bool:
    what = ", ".join(f"'{n}'" for n in names)
    suffix = "" if cascade is False else " and all its resources"
    answer = click.prompt(
        f"Are you sure you want to delete {what}{suffix}? [y/n]",
        default="",
        show_default=False,
        prompt_suffix=" ",
    )
    return str(answer).strip().lower() in ("y", "yes")


@click.command("delete", cls=ArgoCommand)
@click.argument("names", metavar="APPNAME...", nargs=-1, required=True)
@app_namespace_option
@click.option(
    "--cascade/--no-cascade",
    default=None,
    help="Delete the app's resources too (--cascade=false or --no-cascade keeps them).",
)
@click.option(
    "-p",
    "--propagation-policy",
    type=click.Choice(["foreground", "background"]),
    default="foreground",
    show_default=True,
    help="How the app's resources are deleted when cascading.",
)
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--wait", "wait_", is_flag=True, help="Wait until the app is gone.")
@click.option("--timeout", type=int, default=0, help="Seconds to wait with --wait (0: forever).")
@click.pass_obj
def delete(
    core: Core,
    /,
    names: tuple[str, ...],
    app_namespace: str | None,
    cascade: bool | None,
    propagation_policy: str,
    yes: bool,
    wait_: bool,
    timeout: int,
) -> None:
    """Delete applications."""
    refs = [core.ref(n, app_namespace) for n in names]
    if not yes and not _confirm(names, cascade):
        click.echo("The command to delete was cancelled.")
        return
    if core.rest:
        be = RestApps(core.rest)
        for raw in names:
            rns, short = core.rest_ref(raw, app_namespace)
            be.delete(rns, short, cascade=cascade, policy=propagation_policy)
            click.echo(f"application '{short}' deleted")
            if wait_:
                be.wait_gone(rns, short, timeout)
        return

    async def run(client: KubeClient) -> None:
        for ns, name in refs:
            app = await get_app(client, ns, name)
            current = list(app["metadata"].get("finalizers") or [])
            wanted = finalizers_for(current, cascade, propagation_policy)
            if wanted != current:
                await patch_app(client, ns, name, {"metadata": {"finalizers": wanted}})
            with contextlib.suppress(kerrors.NotFound):
                await client.delete(APP_API, APP_KIND, name, namespace=ns)
            click.echo(f"application '{name}' deleted")
            if wait_:
                await _wait_gone(client, ns, name, timeout)

    core.run(run)


async def _wait_gone(client: KubeClient, ns: str, name: str, seconds: int) -> None:
    deadline = time.monotonic() + seconds if seconds else None
    try:
        async for app in poll(client, ns, name):
            if deadline is not None and time.monotonic() > deadline:
                left = app["metadata"].get("finalizers") or []
                raise AppError(
                    f"timed out ({seconds}s) waiting for application {name!r} to be deleted "
                    f"(finalizers left: {', '.join(left) or 'none'})"
                )
    except AppNotFound:
        return
