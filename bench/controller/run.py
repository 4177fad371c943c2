"""The Application controller at scale: initial sync, a no-change refresh pass, commit → Synced.

Run: ``.venv/bin/python bench/controller/run.py [--apps 100] [--runs 5] [--commits 20]``.

The local cluster runs as its own process (``kaiun localcluster serve``, pod ready delay 0);
this process runs only the controller (in-process repo server), so its CPU time and RSS are
the controller's. A file:// git repository holds ``--apps`` apps of 10 resources each (one
Deployment, one Service, eight ConfigMaps), each app automated (prune + selfHeal). Figures:

- initial sync: wall time from creating every Application to all Synced + Healthy;
  baseline: ``kubectl apply -f`` of every app's directory, one after another, in the same
  run (into other namespaces);
- no-change refresh pass: CPU seconds of this process to refresh every app once (queued
  directly; nothing changed), median of ``--runs`` passes; baseline: the CPU of rendering
  every app through the same repo service (cache hits) — the part of a refresh that is not
  comparison;
- commit → Synced + Healthy: one commit changing one ConfigMap of one app, then the refresh
  annotation; wall time until the app reports the commit Synced + Healthy; p50/p95 over
  ``--commits`` commits; baseline: ``kubectl apply -f`` of that app's directory;
- RSS of this process after the passes.

The repo service keeps its default revision cache (180 s), as ``kaiun controller`` does:
refresh passes trust it, and the refresh request after a commit re-resolves the branch.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from kaiun.controllers.application import ApplicationController
from kaiun.engine import install_control_plane, render_app
from kaiun.kube import KubeClient, from_kubeconfig
from kaiun.model.application import Application
from kaiun.repo import RepoService

NS = "argocd"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com",
    "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com",
}  # fmt: skip


def app_files(i: int, version: int = 0) -> dict[str, str]:
    name = f"a{i}"
    files = {
        "deploy.yaml": (
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
            f"  replicas: 1\n  selector: {{matchLabels: {{app: {name}}}}}\n"
            f"  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
            f"    spec: {{containers: [{{name: main, image: 'nginx:1.27'}}]}}\n"
        ),
        "svc.yaml": (
            f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
            f"spec: {{selector: {{app: {name}}}, ports: [{{port: 80}}]}}\n"
        ),
    }
    for c in range(8):
        files[f"cm{c}.yaml"] = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}-{c}}}\n"
            f"data: {{key: 'v{version if c == 0 else 0}', payload: '{'x' * 200}'}}\n"
        )
    return files


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    return out.stdout.strip()


def write_app(repo: Path, i: int, version: int = 0) -> None:
    d = repo / f"apps/a{i}"
    d.mkdir(parents=True, exist_ok=True)
    for name, text in app_files(i, version).items():
        (d / name).write_text(text)


def application(i: int, url: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": f"a{i}", "namespace": NS},
        "spec": {
            "project": "default",
            "source": {"repoURL": url, "path": f"apps/a{i}", "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": f"app-{i}"},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True},
                           "syncOptions": ["CreateNamespace=true"]},
        },
    }  # fmt: skip


class Server:
    """``kaiun localcluster serve`` in its own process, pods ready at once."""

    def __init__(self, root: Path) -> None:
        from kaiun.localcluster.server import free_port

        self.dir = root / "state"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kaiun.cli", "localcluster", "serve", "--data-dir",
             str(self.dir), "--port", str(free_port()), "--pod-ready-delay", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.proc.stdout is not None
        assert "ready" in self.proc.stdout.readline()
        self.kubeconfig = self.dir / "kubeconfig"

    def kubectl(self, *args: str) -> None:
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}
        subprocess.run(["kubectl", *args], env=env, check=True, capture_output=True)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.communicate(timeout=30)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def synced(obj: dict[str, Any] | None, revision: str | None = None) -> bool:
    status = (obj or {}).get("status") or {}
    sync = status.get("sync") or {}
    return (
        sync.get("status") == "Synced"
        and (status.get("health") or {}).get("status") == "Healthy"
        and (revision is None or sync.get("revision") == revision)
    )


async def wait_until(pred: Any, limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.02)


def make_repo(root: Path, apps: int) -> Path:
    repo = root / "origin"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    for i in range(apps):
        write_app(repo, i)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "apps")
    return repo


async def refresh_passes(ctx: Any, service: RepoService, args: argparse.Namespace) -> tuple:
    """CPU of ``--runs`` no-change refresh passes, and of render-only passes."""
    store = ctx.apps.store
    names = list(store)
    refresh, render = [], []
    for _ in range(args.runs):
        await asyncio.sleep(1.0)  # let the previous pass's stragglers settle
        before = {n: store[n]["status"]["reconciledAt"] for n in names}
        await asyncio.sleep(1.1)  # reconciledAt has one-second resolution
        c0 = cpu()
        for n in names:
            ctx.request_refresh(n)
        await wait_until(
            lambda before=before: all(
                store[n]["status"]["reconciledAt"] != before[n] for n in names
            ),
            args.timeout, "refresh pass",
        )  # fmt: skip
        refresh.append(cpu() - c0)
        c0 = cpu()
        for n in names:
            app = Application.from_dict(store[n])
            await render_app(app, service, ctx.compare_config(app, ctx.project_check(app)))
        render.append(cpu() - c0)
    return refresh, render


async def commits(
    ctx: Any, client: KubeClient, server: Server, repo: Path, args: argparse.Namespace
) -> tuple:
    """Commit -> Synced+Healthy latencies, and kubectl apply of the same app."""
    store = ctx.apps.store
    sample = args.baseline_apps or args.apps
    latencies, applies = [], []
    for k in range(args.commits):
        i = k % args.apps
        write_app(repo, i, version=k + 1)
        git(repo, "commit", "-q", "-am", f"change {k}")
        rev = git(repo, "rev-parse", "HEAD")
        t = time.monotonic()
        await client.patch(
            "argoproj.io/v1alpha1", "Application", f"a{i}",
            {"metadata": {"annotations": {"argocd.argoproj.io/refresh": "normal"}}},
            namespace=NS,
        )  # fmt: skip
        await wait_until(lambda i=i, rev=rev: synced(store.get(f"a{i}"), rev), 60, "commit")
        latencies.append(time.monotonic() - t)
        t = time.monotonic()
        if i >= sample:
            server.kubectl("create", "namespace", f"base-{i}")
            sample = i + 1
        server.kubectl("apply", "-n", f"base-{i}", "-f", str(repo / f"apps/a{i}"))
        applies.append(time.monotonic() - t)
    return latencies, applies


async def bench(args: argparse.Namespace, root: Path, server: Server) -> dict[str, Any]:
    repo = make_repo(root, max(args.apps, args.repo_apps))
    url = f"file://{repo}"
    out: dict[str, Any] = {}
    # Baseline for the initial sync: kubectl apply of every app (or of the first
    # --baseline-apps, scaled to all), one after another.
    sample = min(args.apps, args.baseline_apps or args.apps)
    t = time.monotonic()
    for i in range(sample):
        server.kubectl("create", "namespace", f"base-{i}")
        server.kubectl("apply", "-n", f"base-{i}", "-f", str(repo / f"apps/a{i}"))
    out["kubectl_apply_all_s"] = (time.monotonic() - t) * args.apps / sample
    out["baseline_sample"] = sample
    async with await KubeClient.connect(from_kubeconfig(server.kubeconfig)) as client:
        await install_control_plane(client, NS)
        await client.patch(
            "v1", "ConfigMap", "argocd-cmd-params-cm",
            {"data": {"controller.sync.wave.delay.seconds": "0"}}, namespace=NS,
        )  # fmt: skip
        # The default revision cache (180 s), as `kaiun controller` runs: periodic refreshes
        # trust it, refresh requests re-resolve.
        service = RepoService(root / "work")
        # No periodic resync during the bench: every pass is triggered explicitly.
        controller = ApplicationController(
            client, service, NS, settings=lambda cs: dataclasses.replace(cs, resync_seconds=0)
        )
        ctx = await controller.start()
        store = ctx.apps.store
        t = time.monotonic()
        for i in range(args.apps):
            await client.create(application(i, url))
        await wait_until(
            lambda: len(store) == args.apps and all(synced(o) for o in store.values()),
            args.timeout, "initial sync",
        )  # fmt: skip
        out["initial_sync_s"] = time.monotonic() - t
        out["refresh_cpu_s"], out["render_cpu_s"] = await refresh_passes(ctx, service, args)
        out["commit_latencies_s"], out["kubectl_apply_one_s"] = await commits(
            ctx, client, server, repo, args
        )
        out["rss_mb"] = rss_mb()
        await controller.stop()
    return out


def q(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def report(r: dict[str, Any], apps: int) -> None:
    refresh = statistics.median(r["refresh_cpu_s"])
    render = statistics.median(r["render_cpu_s"])
    lat = r["commit_latencies_s"]
    apply_one = statistics.median(r["kubectl_apply_one_s"])
    rows = [
        (f"initial sync of {apps} apps x 10 resources", f"{r['initial_sync_s']:.1f} s"),
        (
            f"  baseline: kubectl apply of each app ({r['baseline_sample']} measured)",
            f"{r['kubectl_apply_all_s']:.1f} s",
        ),
        ("  ratio", f"{r['initial_sync_s'] / r['kubectl_apply_all_s']:.2f}x"),
        ("no-change refresh pass, CPU (median)", f"{refresh:.2f} s"),
        ("  per app", f"{refresh / apps * 1000:.1f} ms"),
        ("  baseline: render only (cache hits), CPU", f"{render:.2f} s"),
        ("  ratio", f"{refresh / render:.2f}x"),
        ("  projected to 1,000 apps", f"{refresh / apps * 1000:.1f} s"),
        ("commit -> Synced+Healthy p50", f"{q(lat, 0.5):.2f} s"),
        ("commit -> Synced+Healthy p95", f"{q(lat, 0.95):.2f} s"),
        ("  baseline: kubectl apply -f of the app (median)", f"{apply_one:.2f} s"),
        ("  ratio p50", f"{q(lat, 0.5) / apply_one:.2f}x"),
        ("controller RSS", f"{r['rss_mb']:.0f} MB"),
    ]
    for label, value in rows:
        print(f"{label:<50}{value:>12}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--commits", type=int, default=20)
    parser.add_argument(
        "--baseline-apps", type=int, default=0,
        help="kubectl-apply only this many apps for the initial-sync baseline, scaled up",
    )  # fmt: skip
    parser.add_argument(
        "--repo-apps", type=int, default=0,
        help="app directories in the repository (default --apps); only --apps are registered",
    )  # fmt: skip
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = Server(root)
        try:
            result = asyncio.run(bench(args, root, server))
        finally:
            server.stop()
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    report(result, args.apps)
    print(f"{'repository app directories':<50}{max(args.apps, args.repo_apps):>12}")


if __name__ == "__main__":
    main()
