"""Helpers of the web UI browser tests: the running ``kaiun up --demo`` (``KaiunUp``), how
to start and stop it, and logging a Playwright page in. Fixtures are in ``conftest.py``."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import Page

from tests.support import Kubectl, wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "ui"
NAMESPACE = "argocd"


@dataclass
class KaiunUp:
    """A running ``kaiun up --demo``: its HTTPS base URL (API and UI) and admin login."""

    url: str
    username: str
    password: str
    kubeconfig: Path
    data_dir: Path
    namespace: str = NAMESPACE
    _token: str = field(default="", repr=False)

    @property
    def kubectl(self) -> Kubectl:
        return Kubectl(self.kubeconfig)

    @property
    def ca(self) -> Path:
        return self.data_dir / "server-tls" / "ca.crt"

    @property
    def demo_repo_url(self) -> str:
        """The ``file://`` URL of the demo git repository the demo apps deploy from."""
        return (self.data_dir / "demo-repo").as_uri()

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTPS client for the API (admin's token unless ``token`` is given)."""
        headers = {"Authorization": f"Bearer {token or self.admin_token()}"}
        verify = ssl.create_default_context(cafile=str(self.ca))
        return httpx.Client(base_url=self.url, verify=verify, headers=headers, timeout=30)

    def admin_token(self) -> str:
        if not self._token:
            self._token = self.token(self.username, self.password)
        return self._token

    def token(self, username: str, password: str) -> str:
        verify = ssl.create_default_context(cafile=str(self.ca))
        with httpx.Client(base_url=self.url, verify=verify, timeout=30) as c:
            resp = c.post("/api/v1/session", json={"username": username, "password": password})
        assert resp.status_code == 200, resp.text
        return str(resp.json()["token"])

    def set_configmap(self, name: str, data: dict[str, str]) -> None:
        """Merge ``data`` into a ConfigMap of the control-plane namespace."""
        patch = json.dumps({"data": data})
        self.kubectl("patch", "configmap", name, "-n", self.namespace, "-p", patch)

    def add_account(self, name: str, password: str, role: str = "") -> None:
        """A local login account with ``password`` (set by admin through the API), bound to
        ``role`` (e.g. ``role:readonly``) in argocd-rbac-cm when given."""
        self.set_configmap("argocd-cm", {f"accounts.{name}": "apiKey, login"})
        if role:
            current = json.loads(
                self.kubectl("get", "configmap", "argocd-rbac-cm", "-n", self.namespace,
                             "-o", "json")
            ).get("data") or {}  # fmt: skip
            csv = current.get("policy.csv", "")
            line = f"g, {name}, {role}"
            if line not in csv.splitlines():
                csv = (csv.rstrip("\n") + "\n" if csv.strip() else "") + line + "\n"
                self.set_configmap("argocd-rbac-cm", {"policy.csv": csv})
        body = {"name": name, "currentPassword": self.password, "newPassword": password}

        def accepted() -> bool:
            with self.client() as c:
                return c.put("/api/v1/account/password", json=body).status_code == 200

        wait_for(accepted, timeout=30, interval=0.3, what=f"password of {name} set")

        def can_log_in() -> bool:
            try:
                self.token(name, password)
            except AssertionError:
                return False
            return True

        wait_for(can_log_in, timeout=30, interval=0.3, what=f"{name} can log in")


def demo_apps(kubectl: Kubectl, namespace: str) -> dict[str, tuple[str, str]]:
    proc = kubectl.run("get", "applications", "-n", namespace, "-o", "json", check=False)
    if proc.returncode != 0:
        return {}
    return {
        a["metadata"]["name"]: (
            (a.get("status") or {}).get("sync", {}).get("status", ""),
            (a.get("status") or {}).get("health", {}).get("status", ""),
        )
        for a in json.loads(proc.stdout)["items"]
    }


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Ctrl-C as a user would; SIGKILL when it does not stop in time."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=45)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def tail(path: Path, n: int = 3000) -> str:
    return path.read_text(errors="replace")[-n:]


def login(
    page: Page, up: KaiunUp, username: str | None = None, password: str | None = None
) -> None:
    """Log ``page`` in through the API (sets the ``argocd.token`` cookie in its context)."""
    resp = page.request.post(
        f"{up.url}/api/v1/session",
        data={"username": username or up.username, "password": password or up.password},
    )
    assert resp.ok, resp.text()
    cookies = {c["name"] for c in page.context.cookies(up.url)}
    assert "argocd.token" in cookies, cookies
