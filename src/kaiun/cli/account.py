"""``kaiun account``: Argo CD's account commands over the REST API (user info, accounts,
password change, ``can-i``, API tokens)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import click
import yaml

from kaiun.cli.restconfig import LocalConfig, Target, call, http, resolve, rest_options
from kaiun.server.authn import parse_duration

OUTPUT = click.option(
    "-o", "--output", type=click.Choice(["", "json", "yaml"]), default="", help="Output format."
)


@click.group("account")
def account() -> None:
    """Manage accounts on an API server."""


def _target(**flags: Any) -> Target:
    return resolve(
        server=flags["server"],
        auth_token=flags["auth_token"],
        insecure=flags["insecure"],
        plaintext=flags["plaintext"],
        config_path=flags["config_path"],
    )


def _emit(body: Any, output: str) -> bool:
    if output == "json":
        click.echo(json.dumps(body, indent=2))
    elif output == "yaml":
        click.echo(yaml.safe_dump(body, sort_keys=False).rstrip())
    return bool(output)


def _me(target: Target) -> str:
    with http(target) as client:
        info = call(client, "GET", "/api/v1/session/userinfo")
    if not info.get("loggedIn"):
        raise click.ClickException("not logged in: run `kaiun login` or pass --auth-token")
    return str(info.get("username", ""))


def _when(seconds: str | int | None) -> str:
    if not seconds:
        return "never"
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@account.command("get-user-info")
@rest_options
@OUTPUT
def get_user_info(output: str, **flags: Any) -> None:
    """Who the current session is."""
    with http(_target(**flags)) as client:
        info = call(client, "GET", "/api/v1/session/userinfo")
    if _emit(info, output):
        return
    click.echo(f"Logged In: {'true' if info.get('loggedIn') else 'false'}")
    if info.get("loggedIn"):
        click.echo(f"Username: {info.get('username', '')}")
        click.echo(f"Issuer: {info.get('iss', '')}")
        click.echo(f"Groups: {','.join(info.get('groups') or [])}")


@account.command("list")
@rest_options
@OUTPUT
def list_accounts(output: str, **flags: Any) -> None:
    """The accounts you may see."""
    with http(_target(**flags)) as client:
        items = call(client, "GET", "/api/v1/account").get("items") or []
    if _emit(items, output):
        return
    click.echo(f"{'NAME':<24}{'ENABLED':<10}CAPABILITIES")
    for a in items:
        enabled = "true" if a.get("enabled") else "false"
        click.echo(f"{a['name']:<24}{enabled:<10}{', '.join(a.get('capabilities') or [])}")


@account.command("get")
@click.option("--account", "name", default=None, help="Account (default: yourself).")
@rest_options
@OUTPUT
def get_account(name: str | None, output: str, **flags: Any) -> None:
    """One account and its tokens."""
    target = _target(**flags)
    name = name or _me(target)
    with http(target) as client:
        body = call(client, "GET", f"/api/v1/account/{name}")
    if _emit(body, output):
        return
    click.echo(f"Name:               {body['name']}")
    click.echo(f"Enabled:            {'true' if body.get('enabled') else 'false'}")
    click.echo(f"Capabilities:       {', '.join(body.get('capabilities') or [])}")
    click.echo("\nTokens:")
    tokens = body.get("tokens") or []
    if not tokens:
        click.echo("NONE")
        return
    click.echo(f"{'ID':<40}{'ISSUED AT':<24}EXPIRING AT")
    for t in tokens:
        click.echo(f"{t['id']:<40}{_when(t.get('issuedAt')):<24}{_when(t.get('expiresAt'))}")


@account.command("update-password")
@click.option("--account", "name", default=None, help="Account (default: yourself).")
@click.option("--current-password", default=None, help="Your current password.")
@click.option("--new-password", default=None, help="The new password.")
@rest_options
def update_password(
    name: str | None, current_password: str | None, new_password: str | None, **flags: Any
) -> None:
    """Change a password; changing your own logs you in again with the new one."""
    target = _target(**flags)
    me = _me(target)
    current = current_password or click.prompt(
        f"*** Enter password of currently logged in user ({me})", hide_input=True
    )
    new = new_password or click.prompt(
        f"*** Enter new password for user {name or me}", hide_input=True, confirmation_prompt=True
    )
    body = {"name": name or me, "currentPassword": current, "newPassword": new}
    with http(target) as client:
        call(client, "PUT", "/api/v1/account/password", json=body)
        click.echo("Password updated")
        if (name or me) == me and not flags["auth_token"] and not flags["server"]:
            session = call(
                client, "POST", "/api/v1/session", json={"username": me, "password": new}
            )
            config = LocalConfig.load(flags["config_path"])
            ctx = config.context(target.context) or {}
            config.set_token(str(ctx.get("user", target.context)), str(session["token"]))
            config.save()
            click.echo(f"Context '{target.context}' updated")


@account.command("can-i")
@click.argument("action")
@click.argument("resource")
@click.argument("subresource", required=False, default="")
@rest_options
def can_i(action: str, resource: str, subresource: str, **flags: Any) -> None:
    """Whether you may do ACTION on RESOURCE SUBRESOURCE: prints yes or no."""
    with http(_target(**flags)) as client:
        body = call(client, "GET", f"/api/v1/account/can-i/{resource}/{action}/{subresource}")
    click.echo(body.get("value", "no"))


@account.command("generate-token")
@click.option("-a", "--account", "name", default=None, help="Account (default: yourself).")
@click.option("-e", "--expires-in", default="0s", help="Duration like 24h (0s: never).")
@click.option("--id", "token_id", default="", help="Token id (default: a random UUID).")
@rest_options
def generate_token(name: str | None, expires_in: str, token_id: str, **flags: Any) -> None:
    """Create an API token and print it (it is shown only once)."""
    seconds = parse_duration(expires_in)
    if seconds is None:
        raise click.BadParameter(f"{expires_in!r} is not a duration like 24h or 30m")
    target = _target(**flags)
    name = name or _me(target)
    with http(target) as client:
        body = call(
            client, "POST", f"/api/v1/account/{name}/token",
            json={"name": name, "expiresIn": seconds, "id": token_id},
        )  # fmt: skip
    click.echo(body["token"])


@account.command("delete-token")
@click.argument("token_id")
@click.option("-a", "--account", "name", default=None, help="Account (default: yourself).")
@rest_options
def delete_token(token_id: str, name: str | None, **flags: Any) -> None:
    """Revoke an API token by its id."""
    target = _target(**flags)
    name = name or _me(target)
    with http(target) as client:
        call(client, "DELETE", f"/api/v1/account/{name}/token/{token_id}")
    click.echo(f"Token '{token_id}' deleted")


__all__ = ["account"]
