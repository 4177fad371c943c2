"""Benchmark of the diff and health engines on 10,000 realistic Deployment pairs.

Run: ``python -m bench.diff_health.run`` (add ``--n 2000`` for a quick look). Each figure
is the median of 5 runs and is reported beside the cost of merely parsing the same
objects from JSON (orjson) in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import orjson
from bench.diff_health.objects import pairs

from kaiun import diff, health

LUA_DEPLOYMENT_CHECK = """
local hs = {}
if obj.spec.paused then
  hs.status = "Suspended"; hs.message = "Deployment is paused"; return hs
end
if obj.status ~= nil and obj.metadata.generation <= obj.status.observedGeneration then
  if obj.status.updatedReplicas < obj.spec.replicas then
    hs.status = "Progressing"; hs.message = "Waiting for rollout"; return hs
  end
  if (obj.status.availableReplicas or 0) < obj.status.updatedReplicas then
    hs.status = "Progressing"; hs.message = "Waiting for availability"; return hs
  end
  hs.status = "Healthy"; hs.message = ""; return hs
end
hs.status = "Progressing"; hs.message = "Waiting for rollout to start"
return hs
"""


def _rates(n: int, runs: int, fn: Callable[[], Any]) -> tuple[float, float]:
    """(median, best) items per second over ``runs`` runs of ``fn`` on ``n`` items."""
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates), max(rates)


class _Lua:
    def __init__(self, script: str) -> None:
        self.health_lua = script
        self.use_open_libs = False


def _workloads(n: int) -> dict[str, tuple[Callable[[], Any], str]]:
    """Each measurement as (function over all n items, baseline it is compared with)."""
    clean = pairs(n, drift=False)
    drifted = pairs(n, drift=True)
    parsed_clean = [(orjson.loads(c), orjson.loads(live)) for c, live in clean]
    parsed_drift = [(orjson.loads(c), orjson.loads(live)) for c, live in drifted]

    def parse_pair() -> None:
        for c, live in clean:
            orjson.loads(c)
            orjson.loads(live)

    def parse_live() -> None:
        for _, live in clean:
            orjson.loads(live)

    def unchanged() -> None:
        for c, live in parsed_clean:
            assert not diff.diff(c, live).modified

    def unchanged_full() -> None:
        # The full path on unchanged pairs: normalize, three-way merge, compare.
        for c, live in parsed_clean:
            assert not diff.diff(c, live, last_applied=c).modified

    def drifted_full() -> None:
        for c, live in parsed_drift:
            assert diff.diff(c, live).modified

    def drifted_patch() -> None:
        for c, live in parsed_drift:
            assert diff.diff(c, live).json_patch

    return {
        "parse pair from JSON (baseline)": (parse_pair, "pair"),
        "parse live from JSON (baseline)": (parse_live, "live"),
        "diff, unchanged pairs (fast path)": (unchanged, "pair"),
        "diff, unchanged pairs, forced full path": (unchanged_full, "pair"),
        "diff, drifted pairs (full path)": (drifted_full, "pair"),
        "diff + JSON patch, drifted pairs": (drifted_patch, "pair"),
        **_health_workloads([live for _, live in parsed_clean]),
    }


def _health_workloads(lives: list[Any]) -> dict[str, tuple[Callable[[], Any], str]]:
    overrides = {"apps/Deployment": _Lua(LUA_DEPLOYMENT_CHECK)}
    sandbox = health.LuaSandbox()

    def builtin() -> None:
        for live in lives:
            assert health.assess(live) is not None

    def lua() -> None:
        for live in lives:
            assert health.assess(live, overrides=overrides, sandbox=sandbox) is not None

    return {
        "built-in health check (Deployment)": (builtin, "live"),
        "Lua health check (Deployment)": (lua, "live"),
    }


def main() -> None:
    """Print one Markdown table row per measurement."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rates = {
        name: (*_rates(args.n, args.runs, fn), base)
        for name, (fn, base) in _workloads(args.n).items()
    }
    baselines = {
        "pair": rates["parse pair from JSON (baseline)"][0],
        "live": rates["parse live from JSON (baseline)"][0],
    }
    head = f"measurement (n={args.n}, {args.runs} runs)"
    print(f"| {head} | median /s | µs each | vs parsing | best run /s |")
    print("|---|---:|---:|---:|---:|")
    for name, (median, best, base) in rates.items():
        print(
            f"| {name} | {median:,.0f} | {1e6 / median:.1f} | "
            f"{median / baselines[base]:.2f}x | {best:,.0f} |"
        )


if __name__ == "__main__":
    main()
