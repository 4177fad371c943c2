"""Turning a ``RepoCredential`` into environment for the ``git`` CLI, without argv leaks.

Secrets travel only in the child's environment (readable by its owner alone) and in
0600 files in a private directory: never on a command line, where ``ps`` would show them.
"""

from __future__ import annotations

import base64
import os
import shlex
import stat
from pathlib import Path

from kaiun.repo.credentials import RepoCredential

__all__ = ["ASKPASS_SCRIPT", "git_environment"]

# git calls GIT_ASKPASS with the prompt as $1; answer from variables set for this call only.
ASKPASS_SCRIPT = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$KAIUN_GIT_USERNAME" ;;
  *) printf '%s\\n' "$KAIUN_GIT_PASSWORD" ;;
esac
"""


def _write_private(path: Path, content: str) -> str:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content if content.endswith("\n") else content + "\n")
    return str(path)


def _ensure_askpass(root: Path) -> str:
    script = root / "askpass.sh"
    if not script.exists():
        script.write_text(ASKPASS_SCRIPT)
        script.chmod(stat.S_IRWXU)
    return str(script)


def _ssh_command(cred: RepoCredential | None, known_hosts: str, secrets_dir: Path) -> str:
    # -F /dev/null: ssh reads the *account's* ~/.ssh (not $HOME); none of it may apply.
    ssh = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]
    if cred is not None and cred.insecure:
        ssh += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
    else:
        hosts = "/dev/null"
        if known_hosts:
            hosts = _write_private(secrets_dir / "known_hosts", known_hosts)
        ssh += ["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={hosts}",
                "-o", "GlobalKnownHostsFile=/dev/null"]  # fmt: skip
    if cred is not None and cred.ssh_private_key:
        ssh += ["-i", _write_private(secrets_dir / "id_key", cred.ssh_private_key)]
    return shlex.join(ssh)


def _http_config(cred: RepoCredential, secrets_dir: Path, url: str) -> list[tuple[str, str]]:
    config: list[tuple[str, str]] = []
    if cred.force_http_basic_auth and cred.password:
        token = base64.b64encode(f"{cred.username}:{cred.password}".encode()).decode()
        config.append(("http.extraHeader", f"Authorization: Basic {token}"))
    if cred.bearer_token:
        config.append(("http.extraHeader", f"Authorization: Bearer {cred.bearer_token}"))
    if cred.insecure:
        config.append(("http.sslVerify", "false"))
    if cred.tls_client_cert_data and cred.tls_client_cert_key:
        cert = _write_private(secrets_dir / "client.crt", cred.tls_client_cert_data)
        key = _write_private(secrets_dir / "client.key", cred.tls_client_cert_key)
        config += [("http.sslCert", cert), ("http.sslKey", key)]
    proxy = cred.proxy_for(url) if url else cred.proxy
    if proxy:
        config.append(("http.proxy", proxy))
    return config


def git_environment(
    base: dict[str, str],
    cred: RepoCredential | None,
    *,
    tools_dir: Path,
    secrets_dir: Path,
    known_hosts: str = "",
    ca_certs: str = "",
    url: str = "",
) -> dict[str, str]:
    """Environment for one git invocation against the repository ``cred`` belongs to.

    ``secrets_dir`` is a private per-call directory the caller removes afterwards.
    """
    env = dict(base)
    env.update(
        {
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_ASKPASS": _ensure_askpass(tools_dir),
            "KAIUN_GIT_USERNAME": "",
            "KAIUN_GIT_PASSWORD": "",
            "GIT_LFS_SKIP_SMUDGE": "1",
            "GIT_SSH_COMMAND": _ssh_command(cred, known_hosts, secrets_dir),
        }
    )
    config: list[tuple[str, str]] = []
    if cred is not None:
        if cred.username or cred.password:
            env["KAIUN_GIT_USERNAME"] = cred.username or "x-access-token"
            env["KAIUN_GIT_PASSWORD"] = cred.password
        if cred.no_proxy:
            env["NO_PROXY"] = env["no_proxy"] = cred.no_proxy
        config = _http_config(cred, secrets_dir, url)
    if ca_certs and not (cred is not None and cred.insecure):
        config.append(("http.sslCAInfo", _write_private(secrets_dir / "ca.pem", ca_certs)))
    # Config through the environment (git >= 2.31) keeps values off the command line.
    env["GIT_CONFIG_COUNT"] = str(len(config))
    for i, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env
