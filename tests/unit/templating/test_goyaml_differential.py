"""``toYaml`` of random structures against Helm's (sigs.k8s.io/yaml over go-yaml v2).

Strings that YAML 1.1 would read as other types, awkward characters, long lines, empty keys
and Go's key order all have to come out byte for byte as Helm writes them.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from .oracles import HelmOracle, needs_helm
from .test_sprig_fixtures import render_like_helm

needs_helm()

STRINGS = [
    "", "plain", "yes", "No", "on", "y", "n", "~", "null", "true", "1", "1.5", "0x1F", "1e3",
    "-", "- x", ": x", "a: b", "#c", "a #b", "x#y", "'q'", '"dq"', "tab\tx", "multi\nline",
    "trail\n", " lead", "trail ", "ü", "日本", "@at", "`bt", "!bang", "%pct", "&amp", "*star",
    "[x]", "{x}", "a,b", "?q", "|pipe", ">gt", "=", "0755", "+1", ".5", "1_000", "2024-01-01",
    "12:30", "a" * 90, "x y " * 25, "k8s", "a10", "a9", "a09", "B", "_u",
]  # fmt: skip
SCALARS: list[Any] = [0, 1, -3, 2.5, 1e6, 1e21, 123456789.0, 0.1, True, False, None, [], {}]


def _value(r: random.Random, depth: int) -> Any:
    k = r.random()
    if depth > 2 or k < 0.5:
        return r.choice(STRINGS) if r.random() < 0.6 else r.choice(SCALARS)
    if k < 0.75:
        return [_value(r, depth + 1) for _ in range(r.randint(1, 3))]
    return {r.choice(STRINGS): _value(r, depth + 1) for _ in range(r.randint(1, 4))}


def test_to_yaml_matches_helm(tmp_path: Path) -> None:
    r = random.Random(11)
    helm = HelmOracle(tmp_path)
    diffs = []
    for _ in range(300):
        data = {"v": _value(r, 0)}
        want, err = helm.render("{{ toYaml .v }}", data)
        got = render_like_helm("{{ toYaml .v }}", data)
        if err or got != want:
            diffs.append(f"{json.dumps(data)}\n  helm:  {err or want!r}\n  kaiun: {got!r}")
    assert not diffs, f"{len(diffs)} of 300 differ:\n" + "\n".join(diffs[:10])
