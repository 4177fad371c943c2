"""``kaiun app sync|wait|rollback|terminate-op``: request operations (through the chosen
``AppBackend``) and follow them through ``status.operationState``, as argocd does.
"""

from __future__ import annotations

from typing import Any

import click

from kaiun.cli.app.backend import AppBackend, backend_of
from kaiun.cli.app.core import AppError, ArgoCommand, Core, qualified, username
from kaiun.cli.app.edit import app_namespace_option
from kaiun.cli.app.kube import history_entry, rollback_operation
from kaiun.cli.app.views import app_details, dump, operation_result, sources_of
from kaiun.cli.app.watch import Progress, WaitFor

OUTPUTS = click.Choice(["wide", "json", "yaml", "tree"])


def parse_resource(text: str) -> dict[str, str]:
    """``GROUP:KIND:NAME`` or ``GROUP:KIND:NAMESPACE/NAME`` as a sync resource filter."""
    parts = text.split(":")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise AppError(
            f"invalid --resource {text!r}: use GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME "
            "(GROUP is empty for core kinds, e.g. :Service:web)"
        )
    group, kind, rest = parts
    namespace, _, name = rest.rpartition("/")
    res = {"group": group, "kind": kind, "name": name}
    if namespace:
        res["namespace"] = namespace
    return res


def sync_operation(app: dict[str, Any], opts: dict[str, Any]) -> dict[str, Any]:
    """The ``Application.operation`` a sync request sets (Argo CD's SyncOperation shape)."""
    sources = sources_of(app)
    target = str(sources[0].get("targetRevision", "")) if sources else ""
    revision = opts.get("revision") or ""
    automated = ((app.get("spec") or {}).get("syncPolicy") or {}).get("automated")
    auto = automated is not None and automated.get("enabled") is not False
    if revision and auto and revision != target and not opts.get("dry_run"):
        raise AppError(f"Cannot sync to {revision}: auto-sync currently set to {target or 'HEAD'}")
    strategy = opts.get("strategy") or "hook"
    if strategy not in ("hook", "apply"):
        raise AppError(f"Unknown sync strategy: {strategy!r} (use apply or hook)")
    sync: dict[str, Any] = {
        "revision": revision or target,
        "prune": bool(opts.get("prune")),
        "dryRun": bool(opts.get("dry_run")),
        "syncStrategy": {strategy: {"force": True} if opts.get("force") else {}},
    }
    options = list(opts.get("sync_options") or ())
    for flag, option in (
        ("apply_out_of_sync_only", "ApplyOutOfSyncOnly=true"),
        ("replace", "Replace=true"),
        ("server_side", "ServerSideApply=true"),
    ):
        if opts.get(flag):
            options.append(option)
    if options:
        sync["syncOptions"] = options
    if opts.get("resources"):
        sync["resources"] = [parse_resource(r) for r in opts["resources"]]
    operation: dict[str, Any] = {"sync": sync, "initiatedBy": {"username": username()}}
    if opts.get("retry_limit"):
        operation["retry"] = {"limit": opts["retry_limit"]}
    return operation


def follow(be: AppBackend, ns: str | None, name: str, *, seconds: float, output: str) -> None:
    """Wait for the requested operation to finish; exit 20 unless it Succeeded."""
    progress = Progress(enabled=output in ("wide", "tree"))
    app = be.wait(ns, name, WaitFor(operation=True), seconds=seconds, progress=progress)
    print_result(app, output, be.url(app))
    phase = ((app.get("status") or {}).get("operationState") or {}).get("phase")
    if phase != "Succeeded":
        raise AppError(f"Operation has completed with phase: {phase}")


def print_result(app: dict[str, Any], output: str, url: str = "") -> None:
    """The final app after an operation or wait, in the chosen output."""
    if output in ("json", "yaml"):
        click.echo(dump(app, output), nl=False)
        return
    click.echo("")
    click.echo(app_details(app, show_operation=True, tree=output == "tree", url=url), nl=False)


def _refuse_running(app: dict[str, Any]) -> None:
    if app.get("operation"):
        raise AppError(
            f"another operation is already in progress on {app['metadata']['name']!r}: wait "
            "for it or stop it with `kaiun app terminate-op`"
        )


def _operation_options(fn: Any) -> Any:
    for option in reversed(
        [
            app_namespace_option,
            click.option("--timeout", type=int, default=0, help="Seconds to wait (0: forever)."),
            click.option("--async", "async_", is_flag=True, help="Do not wait for the result."),
            click.option("-o", "--output", type=OUTPUTS, default="wide", show_default=True),
        ]
    ):
        fn = option(fn)
    return fn


