"""Webhook provider detection, signatures and push payloads (no IO), plus a fuzz test."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaiun.server.webhook import repo_key
from kaiun.server.webhookparse import (
    PushEvent,
    WebhookError,
    detect_provider,
    parse_push,
    verify,
)

GITHUB = {
    "ref": "refs/heads/main",
    "repository": {
        "html_url": "https://github.com/o/r",
        "clone_url": "https://github.com/o/r.git",
        "ssh_url": "git@github.com:o/r.git",
        "default_branch": "main",
    },
    "commits": [{"added": ["a/x.yaml"], "modified": ["b/y.yaml"], "removed": ["c"]}],
}

# (headers, payload, expected event)
CASES: list[tuple[dict[str, str], dict[str, Any], PushEvent | None]] = [
    (
        {"X-GitHub-Event": "push"},
        GITHUB,
        PushEvent(
            "github",
            ("https://github.com/o/r", "https://github.com/o/r.git", "git@github.com:o/r.git"),
            "main",
            "main",
            ("a/x.yaml", "b/y.yaml", "c"),
        ),
    ),
    ({"X-GitHub-Event": "ping"}, {"zen": "hi"}, None),
    (
        {"X-Gitlab-Event": "Push Hook"},
        {
            "ref": "refs/heads/dev",
            "project": {"web_url": "https://gitlab.com/g/p", "default_branch": "main"},
            "commits": [{"modified": ["k/a.yaml"]}],
        },
        PushEvent("gitlab", ("https://gitlab.com/g/p",), "dev", "main", ("k/a.yaml",)),
    ),
    (
        {"X-Hook-UUID": "u", "X-Event-Key": "repo:push"},
        {
            "repository": {"full_name": "team/repo", "mainbranch": {"name": "main"}},
            "push": {"changes": [{"new": {"name": "main", "type": "branch"}}]},
        },
        PushEvent(
            "bitbucket",
            ("https://bitbucket.org/team/repo", "git@bitbucket.org:team/repo.git"),
            "main",
            "main",
            None,
        ),
    ),
    (
        {"X-Event-Key": "repo:refs_changed"},
        {
            "repository": {"links": {"clone": [{"href": "https://bb.example/scm/p/r.git"}]}},
            "changes": [{"ref": {"id": "refs/heads/main"}}],
        },
        PushEvent("bitbucketserver", ("https://bb.example/scm/p/r.git",), "main", "", None),
    ),
    (
        {"X-Gitea-Event": "push", "X-GitHub-Event": "push"},
        {"ref": "refs/tags/v1", "repository": {"clone_url": "https://gitea.example/o/r.git"}},
        PushEvent("gogs", ("https://gitea.example/o/r.git",), "v1", "", ()),
    ),
    (
        {"X-Vss-ActivityId": "1"},
        {
            "eventType": "git.push",
            "resource": {
                "refUpdates": [{"name": "refs/heads/main"}],
                "repository": {
                    "remoteUrl": "https://dev.azure.com/o/p/_git/r",
                    "defaultBranch": "refs/heads/main",
                },
            },
        },
        PushEvent("azuredevops", ("https://dev.azure.com/o/p/_git/r",), "main", "main", None),
    ),
]


@pytest.mark.parametrize(("headers", "payload", "expected"), CASES)
def test_push_payloads(
    headers: dict[str, str], payload: dict[str, Any], expected: PushEvent | None
) -> None:
    provider = detect_provider(headers)
    assert parse_push(provider, headers, orjson.dumps(payload)) == expected


@pytest.mark.parametrize(
    ("headers", "payload"),
    [
        # Azure DevOps with empty refUpdates panicked Argo CD (GHSA-gpx4-37g2-c8pv).
        ({"X-Vss-ActivityId": "1"}, {"eventType": "git.push", "resource": {"refUpdates": []}}),
        ({"X-GitHub-Event": "push"}, {"ref": "refs/heads/main", "repository": None}),
        ({"X-Event-Key": "repo:refs_changed"}, {"repository": {}, "changes": [None]}),
        ({"X-Gogs-Event": "push"}, {"repository": {"html_url": "https://g/x"}}),
    ],
)
def test_missing_fields_are_errors_not_crashes(
    headers: dict[str, str], payload: dict[str, Any]
) -> None:
    with pytest.raises(WebhookError):
        parse_push(detect_provider(headers), headers, orjson.dumps(payload))


def test_unknown_provider_and_bad_json() -> None:
    with pytest.raises(WebhookError, match="unknown"):
        detect_provider({"User-Agent": "curl"})
    with pytest.raises(WebhookError, match="JSON"):
        parse_push("github", {"X-GitHub-Event": "push"}, b"{nope")
    with pytest.raises(WebhookError, match="object"):
        parse_push("github", {"X-GitHub-Event": "push"}, b"[1]")


def _sig(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_signatures() -> None:
    body = b'{"a": 1}'
    gh = {"webhook.github.secret": "s3"}
    verify("github", {"X-Hub-Signature-256": "sha256=" + _sig("s3", body)}, body, gh)
    for bad in ({}, {"X-Hub-Signature-256": "sha256=" + _sig("other", body)},
                {"X-Hub-Signature-256": "sha1=" + _sig("s3", body)}):  # fmt: skip
        with pytest.raises(WebhookError):
            verify("github", bad, body, gh)
    verify("github", {}, body, {})  # no secret configured: accepted, as in Argo CD
    verify("gitlab", {"X-Gitlab-Token": "t"}, body, {"webhook.gitlab.secret": "t"})
    with pytest.raises(WebhookError):
        verify("gitlab", {"X-Gitlab-Token": "x"}, body, {"webhook.gitlab.secret": "t"})
    verify("bitbucket", {"X-Hook-UUID": "{abc}"}, body, {"webhook.bitbucket.uuid": "abc"})
    with pytest.raises(WebhookError):
        verify("bitbucket", {"X-Hook-UUID": "{zzz}"}, body, {"webhook.bitbucket.uuid": "abc"})
    bbs = {"webhook.bitbucketserver.secret": "k"}
    verify("bitbucketserver", {"X-Hub-Signature": "sha256=" + _sig("k", body)}, body, bbs)
    with pytest.raises(WebhookError):
        verify("bitbucketserver", {}, body, bbs)
    verify("gogs", {"X-Gogs-Signature": _sig("g", body)}, body, {"webhook.gogs.secret": "g"})
    with pytest.raises(WebhookError):
        verify("gogs", {"X-Gitea-Signature": "00"}, body, {"webhook.gogs.secret": "g"})
    az = {"webhook.azuredevops.username": "u", "webhook.azuredevops.password": "p"}
    good = "Basic " + base64.b64encode(b"u:p").decode()
    verify("azuredevops", {"Authorization": good}, body, az)
    with pytest.raises(WebhookError):
        verify("azuredevops", {"Authorization": "Basic !!"}, body, az)


HEADERS = [
    {"X-GitHub-Event": "push"},
    {"X-Gitlab-Event": "Push Hook"},
    {"X-Hook-UUID": "u", "X-Event-Key": "repo:push"},
    {"X-Event-Key": "repo:refs_changed"},
    {"X-Gogs-Event": "push"},
    {"X-Vss-ActivityId": "1"},
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "ref",
                    "repository",
                    "project",
                    "commits",
                    "changes",
                    "push",
                    "new",
                    "name",
                    "resource",
                    "refUpdates",
                    "eventType",
                    "links",
                    "clone",
                    "href",
                    "html_url",
                    "full_name",
                    "added",
                    "id",
                    "remoteUrl",
                    "git.push",
                    "default_branch",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@given(headers=st.sampled_from(HEADERS), payload=json_values)
def test_parsers_never_crash(headers: dict[str, str], payload: Any) -> None:
    body = json.dumps(payload).encode()  # stdlib: arbitrary-size ints, like a real sender
    try:
        event = parse_push(detect_provider(headers), headers, body)
    except WebhookError:
        return
    assert event is None or (event.repo_urls and event.revision)


@given(body=st.binary(max_size=200))
def test_arbitrary_bytes_never_crash(body: bytes) -> None:
    with contextlib.suppress(WebhookError):
        parse_push("github", {"X-GitHub-Event": "push"}, body)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://github.com/o/r", "git@github.com:o/r.git", True),
        ("https://github.com/O/R.git", "ssh://git@ssh.github.com:443/o/r", True),
        ("https://github.com/o/r", "https://github.com/o/r2", False),
        ("https://gitlab.com/o/r", "https://github.com/o/r", False),
    ],
)
def test_repo_key_matches_spellings_of_one_repository(a: str, b: str, same: bool) -> None:
    assert (repo_key(a) == repo_key(b)) is same
