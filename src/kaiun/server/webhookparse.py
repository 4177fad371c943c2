"""Git provider webhooks: which provider sent a request, is it genuine, what did it push.

No IO: headers and body bytes in, a ``PushEvent`` (or None for events that are not pushes)
out. Malformed payloads raise ``WebhookError``, never anything else, whatever the bytes
(a hypothesis test feeds it arbitrary JSON), unlike the Argo CD parsers that panicked on
missing fields (GHSA-f9gq-prrc-hrhc, GHSA-wp4p-9pxh-cgx2, GHSA-gpx4-37g2-c8pv).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

__all__ = [
    "PROVIDERS",
    "PushEvent",
    "WebhookError",
    "detect_provider",
    "parse_push",
    "verify",
]

PROVIDERS = ("github", "gitlab", "bitbucket", "bitbucketserver", "gogs", "azuredevops")


class WebhookError(Exception):
    """A request we cannot accept; the message names the problem, never the payload."""


@dataclass(frozen=True)
class PushEvent:
    """What a push changed: repository URLs, the branch or tag, the files if known."""

    provider: str
    repo_urls: tuple[str, ...]
    revision: str
    default_branch: str = ""
    changed_files: tuple[str, ...] | None = None


def detect_provider(headers: Mapping[str, str]) -> str:
    """The provider a request comes from, by its event headers (Argo CD's order)."""
    h = {k.lower(): v for k, v in headers.items()}
    if h.get("x-vss-activityid"):
        return "azuredevops"
    if h.get("x-gogs-event") or h.get("x-gitea-event"):
        return "gogs"
    if h.get("x-github-event"):
        return "github"
    if h.get("x-gitlab-event"):
        return "gitlab"
    if h.get("x-hook-uuid"):
        return "bitbucket"
    if h.get("x-event-key"):
        return "bitbucketserver"
    raise WebhookError("unknown webhook event (no provider event header)")


def _hmac_hex(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def verify(
    provider: str, headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str]
) -> None:
    """Raise unless the request carries the provider's proof of the configured secret.

    With no secret configured for the provider the request is accepted, as Argo CD does.
    """
    h = {k.lower(): v for k, v in headers.items()}
    if provider == "github":
        _check_hmac(secrets.get("webhook.github.secret", ""), h.get("x-hub-signature-256"), body)
    elif provider == "gitlab":
        secret = secrets.get("webhook.gitlab.secret", "")
        if secret and not _equal(h.get("x-gitlab-token", ""), secret):
            raise WebhookError("gitlab webhook token does not match")
    elif provider == "bitbucket":
        uuid = secrets.get("webhook.bitbucket.uuid", "")
        if uuid and not _equal(h.get("x-hook-uuid", "").strip("{}"), uuid.strip("{}")):
            raise WebhookError("bitbucket webhook UUID does not match")
    elif provider == "bitbucketserver":
        secret = secrets.get("webhook.bitbucketserver.secret", "")
        _check_hmac(secret, h.get("x-hub-signature"), body)
    elif provider == "gogs":
        secret = secrets.get("webhook.gogs.secret", "")
        given = h.get("x-gitea-signature") or h.get("x-gogs-signature") or ""
        if secret and not _equal(given.lower(), _hmac_hex(secret, body)):
            raise WebhookError("gogs/gitea webhook signature does not match")
    elif provider == "azuredevops":
        _check_basic(secrets, h.get("authorization", ""))


def _check_hmac(secret: str, header: str | None, body: bytes) -> None:
    if not secret:
        return
    if not header:
        raise WebhookError("webhook is not signed but a secret is configured")
    algo, _, digest = header.partition("=")
    if algo != "sha256" or not _equal(digest.lower(), _hmac_hex(secret, body)):
        raise WebhookError("webhook signature does not match")


def _check_basic(secrets: Mapping[str, str], header: str) -> None:
    user = secrets.get("webhook.azuredevops.username", "")
    password = secrets.get("webhook.azuredevops.password", "")
    if not user and not password:
        return
    scheme, _, value = header.partition(" ")
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except ValueError:
        decoded = ""
    given_user, _, given_password = decoded.partition(":")
    if scheme.lower() != "basic" or not (
        _equal(given_user, user) & _equal(given_password, password)
    ):
        raise WebhookError("azure devops webhook credentials do not match")


# -- payloads -------------------------------------------------------------------------------


def _str(obj: Any, *path: str) -> str:
    for key in path:
        if not isinstance(obj, dict):
            return ""
        obj = obj.get(key)
    return obj if isinstance(obj, str) else ""


def _list(obj: Any, *path: str) -> list[Any]:
    for key in path:
        if not isinstance(obj, dict):
            return []
        obj = obj.get(key)
    return obj if isinstance(obj, list) else []


def _branch(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def _files(commits: list[Any]) -> tuple[str, ...]:
    files: set[str] = set()
    for commit in commits:
        for key in ("added", "modified", "removed"):
            files.update(f for f in _list(commit, key) if isinstance(f, str))
    return tuple(sorted(files))


def _urls(*urls: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(u for u in urls if u))


def parse_push(provider: str, headers: Mapping[str, str], body: bytes) -> PushEvent | None:
    """The push a payload describes; None for other events (pings, issues...)."""
    h = {k.lower(): v for k, v in headers.items()}
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise WebhookError("webhook payload is not valid JSON") from None
    if not isinstance(payload, dict):
        raise WebhookError("webhook payload is not a JSON object")
    parser = _PARSERS.get(provider)
    if parser is None:
        raise WebhookError(f"unknown webhook provider {provider!r}")
    return parser(h, payload)


def _github(h: Mapping[str, str], p: dict[str, Any]) -> PushEvent | None:
    if h.get("x-github-event") != "push":
        return None
    repo = p.get("repository")
    return _event(
        "github",
        _urls(_str(repo, "html_url"), _str(repo, "clone_url"), _str(repo, "ssh_url")),
        _str(p, "ref"),
        _str(repo, "default_branch"),
        _files(_list(p, "commits")),
    )


def _gitlab(h: Mapping[str, str], p: dict[str, Any]) -> PushEvent | None:
    if h.get("x-gitlab-event") not in ("Push Hook", "Tag Push Hook", "System Hook"):
        return None
    project = p.get("project")
    return _event(
        "gitlab",
        _urls(
            _str(project, "web_url"), _str(project, "git_http_url"), _str(project, "git_ssh_url")
        ),
        _str(p, "ref"),
        _str(project, "default_branch"),
        _files(_list(p, "commits")),
    )


def _gogs(h: Mapping[str, str], p: dict[str, Any]) -> PushEvent | None:
    if (h.get("x-gitea-event") or h.get("x-gogs-event")) != "push":
        return None
    repo = p.get("repository")
    return _event(
        "gogs",
        _urls(_str(repo, "html_url"), _str(repo, "clone_url"), _str(repo, "ssh_url")),
        _str(p, "ref"),
        _str(repo, "default_branch"),
        _files(_list(p, "commits")),
    )


def _bitbucket(h: Mapping[str, str], p: dict[str, Any]) -> PushEvent | None:
    if h.get("x-event-key") != "repo:push":
        return None
    full_name = _str(p, "repository", "full_name")
    html = _str(p, "repository", "links", "html", "href")
    urls = _urls(
        html,
        f"https://bitbucket.org/{full_name}" if full_name else "",
        f"git@bitbucket.org:{full_name}.git" if full_name else "",
    )
    changes = _list(p, "push", "changes")
    revision = next((_str(c, "new", "name") for c in changes if _str(c, "new", "name")), "")
    return _event("bitbucket", urls, revision, _str(p, "repository", "mainbranch", "name"), None)


def _bitbucketserver(h: Mapping[str, str], p: dict[str, Any]) -> PushEvent | None:
    if h.get("x-event-key") not in ("repo:refs_changed",):
        return None
    clones = _list(p, "repository", "links", "clone")
    urls = _urls(*(_str(c, "href") for c in clones))
    changes = _list(p, "changes")
    revision = next((_str(c, "ref", "id") for c in changes if _str(c, "ref", "id")), "")
    return _event("bitbucketserver", urls, revision, "", None)


def _azuredevops(h: Mapping[str, str], p: dict[str, Any]) -> PushEvent | None:
    if _str(p, "eventType") != "git.push":
        return None
    resource = p.get("resource")
    urls = _urls(_str(resource, "repository", "remoteUrl"), _str(resource, "repository", "sshUrl"))
    updates = _list(resource, "refUpdates")
    revision = next((_str(u, "name") for u in updates if _str(u, "name")), "")
    default = _branch(_str(resource, "repository", "defaultBranch"))
    return _event("azuredevops", urls, revision, default, None)


def _event(
    provider: str,
    urls: tuple[str, ...],
    ref: str,
    default_branch: str,
    files: tuple[str, ...] | None,
) -> PushEvent:
    if not urls:
        raise WebhookError(f"{provider} push payload names no repository URL")
    if not ref:
        raise WebhookError(f"{provider} push payload names no ref")
    return PushEvent(provider, urls, _branch(ref), default_branch, files)


_PARSERS = {
    "github": _github,
    "gitlab": _gitlab,
    "gogs": _gogs,
    "bitbucket": _bitbucket,
    "bitbucketserver": _bitbucketserver,
    "azuredevops": _azuredevops,
}
