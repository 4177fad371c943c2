"""``kaiun app delete``: delete Applications, choosing cascading by finalizer as Argo CD does.

``--cascade`` (or ``--cascade=true``) adds ``resources-finalizer.argocd.argoproj.io`` (or its
``/background`` variant with ``--propagation-policy background``) before deleting, so the
controller deletes the app's resources first; ``--cascade=false`` removes those finalizers so
the resources stay. Without the flag the app's finalizers decide.
"""

from __future__ import annotations

import click

from kaiun.cli.app.backend import backend_of
from kaiun.cli.app.core import ArgoCommand, Core
from kaiun.cli.app.edit import app_namespace_option
from kaiun.cli.app.kube import finalizers_for

__all__ = ["delete", "finalizers_for"]


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
    refs = [core.locate(n, app_namespace) for n in names]
    if not yes and not _confirm(names, cascade):
        click.echo("The command to delete was cancelled.")
        return
    be = backend_of(core)
    for ns, name in refs:
        be.delete(ns, name, cascade=cascade, policy=propagation_policy)
        click.echo(f"application '{name}' deleted")
        if wait_:
            be.wait_gone(ns, name, timeout)
