"""Opening a pull request (GitHub) or merge request (GitLab) for a pushed write branch (IO).

GitHub: ``POST {api}/repos/{owner}/{repo}/pulls`` with ``title``, ``head``, ``base``, ``body``
and a bearer token. GitLab: ``POST {api}/projects/{url-encoded path}/merge_requests`` with
``source_branch``, ``target_branch``, ``title``, ``description`` and a ``PRIVATE-TOKEN``. A
request that already exists for the branch is found and returned rather than failing, so a
re-run of the same update is harmless.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx

from kaiun.controllers.imageupdater.errors import ImageUpdaterError

PROVIDERS = ("github", "gitlab")


class PullRequestError(ImageUpdaterError):
    """The forge refused to open the pull request."""


@dataclass(frozen=True)
class PullRequest:
    """An opened (or already open) pull request."""

    number: int
    url: str
    existed: bool = False


def repo_path(repo_url: str) -> str:
    """``owner/repo`` (or ``group/sub/repo``) of a git URL, without ``.git``."""
    if "://" in repo_url:
        path = urlsplit(repo_url).path
    else:  # scp-like git@host:owner/repo.git
        path = repo_url.split(":", 1)[-1]
    return path.strip("/").removesuffix(".git")


def default_api(provider: str, repo_url: str) -> str:
    """The API base of the forge hosting ``repo_url``."""
    host = urlsplit(repo_url).hostname if "://" in repo_url else repo_url.split("@")[-1]
    host = (host or "").split(":")[0]
    if provider == "github":
        return "https://api.github.com" if host in ("github.com", "") else f"https://{host}/api/v3"
    return f"https://{host or 'gitlab.com'}/api/v4"


async def open_pull_request(
    provider: str,
    api: str,
    repo_url: str,
    *,
    token: str,
    head: str,
    base: str,
    title: str,
    body: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> PullRequest:
    """Open a pull request from ``head`` into ``base``."""
    if provider not in PROVIDERS:
        raise PullRequestError(f"pull-request provider {provider!r} is not github or gitlab")
    async with httpx.AsyncClient(base_url=api.rstrip("/"), transport=transport, timeout=30) as c:
        if provider == "github":
            return await _github(c, repo_path(repo_url), token, head, base, title, body)
        return await _gitlab(c, repo_path(repo_url), token, head, base, title, body)


async def _github(
    c: httpx.AsyncClient, path: str, token: str, head: str, base: str, title: str, body: str
) -> PullRequest:
    headers = {"Accept": "application/vnd.github+json", "Authorization": f"Bearer {token}"}
    payload = {"title": title, "head": head, "base": base, "body": body}
    resp = await c.post(f"/repos/{path}/pulls", json=payload, headers=headers)
    if resp.status_code == 201:
        data = resp.json()
        return PullRequest(int(data["number"]), str(data["html_url"]))
    if resp.status_code == 422:
        owner = path.split("/", 1)[0]
        found = await c.get(
            f"/repos/{path}/pulls",
            params={"head": f"{owner}:{head}", "base": base, "state": "open"},
            headers=headers,
        )
        if found.status_code == 200 and found.json():
            data = found.json()[0]
            return PullRequest(int(data["number"]), str(data["html_url"]), existed=True)
    raise PullRequestError(_refused("GitHub", resp))


async def _gitlab(
    c: httpx.AsyncClient, path: str, token: str, head: str, base: str, title: str, body: str
) -> PullRequest:
    headers = {"PRIVATE-TOKEN": token}
    project = quote(path, safe="")
    payload = {
        "source_branch": head,
        "target_branch": base,
        "title": title,
        "description": body,
        "remove_source_branch": True,
    }
    resp = await c.post(f"/projects/{project}/merge_requests", json=payload, headers=headers)
    if resp.status_code == 201:
        data = resp.json()
        return PullRequest(int(data["iid"]), str(data["web_url"]))
    if resp.status_code == 409:
        found = await c.get(
            f"/projects/{project}/merge_requests",
            params={"source_branch": head, "target_branch": base, "state": "opened"},
            headers=headers,
        )
        if found.status_code == 200 and found.json():
            data = found.json()[0]
            return PullRequest(int(data["iid"]), str(data["web_url"]), existed=True)
    raise PullRequestError(_refused("GitLab", resp))


def _refused(forge: str, resp: httpx.Response) -> str:
    try:
        detail = resp.json().get("message") or resp.text
    except ValueError:
        detail = resp.text
    hint = " (check the token in the git credentials)" if resp.status_code in (401, 403) else ""
    return f"{forge} refused the pull request: HTTP {resp.status_code} {str(detail)[:300]}{hint}"
