"""``kaiun login``, ``kaiun logout`` and ``kaiun context``: sessions with an API server,
kept as contexts in the CLI config (as ``argocd login`` keeps them)."""

from __future__ import annotations

from pathlib import Path

import click

from kaiun.cli.restconfig import LocalConfig, Target, call, http, resolve
from kaiun.cli.sso_login import run_sso_login, sso_config_from_settings

CONFIG = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Config file (default $KAIUN_CONFIG or ~/.config/kaiun/config).",
)


@click.command("login")
@click.argument("server")
@click.option("--username", default=None, help="Username (prompted when missing).")
@click.option("--password", default=None, help="Password (prompted when missing).")
@click.option("--name", "context_name", default=None, help="Context name (default: SERVER).")
@click.option("--insecure", is_flag=True, help="Skip TLS certificate verification.")
@click.option("--plaintext", is_flag=True, help="Use plain HTTP instead of HTTPS.")
@click.option("--sso", is_flag=True, help="Log in with the server's SSO provider (OIDC/Dex).")
@click.option(
    "--sso-port", type=int, default=8085, show_default=True, help="Port of the SSO callback."
)
@click.option(
    "--sso-launch-browser",
    type=click.BOOL,
    default=True,
    show_default=True,
    help="Open the login page in the default browser (false: only print its URL).",
)
@CONFIG
def login(
    server: str,
    username: str | None,
    password: str | None,
    context_name: str | None,
    insecure: bool,
    plaintext: bool,
    sso: bool,
    sso_port: int,
    sso_launch_browser: bool,
    config_path: Path | None,
) -> None:
    """Log in to a kaiun (or Argo CD) API server and make it the current context."""
    if sso:
        _sso_login(server, context_name, insecure, plaintext, sso_port, sso_launch_browser,
                   config_path)  # fmt: skip
        return
    username = username or click.prompt("Username")
    password = password or click.prompt("Password", hide_input=True)
    target = Target(server, "", insecure, plaintext, context_name or server)
    with http(target) as client:
        body = call(
            client, "POST", "/api/v1/session", json={"username": username, "password": password}
        )
    token = str(body.get("token") or "")
    if not token:
        raise click.ClickException("the server answered without a token")
    config = LocalConfig.load(config_path)
    config.set_login(target.context, server, token, insecure=insecure, plaintext=plaintext)
    config.save()
    click.echo(f"'{username}:login' logged in successfully")
    click.echo(f"Context '{target.context}' updated")


def _sso_login(
    server: str,
    context_name: str | None,
    insecure: bool,
    plaintext: bool,
    port: int,
    launch_browser: bool,
    config_path: Path | None,
) -> None:
    target = Target(server, "", insecure, plaintext, context_name or server)
    with http(target) as client:
        settings = call(client, "GET", "/api/v1/settings")
    config = sso_config_from_settings(settings, insecure=insecure)
    token, refresh, claims = run_sso_login(
        config, port=port, launch_browser=launch_browser, echo=click.echo
    )
    local = LocalConfig.load(config_path)
    local.set_login(target.context, server, token, insecure=insecure, plaintext=plaintext)
    if refresh:
        local.user(target.context)["refresh-token"] = refresh
    local.save()
    who = claims.get("email") or claims.get("name") or claims.get("sub")
    click.echo(f"'{who}' logged in successfully")
    click.echo(f"Context '{target.context}' updated")


@click.command("logout")
@click.argument("context_name", required=False)
@CONFIG
def logout(context_name: str | None, config_path: Path | None) -> None:
    """End the session of a context (the current one by default) and forget its token."""
    config = LocalConfig.load(config_path)
    name = context_name or config.current_context
    ctx = config.context(name) if name else None
    if ctx is None:
        raise click.ClickException(f"no such context {name!r}" if name else "no current context")
    target = resolve(
        server=None, auth_token=None, insecure=None, plaintext=None,
        config_path=config_path, context_name=name,
    )  # fmt: skip
    if target.token:
        with http(target) as client:
            try:
                call(client, "DELETE", "/api/v1/session")
            except click.ClickException as exc:
                # The local token goes regardless: the user asked to be logged out.
                click.echo(f"warning: the server did not end the session: {exc.message}", err=True)
    config.set_token(str(ctx.get("user", name)), "")
    config.save()
    click.echo(f"Logged out from '{name}'")


@click.command("context")
@click.argument("name", required=False)
@click.option("--delete", is_flag=True, help="Delete the context NAME.")
@CONFIG
def context(name: str | None, delete: bool, config_path: Path | None) -> None:
    """List contexts, or switch to (or --delete) NAME."""
    config = LocalConfig.load(config_path)
    if name is None:
        click.echo(f"{'CURRENT':<8}{'NAME':<32}SERVER")
        for ctx in config.contexts():
            mark = "*" if ctx.get("name") == config.current_context else ""
            click.echo(f"{mark:<8}{ctx.get('name', ''):<32}{ctx.get('server', '')}")
        return
    if config.context(name) is None:
        raise click.ClickException(f"no such context {name!r}: see `kaiun context`")
    if delete:
        config.delete_context(name)
        config.save()
        click.echo(f"Context '{name}' deleted")
        return
    config.data["current-context"] = name
    config.save()
    click.echo(f"Switched to context '{name}'")
