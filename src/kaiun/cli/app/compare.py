"""``kaiun app diff|manifests``: compare an Application's Git state with the live objects,
and print either, as ``argocd app diff|manifests`` do.

In core mode the comparison is the controller's own, run in this process
(``comparison``), and ``--local`` renders a directory of your working copy; over an API
server the server renders and the live state comes from ``managed-resources``.
"""

from __future__ import annotations

import sys
from typing import Any

import click
import yaml

from kaiun.cli.app.backend import backend_of
from kaiun.cli.app.comparison import source_override
from kaiun.cli.app.core import AppError, ArgoCommand, Core, DiffFailed
from kaiun.cli.app.edit import app_namespace_option
from kaiun.cli.app.rest import CORE_ONLY

local_options = [
    click.option("--local", help="Render this local directory instead of the app's repository."),
    click.option(
        "--local-repo-root",
        default=".",
        show_default=True,
        help="Root of the repository holding --local (copied whole, for relative paths).",
    ),
]


def _local_options(fn: Any) -> Any:
    for option in reversed(local_options):
        fn = option(fn)
    return fn


@click.command("diff", cls=ArgoCommand)
@click.argument("name", metavar="APPNAME")
@app_namespace_option
@click.option("--revision", help="Compare live with this revision instead of the target.")
@_local_options
@click.option("--refresh", "refresh_", is_flag=True, help="Refresh application data first.")
@click.option("--hard-refresh", is_flag=True, help="Render without the manifests cache.")
@click.option(
    "--exit-code/--no-exit-code", default=True, help="Exit non-zero when there is a diff."
)
@click.option("--diff-exit-code", type=int, default=1, show_default=True)
@click.pass_obj
def diff(core: Core, /, name: str, app_namespace: str | None, **opts: Any) -> None:
    """Perform a diff against the target and live state.

    Exit codes: 0 when no diff is found, 1 (--diff-exit-code) when one is, 2 on errors.
    """
    if core.rest and (opts["local"] or opts["revision"]):
        raise DiffFailed(CORE_ONLY)
    try:
        be = backend_of(core)
        ns, short = core.locate(name, app_namespace)
        app = be.get(ns, short)
        if opts["refresh_"]:
            app = be.refresh(ns, short, hard=False)
        with source_override(app, opts) as override:
            found = be.differences(app, override=override, hard=opts["hard_refresh"])
    except click.ClickException as exc:
        raise DiffFailed(exc.message) from exc
    for (group, kind, namespace, res_name), text in found:
        click.echo(f"\n===== {group}/{kind} {namespace}/{res_name} ======")
        click.echo(text, nl=False)
    if found and opts["exit_code"]:
        sys.exit(opts["diff_exit_code"])


@click.command("manifests", cls=ArgoCommand)
@click.argument("name", metavar="APPNAME")
@app_namespace_option
@click.option(
    "--source",
    type=click.Choice(["git", "live"]),
    default="git",
    show_default=True,
    help="Print the manifests from git, or the live objects.",
)
@click.option("--revision", help="Render this revision (with --source git).")
@_local_options
@click.pass_obj
def manifests(
    core: Core, /, name: str, app_namespace: str | None, source: str, **opts: Any
) -> None:
    """Print the manifests of an application."""
    if (opts["revision"] or opts["local"]) and source == "live":
        raise AppError("--revision and --local apply to --source git only")
    if core.rest and opts["local"]:
        raise AppError(CORE_ONLY)
    be = backend_of(core)
    app = be.get(*core.locate(name, app_namespace))
    if source == "git":
        with source_override(app, opts) as override:
            objs = be.manifests(app, override=override)
    else:
        objs = be.live_objects(app)
    _print_manifests(objs)


def _print_manifests(objs: list[dict[str, Any]]) -> None:
    for obj in objs:
        click.echo("---")
        click.echo(yaml.safe_dump(obj, sort_keys=False), nl=False)
