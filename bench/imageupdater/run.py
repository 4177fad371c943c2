"""One image updater check cycle: 100 applications watching 200 images in one registry.

A real ``docker-registry`` on loopback holds 200 repositories with 20 tags each (semver tags,
pre-releases and ``latest``). 100 applications each watch 4 images (every image watched by two
applications); 180 images use ``semver`` with a constraint, 20 use ``newest-build`` (which
reads manifests and config blobs). A cycle checks every application's images concurrently
from a cold checker. The figure is the cycle with kaiun's caches (tag lists and metadata
cached per interval, concurrent checks of an image sharing one request) against the same
cycle with caching disabled, measured in the same run.

Run: ``.venv/bin/python bench/imageupdater/run.py [--runs 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kaiun.controllers.imageupdater import appannotations, registries
from kaiun.controllers.imageupdater.check import ImageChecker
from kaiun.controllers.imageupdater.model import ImageSpec
from kaiun.controllers.imageupdater.registries import RegistryConfig
from tests.registry_kit import DOCKER_MANIFEST, Registry

IMAGES, APPS, PER_APP, TAGS = 200, 100, 4, 20
NEWEST_BUILD = 20


def _tags() -> list[str]:
    tags = [f"1.{minor}.{patch}" for minor in range(4) for patch in range(4)]
    return [*tags, "2.0.0-rc.1", "2.0.0-rc.2", "latest", "main"][:TAGS]


def populate(registry: Registry) -> None:
    """Push one image per repository and tag it ``TAGS`` times (one manifest PUT per tag)."""
    push = registry.pusher()
    for i in range(IMAGES):
        repo = f"bench/img{i:03d}"
        first = push.image(repo, None, created=f"2024-01-{1 + i % 28:02d}T00:00:00Z")
        doc = push.http.get(
            f"/v2/{repo}/manifests/{first.digest}", headers={"Accept": DOCKER_MANIFEST}
        ).json()
        for tag in _tags():
            push.manifest(repo, tag, doc, DOCKER_MANIFEST)


def applications(registry: Registry) -> list[list[ImageSpec]]:
    """100 applications' parsed annotations, 4 images each, every image watched twice."""
    apps = []
    for a in range(APPS):
        entries, notes = [], {}
        for k in range(PER_APP):
            i = (a * PER_APP + k) % IMAGES
            entries.append(f"img{k}={registry.host}/bench/img{i:03d}:~1.{k % 4}")
            if i < NEWEST_BUILD:
                notes[f"{appannotations.PREFIX}img{k}.update-strategy"] = "newest-build"
                notes[f"{appannotations.PREFIX}img{k}.allow-tags"] = r"regexp:^1\.[0-9]+\.[0-9]+$"
        notes[appannotations.IMAGE_LIST] = ", ".join(entries)
        parsed = appannotations.parse(notes)
        assert parsed is not None
        apps.append(list(parsed.images))
    return apps


async def cycle(
    regs: registries.Registries, apps: list[list[ImageSpec]], *, cache: bool
) -> tuple[float, int, int, float]:
    """Seconds, tag-list requests, HTTP requests and our CPU seconds of one cold cycle."""
    checker = ImageChecker(regs, cache=cache)
    try:
        start, cpu = time.perf_counter(), time.process_time()
        results = await asyncio.gather(*(checker.check(s) for app in apps for s in app))
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        requests = checker.requests
    finally:
        await checker.aclose()
    bad = [r.error for r in results if not r.ok or r.choice is None or r.choice.tag is None]
    assert not bad, bad[:3]
    return elapsed, checker.tag_list_requests, requests, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        registry = Registry(Path(tmp)).start()
        try:
            populate(registry)
            regs = registries.Registries(
                (RegistryConfig("bench", registry.host, registry.url, ping=True),)
            )
            apps = applications(registry)
            cached, uncached = [], []
            for _ in range(args.runs):
                cached.append(asyncio.run(cycle(regs, apps, cache=True)))
                uncached.append(asyncio.run(cycle(regs, apps, cache=False)))
        finally:
            registry.stop()
    med_c = statistics.median(r[0] for r in cached)
    med_u = statistics.median(r[0] for r in uncached)
    cpu_c = statistics.median(r[3] for r in cached)
    cpu_u = statistics.median(r[3] for r in uncached)
    print(f"images {IMAGES}, applications {APPS}, image checks {APPS * PER_APP}, runs {args.runs}")
    print(f"{'cycle':<22}{'median s':>10}{'kaiun CPU s':>13}{'tag lists':>11}{'requests':>10}")
    for label, med, cpu, runs in (
        ("cached (kaiun)", med_c, cpu_c, cached),
        ("caching disabled", med_u, cpu_u, uncached),
    ):
        print(f"{label:<22}{med:>10.2f}{cpu:>13.2f}{runs[0][1]:>11}{runs[0][2]:>10}")
    print(f"speed-up: {med_u / med_c:.2f}x; target: <= 10 s and <= {IMAGES} tag lists")


if __name__ == "__main__":
    main()
