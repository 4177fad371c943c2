"""Random templates from a grammar of Go's template language, rendered by kaiun and by Go.

A seeded generator nests actions, pipelines, variables, control structures and builtins over
a fixed data set; every template must give Go's output or Go's exact error.
"""

from __future__ import annotations

import json
import random
from typing import Any

from .oracles import GoOracle, needs_go
from .test_gotemplate_differential import _kaiun

pytestmark = needs_go()

DATA: dict[str, Any] = {
    "s": "str", "e": "", "n": 3, "f": 2.5, "z": 0, "t": True, "no": False, "nil": None,
    "l": [1, "two", None, [3]], "el": [], "m": {"a": 1, "b": "x", "c": {"d": [1, 2]}},
    "em": {}, "ls": ["x", "y", "z"],
}  # fmt: skip
FIELDS = [".s", ".e", ".n", ".f", ".z", ".t", ".no", ".nil", ".l", ".el", ".m", ".em", ".ls",
          ".m.a", ".m.c.d", ".m.zz", ".missing", ".m.c", "$", "."]  # fmt: skip
LITERALS = ['"lit"', "1", "-2", "1.5", "true", "false", "nil", "'a'", "`raw`", "0x10"]


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.vars: list[str] = []

    def operand(self, depth: int) -> str:
        r = self.r.random()
        if r < 0.45:
            return self.r.choice(FIELDS)
        if r < 0.65:
            return self.r.choice(LITERALS)
        if r < 0.75 and self.vars:
            return self.r.choice(self.vars)
        if depth < 2:
            return "(" + self.pipeline(depth + 1) + ")"
        return self.r.choice(FIELDS)

    def command(self, depth: int) -> str:
        r = self.r.random()
        if r < 0.4:
            return self.operand(depth)
        fn = self.r.choice(
            ["eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "len", "index", "slice",
             "print", "printf", "println", "html", "js", "urlquery"]
        )  # fmt: skip
        nargs = {"not": 1, "len": 1}.get(fn, self.r.randint(1, 3))
        args = [self.operand(depth) for _ in range(nargs)]
        if fn == "printf":
            args[0] = self.r.choice(['"%v"', '"%s|%d"', '"%q %v"', '"%5.2f"', '"%x-%T"'])
        return " ".join([fn, *args])

    def pipeline(self, depth: int) -> str:
        cmds = [self.command(depth)]
        while self.r.random() < 0.25:
            cmds.append(self.r.choice(["print", "len", "html", 'printf "%v"', "not", "js"]))
        return " | ".join(cmds)

    def block(self, depth: int) -> str:
        parts = []
        for _ in range(self.r.randint(1, 3)):
            parts.append(self.item(depth))
        return "".join(parts)

    def item(self, depth: int) -> str:
        r = self.r.random()
        if r < 0.2 or depth > 2:
            return self.r.choice(["a", " ", "\n", "x-", "{{/* c */}}", ' {{- " " -}} '])
        if r < 0.55:
            return "{{ " + self.pipeline(depth) + " }}"
        if r < 0.62:
            name = f"$v{len(self.vars)}"
            self.vars.append(name)
            return "{{ " + name + " := " + self.pipeline(depth) + " }}"
        if r < 0.72:
            els = "{{ else }}" + self.block(depth + 1) if self.r.random() < 0.5 else ""
            return (
                "{{ if " + self.pipeline(depth) + " }}" + self.block(depth + 1) + els + "{{ end }}"
            )
        if r < 0.8:
            els = "{{ else }}" + self.block(depth + 1) if self.r.random() < 0.5 else ""
            return (
                "{{ with "
                + self.pipeline(depth)
                + " }}"
                + self.block(depth + 1)
                + els
                + "{{ end }}"
            )
        saved = list(self.vars)
        decl = ""
        if self.r.random() < 0.5:
            decl = f"$i{depth}, $e{depth} := "
            self.vars += [f"$i{depth}", f"$e{depth}"]
        body = self.block(depth + 1)
        if self.r.random() < 0.2:
            body += "{{ break }}" if self.r.random() < 0.5 else "{{ continue }}"
        text = "{{ range " + decl + self.r.choice(FIELDS) + " }}" + body + "{{ end }}"
        self.vars = saved
        return text


def _cases(n: int) -> list[dict[str, Any]]:
    cases = []
    for seed in range(n):
        g = Gen(seed)
        options = [[], ["missingkey=zero"], ["missingkey=error"]][seed % 3]
        cases.append({"text": g.block(0), "data": DATA, "options": options})
    return cases


def test_random_templates_match_go() -> None:
    oracle = GoOracle()
    cases = _cases(1500)
    go = oracle.run([{"name": "t", **c} for c in cases])
    diffs = []
    for case, want in zip(cases, go, strict=True):
        got = _kaiun(case)
        if (got["phase"], got["out"], got["err"]) != (want["phase"], want["out"], want["err"]):
            diffs.append(f"{json.dumps(case['text'])}\n  go:    {want}\n  kaiun: {got}")
    ok = sum(1 for w in go if w["phase"] == "ok")
    assert ok > 300, "the generator should produce many templates that execute"
    assert not diffs, f"{len(diffs)} of {len(cases)} differ:\n" + "\n".join(diffs[:15])
