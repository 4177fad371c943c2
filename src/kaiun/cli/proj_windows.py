"""``kaiun proj windows``: a project's sync windows, as ``argocd proj windows`` manages them.

Windows are addressed by their index in ``spec.syncWindows`` (the ID ``windows list`` shows).
Validation is the model's (``kaiun.model.syncwindows``); STATUS is computed at the current time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import click

from kaiun.cli.proj_backend import backend
from kaiun.cli.proj_support import (
    EXIT_COMMAND,
    CommandError,
    CoreOptions,
    core_options,
    output_option,
    print_resource,
    print_table,
)
from kaiun.model.syncwindows import SyncWindow

HEADER = [
    "ID",
    "STATUS",
    "KIND",
    "SCHEDULE",
    "DURATION",
    "APPLICATIONS",
    "NAMESPACES",
    "CLUSTERS",
    "MANUALSYNC",
    "TIMEZONE",
    "USEANDOPERATOR",
]


@click.group("windows")
def windows() -> None:
    """Manage a project's sync windows."""


def _list(values: tuple[str, ...]) -> list[str]:
    # Like cobra's StringSlice: repeatable and comma separated.
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@windows.command("add")
@click.argument("name")
@click.option("--kind", "-k", default="", help="Sync window kind, either allow or deny.")
@click.option("--schedule", default="", help='Schedule in cron format (e.g. "0 22 * * *").')
@click.option("--duration", default="", help="Window duration (e.g. 1h).")
@click.option("--applications", multiple=True, help="Application globs, comma separated.")
@click.option("--namespaces", multiple=True, help="Namespace globs, comma separated.")
@click.option("--clusters", multiple=True, help="Cluster globs (name or server), comma separated.")
@click.option("--manual-sync", is_flag=True, help="Allow manual syncs for this window.")
@click.option("--time-zone", default="UTC", show_default=True, help="Time zone of the schedule.")
@click.option("--use-and-operator", is_flag=True, help="AND the selectors instead of OR.")
@click.option("--sync-overrun", is_flag=True, help="Let running syncs overrun the window.")
@click.option("--description", default="", help="Sync window description.")
@core_options
def add(name: str, core: CoreOptions, **opts: Any) -> None:
    """Add a sync window to a project."""
    window = SyncWindow(
        kind=opts["kind"],
        schedule=opts["schedule"],
        duration=opts["duration"],
        applications=tuple(_list(opts["applications"])),
        namespaces=tuple(_list(opts["namespaces"])),
        clusters=tuple(_list(opts["clusters"])),
        manual_sync=opts["manual_sync"],
        time_zone=opts["time_zone"],
        and_operator=opts["use_and_operator"],
        description=opts["description"],
        sync_overrun=opts["sync_overrun"],
    )
    if not (window.kind and window.schedule and window.duration) or not (
        window.applications or window.namespaces or window.clusters
    ):
        raise CommandError(
            "cannot create window: require kind, schedule, duration and one or more of "
            "applications, namespaces and clusters",
            EXIT_COMMAND,
        )

    def mutate(spec: dict[str, Any]) -> bool:
        spec.setdefault("syncWindows", []).append(window.to_dict())
        return True

    backend(core).modify(name, mutate)


def _by_id(edit: Callable[[list[dict[str, Any]], int], None]) -> Callable[..., None]:
    """A command body that applies ``edit`` to window ``window_id`` of project ``name``."""

    def body(name: str, window_id: int, core: CoreOptions) -> None:
        def mutate(spec: dict[str, Any]) -> bool:
            items = spec.get("syncWindows") or []
            if not 0 <= window_id < len(items):
                raise CommandError(f"window with id '{window_id}' not found", EXIT_COMMAND)
            edit(items, window_id)
            if not items:
                spec.pop("syncWindows", None)
            return True

        backend(core).modify(name, mutate)

    return body


def _window_command(
    use: str, help_: str, edit: Callable[[list[dict[str, Any]], int], None]
) -> None:
    body = _by_id(edit)

    @windows.command(use, help=help_)
    @click.argument("name")
    @click.argument("window_id", metavar="ID", type=int)
    @core_options
    def command(name: str, window_id: int, core: CoreOptions) -> None:
        body(name, window_id, core)


