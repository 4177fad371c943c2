"""Real git repositories and a real git smart-HTTP server for the repo room's tests."""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self

from kaiun.repo import ManifestResponse

GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}


def basic_auth(username: str, password: str) -> str:
    """The ``Authorization`` header a client sends for these credentials ("" for none)."""
    if not username:
        return ""
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class LoopbackHttpServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) serving ``handler``, optionally
    over TLS; a context manager that starts it and shuts it down with its thread."""

    def __init__(
        self, handler: type[BaseHTTPRequestHandler], ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.scheme = "https" if ssl_context else "http"
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if ssl_context is not None:
            self._httpd.socket = ssl_context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """``scheme://127.0.0.1:port``."""
        host, port = self._httpd.server_address[:2]
        return f"{self.scheme}://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


class GitRepo:
    """A non-bare repository we commit files into; ``url`` is its file:// address."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    @property
    def url(self) -> str:
        return f"file://{self.path}"

    def git(self, *args: str) -> str:
        env = {**os.environ, **GIT_ENV}
        out = subprocess.run(
            ["git", *args], cwd=self.path, env=env, check=True, capture_output=True, text=True
        )
        return out.stdout.strip()

    def write(self, files: Mapping[str, str]) -> None:
        for rel, content in files.items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)

    def commit(self, files: Mapping[str, str] | None = None, message: str = "change") -> str:
        self.write(files or {})
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def symlink(self, rel: str, target: str) -> None:
        link = self.path / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)


class GitHttpServer(LoopbackHttpServer):
    """``git http-backend`` behind a loopback HTTP bridge, optionally with basic auth (for
    every request, or with ``push_only`` for pushes alone, as a public repository has it).

    Python's CGI handler refuses to run as root, so the CGI exchange is done by hand.
    """

    def __init__(
        self,
        project_root: Path,
        username: str = "",
        password: str = "",
        ssl_context: ssl.SSLContext | None = None,
        *,
        push_only: bool = False,
    ) -> None:
        self.project_root = project_root
        self.expected = basic_auth(username, password)
        self.push_only = push_only
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server._handle(self)

            def do_POST(self) -> None:
                server._handle(self)

        super().__init__(Handler, ssl_context)

    @property
    def base_url(self) -> str:
        """Where the served repositories live (``base_url/<name>``)."""
        return self.url

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        self.requests.append(req.path)
        guarded = not self.push_only or "git-receive-pack" in req.path
        if self.expected and guarded and req.headers.get("Authorization") != self.expected:
            req.send_response(401)
            req.send_header("WWW-Authenticate", 'Basic realm="git"')
            req.send_header("Content-Length", "0")
            req.end_headers()
            return
        path, _, query = req.path.partition("?")
        body = req.rfile.read(int(req.headers.get("Content-Length") or 0))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": req.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": req.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "t",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_GIT_PROTOCOL": req.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": req.headers.get("Content-Encoding", ""),
        }
        out = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=False
        ).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status = 200
        headers: list[tuple[str, str]] = []
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers.append((key, value.strip()))
        req.send_response(status)
        for key, value in headers:
            req.send_header(key, value)
        req.send_header("Content-Length", str(len(payload)))
        req.end_headers()
        req.wfile.write(payload)


def cm(name: str, **data: str) -> str:
    """A ConfigMap manifest as YAML text."""
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata:", f"  name: {name}"]
    if data:
        lines.append("data:")
        lines += [f"  {k}: {v!r}" for k, v in data.items()]
    return "\n".join(lines) + "\n"


CHART_FILES = {
    "Chart.yaml": "apiVersion: v2\nname: my-chart\nversion: 1.0.0\n",
    "values.yaml": "replicaCount: 1\nservice:\n  type: NodePort\nresources: {}\nextra: keep\n",
    "values-production.yaml": "replicaCount: 2\nservice:\n  port: 8080\n",
    "templates/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-app
  namespace: {{ .Release.Namespace }}
  labels:
    extra: {{ .Values.extra | quote }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
      - name: app
        image: app
        resources: {{ toJson .Values.resources }}
""",
    "templates/service.yaml": """apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-svc
  annotations:
    kube: {{ .Capabilities.KubeVersion.Version | quote }}
    has-foo: {{ .Capabilities.APIVersions.Has "foo.example.com/v1" | quote }}
    port-kind: {{ kindOf (.Values.service.port | default 80) | quote }}
spec:
  type: {{ .Values.service.type }}
  ports: [{port: {{ .Values.service.port | default 80 }}}]
""",
    "templates/tests/test.yaml": """apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations: {"helm.sh/hook": test}
""",
    "templates/NOTES.txt": "Installed {{ .Release.Name }}\n",
    "templates/_helpers.tpl": '{{- define "x" }}x{{ end }}\n',
    "crds/foo.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
    "metadata:\n  name: foos.foo.example.com\n",
}


def chart_files(prefix: str) -> dict[str, str]:
    """The test chart's files under ``prefix/``."""
    return {f"{prefix}/{k}": v for k, v in CHART_FILES.items()}


class StaticHttpServer(LoopbackHttpServer):
    """Serves a directory over loopback HTTP, optionally behind basic auth."""

    def __init__(self, directory: Path, username: str = "", password: str = "") -> None:
        self.directory = directory
        self.expected = basic_auth(username, password)
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                auth = self.headers.get("Authorization")
                server.requests.append((self.path, auth))
                if server.expected and auth != server.expected:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                target = server.directory / self.path.lstrip("/")
                if not target.is_file():
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = target.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        super().__init__(Handler)


