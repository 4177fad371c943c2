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


def _median_rate(n: int, runs: int, fn: Callable[[], Any]) -> float:
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        rates.append(n / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    """Print one table row per measurement."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    n, runs = args.n, args.runs

    clean = pairs(n, drift=False)
    drifted = pairs(n, drift=True)
    parsed_clean = [(orjson.loads(c), orjson.loads(live)) for c, live in clean]
    parsed_drift = [(orjson.loads(c), orjson.loads(live)) for c, live in drifted]
    lives = [live for _, live in parsed_clean]
    overrides = {"apps/Deployment": _Lua(LUA_DEPLOYMENT_CHECK)}
    sandbox = health.LuaSandbox()

    def parse() -> None:
        for c, live in clean:
            orjson.loads(c)
            orjson.loads(live)

    def parse_one() -> None:
        for _, live in clean:
            orjson.loads(live)

    def unchanged() -> None:
        for c, live in parsed_clean:
            assert not diff.diff(c, live).modified

    def full() -> None:
        for c, live in parsed_drift:
            assert diff.diff(c, live).modified

    def full_forced() -> None:
        # The slow path on unchanged pairs: normalize, three-way merge, compare.
        for c, live in parsed_clean:
            assert not diff.diff(c, live, last_applied=c).modified

    def full_with_patch() -> None:
        for c, live in parsed_drift:
            assert diff.diff(c, live).json_patch

    def builtin() -> None:
        for live in lives:
            health.assess(live)

    def lua() -> None:
        for live in lives:
            health.assess(live, overrides=overrides, sandbox=sandbox)

    baseline_pair = _median_rate(n, runs, parse)
    baseline_one = _median_rate(n, runs, parse_one)
    rows = [
        ("parse pair from JSON (baseline)", baseline_pair, baseline_pair),
        ("parse live from JSON (baseline)", baseline_one, baseline_one),
        ("diff, unchanged pairs (fast path)", _median_rate(n, runs, unchanged), baseline_pair),
        ("diff, unchanged pairs, full path", _median_rate(n, runs, full_forced), baseline_pair),
        ("diff, drifted pairs (full path)", _median_rate(n, runs, full), baseline_pair),
        ("diff + JSON patch, drifted pairs", _median_rate(n, runs, full_with_patch), baseline_pair),
        ("built-in health check", _median_rate(n, runs, builtin), baseline_one),
        ("Lua health check", _median_rate(n, runs, lua), baseline_one),
    ]
    print(f"| measurement (n={n}, median of {runs}) | per second | vs parsing |")
    print("|---|---:|---:|")
    for name, rate, base in rows:
        print(f"| {name} | {rate:,.0f} | {rate / base:.2f}x |")


class _Lua:
    def __init__(self, script: str) -> None:
        self.health_lua = script
        self.use_open_libs = False


if __name__ == "__main__":
    main()
