"""Where a cluster is and how to authenticate: kubeconfig, in-cluster, Argo CD cluster Secrets.

Produces a ``ClusterConfig`` value; nothing here opens a connection. Credentials are kept out
of ``repr`` and out of every error message.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

from kaiun.kube.errors import ConfigError

CLUSTER_SECRET_LABEL = "argocd.argoproj.io/secret-type"
IN_CLUSTER_SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True)
class ExecConfig:
    """A client-go exec credential plugin (``users[].user.exec`` / ``execProviderConfig``)."""

    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    api_version: str = "client.authentication.k8s.io/v1beta1"
    install_hint: str = ""
    provide_cluster_info: bool = False


@dataclass(frozen=True)
class ClusterConfig:
    """How to reach and authenticate to one Kubernetes API server."""

    server: str
    name: str = ""
    ca_data: str | None = field(default=None, repr=False)
    insecure: bool = False
    tls_server_name: str | None = None
    token: str | None = field(default=None, repr=False)
    token_file: Path | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_cert_data: str | None = field(default=None, repr=False)
    client_key_data: str | None = field(default=None, repr=False)
    exec: ExecConfig | None = None
    namespace: str = "default"
    # Argo CD cluster Secrets may restrict a cluster to namespaces and no cluster-scoped kinds.
    namespaces: tuple[str, ...] = ()
    cluster_resources: bool = True

    def __post_init__(self) -> None:
        if not self.server.startswith(("https://", "http://")):
            raise ConfigError(f"cluster {self.name or '?'}: server {self.server!r} is not a URL")


def _b64(value: str, what: str) -> str:
    try:
        return base64.b64decode(value, validate=False).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} is not valid base64 PEM") from exc


def _read(path: str | None, base: Path, what: str) -> str | None:
    if not path:
        return None
    full = (base / path).expanduser()
    try:
        return full.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read {what} file {full}: {exc.strerror}") from exc


def _named(entries: Any, name: str, section: str, source: str) -> tuple[dict[str, Any], Path]:
    for entry in entries or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            body = entry.get(section[:-1]) or {}
            return (body if isinstance(body, dict) else {}), Path(entry["_dir"])
    raise ConfigError(f"{source}: no {section[:-1]} named {name!r} in {section}")


def _load_kubeconfig_docs(paths: list[Path]) -> tuple[dict[str, Any], Path]:
    """Merge kubeconfig files the way kubectl does: the first file to define a name wins."""
    merged: dict[str, Any] = {"clusters": [], "users": [], "contexts": []}
    first: Path | None = None
    for path in paths:
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except OSError as exc:
            raise ConfigError(f"cannot read kubeconfig {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"kubeconfig {path} is not valid YAML") from exc
        if not isinstance(doc, dict):
            raise ConfigError(f"kubeconfig {path} is not a mapping")
        first = first or path
        merged.setdefault("current-context", doc.get("current-context"))
        if not merged["current-context"]:
            merged["current-context"] = doc.get("current-context")
        for section in ("clusters", "users", "contexts"):
            seen = {e.get("name") for e in merged[section]}
            for entry in doc.get(section) or []:
                if isinstance(entry, dict) and entry.get("name") not in seen:
                    # Relative file references resolve against the file that defines them.
                    merged[section].append({**entry, "_dir": str(path.parent)})
    if first is None:
        raise ConfigError("no kubeconfig file given")
    return merged, first


def _exec_from_kubeconfig(raw: dict[str, Any]) -> ExecConfig:
    env = tuple((str(e["name"]), str(e.get("value", ""))) for e in raw.get("env") or [])
    return ExecConfig(
        command=str(raw.get("command", "")),
        args=tuple(str(a) for a in raw.get("args") or []),
        env=env,
        api_version=str(raw.get("apiVersion") or ExecConfig.api_version),
        install_hint=str(raw.get("installHint") or ""),
        provide_cluster_info=bool(raw.get("provideClusterInfo")),
    )


def from_kubeconfig(path: Path | str | None = None, *, context: str | None = None) -> ClusterConfig:
    """Read a kubeconfig (``$KUBECONFIG`` or ``~/.kube/config`` when ``path`` is None)."""
    if path is None:
        env = os.environ.get("KUBECONFIG")
        paths = [Path(p) for p in env.split(os.pathsep) if p] if env else []
        paths = paths or [Path.home() / ".kube" / "config"]
    else:
        paths = [Path(path)]
    doc, first = _load_kubeconfig_docs(paths)
    ctx_name = context or doc.get("current-context")
    if not ctx_name:
        raise ConfigError(f"kubeconfig {first}: no context given and no current-context set")
    ctx, _ = _named(doc["contexts"], ctx_name, "contexts", str(first))
    cluster, cdir = _named(doc["clusters"], str(ctx.get("cluster", "")), "clusters", str(first))
    user: dict[str, Any] = {}
    udir = cdir
    if ctx.get("user"):
        user, udir = _named(doc["users"], str(ctx["user"]), "users", str(first))
    ca = cluster.get("certificate-authority-data")
    return ClusterConfig(
        server=str(cluster.get("server", "")),
        name=str(ctx_name),
        ca_data=_b64(ca, "certificate-authority-data")
        if ca
        else _read(cluster.get("certificate-authority"), cdir, "certificate-authority"),
        insecure=bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=cluster.get("tls-server-name"),
        token=user.get("token"),
        token_file=(udir / user["tokenFile"]) if user.get("tokenFile") else None,
        username=user.get("username"),
        password=user.get("password"),
        client_cert_data=_b64(user["client-certificate-data"], "client-certificate-data")
        if user.get("client-certificate-data")
        else _read(user.get("client-certificate"), udir, "client-certificate"),
        client_key_data=_b64(user["client-key-data"], "client-key-data")
        if user.get("client-key-data")
        else _read(user.get("client-key"), udir, "client-key"),
        exec=_exec_from_kubeconfig(user["exec"]) if user.get("exec") else None,
        namespace=str(ctx.get("namespace") or "default"),
    )


def in_cluster(
    sa_dir: Path = IN_CLUSTER_SA_DIR, env: dict[str, str] | None = None
) -> ClusterConfig:
    """The pod's service account (``KUBERNETES_SERVICE_HOST``/``PORT`` and its token file)."""
    env = dict(os.environ) if env is None else env
    host, port = env.get("KUBERNETES_SERVICE_HOST"), env.get("KUBERNETES_SERVICE_PORT")
    if not host or not port:
        raise ConfigError("not running in a cluster: KUBERNETES_SERVICE_HOST/PORT are not set")
    token_file = sa_dir / "token"
    if not token_file.exists():
        raise ConfigError(f"service account token {token_file} is missing")
    ns_file = sa_dir / "namespace"
    host = f"[{host}]" if ":" in host else host
    return ClusterConfig(
        server=f"https://{host}:{port}",
        name="in-cluster",
        ca_data=_read("ca.crt", sa_dir, "service account CA"),
        token_file=token_file,
        namespace=ns_file.read_text().strip() if ns_file.exists() else "default",
    )


