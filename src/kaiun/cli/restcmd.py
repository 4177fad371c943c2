"""What the noun commands over REST share (``repo``, ``repocreds``, ``cluster``, ``cert``):
the target from flags or the login context, Argo CD's ``-o json|yaml`` output, its
tab-aligned tables, and URL-encoding of ids that are URLs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import click
import httpx
import yaml

from kaiun.cli.restconfig import call, http, resolve, rest_options

F = TypeVar("F", bound=Callable[..., Any])

REST_KEYS = ("server", "auth_token", "insecure", "plaintext", "config_path")


@contextmanager
def client(flags: dict[str, Any]) -> Iterator[httpx.Client]:
    """An API client for the flags' target (``--server``...) or the current context."""
    target = resolve(**{k: flags.get(k) for k in REST_KEYS})
    with http(target) as c:
        yield c


def api(c: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    """One call; failures are ``Error: <server message>`` (see ``restconfig.call``)."""
    return call(c, method, path, **kwargs)


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
        raise click.ClickException(f"cannot read {what} {path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise click.ClickException(f"{what} {path} is not text") from None


def yes_no(value: Any) -> str:
    """``true``/``false`` as argocd prints booleans."""
    return "true" if value else "false"


__all__ = ["api", "client", "emit", "output_option", "read_file", "rest_options", "segment"]
