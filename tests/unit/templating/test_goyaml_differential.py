"""``toYaml`` of random structures against Helm's (sigs.k8s.io/yaml over go-yaml v2).

Strings that YAML 1.1 would read as other types, awkward characters, long lines, empty keys
and Go's key order all have to come out byte for byte as Helm writes them.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from kaiun import templating

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


DOCS = [
    "a: yes", "a: on", "a: y", "a: ~", "a: 0x1F", "a: 0755", "a: 1_000", "a: 12:30",
    "a: 2024-01-01", "a: .inf", "a: .nan", "a: 1e3", "a: +1", "a: .5", "a: 'q'",
    'a: "x\\ty"', "a: |\n  x\n  y\n", "a: >\n  x\n  y\n", "- a\n- b", "a: [1, 2]",
    "a: {b: 1}", "a: &x 1\nb: *x", "? a\n: 1", "a:\n  - b: 1\n    c: 2", "a: Null",
    "a: FALSE", "a: 0o17", "a: 0b101", "1: a\ntrue: b", "a: 1.0", "plain", "42", "", "a: [",
]  # fmt: skip


def test_from_yaml_matches_helm(tmp_path: Path) -> None:
    """Helm embeds decode errors in the result; ApplicationSet (and kaiun) fail instead."""
    r = random.Random(5)
    helm = HelmOracle(tmp_path)
    docs = DOCS + [
        render_like_helm("{{ toYaml .v }}", {"v": {"k": _value(r, 0)}}) for _ in range(100)
    ]
    diffs = []
    for doc in docs:
        for fn in ("fromYaml", "fromYamlArray"):
            text = "{{ " + fn + " .s | toJson }}"
            want, err = helm.render(text, {"s": doc})
            helm_failed = bool(err) or want.startswith(('{"Error"', '["error', '["yaml'))
            try:
                got, failed = render_like_helm(text, {"s": doc}), False
            except templating.TemplateExecError:
                got, failed = "", True
            if helm_failed != failed or (not failed and got != want):
                diffs.append(f"{fn} {doc!r}\n  helm:  {err or want!r}\n  kaiun: {got!r}")
    assert not diffs, f"{len(diffs)} differ:\n" + "\n".join(diffs[:10])
