"""Client certificates and basic auth reach a real TLS server (the local cluster uses tokens).

A small HTTPS server on 127.0.0.1 demands a client certificate signed by its CA and records
what each request presented; kubeconfig-style configurations connect to it.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kaiun.kube import ClusterConfig, KubeClient, errors
from tests.integration.kube.conftest import run


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(
    cn: str, issuer: tuple[Any, x509.Certificate] | None, *, server: bool = False
) -> tuple[Any, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer[1].subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if server:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    return key, builder.sign(issuer[0] if issuer else key, hashes.SHA256())


def _pem(key: Any, cert: x509.Certificate) -> tuple[str, str]:
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem


@dataclass
class Server:
    url: str
    ca_pem: str
    client_pem: tuple[str, str]
    seen: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Server]:
    ca = _issue("test-ca", None)
    server_key, server_cert = _issue("127.0.0.1", ca, server=True)
    client = _issue("alice", ca)
    cert_pem, key_pem = _pem(server_key, server_cert)
    (tmp_path / "s.crt").write_text(cert_pem)
    (tmp_path / "s.key").write_text(key_pem)
    ca_pem = _pem(*ca)[0]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tmp_path / "s.crt", tmp_path / "s.key")
    ctx.load_verify_locations(cadata=ca_pem)
    ctx.verify_mode = ssl.CERT_OPTIONAL  # basic auth requests come without a certificate
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            peer = self.connection.getpeercert()  # type: ignore[attr-defined]
            subject = dict(x[0] for x in peer["subject"]) if peer else {}
            seen.append({"cn": subject.get("commonName"), "auth": self.headers["Authorization"]})
            ok = bool(peer) or self.headers["Authorization"] == "Basic YWxpY2U6czNjcmV0"
            body = {"major": "1", "minor": "32"} if ok else {"kind": "Status", "code": 401}
            data = json.dumps(body).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://127.0.0.1:{httpd.server_address[1]}"
        yield Server(url, ca_pem, _pem(*client), seen)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


async def _version(cfg: ClusterConfig) -> dict[str, Any]:
    async with await KubeClient.connect(cfg, request_timeout=5) as client:
        return await client.get_path("/version")


def test_client_certificate_and_basic_auth(tls_server: Server) -> None:
    cert_pem, key_pem = tls_server.client_pem
    base = ClusterConfig(server=tls_server.url, ca_data=tls_server.ca_pem)
    with_cert = ClusterConfig(
        server=tls_server.url,
        ca_data=tls_server.ca_pem,
        client_cert_data=cert_pem,
        client_key_data=key_pem,
    )
    assert run(_version(with_cert))["major"] == "1"
    assert tls_server.seen[-1] == {"cn": "alice", "auth": None}
    basic = ClusterConfig(
        server=tls_server.url, ca_data=tls_server.ca_pem, username="alice", password="s3cret"
    )
    assert run(_version(basic))["major"] == "1"
    assert tls_server.seen[-1] == {"cn": None, "auth": "Basic YWxpY2U6czNjcmV0"}
    wrong = ClusterConfig(
        server=tls_server.url, ca_data=tls_server.ca_pem, username="alice", password="nope"
    )
    with pytest.raises(errors.Unauthorized) as caught:
        run(_version(wrong))
    assert "nope" not in str(caught.value)
    with pytest.raises(errors.Unauthorized):
        run(_version(base))
    mismatched = ClusterConfig(
        server=tls_server.url,
        ca_data=tls_server.ca_pem,
        client_cert_data=cert_pem,
        client_key_data=_pem(*_issue("x", None))[1],
    )
    with pytest.raises(errors.ConfigError, match="do not load or do not match"):
        run(_version(mismatched))
