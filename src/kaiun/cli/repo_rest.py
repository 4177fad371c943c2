"""``kaiun repo add|list|get|rm`` and ``kaiun repocreds add|list|rm``: Argo CD's repository
commands over the REST API, with argocd's flags, tables and messages. Secret material is read
from files (``--ssh-private-key-path``...) or prompted for, sent once, and never printed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from kaiun.cli.restcmd import (
    api,
    client,
    emit,
    output_option,
    read_file,
    rest_options,
    segment,
    table,
    yes_no,
)

FilePath = click.Path(dir_okay=False, path_type=Path)


def _credential_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The credential flags ``repo add`` and ``repocreds add`` share (argocd's names)."""
    options = [
        click.option("--type", "repo_type", type=click.Choice(["git", "helm", "oci"]),
                     default="git", show_default=True, help="Type of the repository."),
        click.option("--username", default="", help="Username of the repository."),
        click.option("--password", default=None, help="Password (prompted when --username is "
                     "given without it)."),
        click.option("--bearer-token", default="", help="Bearer token (Bitbucket Data Center)."),
        click.option("--ssh-private-key-path", type=FilePath, default=None,
                     help="Path to the SSH private key."),
        click.option("--tls-client-cert-path", type=FilePath, default=None,
                     help="Path to the TLS client certificate (PEM)."),
        click.option("--tls-client-cert-key-path", type=FilePath, default=None,
                     help="Path to the TLS client certificate's key (PEM)."),
        click.option("--github-app-id", type=int, default=None, help="GitHub App id."),
        click.option("--github-app-installation-id", type=int, default=None,
                     help="GitHub App installation id."),
        click.option("--github-app-private-key-path", type=FilePath, default=None,
                     help="Path to the GitHub App private key (PEM)."),
        click.option("--github-app-enterprise-base-url", default="",
                     help="GitHub Enterprise API base URL."),
        click.option("--enable-oci", is_flag=True, help="Helm charts are in an OCI registry."),
        click.option("--force-http-basic-auth", is_flag=True,
                     help="Send basic auth even where the server does not ask for it."),
        click.option("--proxy", default="", help="HTTP/HTTPS proxy for the repository."),
        click.option("--no-proxy", default="", help="Hosts that bypass the proxy."),
        click.option("--upsert", is_flag=True, help="Replace an existing entry that differs."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _credentials(opts: dict[str, Any]) -> dict[str, Any]:
    password = opts["password"]
    if opts["username"] and password is None:
        password = click.prompt("Password", hide_input=True)
    fields: dict[str, Any] = {
        "type": opts["repo_type"],
        "username": opts["username"],
        "password": password or "",
        "bearerToken": opts["bearer_token"],
        "sshPrivateKey": read_file(opts["ssh_private_key_path"], "SSH private key"),
        "tlsClientCertData": read_file(opts["tls_client_cert_path"], "TLS client certificate"),
        "tlsClientCertKey": read_file(opts["tls_client_cert_key_path"], "TLS client key"),
        "githubAppID": opts["github_app_id"],
        "githubAppInstallationID": opts["github_app_installation_id"],
        "githubAppPrivateKey": read_file(opts["github_app_private_key_path"], "GitHub App key"),
        "githubAppEnterpriseBaseUrl": opts["github_app_enterprise_base_url"],
        "enableOCI": opts["enable_oci"],
        "forceHttpBasicAuth": opts["force_http_basic_auth"],
        "proxy": opts["proxy"],
        "noProxy": opts["no_proxy"],
    }
    if bool(fields["tlsClientCertData"]) != bool(fields["tlsClientCertKey"]):
        raise click.UsageError(
            "--tls-client-cert-path and --tls-client-cert-key-path must be given together"
        )
    return {k: v for k, v in fields.items() if v not in ("", None, False)}


# -- repo -----------------------------------------------------------------------------------


@click.command("add")
@click.argument("repo")
@_credential_options
@click.option("--name", default="", help="Name of the repository (Helm repositories need one).")
@click.option("--project", default="", help="Project the repository is scoped to.")
@click.option("--insecure-skip-server-verification", is_flag=True,
              help="Skip TLS verification of the repository server.")  # fmt: skip
@click.option(
    "--insecure-ignore-host-key",
    is_flag=True,
    help="Skip SSH host key checking (same as --insecure-skip-server-verification).",
)
@click.option("--enable-lfs", is_flag=True, help="Fetch Git LFS objects.")
@click.option("--insecure-oci-force-http", is_flag=True, help="Use plain HTTP for OCI.")
@rest_options
def repo_add(repo: str, **opts: Any) -> None:
    """Add a repository (git, Helm or OCI) with its credentials."""
    if opts["repo_type"] == "helm" and not opts["name"]:
        raise click.UsageError("Must specify --name for repos of type 'helm'")
    body = {"repo": repo, **_credentials(opts)}
    extra = {
        "name": opts["name"],
        "project": opts["project"],
        "insecure": opts["insecure_skip_server_verification"] or opts["insecure_ignore_host_key"],
        "enableLfs": opts["enable_lfs"],
        "insecureOCIForceHttp": opts["insecure_oci_force_http"],
    }
    body.update({k: v for k, v in extra.items() if v})
    params = {"upsert": "true"} if opts["upsert"] else {}
    with client(opts) as c:
        created = api(c, "POST", "/api/v1/repositories", json=body, params=params)
    click.echo(f"Repository '{created.get('repo', repo)}' added")


def _repo_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    rows = []
    for r in items:
        state = r.get("connectionState") or {}
        creds = bool(r.get("username") or r.get("githubAppID") or r.get("inheritedCreds"))
        rows.append([
            r.get("type") or "git", r.get("name", ""), r.get("repo", ""),
            yes_no(r.get("insecure")), yes_no(r.get("enableOCI")), yes_no(r.get("enableLfs")),
            yes_no(creds), state.get("status", ""), state.get("message", ""),
            r.get("project", ""),
        ])  # fmt: skip
    return rows


REPO_HEADER = ("TYPE", "NAME", "REPO", "INSECURE", "OCI", "LFS", "CREDS", "STATUS", "MESSAGE",
               "PROJECT")  # fmt: skip


def _show_repos(items: list[dict[str, Any]], output: str, body: Any) -> None:
    if emit(body, output):
        return
    if output == "url":
        for r in items:
            click.echo(r.get("repo", ""))
        return
    table(REPO_HEADER, _repo_rows(items))


@click.command("list")
@output_option("wide", "url", "json", "yaml")
@click.option("--refresh", type=click.Choice(["", "hard"]), default="",
              help="hard: probe every repository anew.")  # fmt: skip
@rest_options
def repo_list(output: str, refresh: str, **opts: Any) -> None:
    """List repositories with their connection state."""
    params = {"forceRefresh": "true"} if refresh == "hard" else {}
    with client(opts) as c:
        items = api(c, "GET", "/api/v1/repositories", params=params).get("items") or []
    _show_repos(items, output, items)


@click.command("get")
@click.argument("repo")
@output_option("wide", "url", "json", "yaml")
@click.option("--refresh", type=click.Choice(["", "hard"]), default="",
              help="hard: probe the repository anew.")  # fmt: skip
@rest_options
def repo_get(repo: str, output: str, refresh: str, **opts: Any) -> None:
    """Show one repository."""
    params = {"forceRefresh": "true"} if refresh == "hard" else {}
    with client(opts) as c:
        body = api(c, "GET", f"/api/v1/repositories/{segment(repo)}", params=params)
    _show_repos([body], output, body)


@click.command("rm")
@click.argument("repos", nargs=-1, required=True)
@rest_options
def repo_rm(repos: tuple[str, ...], **opts: Any) -> None:
    """Remove repositories."""
    with client(opts) as c:
        for repo in repos:
            api(c, "DELETE", f"/api/v1/repositories/{segment(repo)}")
            click.echo(f"Repository '{repo}' removed")


REPO_COMMANDS = (repo_add, repo_list, repo_get, repo_rm)


# -- repocreds ------------------------------------------------------------------------------


@click.group("repocreds")
def repocreds() -> None:
    """Manage credential templates (credentials for every repository under a URL prefix)."""


@repocreds.command("add")
@click.argument("url")
@_credential_options
@rest_options
def repocreds_add(url: str, **opts: Any) -> None:
    """Add a credential template for repositories whose URL starts with URL."""
    body = {"url": url, **_credentials(opts)}
    params = {"upsert": "true"} if opts["upsert"] else {}
    with client(opts) as c:
        api(c, "POST", "/api/v1/repocreds", json=body, params=params)
    click.echo(f"Repository credentials for '{url}' added")


@repocreds.command("list")
@output_option("wide", "url", "json", "yaml")
@rest_options
def repocreds_list(output: str, **opts: Any) -> None:
    """List credential templates (never their secrets)."""
    with client(opts) as c:
        items = api(c, "GET", "/api/v1/repocreds").get("items") or []
    if emit(items, output):
        return
    if output == "url":
        for r in items:
            click.echo(r.get("url", ""))
        return
    rows = [
        [r.get("url", ""), r.get("username", ""), yes_no(r.get("sshPrivateKey")),
         yes_no(r.get("tlsClientCertData"))]
        for r in items
    ]  # fmt: skip
    table(("URL PATTERN", "USERNAME", "SSH_CREDS", "TLS_CREDS"), rows)


@repocreds.command("rm")
@click.argument("urls", nargs=-1, required=True)
@rest_options
def repocreds_rm(urls: tuple[str, ...], **opts: Any) -> None:
    """Remove credential templates."""
    with client(opts) as c:
        for url in urls:
            api(c, "DELETE", f"/api/v1/repocreds/{segment(url)}")
            click.echo(f"Repository credentials for '{url}' removed")


__all__ = ["REPO_COMMANDS", "repocreds"]