def _secret_fields(secret: dict[str, Any]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            fields[key] = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ConfigError(f"cluster Secret field {key!r} is not base64 text") from exc
    fields.update({k: str(v) for k, v in (secret.get("stringData") or {}).items()})
    return fields


def from_cluster_secret(secret: dict[str, Any]) -> ClusterConfig:
    """An Argo CD cluster Secret (label ``argocd.argoproj.io/secret-type: cluster``)."""
    meta = secret.get("metadata") or {}
    where = f"cluster Secret {meta.get('namespace', '')}/{meta.get('name', '?')}"
    if (meta.get("labels") or {}).get(CLUSTER_SECRET_LABEL) != "cluster":
        raise ConfigError(f"{where} lacks the label {CLUSTER_SECRET_LABEL}=cluster")
    fields = _secret_fields(secret)
    if not fields.get("server"):
        raise ConfigError(f"{where} has no 'server'")
    try:
        conf = orjson.loads(fields.get("config") or "{}")
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"{where}: 'config' is not valid JSON") from exc
    if not isinstance(conf, dict):
        raise ConfigError(f"{where}: 'config' must be a JSON object")
    if conf.get("awsAuthConfig"):
        raise ConfigError(f"{where}: awsAuthConfig is not supported; use execProviderConfig")
    tls = conf.get("tlsClientConfig") or {}
    ex = conf.get("execProviderConfig")
    namespaces = tuple(n.strip() for n in fields.get("namespaces", "").split(",") if n.strip())
    cluster_resources = fields.get("clusterResources", "").lower() == "true" or not namespaces
    return ClusterConfig(
        server=fields["server"].rstrip("/"),
        name=fields.get("name") or fields["server"],
        ca_data=_b64(tls["caData"], f"{where} caData") if tls.get("caData") else None,
        insecure=bool(tls.get("insecure")),
        tls_server_name=tls.get("serverName") or None,
        token=conf.get("bearerToken") or None,
        username=conf.get("username") or None,
        password=conf.get("password") or None,
        client_cert_data=_b64(tls["certData"], f"{where} certData")
        if tls.get("certData")
        else None,
        client_key_data=_b64(tls["keyData"], f"{where} keyData") if tls.get("keyData") else None,
        exec=ExecConfig(
            command=str(ex.get("command", "")),
            args=tuple(str(a) for a in ex.get("args") or []),
            env=tuple((str(k), str(v)) for k, v in (ex.get("env") or {}).items()),
            api_version=str(ex.get("apiVersion") or ExecConfig.api_version),
            install_hint=str(ex.get("installHint") or ""),
        )
        if ex
        else None,
        namespaces=namespaces,
        cluster_resources=cluster_resources,
    )
