"""Git over HTTPS with a TLS client certificate (``tlsClientCertData``/``tlsClientCertKey``)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import ipaddress
import shutil
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kaiun.repo import CredentialStore, GitError, GitRepos, RepoCredential
from kaiun.repo.tlscerts import TlsCerts
from tests.integration.repo.repo_testkit import GitHttpServer, GitRepo, cm


def _cert(
    name: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = issuer or (subject, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if name == "127.0.0.1":
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(obj: x509.Certificate | ec.EllipticCurvePrivateKey) -> str:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM).decode()
    return obj.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_client_certificate_is_presented(git_repo: GitRepo, tmp_path: Path) -> None:
    ca_key, server_key, client_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _cert("test-ca", ca_key, None)
    server = _cert("127.0.0.1", server_key, (ca.subject, ca_key))
    client = _cert("kaiun", client_key, (ca.subject, ca_key))
    (tmp_path / "ca.pem").write_text(_pem(ca))
    (tmp_path / "server.pem").write_text(_pem(server) + _pem(server_key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    context.load_verify_locations(tmp_path / "ca.pem")
    context.verify_mode = ssl.CERT_REQUIRED  # no client certificate, no repository

    head = git_repo.commit({"app/a.yaml": cm("tls")})
    served = tmp_path / "served"
    served.mkdir()
    shutil.copytree(git_repo.path / ".git", served / "app.git")
    with GitHttpServer(served, ssl_context=context) as srv:
        url = f"{srv.base_url}/app.git"
        with_cert = RepoCredential(
            url=url,
            insecure=True,
            tls_client_cert_data=_pem(client),
            tls_client_cert_key=_pem(client_key),
        )
        repos = GitRepos(tmp_path / "w", CredentialStore([with_cert]), revision_cache_seconds=0)
        assert asyncio.run(repos.resolve(url, "main")) == head

        without = GitRepos(
            tmp_path / "n", CredentialStore([RepoCredential(url=url, insecure=True)]),
            revision_cache_seconds=0,
        )  # fmt: skip
        with pytest.raises(GitError) as err:
            asyncio.run(without.resolve(url, "main"))
        assert "BEGIN" not in str(err.value)

        # Verified against the host's CA (argocd-tls-certs-cm) instead of skipping checks.
        verified = dataclasses.replace(with_cert, insecure=False)
        trusted = GitRepos(
            tmp_path / "t", CredentialStore([verified]), revision_cache_seconds=0,
            tls_certs=TlsCerts({"127.0.0.1": _pem(ca)}),
        )  # fmt: skip
        assert asyncio.run(trusted.resolve(url, "main")) == head
        untrusted = GitRepos(tmp_path / "u", CredentialStore([verified]), revision_cache_seconds=0)
        with pytest.raises(GitError, match=r"(?i)certificate"):
            asyncio.run(untrusted.resolve(url, "main"))
