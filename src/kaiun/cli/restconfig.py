"""The CLI's login contexts, stored like Argo CD's: a YAML file with ``contexts``,
``servers``, ``users`` and ``current-context`` (``~/.config/kaiun/config``; ``$KAIUN_CONFIG``
or ``--config`` elsewhere), and an HTTP client for the context a command names.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click
import httpx
import yaml

F = TypeVar("F", bound=Callable[..., Any])


def default_config_path() -> Path:
    """``$KAIUN_CONFIG``, else ``$XDG_CONFIG_HOME/kaiun/config`` (``~/.config``)."""
    if os.environ.get("KAIUN_CONFIG"):
        return Path(os.environ["KAIUN_CONFIG"])
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "kaiun" / "config"


class LocalConfig:
    """The config file's content, read and written whole."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        for key in ("contexts", "servers", "users"):
            if not isinstance(self.data.get(key), list):
                self.data[key] = []

    @classmethod
    def load(cls, path: Path | None = None) -> LocalConfig:
        """The config at ``path`` (default location when None); empty if missing."""
        where = path or default_config_path()
        try:
            raw = yaml.safe_load(where.read_text()) if where.exists() else {}
        except yaml.YAMLError as exc:
            raise click.ClickException(f"{where} is not valid YAML: {exc}") from exc
        return cls(where, raw if isinstance(raw, dict) else {})

    def save(self) -> None:
        """Write the file, readable by its owner only (it holds tokens)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(self.data, sort_keys=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)

    @staticmethod
    def _find(items: list[dict[str, Any]], key: str, value: str) -> dict[str, Any] | None:
        return next((i for i in items if isinstance(i, dict) and i.get(key) == value), None)

    def _upsert(self, section: str, key: str, entry: dict[str, Any]) -> None:
        items: list[dict[str, Any]] = self.data[section]
        found = self._find(items, key, entry[key])
        if found is None:
            items.append(entry)
        else:
            found.update(entry)

    @property
    def current_context(self) -> str:
        """The name of the current context ("" when none)."""
        return str(self.data.get("current-context") or "")

    def contexts(self) -> list[dict[str, Any]]:
        """Every context (name, server, user)."""
        return [c for c in self.data["contexts"] if isinstance(c, dict)]

    def context(self, name: str) -> dict[str, Any] | None:
        """The named context."""
        return self._find(self.data["contexts"], "name", name)

    def server(self, name: str) -> dict[str, Any]:
        """The server entry (``server``, ``insecure``, ``plain-text``)."""
        return self._find(self.data["servers"], "server", name) or {"server": name}

    def user(self, name: str) -> dict[str, Any]:
        """The user entry (``name``, ``auth-token``)."""
        return self._find(self.data["users"], "name", name) or {"name": name}

    def set_login(
        self, context: str, server: str, token: str, *, insecure: bool, plaintext: bool
    ) -> None:
        """Record a login and make its context current."""
        self._upsert(
            "servers", "server", {"server": server, "insecure": insecure, "plain-text": plaintext}
        )
        self._upsert("users", "name", {"name": context, "auth-token": token})
        self._upsert("contexts", "name", {"name": context, "server": server, "user": context})
        self.data["current-context"] = context

    def set_token(self, user: str, token: str) -> None:
        """Replace (or, with "", remove) a user's token."""
        entry = self._find(self.data["users"], "name", user)
        if entry is not None:
            if token:
                entry["auth-token"] = token
            else:
                entry.pop("auth-token", None)

    def delete_context(self, name: str) -> None:
        """Forget a context and its user (the server entry may be shared)."""
        self.data["contexts"] = [c for c in self.contexts() if c.get("name") != name]
        self.data["users"] = [u for u in self.data["users"] if u.get("name") != name]
        if self.current_context == name:
            self.data["current-context"] = ""


@dataclass(frozen=True)
class Target:
    """A server to talk to and how."""

    server: str
    token: str
    insecure: bool
    plaintext: bool
    context: str

    @property
    def base_url(self) -> str:
        """``https://SERVER`` (``http://`` with plain text); a URL is taken as given."""
        if "://" in self.server:
            return self.server.rstrip("/")
        return f"{'http' if self.plaintext else 'https'}://{self.server}"


def rest_options(func: F) -> F:
    """The options every command that talks to the API server takes (Argo CD's names)."""
    options = [
        click.option("--server", default=None, help="API server address (HOST:PORT)."),
        click.option("--auth-token", default=None, help="Authentication token."),
        click.option("--insecure", is_flag=True, default=None, help="Skip TLS verification."),
        click.option("--plaintext", is_flag=True, default=None, help="Use plain HTTP."),
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path),
            default=None,
            help="Config file (default $KAIUN_CONFIG or ~/.config/kaiun/config).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def resolve(
    *,
    server: str | None,
    auth_token: str | None,
    insecure: bool | None,
    plaintext: bool | None,
    config_path: Path | None,
    context_name: str | None = None,
) -> Target:
    """The target from flags, falling back to the (current) context of the config."""
    config = LocalConfig.load(config_path)
    name = context_name or config.current_context
    ctx = config.context(name) if name else None
    if server is None and ctx is None:
        raise click.ClickException(
            "no server given and no current context: run `kaiun login SERVER` or pass --server"
        )
    srv_name = server or str(ctx["server"] if ctx else "")
    srv = config.server(srv_name)
    user = config.user(str(ctx.get("user", ""))) if ctx and not server else {}
    return Target(
        server=srv_name,
        token=auth_token or str(user.get("auth-token") or os.environ.get("KAIUN_AUTH_TOKEN", "")),
        insecure=bool(srv.get("insecure")) if insecure is None else insecure,
        plaintext=bool(srv.get("plain-text")) if plaintext is None else plaintext,
        context=name if not server else srv_name,
    )


@contextmanager
def http(target: Target) -> Iterator[httpx.Client]:
    """An HTTP client for ``target`` with its token."""
    headers = {"Authorization": f"Bearer {target.token}"} if target.token else {}
    with httpx.Client(
        base_url=target.base_url, headers=headers, verify=not target.insecure, timeout=30
    ) as client:
        yield client


def call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    """One API call; a failure becomes a ClickException with the server's message."""
    try:
        resp = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise click.ClickException(f"cannot reach {client.base_url}: {exc}") from exc
    if resp.status_code >= 400:
        try:
            message = resp.json().get("message") or resp.text
        except ValueError:
            message = resp.text
        raise click.ClickException(f"{message} (HTTP {resp.status_code})")
    return resp.json() if resp.content else {}