def _set_manual(value: bool) -> Callable[[list[dict[str, Any]], int], None]:
    def edit(items: list[dict[str, Any]], i: int) -> None:
        if value:
            items[i]["manualSync"] = True
        else:
            items[i].pop("manualSync", None)

    return edit


def _set_overrun(value: bool) -> Callable[[list[dict[str, Any]], int], None]:
    def edit(items: list[dict[str, Any]], i: int) -> None:
        if value:
            items[i]["syncOverrun"] = True
        else:
            items[i].pop("syncOverrun", None)

    return edit


def _delete(items: list[dict[str, Any]], i: int) -> None:
    del items[i]


_window_command(
    "delete",
    'Delete a sync window from a project. Requires ID, shown by "proj windows list PROJECT".',
    _delete,
)
_window_command(
    "enable-manual-sync",
    'Enable manual sync for a sync window. Requires ID, shown by "proj windows list PROJECT".',
    _set_manual(True),
)
_window_command(
    "disable-manual-sync",
    'Disable manual sync for a sync window. Requires ID, shown by "proj windows list PROJECT".',
    _set_manual(False),
)

_window_command(
    "enable-sync-overrun",
    "Let syncs already running continue past the window's boundary. Requires ID.",
    _set_overrun(True),
)
_window_command(
    "disable-sync-overrun",
    "Stop syncs at the window's boundary. Requires ID.",
    _set_overrun(False),
)


@windows.command("update")
@click.argument("name")
@click.argument("window_id", metavar="ID", type=int)
@click.option("--schedule", default="", help="New schedule in cron format.")
@click.option("--duration", default="", help="New duration (e.g. 1h).")
@click.option("--applications", multiple=True, help="New application globs.")
@click.option("--namespaces", multiple=True, help="New namespace globs.")
@click.option("--clusters", multiple=True, help="New cluster globs.")
@click.option("--time-zone", default="", help="New time zone (unchanged when not given).")
@click.option("--description", default="", help="New description.")
@core_options
def update(name: str, window_id: int, core: CoreOptions, **opts: Any) -> None:
    """Update a project sync window. Requires ID, shown by "proj windows list PROJECT"."""
    changes: dict[str, Any] = {
        "schedule": opts["schedule"],
        "duration": opts["duration"],
        "applications": _list(opts["applications"]),
        "namespaces": _list(opts["namespaces"]),
        "clusters": _list(opts["clusters"]),
    }
    if not any(changes.values()):
        raise CommandError(
            "cannot update: require one or more of schedule, duration, application, "
            "namespace, or cluster",
            EXIT_COMMAND,
        )
    changes.update(timeZone=opts["time_zone"], description=opts["description"])

    def edit(items: list[dict[str, Any]], i: int) -> None:
        items[i].update({k: v for k, v in changes.items() if v})

    _by_id(edit)(name, window_id, core)


def _cells(values: tuple[str, ...]) -> str:
    return ",".join(values) if values else "-"


def window_row(index: int, raw: dict[str, Any], now: datetime) -> list[str]:
    """One ``windows list`` line; STATUS is Active, Inactive or Invalid at ``now``."""
    w = SyncWindow.from_dict(raw)
    if w.problems():
        status = "Invalid"
    else:
        status = "Active" if w.active(now) else "Inactive"
    return [
        str(index),
        status,
        w.kind,
        w.schedule,
        w.duration,
        _cells(w.applications),
        _cells(w.namespaces),
        _cells(w.clusters),
        "Enabled" if w.manual_sync else "Disabled",
        w.time_zone,
        "Enabled" if w.and_operator else "Disabled",
    ]


@windows.command("list")
@click.argument("name")
@output_option(("wide", "json", "yaml"))
@core_options
def list_(name: str, output: str, core: CoreOptions) -> None:
    """List project sync windows."""

    p = backend(core).get(name)
    items = list((p.get("spec") or {}).get("syncWindows") or [])
    if output in ("json", "yaml"):
        print_resource(items, output)
        return
    now = datetime.now(UTC)
    print_table(HEADER, [window_row(i, w, now) for i, w in enumerate(items)])
