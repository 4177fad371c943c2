"""Benchmark: decoding kubectl's protobuf request bodies, against parsing the same JSON.

Every body captured from real kubectl (tests/unit/fixtures/kubectl_protobuf.json) is turned
into the JSON the request continues with (``protobuf.json_body``); the baseline, measured in the
same run, is what the JSON path does with the equivalent JSON body (``orjson.loads`` then
``orjson.dumps``). Prints the median of 7 runs per request and the ratio.

Usage: .venv/bin/python bench/protobuf/run.py
"""

from __future__ import annotations

import base64
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from kaiun.localcluster import protobuf

FIXTURE = Path(__file__).resolve().parents[2] / "tests/unit/fixtures/kubectl_protobuf.json"
RUNS = 7
ROUNDS = 200


def per_call(fn: Callable[[], object]) -> float:
    """Median seconds per call over RUNS runs of ROUNDS calls."""
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        for _ in range(ROUNDS):
            fn()
        samples.append((time.perf_counter() - start) / ROUNDS)
    return statistics.median(samples)


def main() -> None:
    cases = json.loads(FIXTURE.read_text())["cases"]
    bodies = [base64.b64decode(c["body"]) for c in cases]
    jsons = [orjson.dumps(c["expected"]) for c in cases]

    def decode_all() -> None:
        for body in bodies:
            protobuf.json_body(body)

    def json_all() -> None:
        for doc in jsons:
            orjson.dumps(orjson.loads(doc))

    pb = per_call(decode_all) / len(bodies)
    js = per_call(json_all) / len(bodies)
    size = statistics.mean(len(b) for b in bodies)
    print(f"{len(bodies)} kubectl request bodies, mean {size:.0f} bytes")
    print(f"protobuf -> JSON body : {pb * 1e6:8.1f} us/request ({1 / pb:,.0f} requests/s)")
    print(f"JSON baseline         : {js * 1e6:8.1f} us/request")
    print(f"ratio                 : {pb / js:8.1f}x the JSON path's parse cost")


if __name__ == "__main__":
    main()
