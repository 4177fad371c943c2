"""``kaiun image-updater``: the image updater's commands (``test`` checks one image).

``kaiun image-updater test IMAGE`` asks the registry exactly what the updater would: it reads
registries.conf, resolves credentials, lists tags, applies the strategy and filters, and says
which tag it would pick and why every other tag lost — or which step (ping, token realm,
basic auth, tag list, manifest, credentials, config) failed and how to fix it.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import click

from kaiun.controllers.imageupdater import registries, resolve, tagfilter
from kaiun.controllers.imageupdater.check import CheckResult, ImageChecker
from kaiun.controllers.imageupdater.credentials import CredentialResolver
from kaiun.controllers.imageupdater.errors import ImageUpdaterError
from kaiun.controllers.imageupdater.model import ImageSpec, UpdateSettings
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.kube import errors as kube_errors

__all__ = ["group"]

MAX_DROPPED_SHOWN = 20


@click.group("image-updater")
def group() -> None:
    """Argo CD Image Updater's behaviour: watch registries, update images."""


@dataclass(frozen=True)
class _Options:
    credentials: str
    update_strategy: str
    semver_constraint: str
    allow_tags: str
    ignore_tags: tuple[str, ...]
    platforms: tuple[str, ...]


def _spec(image: str, opts: _Options) -> ImageSpec:
    if opts.semver_constraint:
        last = image.rsplit("/", 1)[-1]
        base = image[: len(image) - len(last)] + last.split(":", 1)[0]
        image = f"{base}:{opts.semver_constraint}"
    platforms = tuple(p for value in opts.platforms for p in tagfilter.split_list(value))
    ignore = tuple(t for value in opts.ignore_tags for t in tagfilter.split_list(value))
    settings = UpdateSettings(
        update_strategy=opts.update_strategy,
        allow_tags=opts.allow_tags or None,
        ignore_tags=ignore or None,
        pull_secret=opts.credentials or None,
        platforms=platforms or None,
    )
    return resolve.image("", image, settings)


def _registries(path: str | None, rate_limit: int | None) -> registries.Registries:
    regs = registries.parse(Path(path).read_text()) if path else registries.Registries()
    if rate_limit is None:
        return regs
    return registries.Registries(tuple(replace(e, limit=rate_limit) for e in regs.entries))


async def _run(spec: ImageSpec, regs: registries.Registries, kubeconfig: str | None) -> CheckResult:
    kube = None
    needs_kube = spec.pull_secret.startswith(("pullsecret:", "secret:")) or any(
        e.credentials.startswith(("pullsecret:", "secret:")) for e in regs.entries
    )
    if needs_kube:
        kube = await KubeClient.connect(from_kubeconfig(kubeconfig))
    checker = ImageChecker(regs, CredentialResolver(kube=kube, environ=dict(os.environ)))
    try:
        return await checker.check(spec)
    finally:
        await checker.aclose()
        if kube is not None:
            await kube.aclose()


def _report(result: CheckResult) -> None:
    spec = result.spec
    echo = click.echo
    echo(f"image:       {spec.image.name}")
    echo(f"registry:    {result.registry} (repository {result.repository})")
    rule = spec.strategy.value + (f", constraint {spec.constraint!r}" if spec.constraint else "")
    echo(f"strategy:    {rule}")
    if spec.allow_tags:
        echo(f"allow-tags:  {spec.allow_tags}")
    if spec.ignore_tags:
        echo(f"ignore-tags: {', '.join(spec.ignore_tags)}")
    if spec.platforms:
        echo(f"platforms:   {', '.join(str(p) for p in spec.platforms)}")
    for warning in result.warnings:
        echo(f"warning:     {warning}")
    if not result.ok:
        echo(f"error:       {result.step} step failed", err=True)
        echo(f"             {result.error}", err=True)
        return
    choice = result.choice
    assert choice is not None
    echo(f"tags:        {len(result.tags)} listed, {len(result.candidates)} candidate(s)")
    if choice.tag is None:
        echo(f"result:      nothing to pick — {choice.reason}")
    else:
        digest = f" ({choice.digest})" if choice.digest else ""
        echo(f"result:      would pick {choice.tag}{digest}")
        echo(f"why:         {choice.reason}")
    dropped = sorted(choice.dropped.items())
    if dropped:
        echo("not picked:")
        for tag, why in dropped[:MAX_DROPPED_SHOWN]:
            echo(f"  {tag:<24} {why}")
        if len(dropped) > MAX_DROPPED_SHOWN:
            echo(f"  … and {len(dropped) - MAX_DROPPED_SHOWN} more")


@group.command("test")
@click.argument("image")
@click.option(
    "--credentials",
    help="pullsecret:<ns>/<name>, secret:<ns>/<name>#<field>, env:<VAR> or ext:<script>",
)
@click.option(
    "--update-strategy",
    default="semver",
    show_default=True,
    help="semver, newest-build (latest), alphabetical (name) or digest",
)
@click.option("--semver-constraint", help="e.g. 1.2.x, ~1.26, ^2.0 (digest: the tag to follow)")
@click.option("--allow-tags", help="regexp:<pattern> or any")
@click.option("--ignore-tags", multiple=True, help="glob(s) of tags to ignore (repeatable)")
@click.option(
    "--platforms", multiple=True, help="os/arch[/variant] (repeatable or comma-separated)"
)
@click.option("--registries-conf-path", type=click.Path(exists=True, dir_okay=False))
@click.option("--rate-limit", type=int, help="requests per second to the registry")
@click.option("--kubeconfig", help="for pullsecret:/secret: credentials (default: $KUBECONFIG)")
def test_image(
    image: str,
    credentials: str | None,
    update_strategy: str,
    semver_constraint: str | None,
    allow_tags: str | None,
    ignore_tags: tuple[str, ...],
    platforms: tuple[str, ...],
    registries_conf_path: str | None,
    rate_limit: int | None,
    kubeconfig: str | None,
) -> None:
    """Check IMAGE against its registry and say which tag would be picked, and why."""
    opts = _Options(
        credentials or "",
        update_strategy,
        semver_constraint or "",
        allow_tags or "",
        ignore_tags,
        platforms,
    )
    try:
        spec = _spec(image, opts)
        regs = _registries(registries_conf_path, rate_limit)
        result = asyncio.run(_run(spec, regs, kubeconfig))
    except (ImageUpdaterError, kube_errors.KubeError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    _report(result)
    if not result.ok:
        sys.exit(1)
