"""Repo-server benchmark: a mixed monorepo rendered cold, warm (cache) and against the tools.

Run: ``.venv/bin/python bench/repo/bench_repo.py [--apps 500] [--runs 5]``

Figures (medians over ``--runs``), each with a baseline measured in the same run:
- cold render of every app with one git fetch, and the warm (cached) re-render per app;
- per-render overhead of the service (cache emptied, so it really renders) against running
  the renderer directly on the same directory (``kubectl kustomize``; the Helm SDK);
- the in-process Helm SDK against a ``helm template`` process, when a helm binary exists.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import helm_python

from kaiun.repo import ApplicationSource, BinaryHelmEngine, ManifestRequest, RepoService
from kaiun.repo.manifests import parse_yaml_stream

ROOT = Path(__file__).resolve().parents[2]
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@x",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@x",
    "GIT_CONFIG_GLOBAL": "/dev/null",
}

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\n"
CHART = {
    "Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    "values.yaml": "replicas: 1\n",
    "templates/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
    "  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n",
    "templates/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Release.Name }}\n",
}


def write_monorepo(path: Path, apps: int) -> list[str]:
    """A git repo with ``apps`` apps: 40% plain, 20% each kustomize, helm, jsonnet."""
    paths = []
    for i in range(apps):
        kind = ("plain", "plain", "kustomize", "helm", "jsonnet")[i % 5]
        d = path / "apps" / f"{kind}-{i}"
        d.mkdir(parents=True)
        if kind == "plain":
            (d / "a.yaml").write_text(CM.format(name=f"a{i}") + "---\n" + CM.format(name=f"b{i}"))
        elif kind == "kustomize":
            (d / "cm.yaml").write_text(CM.format(name=f"k{i}"))
            (d / "kustomization.yaml").write_text("resources: [cm.yaml]\nnamePrefix: p-\n")
        elif kind == "helm":
            for rel, text in CHART.items():
                (d / rel).parent.mkdir(parents=True, exist_ok=True)
                (d / rel).write_text(text)
        else:
            (d / "main.jsonnet").write_text(
                f"[{{apiVersion: 'v1', kind: 'ConfigMap', metadata: {{name: 'j{i}'}}}}]"
            )
        paths.append(str(d.relative_to(path)))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "apps"]):
        subprocess.run(["git", *args], cwd=path, env=GIT_ENV, check=True)
    return paths


def request(url: str, path: str, *, no_cache: bool = False) -> ManifestRequest:
    return ManifestRequest(
        source=ApplicationSource(repo_url=url, path=path, target_revision="main"),
        app_name=path.rsplit("/", 1)[-1],
        namespace="default",
        no_cache=no_cache,
        manifest_generate_paths=(".",),
    )


async def render_all(service: RepoService, url: str, paths: list[str]) -> float:
    start = time.perf_counter()
    await asyncio.gather(*(service.generate_manifest(request(url, p)) for p in paths))
    return time.perf_counter() - start


def cold_warm_touched(
    url: str, repo: Path, paths: list[str], work: Path
) -> tuple[float, float, int, float, int]:
    """Cold and warm renders of all apps, then all apps after a commit touching one app."""
    shutil.rmtree(work, ignore_errors=True)
    # Revisions stay fresh for the cold/warm part, as within one reconciliation period.
    service = RepoService(work, parallelism=4, revision_cache_seconds=3600)
    cold = asyncio.run(render_all(service, url, paths))
    warm = asyncio.run(render_all(service, url, paths))
    fetches = service.git.fetch_count
    touched = repo / paths[0] / "a.yaml"
    touched.write_text(touched.read_text() + f"---\n{CM.format(name=work.name)}")
    for args in (["add", "-A"], ["commit", "-q", "-m", "touch one app"]):
        subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True)
    service.git.invalidate(url)  # what a webhook does
    before = service.render_count
    after_commit = asyncio.run(render_all(service, url, paths))
    return cold, warm, fetches, after_commit, service.render_count - before


def direct_vs_service(url: str, repo: Path, paths: list[str], work: Path) -> dict[str, float]:
    """The tool alone vs the service (cache emptied) on the same apps, interleaved app by
    app so that load drifting on a shared machine hits both sides alike."""
    kust = [p for p in paths if "/kustomize-" in p][:20]
    helm = [p for p in paths if "/helm-" in p][:20]
    service = RepoService(work, revision_cache_seconds=3600)
    asyncio.run(service.generate_manifest(request(url, kust[0])))  # checkout once

    def kubectl(p: str) -> None:
        subprocess.run(["kubectl", "kustomize", str(repo / p)], check=True, capture_output=True)

    def sdk(p: str) -> None:
        with helm_python.Chart.load(str(repo / p)) as chart:
            chart.render({}, name="x", namespace="default")

    def sdk_objects(p: str) -> None:
        # The least any caller does to get objects: the SDK call, then its YAML parsed.
        with helm_python.Chart.load(str(repo / p)) as chart:
            out = chart.render({}, name="x", namespace="default")
        for name, text in out.items():
            parse_yaml_stream(text, name)

    async def through(p: str) -> None:
        # An emptied cache makes it render; revision resolution stays cached, so this is
        # the render path alone (a hard refresh would add an ls-remote).
        await service.cache.clear()
        await service.generate_manifest(request(url, p))

    # Per-sample times; each run reports their median, so a load spike on the shared
    # machine during a few samples moves neither side.
    samples: dict[str, list[float]] = {
        k: []
        for k in (
            "kustomize_direct", "kustomize_service", "helm_direct", "helm_service", "helm_objects"
        )
    }  # fmt: skip

    async def measure() -> None:
        for p in kust:
            start = time.perf_counter()
            kubectl(p)
            middle = time.perf_counter()
            await through(p)
            samples["kustomize_direct"].append(middle - start)
            samples["kustomize_service"].append(time.perf_counter() - middle)
        # A Helm SDK render is sub-millisecond: more samples; the three sides take turns
        # going first, so none always runs just after another's (Go GC, cache) aftermath.
        sides = [("helm_direct", sdk), ("helm_service", None), ("helm_objects", sdk_objects)]
        for round_ in range(6):
            for p in helm:
                for name, direct in sides[round_ % 3 :] + sides[: round_ % 3]:
                    start = time.perf_counter()
                    if direct is None:
                        await through(p)
                    else:
                        direct(p)
                    samples[name].append(time.perf_counter() - start)

    asyncio.run(measure())
    return {k: statistics.median(v) for k, v in samples.items()}


def helm_engines(repo: Path, paths: list[str]) -> tuple[float, float] | None:
    binary = shutil.which("helm") or shutil.which(str(ROOT / ".tools" / "bin" / "helm"))
    if binary is None:
        return None
    chart = repo / next(p for p in paths if "/helm-" in p)
    engine = BinaryHelmEngine(binary, env={"PATH": os.environ["PATH"]})
    from kaiun.repo.render.helm_engine import HelmRenderOptions, SdkHelmEngine

    opts = HelmRenderOptions(release_name="x", namespace="default")
    sdk = SdkHelmEngine()

    async def many(e: object, n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            await e.render(chart, {}, opts)  # type: ignore[attr-defined]
        return (time.perf_counter() - start) / n

    return asyncio.run(many(sdk, 50)), asyncio.run(many(engine, 10))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "mono"
        paths = write_monorepo(repo, args.apps)
        url = f"file://{repo}"
        colds, warms, fetches, directs, engines = [], [], set(), [], []
        touched, rerenders = [], set()
        for run in range(args.runs):
            cold, warm, fetched, after, renders = cold_warm_touched(
                url, repo, paths, Path(tmp) / f"w{run}"
            )
            colds.append(cold)
            warms.append(warm)
            fetches.add(fetched)
            touched.append(after)
            rerenders.add(renders)
            directs.append(direct_vs_service(url, repo, paths, Path(tmp) / f"d{run}"))
            pair = helm_engines(repo, paths)
            if pair:
                engines.append(pair)
    med = statistics.median
    n = args.apps
    print(f"apps={n} runs={args.runs} git fetches per cold render={sorted(fetches)}")
    print(f"cold render, all apps: {med(colds):.2f} s ({med(colds) / n * 1000:.1f} ms/app)")
    print(f"warm (cached) re-render: {med(warms) / n * 1000:.3f} ms/app; "
          f"cold/warm ratio {med(colds) / med(warms):.0f}x")  # fmt: skip
    print(f"after a commit touching one app: {sorted(rerenders)} re-rendered, all apps in "
          f"{med(touched):.2f} s ({med(touched) / n * 1000:.2f} ms/app)")  # fmt: skip
    for tool in ("kustomize", "helm"):
        d = med(x[f"{tool}_direct"] for x in directs)
        s = med(x[f"{tool}_service"] for x in directs)
        print(f"{tool}: direct {d * 1000:.2f} ms, via service (uncached) {s * 1000:.2f} ms, "
              f"overhead {s / d:.2f}x")  # fmt: skip
    o = med(x["helm_objects"] for x in directs)
    s = med(x["helm_service"] for x in directs)
    print(f"helm: SDK call + YAML parse of its output {o * 1000:.2f} ms; service {s / o:.2f}x that")
    if engines:
        sdk_t, bin_t = med(e[0] for e in engines), med(e[1] for e in engines)
        print(f"helm SDK {sdk_t * 1000:.2f} ms vs helm template process {bin_t * 1000:.2f} ms: "
              f"{bin_t / sdk_t:.0f}x")  # fmt: skip


if __name__ == "__main__":
    main()
