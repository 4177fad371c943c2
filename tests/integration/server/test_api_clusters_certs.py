"""Clusters over Argo CD cluster Secrets (sanitized, connection state) and certificates."""

from __future__ import annotations

import base64
import json
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import quote

from kaiun.localcluster import LocalCluster
from tests.integration.server.conftest import ApiServer
from tests.support import Kubectl

IN_CLUSTER = "https://kubernetes.default.svc"


def _local(local_cluster: LocalCluster, name: str) -> dict[str, object]:
    ca = base64.b64encode(Path(local_cluster.ca).read_bytes()).decode()
    return {
        "server": local_cluster.url,
        "name": name,
        "config": {"bearerToken": local_cluster.token, "tlsClientConfig": {"caData": ca}},
        "namespaces": ["a", "b"],
    }


def test_in_cluster_always_listed_and_secrets_masked(
    api_server: ApiServer, local_cluster: LocalCluster, kubectl: Kubectl
) -> None:
    name = f"c-{uuid.uuid4().hex[:6]}"
    with api_server.client() as c:
        items = c.get("/api/v1/clusters").json()["items"]
        inc = next(i for i in items if i["server"] == IN_CLUSTER)
        assert inc["name"] == "in-cluster"
        assert inc["connectionState"]["status"] == "Successful"
        created = c.post("/api/v1/clusters", json=_local(local_cluster, name))
        assert created.status_code == 200, created.text
        assert local_cluster.token not in created.text
        got = c.get(f"/api/v1/clusters/{quote(local_cluster.url, safe='')}")
        assert got.status_code == 200, got.text
        assert local_cluster.token not in got.text and "caData" not in got.text
        assert got.json()["connectionState"]["status"] == "Successful"
        assert got.json()["namespaces"] == ["a", "b"]
        by_name = c.get(f"/api/v1/clusters/{name}", params={"id.type": "name"})
        assert by_name.json()["server"] == local_cluster.url
        listed = c.get("/api/v1/clusters")
        assert local_cluster.token not in listed.text
    secrets = json.loads(
        kubectl(
            "get",
            "secrets",
            "-n",
            api_server.namespace,
            "-o",
            "json",
            "-l",
            "argocd.argoproj.io/secret-type=cluster",
        )
    )["items"]
    stored = [base64.b64decode(s["data"]["name"]).decode() for s in secrets]
    assert name in stored


def test_unreachable_cluster_reports_failed_and_delete(api_server: ApiServer) -> None:
    server = "https://127.0.0.1:1"
    with api_server.client() as c:
        body = {"server": server, "name": "dead", "config": {"bearerToken": "tok-secret"}}
        assert c.post("/api/v1/clusters", json=body).status_code == 200
        got = c.get(f"/api/v1/clusters/{quote(server, safe='')}").json()
        assert got["connectionState"]["status"] == "Failed"
        again = c.post("/api/v1/clusters", json={**body, "name": "renamed"})
        assert again.status_code == 400 and "upsert" in again.json()["message"]
        assert c.delete(f"/api/v1/clusters/{quote(server, safe='')}").status_code == 200
        assert c.get(f"/api/v1/clusters/{quote(server, safe='')}").status_code == 404
        assert c.delete(f"/api/v1/clusters/{quote(IN_CLUSTER, safe='')}").status_code == 400


def test_cluster_rbac(api_server: ApiServer) -> None:
    with api_server.client("reader-token") as c:
        assert c.get("/api/v1/clusters").json()["items"] == []
        assert c.get(f"/api/v1/clusters/{quote(IN_CLUSTER, safe='')}").status_code == 403
        resp = c.post("/api/v1/clusters", json={"server": "https://x.example"})
        assert resp.status_code == 403


def _ssh_key() -> tuple[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{tmp}/k"], check=True
        )
        kind, key = Path(f"{tmp}/k.pub").read_text().split()[:2]
    return kind, key


def test_certificates_round_trip(api_server: ApiServer, local_cluster: LocalCluster) -> None:
    kind, key = _ssh_key()
    pem = Path(local_cluster.ca).read_text()
    items = [
        {"serverName": "git.example.com", "certType": "ssh", "certSubType": kind,
         "certData": base64.b64encode(key.encode()).decode()},
        {"serverName": "tls.example.com", "certType": "https",
         "certData": base64.b64encode(pem.encode()).decode()},
    ]  # fmt: skip
    with api_server.client() as c:
        assert c.post("/api/v1/certificates", json={"items": items}).status_code == 200
        listed = c.get("/api/v1/certificates").json()["items"]
        hosts = {(i["serverName"], i["certType"]) for i in listed}
        assert {("git.example.com", "ssh"), ("tls.example.com", "https")} <= hosts
        ssh = c.get("/api/v1/certificates", params={"certType": "ssh"}).json()["items"]
        assert all(i["certType"] == "ssh" for i in ssh)
        assert next(i for i in ssh if i["serverName"] == "git.example.com")["certInfo"].startswith(
            "SHA256:"
        )
        bad = {"items": [{"serverName": "x y", "certType": "ssh", "certData": "!!"}]}
        assert c.post("/api/v1/certificates", json=bad).status_code == 400
        gone = c.delete("/api/v1/certificates", params={"hostNamePattern": "*.example.com"})
        assert gone.status_code == 200 and len(gone.json()["items"]) == 2
        assert c.get("/api/v1/certificates").json()["items"] == []
    with api_server.client("reader-token") as c:
        assert c.get("/api/v1/certificates").status_code == 403