def package_chart(chart_dir: Path, out_dir: Path, versions: list[str]) -> None:
    """Package ``chart_dir`` at each version into ``out_dir`` and index it (real Helm SDK)."""
    import helm_python

    out_dir.mkdir(parents=True, exist_ok=True)
    for version in versions:
        helm_python.package(str(chart_dir), destination=str(out_dir), version=version)
    helm_python.repo_index_generate(str(out_dir))


class SshServer:
    """Debian's ``sshd`` on a loopback port, key authentication only, serving git over SSH."""

    def __init__(self, workdir: Path, authorized_key: str) -> None:
        import socket

        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation dir
        host_key = workdir / "host_ed25519"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True
        )
        self.host_public_key = (workdir / "host_ed25519.pub").read_text().split()[:2]
        (workdir / "authorized_keys").write_text(authorized_key)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        (workdir / "sshd_config").write_text(
            f"Port {self.port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
            f"AuthorizedKeysFile {workdir}/authorized_keys\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
            "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
            f"PidFile {workdir}/sshd.pid\n"
        )
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def known_hosts(self) -> str:
        return f"[127.0.0.1]:{self.port} {' '.join(self.host_public_key)}\n"

    def url(self, repo_path: Path) -> str:
        import getpass

        return f"ssh://{getpass.getuser()}@127.0.0.1:{self.port}{repo_path}"

    def __enter__(self) -> SshServer:
        import socket
        import time

        self._proc = subprocess.Popen(
            ["/usr/sbin/sshd", "-D", "-e", "-f", str(self.workdir / "sshd_config")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("sshd did not start")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)


class RegistryServer:
    """Debian's ``docker-registry`` (CNCF distribution) on loopback with htpasswd auth."""

    def __init__(self, workdir: Path, username: str, password: str) -> None:
        import socket

        self.username, self.password = username, password
        workdir.mkdir(parents=True, exist_ok=True)
        # distribution only accepts bcrypt entries ($2y$), which htpasswd -B writes.
        entry = subprocess.run(
            ["htpasswd", "-Bbn", username, password], check=True, capture_output=True, text=True
        ).stdout
        (workdir / "htpasswd").write_text(entry)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        (workdir / "config.yml").write_text(
            "version: 0.1\nlog: {level: error}\n"
            f"storage:\n  filesystem: {{rootdirectory: {workdir}/data}}\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n"
            f"auth:\n  htpasswd: {{realm: basic-realm, path: {workdir}/htpasswd}}\n"
        )
        self.workdir = workdir
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> RegistryServer:
        import socket
        import time

        self._proc = subprocess.Popen(
            ["docker-registry", "serve", str(self.workdir / "config.yml")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("docker-registry did not start")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=10)

    def push_files(self, repository: str, tag: str, files: Mapping[str, str]) -> str:
        """Push ``files`` as a one-layer OCI artifact (tar+gzip); returns the manifest digest."""
        import hashlib
        import io
        import json
        import tarfile

        import httpx

        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        layer, config = buf.getvalue(), b"{}"
        base = f"http://{self.host}/v2/{repository}"
        auth = (self.username, self.password)
        with httpx.Client(auth=auth) as client:
            for blob in (layer, config):
                digest = "sha256:" + hashlib.sha256(blob).hexdigest()
                start = client.post(f"{base}/blobs/uploads/")
                location = start.headers["location"]
                sep = "&" if "?" in location else "?"
                done = client.put(f"{location}{sep}digest={digest}", content=blob)
                assert done.status_code == 201, done.text
            manifest = json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {
                        "mediaType": "application/vnd.oci.empty.v1+json",
                        "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                        "size": len(config),
                    },
                    "layers": [
                        {
                            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": "sha256:" + hashlib.sha256(layer).hexdigest(),
                            "size": len(layer),
                        }
                    ],
                }
            ).encode()
            put = client.put(
                f"{base}/manifests/{tag}",
                content=manifest,
                headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
            )
            assert put.status_code == 201, put.text
        return "sha256:" + hashlib.sha256(manifest).hexdigest()

    def push_chart(self, chart_dir: Path, version: str, scratch: Path) -> None:
        """Package ``chart_dir`` at ``version`` and push it with the real Helm SDK."""
        import helm_python

        scratch.mkdir(parents=True, exist_ok=True)
        archive = helm_python.package(str(chart_dir), destination=str(scratch), version=version)
        client = helm_python.RegistryClient(
            plain_http=True, credentials_file=str(scratch / "creds.json")
        )
        try:
            client.login(self.host, self.username, self.password, plain_http=True)
            client.push(archive, f"oci://{self.host}/charts")
        finally:
            client.close()


class ForwardProxy(LoopbackHttpServer):
    """A loopback HTTP forward proxy (absolute-URI requests) that records what it relayed."""

    def __init__(self) -> None:
        import urllib.request

        self.relayed: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def _relay(self) -> None:
                proxy.relayed.append(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("proxy-connection", "connection", "host")
                }
                request = urllib.request.Request(
                    self.path, data=body or None, headers=headers, method=self.command
                )
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                try:
                    with opener.open(request, timeout=30) as upstream:
                        status, reply, payload = upstream.status, upstream.headers, upstream.read()
                except urllib.error.HTTPError as err:
                    status, reply, payload = err.code, err.headers, err.read()
                self.send_response(status)
                for key, value in reply.items():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _relay
            do_POST = _relay

        super().__init__(Handler)


def names(response: ManifestResponse) -> list[str]:
    """``Kind/name`` of every rendered object, in order."""
    return [f"{m['kind']}/{m['metadata']['name']}" for m in response.manifests]


@contextlib.contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Run an ASGI app under uvicorn on a loopback port; yields its base URL."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.02)
    host, port = sock.getsockname()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
