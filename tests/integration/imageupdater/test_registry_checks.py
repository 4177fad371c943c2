"""Strategies and auth against a real docker-registry holding images pushed by the test."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from kaiun.controllers.imageupdater import appannotations, registries, strategies
from kaiun.controllers.imageupdater.check import CheckResult, ImageChecker, runtime_platform
from kaiun.controllers.imageupdater.credentials import CredentialResolver
from kaiun.controllers.imageupdater.credref import Credentials
from kaiun.controllers.imageupdater.errors import RegistryError
from kaiun.controllers.imageupdater.model import ImageSpec, Platform
from kaiun.controllers.imageupdater.registries import RegistryConfig
from kaiun.controllers.imageupdater.registry import RegistryClient
from tests.integration.imageupdater.conftest import USERS
from tests.registry_kit import Registry, free_port

P = appannotations.PREFIX
GOOD = "alice:" + USERS["alice"]


def _repo() -> str:
    return f"team/app-{uuid.uuid4().hex[:8]}"


def _spec(registry: Registry, repo: str, constraint: str = "", **settings: str) -> ImageSpec:
    name = f"{registry.host}/{repo}" + (f":{constraint}" if constraint else "")
    notes = {appannotations.IMAGE_LIST: f"app={name}", P + "app.pull-secret": "env:REGCREDS"}
    notes.update({f"{P}app.{k.replace('_', '-')}": v for k, v in settings.items()})
    parsed = appannotations.parse(notes)
    assert parsed is not None
    return parsed.images[0]


def _conf(registry: Registry, **extra: object) -> registries.Registries:
    return registries.Registries(
        (RegistryConfig(name="test", prefix=registry.host, api_url=registry.url, **extra),)  # type: ignore[arg-type]
    )


def _check(
    registry: Registry,
    spec: ImageSpec,
    creds: str = GOOD,
    platforms: tuple[Platform, ...] | None = (),
) -> CheckResult:
    async def go() -> CheckResult:
        resolver = CredentialResolver(environ={"REGCREDS": creds})
        checker = ImageChecker(_conf(registry), resolver, platforms=platforms)
        try:
            return await checker.check(spec)
        finally:
            await checker.aclose()

    return asyncio.run(go())


@pytest.fixture(params=["basic_registry", "token_registry"])
def registry(request: pytest.FixtureRequest) -> Registry:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def test_semver_picks_highest_excluding_prereleases(registry: Registry) -> None:
    repo, push = _repo(), registry.pusher()
    for tag in ["1.0.0", "1.2.0", "1.10.1", "2.0.0-rc.1", "latest"]:
        push.image(repo, tag, created="2024-01-01T00:00:00Z")
    result = _check(registry, _spec(registry, repo))
    assert result.ok, result.error
    assert result.choice is not None and result.choice.tag == "1.10.1"
    assert "pre-release" in result.choice.dropped["2.0.0-rc.1"]
    assert result.choice.dropped["latest"] == "not a semantic version"
    constrained = _check(registry, _spec(registry, repo, "~1.2"))
    assert constrained.choice is not None and constrained.choice.tag == "1.2.0"
    pre = _check(registry, _spec(registry, repo, ">=2.0.0-0"))
    assert pre.choice is not None and pre.choice.tag == "2.0.0-rc.1"


def test_allow_and_ignore_filters(basic_registry: Registry) -> None:
    repo, push = _repo(), basic_registry.pusher()
    for tag in ["v1.0.0", "v1.1.0", "v1.2.0", "1.3.0", "v1.4.0-rc1"]:
        push.image(repo, tag, created="2024-01-01T00:00:00Z")
    spec = _spec(
        basic_registry, repo, allow_tags=r"regexp:^v[0-9]+\.[0-9]+\.[0-9]+$", ignore_tags="v1.2.*"
    )
    result = _check(basic_registry, spec)
    assert result.choice is not None and result.choice.tag == "v1.1.0"
    assert "ignore-tags" in result.choice.dropped["v1.2.0"]
    assert "allow-tags" in result.choice.dropped["1.3.0"]


def test_newest_build_by_creation_time(registry: Registry) -> None:
    repo, push = _repo(), registry.pusher()
    push.image(repo, "ab12cd3", created="2024-03-01T00:00:00Z")
    push.image(repo, "ffffff0", created="2024-01-01T00:00:00Z")
    push.image(repo, "0000001", created="2024-02-01T00:00:00Z")
    push.image(repo, "latest", created="2024-04-01T00:00:00Z")
    spec = _spec(
        registry,
        repo,
        update_strategy="latest",
        allow_tags="regexp:^[0-9a-f]{5,40}$",
        ignore_tags="latest",
    )
    result = _check(registry, spec)
    assert result.choice is not None and result.choice.tag == "ab12cd3", result
    assert "2024-03-01" in result.choice.reason


def test_alphabetical(basic_registry: Registry) -> None:
    repo, push = _repo(), basic_registry.pusher()
    for tag in ["2024-01-03", "2024-01-10", "2023-12-31"]:
        push.image(repo, tag, created="2024-01-01T00:00:00Z")
    result = _check(basic_registry, _spec(basic_registry, repo, update_strategy="alphabetical"))
    assert result.choice is not None and result.choice.tag == "2024-01-10"


def test_digest_of_a_moving_tag(registry: Registry) -> None:
    repo, push = _repo(), registry.pusher()
    push.image(repo, "1.0.0", created="2024-01-01T00:00:00Z")
    first = push.image(repo, "stable", created="2024-01-01T00:00:00Z")
    spec = _spec(registry, repo, "stable", update_strategy="digest")
    before = _check(registry, spec)
    assert before.choice is not None
    assert (before.choice.tag, before.choice.digest) == ("stable", first.digest)
    assert not strategies.needs_update(
        before.choice, current_tag="stable", current_digest=first.digest
    )
    second = push.image(repo, "stable", created="2024-02-01T00:00:00Z", salt="rebuilt")
    after = _check(registry, spec)
    assert after.choice is not None and after.choice.digest == second.digest != first.digest
    assert strategies.needs_update(after.choice, current_tag="stable", current_digest=first.digest)


def test_platform_filtering(registry: Registry) -> None:
    repo, push = _repo(), registry.pusher()
    push.index(
        repo,
        "a",
        [("linux/amd64", "2024-01-01T00:00:00Z"), ("linux/arm64", "2024-01-01T00:00:00Z")],
    )
    push.index(repo, "b", [("linux/amd64", "2024-02-01T00:00:00Z")], oci=True)
    push.image(repo, "c", created="2024-03-01T00:00:00Z", arch="s390x")
    anywhere = _check(registry, _spec(registry, repo, update_strategy="newest-build"))
    assert anywhere.choice is not None and anywhere.choice.tag == "c"
    # Without `platforms`, Image Updater's default: the platform the updater runs on.
    here = _check(registry, _spec(registry, repo, update_strategy="newest-build"), platforms=None)
    assert here.spec.platforms == (runtime_platform(),)
    newest_here = {"linux/amd64": "b", "linux/arm64": "a"}.get(str(runtime_platform()))
    assert here.choice is not None and here.choice.tag == newest_here
    assert "no image for platform" in here.choice.dropped["c"]
    arm = _check(
        registry, _spec(registry, repo, update_strategy="newest-build", platforms="linux/arm64")
    )
    assert arm.choice is not None and arm.choice.tag == "a"
    assert arm.choice.dropped["b"] == "no image for platform linux/arm64"
    amd = _check(
        registry, _spec(registry, repo, update_strategy="newest-build", platforms="linux/amd64")
    )
    assert amd.choice is not None and amd.choice.tag == "b"


def test_wrong_password_names_the_auth_step(registry: Registry) -> None:
    repo = _repo()
    registry.pusher().image(repo, "1.0.0", created="2024-01-01T00:00:00Z")
    result = _check(registry, _spec(registry, repo), creds="alice:wrong-password")
    assert not result.ok and result.choice is None
    expected = "basic-auth" if registry.auth == "htpasswd" else "token"
    assert result.step == expected
    assert "alice" in result.error and "wrong-password" not in result.error
    assert "check the" in result.error


def test_anonymous_access_is_refused_with_a_clear_step(registry: Registry) -> None:
    repo = _repo()
    registry.pusher().image(repo, "1.0.0", created="2024-01-01T00:00:00Z")

    async def go() -> None:
        async with RegistryClient(RegistryConfig("t", registry.host, registry.url)) as client:
            with pytest.raises(RegistryError) as err:
                await client.tags(repo)
        assert err.value.step in ("basic-auth", "token")
        assert "anonymous" in str(err.value) or "none given" in str(err.value)

    asyncio.run(go())


def test_unreachable_registry() -> None:
    port = free_port()
    spec_text = f"app=127.0.0.1:{port}/team/app"
    parsed = appannotations.parse({appannotations.IMAGE_LIST: spec_text})
    assert parsed is not None
    conf = registries.Registries(
        (RegistryConfig("gone", f"127.0.0.1:{port}", f"http://127.0.0.1:{port}"),)
    )

    async def go() -> CheckResult:
        checker = ImageChecker(conf)
        try:
            return await checker.check(parsed.images[0])
        finally:
            await checker.aclose()

    result = asyncio.run(go())
    assert result.step == "ping"
    assert "cannot connect" in result.error and f"127.0.0.1:{port}" in result.error


def test_unparsable_constraint(basic_registry: Registry) -> None:
    repo = _repo()
    basic_registry.pusher().image(repo, "1.0.0", created="2024-01-01T00:00:00Z")
    result = _check(basic_registry, _spec(basic_registry, repo, "one.two"))
    assert result.step == "config"
    assert "cannot parse version constraint 'one.two'" in result.error


def test_missing_repository(basic_registry: Registry) -> None:
    result = _check(basic_registry, _spec(basic_registry, "team/does-not-exist"))
    assert result.step == "tag-list" and "not found" in result.error


def test_tag_list_pagination(token_registry: Registry) -> None:
    repo, push = _repo(), token_registry.pusher()
    tags = [f"1.0.{i}" for i in range(7)]
    for tag in tags:
        push.image(repo, tag, created="2024-01-01T00:00:00Z")

    async def go() -> list[str]:
        config = RegistryConfig("t", token_registry.host, token_registry.url)
        creds = Credentials("alice", USERS["alice"])
        async with RegistryClient(config, credentials=creds, page_size=2) as client:
            return await client.tags(repo)

    assert sorted(asyncio.run(go())) == sorted(tags)


def test_tag_lists_are_cached_and_shared(basic_registry: Registry) -> None:
    repo = _repo()
    basic_registry.pusher().image(repo, "1.0.0", created="2024-01-01T00:00:00Z")
    spec = _spec(basic_registry, repo)
    now = [0.0]

    async def go(cache: bool) -> tuple[int, int]:
        resolver = CredentialResolver(environ={"REGCREDS": GOOD})
        checker = ImageChecker(_conf(basic_registry), resolver, cache=cache, clock=lambda: now[0])
        try:
            results = await asyncio.gather(*(checker.check(spec) for _ in range(5)))
            assert all(r.choice is not None and r.choice.tag == "1.0.0" for r in results)
            first = checker.tag_list_requests
            now[0] += 121.0  # the next interval
            await checker.check(spec)
            return first, checker.tag_list_requests
        finally:
            await checker.aclose()

    assert asyncio.run(go(cache=True)) == (1, 2)
    assert asyncio.run(go(cache=False)) == (5, 6)


def test_ping_no_learns_the_scheme_from_the_first_request(registry: Registry) -> None:
    repo = _repo()
    registry.pusher().image(repo, "3.1.4", created="2024-01-01T00:00:00Z")

    async def go() -> tuple[list[str], int]:
        config = RegistryConfig("t", registry.host, registry.url, ping=False)
        creds = Credentials("alice", USERS["alice"])
        async with RegistryClient(config, credentials=creds) as client:
            tags = await client.tags(repo)
            # No GET /v2/: the tag-list request's 401 carries the challenge, then one retry.
            return tags, client.requests

    tags, requests = asyncio.run(go())
    assert tags == ["3.1.4"]
    assert requests == (2 if registry.auth == "htpasswd" else 3)


def test_credsexpire_rereads_the_credentials(basic_registry: Registry) -> None:
    repo = _repo()
    basic_registry.pusher().image(repo, "1.0.0", created="2024-01-01T00:00:00Z")
    parsed = appannotations.parse({appannotations.IMAGE_LIST: f"app={basic_registry.host}/{repo}"})
    assert parsed is not None
    conf = _conf(basic_registry, credentials="env:ROTATING", credsexpire=60.0)
    environ, now = {"ROTATING": GOOD}, [0.0]

    async def go() -> list[str]:
        resolver = CredentialResolver(environ=environ)
        checker = ImageChecker(conf, resolver, cache=False, clock=lambda: now[0])
        steps = []
        try:
            for advance in (0.0, 30.0, 60.0):
                now[0] += advance
                result = await checker.check(parsed.images[0])
                steps.append(result.step or "ok")
                environ["ROTATING"] = "alice:rotated-away"
        finally:
            await checker.aclose()
        return steps

    # Still the cached credentials at +30 s; re-read (and now wrong) after credsexpire.
    assert asyncio.run(go()) == ["ok", "ok", "basic-auth"]
