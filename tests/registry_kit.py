"""A real container registry on loopback for tests and benchmarks.

Runs Debian's ``docker-registry`` (CNCF distribution 2.8) with filesystem storage in a temp
directory, either open, behind htpasswd basic auth (bcrypt hash from ``htpasswd -B``), or behind
a bearer-token realm served by :class:`TokenServer` (RS256 JWTs whose ``x5c`` certificate is
the registry's ``rootcertbundle``). :class:`Pusher` uploads blobs and PUTs image manifests,
image indexes and tags through the registry's HTTP API — no docker needed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """A loopback bearer-token realm: checks basic credentials, issues signed JWTs."""

    def __init__(self, workdir: Path, users: dict[str, str], *, service: str, issuer: str) -> None:
        self.users, self.service, self.issuer = users, service, issuer
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kaiun test token issuer")])
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_path = workdir / "token-cert.pem"
        self.cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                status, body = server.answer(self.path, self.headers.get("Authorization", ""))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.realm = f"http://127.0.0.1:{self.httpd.server_address[1]}/token"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()

    def answer(self, path: str, authorization: str) -> tuple[int, dict[str, Any]]:
        """The token endpoint: 401 for wrong credentials, else a token for the scopes."""
        subject = ""
        if authorization.startswith("Basic "):
            user, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            if self.users.get(user) != password:
                return 401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]}
            subject = user
        query = parse_qs(urlparse(path).query)
        access = []
        if subject:
            for scope in query.get("scope", []):
                kind, _, rest = scope.partition(":")
                name, _, actions = rest.rpartition(":")
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
        return 200, {"token": self.token(subject, access), "expires_in": 300}

    def token(self, subject: str, access: list[dict[str, Any]]) -> str:
        """A JWT the registry accepts for ``access``."""
        der = self.cert.public_bytes(serialization.Encoding.DER)
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.service,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        sig = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing}.{_b64url(sig)}"


@dataclass
class Registry:
    """A running ``docker-registry``; ``auth`` is ``none``, ``htpasswd`` or ``token``."""

    workdir: Path
    auth: str = "none"
    users: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    token_server: TokenServer | None = None
    proc: subprocess.Popen[bytes] | None = None
    _log: Any = None
    _pushers: list[Pusher] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _auth_config(self) -> str:
        if self.auth == "htpasswd":
            lines = []
            for user, password in self.users.items():
                out = subprocess.run(
                    ["htpasswd", "-B", "-b", "-n", user, password],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.strip()
                lines.append(out)
            path = self.workdir / "htpasswd"
            path.write_text("\n".join(lines) + "\n")
            return f"auth:\n  htpasswd:\n    realm: kaiun-test\n    path: {path}\n"
        if self.auth == "token":
            self.token_server = TokenServer(
                self.workdir, self.users, service="kaiun-registry", issuer="kaiun-test"
            )
            self.token_server.start()
            return (
                "auth:\n  token:\n"
                f"    realm: {self.token_server.realm}\n"
                "    service: kaiun-registry\n    issuer: kaiun-test\n"
                f"    rootcertbundle: {self.token_server.cert_path}\n"
            )
        return ""

    def start(self) -> Registry:
        storage = self.workdir / "storage"
        storage.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "config.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {storage}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n  secret: {secrets.token_hex(16)}\n"
            + self._auth_config()
        )
        self._log = open(self.workdir / "registry.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [shutil.which("docker-registry") or "docker-registry", "serve", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env={**os.environ, "OTEL_TRACES_EXPORTER": "none"},
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(self.url + "/v2/", timeout=1)
                return self
            except httpx.TransportError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "docker-registry did not start: "
                        + (self.workdir / "registry.log").read_text()[-2000:]
                    ) from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log is not None:
            self._log.close()
        for pusher in self._pushers:
            pusher.close()
        if self.token_server is not None:
            self.token_server.stop()

    def pusher(self, user: str = "", password: str = "") -> Pusher:
        """A pusher authenticated as ``user`` (the first configured user by default)."""
        pusher = self._new_pusher(user, password)
        self._pushers.append(pusher)
        return pusher

    def _new_pusher(self, user: str, password: str) -> Pusher:
        if not user and self.users:
            user, password = next(iter(self.users.items()))
        if self.auth == "htpasswd":
            pair = base64.b64encode(f"{user}:{password}".encode()).decode()
            return Pusher(self.url, lambda _repo: {"Authorization": f"Basic {pair}"})
        if self.auth == "token":
            server = self.token_server
            assert server is not None

            def bearer(repo: str) -> dict[str, str]:
                access = [{"type": "repository", "name": repo, "actions": ["pull", "push"]}]
                return {"Authorization": f"Bearer {server.token(user, access)}"}

            return Pusher(self.url, bearer)
        return Pusher(self.url, lambda _repo: {})


@dataclass(frozen=True)
class Pushed:
    digest: str
    size: int
    media_type: str


class Pusher:
    """Pushes images with the registry HTTP API (blob uploads, manifest PUTs)."""

    def __init__(self, url: str, headers: Callable[[str], dict[str, str]]) -> None:
        self.http = httpx.Client(base_url=url, timeout=30)
        self.headers = headers

    def close(self) -> None:
        self.http.close()

    def blob(self, repo: str, data: bytes) -> Pushed:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        auth = self.headers(repo)
        start = self.http.post(f"/v2/{repo}/blobs/uploads/", headers=auth)
        assert start.status_code == 202, start.text
        location = start.headers["location"]
        sep = "&" if "?" in location else "?"
        done = self.http.put(
            f"{location}{sep}digest={digest}",
            content=data,
            headers={**auth, "Content-Type": "application/octet-stream"},
        )
        assert done.status_code == 201, done.text
        return Pushed(digest, len(data), "")

    def manifest(self, repo: str, reference: str, doc: dict[str, Any], media_type: str) -> Pushed:
        body = json.dumps(doc).encode()
        resp = self.http.put(
            f"/v2/{repo}/manifests/{reference}",
            content=body,
            headers={**self.headers(repo), "Content-Type": media_type},
        )
        assert resp.status_code == 201, resp.text
        return Pushed(resp.headers["docker-content-digest"], len(body), media_type)

    def image(
        self,
        repo: str,
        tag: str | None,
        *,
        created: str,
        os: str = "linux",
        arch: str = "amd64",
        variant: str = "",
        salt: str = "",
    ) -> Pushed:
        """Push a one-layer image (by digest, and at ``tag`` when given)."""
        layer = self.blob(repo, f"layer {repo} {tag} {created} {arch} {salt}".encode())
        config: dict[str, Any] = {
            "architecture": arch,
            "os": os,
            "created": created,
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [layer.digest]},
        }
        if variant:
            config["variant"] = variant
        cfg = self.blob(repo, json.dumps(config).encode())
        doc = {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "size": cfg.size, "digest": cfg.digest},
            "layers": [{"mediaType": DOCKER_LAYER, "size": layer.size, "digest": layer.digest}],
        }
        pushed = self.manifest(
            repo, "sha256:" + hashlib.sha256(json.dumps(doc).encode()).hexdigest(), doc,
            DOCKER_MANIFEST,
        )  # fmt: skip
        if tag:
            self.manifest(repo, tag, doc, DOCKER_MANIFEST)
        return pushed

    def index(
        self, repo: str, tag: str, platforms: list[tuple[str, str]], *, oci: bool = False
    ) -> Pushed:
        """Push an image index for ``[(os/arch[/variant], created), ...]`` at ``tag``."""
        entries = []
        for platform, created in platforms:
            os_, arch, *rest = platform.split("/")
            variant = rest[0] if rest else ""
            child = self.image(repo, None, created=created, os=os_, arch=arch, variant=variant)
            plat = {"os": os_, "architecture": arch, **({"variant": variant} if variant else {})}
            entries.append(
                {"mediaType": DOCKER_MANIFEST, "size": child.size, "digest": child.digest,
                 "platform": plat}
            )  # fmt: skip
        media = OCI_INDEX if oci else DOCKER_LIST
        return self.manifest(
            repo, tag, {"schemaVersion": 2, "mediaType": media, "manifests": entries}, media
        )
