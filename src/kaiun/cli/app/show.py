"""``kaiun app get|list|history|resources``: read Applications and print them as argocd does."""

from __future__ import annotations

from typing import Any

import click

from kaiun.cli.app.backend import backend_of
from kaiun.cli.app.core import ArgoCommand, Core
from kaiun.cli.app.edit import app_namespace_option
from kaiun.cli.app.imageupdater_view import image_updater_section
from kaiun.cli.app.views import app_details, dump, history_table, list_table, table


@click.command("get", cls=ArgoCommand)
@click.argument("name", metavar="APPNAME")
@app_namespace_option
@click.option(
    "-o",
    "--output",
    type=click.Choice(["wide", "json", "yaml", "tree"]),
    default="wide",
    show_default=True,
)
@click.option("--refresh", "refresh_", is_flag=True, help="Refresh application data first.")
@click.option("--hard-refresh", is_flag=True, help="Refresh the manifests cache as well.")
@click.option("--show-operation", is_flag=True, help="Show the last operation's result.")
@click.option("--show-params", is_flag=True, help="Show Helm parameter overrides.")
@click.pass_obj
def get(
    core: Core,
    /,
    name: str,
    app_namespace: str | None,
    output: str,
    refresh_: bool,
    hard_refresh: bool,
    show_operation: bool,
    show_params: bool,
) -> None:
    """Get application details."""
    be = backend_of(core)
    ns, short = core.locate(name, app_namespace)
    app = be.get(ns, short)
    if refresh_ or hard_refresh:
        app = be.refresh(ns, short, hard=hard_refresh)
    if output in ("json", "yaml"):
        click.echo(dump(app, output), nl=False)
        return
    window = be.sync_window(app)
    children = be.tree(app) if output == "tree" else None
    details = app_details(
        app,
        show_operation=show_operation,
        tree=output == "tree",
        sync_window=window,
        children=children,
        url=be.url(app),
    )
    click.echo(details, nl=False)
    click.echo(image_updater_section(app, table), nl=False)
    if show_params:
        click.echo(_params(app), nl=False)


def _params(app: dict[str, Any]) -> str:
    params = (((app.get("spec") or {}).get("source") or {}).get("helm") or {}).get("parameters")
    if not params:
        return ""
    rows = [["NAME", "VALUE"]] + [[str(p.get("name")), str(p.get("value"))] for p in params]
    return "\n" + table(rows)


@click.command("list", cls=ArgoCommand)
@app_namespace_option
@click.option(
    "-o",
    "--output",
    type=click.Choice(["wide", "json", "yaml", "name"]),
    default="wide",
    show_default=True,
)
@click.option("-p", "--project", "projects", multiple=True, help="Only apps of this project.")
@click.option("-l", "--selector", help="Only apps matching this label selector.")
@click.option("-r", "--repo", help="Only apps with this source repository.")
@click.option("-c", "--cluster", help="Only apps with this destination server or name.")
@click.pass_obj
def list_(
    core: Core,
    /,
    app_namespace: str | None,
    output: str,
    projects: tuple[str, ...],
    selector: str | None,
    repo: str | None,
    cluster: str | None,
) -> None:
    """List applications."""
    listed = backend_of(core).list_apps(
        app_namespace, selector=selector, projects=projects, repo=repo
    )
    apps = [a for a in listed if _matches(a, projects, repo, cluster)]
    apps.sort(key=lambda a: (a["metadata"].get("namespace", ""), a["metadata"]["name"]))
    if output == "name":
        for app in apps:
            click.echo(f"{app['metadata']['namespace']}/{app['metadata']['name']}")
    elif output in ("json", "yaml"):
        click.echo(dump(apps, output), nl=False)
    else:
        # "wide" is argocd's default output: it includes REPO, PATH and TARGET.
        click.echo(list_table(apps, wide=True), nl=False)


def _matches(
    app: dict[str, Any], projects: tuple[str, ...], repo: str | None, cluster: str | None
) -> bool:
    spec = app.get("spec") or {}
    if projects and spec.get("project") not in projects:
        return False
    sources = spec.get("sources") or [spec.get("source") or {}]
    if repo and not any(s.get("repoURL") == repo for s in sources):
        return False
    dest = spec.get("destination") or {}
    return not cluster or cluster in (dest.get("server"), dest.get("name"))


@click.command("history", cls=ArgoCommand)
@click.argument("name", metavar="APPNAME")
@app_namespace_option
@click.option("-o", "--output", type=click.Choice(["wide", "id"]), default="wide")
@click.pass_obj
def history(core: Core, /, name: str, app_namespace: str | None, output: str) -> None:
    """Show the application's deployment history."""
    app = backend_of(core).get(*core.locate(name, app_namespace))
    if output == "id":
        for entry in (app.get("status") or {}).get("history") or []:
            click.echo(entry.get("id"))
        return
    click.echo(history_table(app), nl=False)


@click.command("resources", cls=ArgoCommand)
@click.argument("name", metavar="APPNAME")
@app_namespace_option
@click.option("--orphaned", is_flag=True, help="List only orphaned resources.")
@click.option("-o", "--output", type=click.Choice(["wide", "json", "yaml"]), default="wide")
@click.pass_obj
def resources(
    core: Core, /, name: str, app_namespace: str | None, orphaned: bool, output: str
) -> None:
    """List the application's resources (managed, and with --orphaned the orphaned ones)."""
    be = backend_of(core)
    app = be.get(*core.locate(name, app_namespace))
    managed = (app.get("status") or {}).get("resources") or []
    items = be.orphaned(app) if orphaned else [{**r, "orphaned": False} for r in managed]
    if output in ("json", "yaml"):
        click.echo(dump(items, output), nl=False)
        return
    rows = [["GROUP", "KIND", "NAMESPACE", "NAME", "ORPHANED"]]
    for res in items:
        rows.append(
            [
                str(res.get("group", "")),
                str(res.get("kind", "")),
                str(res.get("namespace", "")),
                str(res.get("name", "")),
                "Yes" if res.get("orphaned") else "No",
            ]
        )
    click.echo(table(rows), nl=False)
