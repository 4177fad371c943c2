"""The HTML shell of every UI route: head with the stylesheets and the module script, the
navigation, a ``<noscript>`` note and a server-rendered first view (escaped text only)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import quote

SSR_LIMIT = 200  # server-rendered rows; the script pages through the rest


@dataclass(frozen=True)
class AppRow:
    """What the server-rendered list shows of one Application."""

    name: str
    namespace: str
    project: str
    sync: str
    health: str
    message: str = ""

    @staticmethod
    def of(app: Mapping[str, Any]) -> AppRow:
        """The row of an Application object."""
        meta = app.get("metadata") or {}
        spec = app.get("spec") or {}
        status = app.get("status") or {}
        conditions = status.get("conditions") or []
        message = str(conditions[0].get("message", "")) if conditions else ""
        return AppRow(
            name=str(meta.get("name", "")),
            namespace=str(meta.get("namespace", "")),
            project=str(spec.get("project") or "default"),
            sync=str((status.get("sync") or {}).get("status") or "Unknown"),
            health=str((status.get("health") or {}).get("status") or "Unknown"),
            message=message,
        )


def _e(text: str) -> str:
    return escape(text, quote=True)


def app_href(row: AppRow) -> str:
    """The UI path of an application's details page."""
    return f"/applications/{quote(row.namespace, safe='')}/{quote(row.name, safe='')}"


def app_list(rows: Sequence[AppRow], total: int) -> str:
    """The server-rendered application list (a plain table)."""
    if not rows:
        return '<p class="muted">No applications yet.</p>'
    body = "".join(
        "<tr>"
        f'<td><a href="{_e(app_href(r))}">{_e(r.name)}</a></td>'
        f"<td>{_e(r.project)}</td>"
        f'<td><span class="badge sync-{_e(r.sync.lower())}">{_e(r.sync)}</span></td>'
        f'<td><span class="badge health-{_e(r.health.lower())}">{_e(r.health)}</span></td>'
        f'<td class="muted">{_e(r.message)}</td>'
        "</tr>"
        for r in rows
    )
    more = (
        f'<p class="muted">Showing {len(rows)} of {total} applications.</p>'
        if total > len(rows)
        else f'<p class="muted">{total} applications.</p>'
    )
    return (
        '<table class="table ssr-apps"><thead><tr><th>Name</th><th>Project</th><th>Sync</th>'
        f"<th>Health</th><th>Conditions</th></tr></thead><tbody>{body}</tbody></table>{more}"
    )


def app_summary(row: AppRow) -> str:
    """The server-rendered header of an application's details page."""
    message = f'<p class="error-banner">{_e(row.message)}</p>' if row.message else ""
    return (
        f"<h1>{_e(row.name)}</h1>"
        f'<p>Project {_e(row.project)} · <span class="badge sync-{_e(row.sync.lower())}">'
        f'{_e(row.sync)}</span> <span class="badge health-{_e(row.health.lower())}">'
        f"{_e(row.health)}</span></p>{message}"
    )


def login_hint() -> str:
    """What an anonymous visitor sees before the script runs."""
    return '<p>Please <a href="/login">log in</a> to see your applications.</p>'


def page(*, title: str, stylesheets: Iterable[str], content: str, logged_in: bool = False) -> str:
    """The full HTML document; ``content`` must already be escaped markup."""
    links = "".join(f'<link rel="stylesheet" href="{_e(s)}">' for s in stylesheets)
    nav = (
        '<nav class="side-nav" aria-label="Main"><a href="/applications">Applications</a>'
        '<a href="/settings">Settings</a><a href="/user-info">User info</a></nav>'
        if logged_in
        else ""
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{_e(title)} - kaiun</title><link rel="icon" href="/assets/img/logo.svg">'
        f'{links}<script type="module" src="/assets/js/main.js"></script></head>'
        '<body><header class="top-bar"><a class="brand" href="/applications">kaiun</a></header>'
        f'<div class="layout">{nav}<main id="app" class="outlet" data-ssr="1">{content}'
        '<noscript><p class="error-banner">kaiun&#39;s UI needs JavaScript for everything '
        "beyond this read-only view.</p></noscript></main></div></body></html>"
    )
