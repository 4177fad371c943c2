"""Talking to an API server from the noun commands (``app``, ``proj``, ...): argocd's global
connection flags, the choice between REST and core mode, and a JSON client whose failures
become CLI errors with the server's message.

Mode, as argocd decides it plus kaiun's zero-setup fallback: ``--core`` (or an explicit
``--kubeconfig`` / ``--kube-context``) means core mode; otherwise a server (``--server``,
``$KAIUN_SERVER`` / ``$ARGOCD_SERVER``) or a current login context means REST; with neither,
core mode (so ``kaiun up`` followed by ``kaiun app list`` works without a login).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import click
import httpx

from kaiun.cli.restconfig import LocalConfig, Target, resolve

# Argo CD's CLI exit codes (util/errors).
EXIT_CONNECTION = 11
EXIT_API = 12
EXIT_NOT_FOUND = 13
EXIT_GENERIC = 20

REST_KEYS = ("server", "auth_token", "insecure", "plaintext", "grpc_web", "config_path")


def rest_connection_options() -> list[click.Option]:
    """argocd's global flags for reaching an API server (``--grpc-web`` is accepted and
    ignored: kaiun speaks REST only)."""
    return [
        click.Option(["--server"], default=None, help="API server address (HOST:PORT or URL)."),
        click.Option(["--auth-token"], default=None, help="Authentication token."),
        click.Option(
            ["--insecure"], is_flag=True, default=None, help="Skip TLS certificate verification."
        ),
        click.Option(["--plaintext"], is_flag=True, default=None, help="Use plain HTTP."),
        click.Option(["--grpc-web"], is_flag=True, default=None, help="Accepted; no effect."),
        click.Option(
            ["--config", "config_path"],
            type=click.Path(path_type=Path),
            default=None,
            help="CLI config file (default $KAIUN_CONFIG or ~/.config/kaiun/config).",
        ),
    ]


def _env(*names: str) -> str | None:
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


def choose_target(flags: Mapping[str, Any], *, core: bool, kube_explicit: bool) -> Target | None:
    """The API server to talk to, or None for core mode (see the module docstring)."""
    if core or kube_explicit:
        return None
    server = flags.get("server") or _env("KAIUN_SERVER", "ARGOCD_SERVER")
    token = flags.get("auth_token") or _env("KAIUN_AUTH_TOKEN", "ARGOCD_AUTH_TOKEN")
    config = LocalConfig.load(flags.get("config_path"))
    if not server and not config.context(config.current_context):
        if flags.get("auth_token"):
            raise click.UsageError(
                "--auth-token needs a server: pass --server or log in with `kaiun login`"
            )
        return None
    return resolve(
        server=server,
        auth_token=token,
        insecure=flags.get("insecure"),
        plaintext=flags.get("plaintext"),
        config_path=flags.get("config_path"),
    )


class RestError(click.ClickException):
    """An API call that failed; ``status`` is the HTTP status (0: the server was not
    reached). Printed as ``Error: <message>``."""

    def __init__(self, message: str, status: int, exit_code: int) -> None:
        super().__init__(message)
        self.status = status
        self.exit_code = exit_code  # type: ignore[misc]


def generic_exit(_status: int) -> int:
    """Every failure exits 20, as ``argocd app`` does (``errors.CheckError``)."""
    return EXIT_GENERIC


def classified_exit(status: int) -> int:
    """argocd's distinct codes: unreachable 11, refused 12, missing 13, other 20."""
    if status == 0:
        return EXIT_CONNECTION
    if status in (401, 403):
        return EXIT_API
    if status == 404:
        return EXIT_NOT_FOUND
    return EXIT_GENERIC


def _message(resp: httpx.Response) -> str:
    try:
        body = resp.json()
    except ValueError:
        body = None
    message = ""
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("error") or body.get("detail") or "")
    message = message or resp.text.strip() or resp.reason_phrase
    if resp.status_code == 401:
        return (
            f"unauthenticated: {message}: log in again with `kaiun login` or pass a valid "
            "--auth-token"
        )
    return message


def path(*parts: str) -> str:
    """Path segments, each URL-escaped (names with ``/`` or ``:``, repository URLs)."""
    return "/".join(quote(p, safe="") for p in parts)


class RestClient:
    """JSON over HTTP to one API server; every failure is a ``RestError``."""

    def __init__(self, target: Target, exit_code: Callable[[int], int] = generic_exit) -> None:
        self.target = target
        self.exit_code = exit_code
        headers = {"Authorization": f"Bearer {target.token}"} if target.token else {}
        self._http = httpx.Client(
            base_url=target.base_url, headers=headers, verify=not target.insecure, timeout=60
        )
        # A client made inside a command is closed when the command ends, however it ends.
        ctx = click.get_current_context(silent=True)
        if ctx is not None:
            ctx.call_on_close(self.close)

    def __enter__(self) -> RestClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        """One call; the decoded JSON body ({} when empty)."""
        try:
            resp = self._http.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise RestError(
                f"cannot reach {self.target.base_url}: {exc}", 0, self.exit_code(0)
            ) from exc
        if resp.status_code >= 400:
            status = resp.status_code
            raise RestError(_message(resp), status, self.exit_code(status))
        if not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError as exc:
            raise RestError(
                f"{self.target.base_url}{url} did not answer JSON: is it a kaiun or Argo CD "
                "API server?",
                resp.status_code,
                self.exit_code(500),
            ) from exc

    def get(self, url: str, **params: Any) -> Any:
        """GET with query parameters (None values left out)."""
        return self.request("GET", url, params=_params(params))

    def post(self, url: str, body: Any, **params: Any) -> Any:
        """POST a JSON body."""
        return self.request("POST", url, json=body, params=_params(params))

    def put(self, url: str, body: Any) -> Any:
        """PUT a JSON body."""
        return self.request("PUT", url, json=body)

    def patch(self, url: str, body: Any) -> Any:
        """PATCH with a JSON body."""
        return self.request("PATCH", url, json=body)

    def delete(self, url: str, **params: Any) -> Any:
        """DELETE with query parameters."""
        return self.request("DELETE", url, params=_params(params))


def _params(params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None or value == [] or value == ():
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else value
    return out


__all__ = [
    "EXIT_API",
    "EXIT_CONNECTION",
    "EXIT_GENERIC",
    "EXIT_NOT_FOUND",
    "REST_KEYS",
    "RestClient",
    "RestError",
    "choose_target",
    "classified_exit",
    "generic_exit",
    "path",
    "rest_connection_options",
]
