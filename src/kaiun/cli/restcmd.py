"""What the noun commands over REST share (``repo``, ``repocreds``, ``cluster``, ``cert``):
the target from flags or the login context, Argo CD's ``-o json|yaml`` output, its
tab-aligned tables, and URL-encoding of ids that are URLs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import click
import httpx
import yaml

from kaiun.cli.restconfig import http, resolve, rest_options

F = TypeVar("F", bound=Callable[..., Any])

REST_KEYS = ("server", "auth_token", "insecure", "plaintext", "config_path")


EXIT_GENERIC = 20  # argocd's CLI exits 20 on every failure of these commands


class CommandError(click.ClickException):
    """A failure of a noun command: ``Error: <message>`` on stderr, exit code 20."""

    exit_code = EXIT_GENERIC


def _env(*names: str) -> str | None:
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


@contextmanager
def client(flags: dict[str, Any]) -> Iterator[httpx.Client]:
    """An API client for the flags' target (``--server``, ``$KAIUN_SERVER`` or
    ``$ARGOCD_SERVER``...) or the current login context."""
    values = {k: flags.get(k) for k in REST_KEYS}
    values["server"] = values["server"] or _env("KAIUN_SERVER", "ARGOCD_SERVER")
    values["auth_token"] = values["auth_token"] or _env("KAIUN_AUTH_TOKEN", "ARGOCD_AUTH_TOKEN")
    try:
        target = resolve(**values)
    except click.ClickException as exc:  # no server and no login context, unreadable config
        raise CommandError(exc.message) from None
    with http(target) as c:
        yield c


def api(c: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    """One call; a failure is a ``CommandError`` carrying the server's message."""
    try:
        resp = c.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise CommandError(f"cannot reach {c.base_url}: {exc}") from None
    if resp.status_code >= 400:
        try:
            body = resp.json()
        except ValueError:
            body = None
        message = str(body.get("message") or "") if isinstance(body, dict) else ""
        message = message or resp.text.strip() or resp.reason_phrase
        if resp.status_code == 401:
            message += ": log in with `kaiun login` or pass a valid --auth-token"
        raise CommandError(f"{message} (HTTP {resp.status_code})")
    return resp.json() if resp.content else {}


def segment(ident: str) -> str:
    """A URL (repository, cluster server) as one path segment, as Argo CD's CLI sends it."""
    return quote(ident, safe="")


def output_option(*choices: str, default: str = "wide") -> Callable[[F], F]:
    """``-o/--output`` with argocd's choices for the command."""
    return click.option(
        "-o", "--output", type=click.Choice(list(choices)), default=default,
        show_default=True, help="Output format.",
    )  # fmt: skip


def emit(body: Any, output: str) -> bool:
    """Print ``body`` as JSON or YAML when asked; True when it did."""
    if output == "json":
        click.echo(json.dumps(body, indent=2))
    elif output == "yaml":
        click.echo(yaml.safe_dump(body, sort_keys=False).rstrip())
    else:
        return False
    return True


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Columns padded to their widest cell plus two spaces (argocd's tabwriter)."""
    cells = [list(header), *[["" if v is None else str(v) for v in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for row in cells:
        line = "".join(v.ljust(w + 2) for v, w in zip(row[:-1], widths[:-1], strict=True))
        click.echo((line + row[-1]).rstrip())


def read_file(path: Path | None, what: str) -> str:
    """A credential file's text (``None``: empty); unreadable files name the flag's file."""
    if path is None:
        return ""
    try:
        return path.read_text()
    except OSError as exc:
        raise CommandError(f"cannot read {what} {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise CommandError(f"{what} {path} is not text") from None


def yes_no(value: Any) -> str:
    """``true``/``false`` as argocd prints booleans."""
    return "true" if value else "false"


__all__ = [
    "CommandError",
    "api",
    "client",
    "emit",
    "output_option",
    "read_file",
    "rest_options",
    "segment",
]
