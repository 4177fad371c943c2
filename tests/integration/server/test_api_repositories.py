"""Repositories and credential templates: Argo CD's Secrets, sanitized responses, RBAC."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.integration.repo.repo_testkit import GitRepo
from tests.integration.server.conftest import ApiServer
from tests.support import Kubectl

SECRET_VALUES = ("hunter2-pass", "-----BEGIN KEY-----abc", "tok-123", "keydata", "appkey")


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo(tmp_path / f"r{uuid.uuid4().hex[:6]}")
    r.commit({"guestbook/deploy.yaml": "kind: ConfigMap\n", "chart/Chart.yaml": "name: c\n"})
    r.git("tag", "v1")
    r.git("branch", "dev")
    return r


def _path(url: str) -> str:
    return quote(url, safe="")


def _with_secrets(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "repo": url,
        "username": "me",
        "password": SECRET_VALUES[0],
        "sshPrivateKey": SECRET_VALUES[1],
        "bearerToken": SECRET_VALUES[2],
        "tlsClientCertKey": SECRET_VALUES[3],
        "githubAppPrivateKey": SECRET_VALUES[4],
        **extra,
    }


def _no_secret(text: str) -> None:
    for value in SECRET_VALUES:
        assert value not in text


def test_create_stores_argo_cd_secret_and_masks_everything(
    api_server: ApiServer, repo: GitRepo, kubectl: Kubectl
) -> None:
    with api_server.client() as c:
        resp = c.post("/api/v1/repositories", json=_with_secrets(repo.url, name="gb"))
        assert resp.status_code == 200, resp.text
        _no_secret(resp.text)
        assert resp.json()["repo"] == repo.url and resp.json()["username"] == "me"
        listed = c.get("/api/v1/repositories")
        _no_secret(listed.text)
        item = next(i for i in listed.json()["items"] if i["repo"] == repo.url)
        assert item["connectionState"]["status"] == "Successful"
        got = c.get(f"/api/v1/repositories/{_path(repo.url)}")
        assert got.status_code == 200 and got.json()["name"] == "gb"
        _no_secret(got.text)
    secrets = json.loads(
        kubectl(
            "get", "secrets", "-n", api_server.namespace, "-o", "json",
            "-l", "argocd.argoproj.io/secret-type=repository",
        )
    )["items"]  # fmt: skip
    mine = [s for s in secrets if base64.b64decode(s["data"]["url"]).decode() == repo.url]
    assert len(mine) == 1
    assert base64.b64decode(mine[0]["data"]["password"]).decode() == SECRET_VALUES[0]


def test_unreachable_repository_is_refused_with_a_reason(
    api_server: ApiServer, tmp_path: Path
) -> None:
    with api_server.client() as c:
        resp = c.post(
            "/api/v1/repositories",
            json={"repo": f"file://{tmp_path}/missing", "password": SECRET_VALUES[0]},
        )
    assert resp.status_code == 400 and resp.json()["code"] == 3
    _no_secret(resp.text)


def test_refs_apps_and_appdetails(api_server: ApiServer, repo: GitRepo) -> None:
    with api_server.client() as c:
        assert c.post("/api/v1/repositories", json={"repo": repo.url}).status_code == 200
        refs = c.get(f"/api/v1/repositories/{_path(repo.url)}/refs").json()
        assert refs == {"branches": ["dev", "main"], "tags": ["v1"]}
        apps = c.get(f"/api/v1/repositories/{_path(repo.url)}/apps").json()["items"]
        assert {"type": "Helm", "path": "chart"} in apps
        details = c.post(
            f"/api/v1/repositories/{_path(repo.url)}/appdetails",
            json={"source": {"repoURL": repo.url, "path": "chart"}},
        )
        assert details.status_code == 200, details.text
        assert details.json()["type"] == "Helm"
        plain = c.post(
            f"/api/v1/repositories/{_path(repo.url)}/appdetails",
            json={"source": {"repoURL": repo.url, "path": "guestbook"}},
        ).json()
        assert plain["type"] == "Directory"
        escape = c.post(
            f"/api/v1/repositories/{_path(repo.url)}/appdetails",
            json={"source": {"repoURL": repo.url, "path": "../../.."}},
        )
        assert escape.status_code == 400


def test_upsert_update_and_delete(api_server: ApiServer, repo: GitRepo) -> None:
    with api_server.client() as c:
        assert c.post("/api/v1/repositories", json={"repo": repo.url}).status_code == 200
        again = c.post("/api/v1/repositories", json={"repo": repo.url, "name": "other"})
        assert again.status_code == 400 and "upsert" in again.json()["message"]
        up = c.post(
            "/api/v1/repositories", params={"upsert": "true"},
            json={"repo": repo.url, "name": "other"},
        )  # fmt: skip
        assert up.status_code == 200 and up.json()["name"] == "other"
        put = c.put(
            f"/api/v1/repositories/{_path(repo.url)}", json={"repo": repo.url, "project": "p1"}
        )
        assert put.status_code == 200 and put.json()["project"] == "p1"
        assert c.delete(f"/api/v1/repositories/{_path(repo.url)}").status_code == 200
        assert c.get(f"/api/v1/repositories/{_path(repo.url)}").status_code == 404


def test_rbac_hides_and_refuses(api_server: ApiServer, repo: GitRepo) -> None:
    with api_server.client() as c:
        assert c.post("/api/v1/repositories", json={"repo": repo.url}).status_code == 200
    with api_server.client("reader-token") as c:
        assert c.post("/api/v1/repositories", json={"repo": repo.url + "x"}).status_code == 403
        urls = [i["repo"] for i in c.get("/api/v1/repositories").json()["items"]]
        assert repo.url not in urls
        # Missing and forbidden look the same to a caller without rights.
        assert c.get(f"/api/v1/repositories/{_path(repo.url)}").status_code == 403
        assert c.get(f"/api/v1/repositories/{_path(repo.url + 'nope')}").status_code == 403


def test_repocreds_template_masks_and_applies(api_server: ApiServer, repo: GitRepo) -> None:
    prefix = repo.url.rsplit("/", 1)[0]
    with api_server.client() as c:
        resp = c.post(
            "/api/v1/repocreds",
            json={"url": prefix, "username": "u", "password": SECRET_VALUES[0]},
        )
        assert resp.status_code == 200, resp.text
        _no_secret(resp.text)
        listed = c.get("/api/v1/repocreds")
        assert prefix in [i["url"] for i in listed.json()["items"]]
        _no_secret(listed.text)
        assert c.delete(f"/api/v1/repocreds/{_path(prefix)}").status_code == 200
        assert prefix not in [i["url"] for i in c.get("/api/v1/repocreds").json()["items"]]


def test_javascript_url_refused(api_server: ApiServer) -> None:
    with api_server.client() as c:
        resp = c.post("/api/v1/repositories", json={"repo": "javascript:alert(1)"})
    assert resp.status_code == 400
