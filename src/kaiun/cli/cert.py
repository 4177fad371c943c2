"""``kaiun cert add-ssh|add-tls|list|rm``: Argo CD's repository certificate commands over
the REST API (SSH known hosts and TLS certificates of repository servers)."""

from __future__ import annotations

import base64
import re
import sys
from pathlib import Path
from typing import Any

import click

from kaiun.cli.restcmd import (
    CommandError,
    api,
    client,
    emit,
    output_option,
    read_file,
    rest_options,
    table,
)

_PEM = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
FROM = click.option(
    "--from", "source", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Read from this file instead of stdin.",
)  # fmt: skip


@click.group("cert")
def cert() -> None:
    """Manage repository certificates and SSH known hosts."""


def _input(source: Path | None, what: str) -> str:
    return read_file(source, what) if source is not None else sys.stdin.read()


def known_hosts_entries(text: str) -> list[dict[str, str]]:
    """``known_hosts`` lines as certificates, one per host name of a line."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split()
        if len(parts) < 3:
            raise CommandError(
                f"line {number}: expected 'HOSTS KEYTYPE KEY' as in a known_hosts file"
            )
        hosts, subtype, key = parts[0], parts[1], parts[2]
        if hosts.startswith("|"):
            raise CommandError(f"line {number}: hashed host names cannot be imported")
        for host in hosts.split(","):
            items.append({
                "serverName": host, "certType": "ssh", "certSubType": subtype,
                "certData": base64.b64encode(key.encode()).decode(),
            })  # fmt: skip
    return items


@cert.command("add-ssh")
@click.option("--batch", is_flag=True, help="Read known_hosts data (required, as argocd).")
@FROM
@click.option("--upsert", is_flag=True, help="Replace existing entries.")
@rest_options
def add_ssh(batch: bool, source: Path | None, upsert: bool, **opts: Any) -> None:
    """Add SSH known host entries from known_hosts data."""
    if not batch:
        raise click.UsageError("add-ssh reads known_hosts data: pass --batch (and --from FILE)")
    items = known_hosts_entries(_input(source, "known_hosts file"))
    if not items:
        raise CommandError("no known_hosts entries found in the input")
    params = {"upsert": "true"} if upsert else {}
    with client(opts) as c:
        api(c, "POST", "/api/v1/certificates", json={"items": items}, params=params)
    click.echo(f"Successfully created {len(items)} SSH known host entries")


@cert.command("add-tls")
@click.argument("server_name", metavar="REPOSERVER")
@FROM
@click.option("--upsert", is_flag=True, help="Replace existing certificates of the server.")
@rest_options
def add_tls(server_name: str, source: Path | None, upsert: bool, **opts: Any) -> None:
    """Add TLS certificate(s) (PEM) for a repository server."""
    pem = _input(source, "certificate file")
    blocks = _PEM.findall(pem)
    if not blocks:
        raise CommandError("no PEM certificate (-----BEGIN CERTIFICATE-----) in the input")
    item = {
        "serverName": server_name, "certType": "https",
        "certData": base64.b64encode("\n".join(blocks).encode()).decode(),
    }  # fmt: skip
    params = {"upsert": "true"} if upsert else {}
    with client(opts) as c:
        api(c, "POST", "/api/v1/certificates", json={"items": [item]}, params=params)
    click.echo(
        f"Created entry with {len(blocks)} PEM certificates for repository server {server_name}"
    )


@cert.command("list")
@click.option("--hostname-pattern", default="", help="Only host names matching this glob.")
@click.option("--cert-type", type=click.Choice(["", "ssh", "https"]), default="",
              help="Only this type.")  # fmt: skip
@click.option("--sortby", type=click.Choice(["hostname", "type"]), default="hostname",
              help="Sort order.")  # fmt: skip
@output_option("wide", "json", "yaml")
@rest_options
def list_(hostname_pattern: str, cert_type: str, sortby: str, output: str, **opts: Any) -> None:
    """List known hosts and TLS certificates."""
    params = {"hostNamePattern": hostname_pattern, "certType": cert_type}
    with client(opts) as c:
        items = api(c, "GET", "/api/v1/certificates", params=params).get("items") or []
    field = "serverName" if sortby == "hostname" else "certType"
    items = sorted(items, key=lambda i: (i.get(field, ""), i.get("serverName", "")))
    if emit(items, output):
        return
    rows = [
        [i.get("serverName"), i.get("certType"), i.get("certSubType"), i.get("certInfo")]
        for i in items
    ]
    table(("HOSTNAME", "TYPE", "SUBTYPE", "INFO"), rows)


@cert.command("rm")
@click.argument("pattern", metavar="REPOSERVER")
@click.option("--cert-type", type=click.Choice(["", "ssh", "https"]), default="",
              help="Only this type.")  # fmt: skip
@click.option("--cert-sub-type", default="", help="Only this sub type (e.g. ssh-ed25519).")
@rest_options
def rm(pattern: str, cert_type: str, cert_sub_type: str, **opts: Any) -> None:
    """Remove certificates of the servers matching REPOSERVER (a glob)."""
    params = {"hostNamePattern": pattern, "certType": cert_type, "certSubType": cert_sub_type}
    with client(opts) as c:
        removed = api(c, "DELETE", "/api/v1/certificates", params=params).get("items") or []
    click.echo(f"Removed {len(removed)} certificates matching '{pattern}'")


__all__ = ["cert"]