@click.command("sync", cls=ArgoCommand)
@click.argument("names", metavar="[APPNAME...]", nargs=-1)
@click.option("-l", "--selector", help="Sync apps matching this label selector.")
@click.option("--revision", help="Sync to this revision (default: the target revision).")
@click.option("--prune", is_flag=True, help="Delete resources no longer in git.")
@click.option("--dry-run", is_flag=True, help="Preview the sync without applying.")
@click.option("--force", is_flag=True, help="Delete and recreate resources that fail to apply.")
@click.option("--strategy", default="", help="Sync strategy: hook (default) or apply.")
@click.option("--resource", "resources", multiple=True, help="Only GROUP:KIND:[NAMESPACE/]NAME.")
@click.option("--apply-out-of-sync-only", is_flag=True, help="Only apply out-of-sync resources.")
@click.option("--server-side", is_flag=True, help="Use server-side apply.")
@click.option("--replace", is_flag=True, help="Use kubectl replace/create instead of apply.")
@click.option("--sync-option", "sync_options", multiple=True, help="Sync option (repeatable).")
@click.option("--retry-limit", type=int, default=0, help="Retry a failed sync this many times.")
@_operation_options
@click.pass_obj
def sync(core: Core, /, names: tuple[str, ...], selector: str | None, **opts: Any) -> None:
    """Sync an application to its target state."""
    if not names and not selector:
        raise AppError("give at least one APPNAME or a label selector (-l)")
    if names and selector:
        raise AppError("give APPNAMEs or a label selector (-l), not both")
    be = backend_of(core)
    targets = [core.locate(n, opts["app_namespace"]) for n in names]
    if selector:
        found = be.list_apps(opts["app_namespace"], selector=selector, projects=(), repo=None)
        if not found:
            raise AppError(f"no apps match selector {selector}")
        targets = [(a["metadata"].get("namespace"), a["metadata"]["name"]) for a in found]
    for ns, name in targets:
        app = be.get(ns, name)
        _refuse_running(app)
        be.sync(ns, name, sync_operation(app, opts))
        if opts["async_"]:
            click.echo(f"Application '{qualified(app)}' sync requested")
            continue
        follow(be, ns, name, seconds=opts["timeout"], output=opts["output"])


@click.command("wait", cls=ArgoCommand)
@click.argument("names", metavar="APPNAME...", nargs=-1, required=True)
@app_namespace_option
@click.option("--sync", "w_sync", is_flag=True, help="Wait for Synced.")
@click.option("--health", "w_health", is_flag=True, help="Wait for Healthy.")
@click.option("--operation", "w_operation", is_flag=True, help="Wait for no pending operation.")
@click.option("--suspended", "w_suspended", is_flag=True, help="Wait for Suspended.")
@click.option("--degraded", "w_degraded", is_flag=True, help="Wait for Degraded.")
@click.option("--timeout", type=int, default=0, help="Seconds to wait (0: forever).")
@click.option("-o", "--output", type=OUTPUTS, default="wide", show_default=True)
@click.pass_obj
def wait(core: Core, /, names: tuple[str, ...], app_namespace: str | None, **opts: Any) -> None:
    """Wait for an application to reach a synced and healthy state."""
    conditions = WaitFor(
        sync=opts["w_sync"],
        health=opts["w_health"],
        operation=opts["w_operation"],
        suspended=opts["w_suspended"],
        degraded=opts["w_degraded"],
    )
    be = backend_of(core)
    for name in names:
        ns, short = core.locate(name, app_namespace)
        progress = Progress(enabled=opts["output"] in ("wide", "tree"))
        app = be.wait(ns, short, conditions, seconds=opts["timeout"], progress=progress)
        print_result(app, opts["output"], be.url(app))


@click.command("rollback", cls=ArgoCommand)
@click.argument("name", metavar="APPNAME")
@click.argument("history_id", metavar="[ID]", type=int, required=False)
@click.option("--prune", is_flag=True, help="Delete resources not in that deployment.")
@click.option("--dry-run", is_flag=True, help="Preview the rollback.")
@_operation_options
@click.pass_obj
def rollback(core: Core, /, name: str, history_id: int | None, **opts: Any) -> None:
    """Roll back to a deployed version by history ID (default: the previous one).

    Turns automated sync off, as Argo CD does, so the rollback is not undone.
    """
    be = backend_of(core)
    ns, short = core.locate(name, opts["app_namespace"])
    app = be.get(ns, short)
    _refuse_running(app)
    entry_id = int(history_entry(app, history_id).get("id", -1))
    be.rollback(ns, short, entry_id, prune=opts["prune"], dry=opts["dry_run"])
    if opts["async_"]:
        click.echo(f"Application '{qualified(app)}' rollback to {entry_id} requested")
        return
    follow(be, ns, short, seconds=opts["timeout"], output=opts["output"])


@click.command("terminate-op", cls=ArgoCommand)
@click.argument("name", metavar="APPNAME")
@app_namespace_option
@click.pass_obj
def terminate_op(core: Core, /, name: str, app_namespace: str | None) -> None:
    """Terminate the running operation of an application."""
    ns, short = core.locate(name, app_namespace)
    backend_of(core).terminate(ns, short)
    click.echo(f"Application '{short}' operation terminating")


__all__ = [
    "history_entry",
    "operation_result",
    "rollback",
    "rollback_operation",
    "sync",
    "terminate_op",
    "wait",
]
