"""Random Sprig calls (any function, any argument shape, piped or not) against Helm's engine.

Each generated call must render as Helm renders it, or fail in both. Functions whose result
order Go leaves random (``keys``, ``values``) or that read the real clock for non-time
arguments (``date``, ``htmlDate``) are left out.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from kaiun import templating

from .oracles import HelmOracle, needs_helm
from .test_sprig_fixtures import render_like_helm

needs_helm()


DATA: dict[str, Any] = {
    "s": "Hello World", "e": "", "n": 3, "f": 2.5, "neg": -4.7, "l": ["b", "a", "c"],
    "nl": [3, 1, 2], "m": {"k": "v", "n": {"x": 1}}, "csv": "a,b,,c", "ver": "1.2.3",
    "t": True, "nil": None, "big": 1e6,
}  # fmt: skip
ARGS = [
    ".s", ".e", ".n", ".f", ".neg", ".l", ".nl", ".m", ".csv", ".ver", ".t", ".nil", ".big",
    '"x"', '"a-b_c d"', "1", "0", "-1", "2.5", "true", "nil", '"3"', '"1.5"', "(list 1 2)",
    '(dict "a" 1)', '"v1.2"', '">=1.0"',
]  # fmt: skip
ARITY = {
    "upper": 1, "lower": 1, "title": 1, "trim": 1, "trimAll": 2, "trimPrefix": 2,
    "trimSuffix": 2, "replace": 3, "contains": 2, "hasPrefix": 2, "hasSuffix": 2, "quote": 2,
    "squote": 2, "indent": 2, "nindent": 2, "trunc": 2, "substr": 3, "split": 2,
    "splitList": 2, "join": 2, "repeat": 2, "regexMatch": 2, "regexFind": 2,
    "regexReplaceAll": 3, "snakecase": 1, "camelcase": 1, "kebabcase": 1, "default": 2,
    "empty": 1, "coalesce": 3, "ternary": 3, "list": 3, "append": 2, "first": 1, "last": 1,
    "rest": 1, "initial": 1, "uniq": 1, "has": 2, "without": 2, "compact": 1, "dict": 2,
    "get": 2, "hasKey": 2, "pick": 2, "omit": 2, "dig": 3, "int": 1, "int64": 1,
    "float64": 1, "toString": 1, "toStrings": 1, "atoi": 1, "add": 2, "sub": 2, "mul": 2,
    "div": 2, "mod": 2, "max": 2, "min": 2, "round": 2, "floor": 1, "ceil": 1, "toJson": 1,
    "toPrettyJson": 1, "toYaml": 1, "b64enc": 1, "b64dec": 1, "sha1sum": 1, "sha256sum": 1,
    "semverCompare": 2, "cat": 3, "sortAlpha": 1, "reverse": 1, "concat": 2, "until": 1,
    "abbrev": 2, "plural": 3, "nospace": 1, "initials": 1, "swapcase": 1, "regexFindAll": 3,
    "regexSplit": 3, "addf": 2, "mulf": 2, "divf": 2, "typeOf": 1, "kindOf": 1,
    "toRawJson": 1, "mergeOverwrite": 2, "merge": 2, "set": 3, "unset": 2, "deepCopy": 1,
    "durationRound": 1, "duration": 1, "unixEpoch": 1,
}  # fmt: skip


def _calls(seed: int, n: int) -> list[str]:
    r = random.Random(seed)
    out = []
    for _ in range(n):
        fn = r.choice(sorted(ARITY))
        args = [r.choice(ARGS) for _ in range(ARITY[fn])]
        if r.random() < 0.3:
            out.append("{{ " + args[-1] + " | " + fn + " " + " ".join(args[:-1]) + " }}")
        else:
            out.append("{{ " + fn + " " + " ".join(args) + " }}")
    return out


def test_random_sprig_calls_match_helm(tmp_path: Path) -> None:
    helm = HelmOracle(tmp_path)
    diffs = []
    calls = _calls(seed=7, n=800)
    for text in calls:
        want, want_err = helm.render(text, DATA)
        try:
            got, got_err = render_like_helm(text, DATA), ""
        except templating.TemplateError as exc:
            got, got_err = "", str(exc)
        if bool(want_err) != bool(got_err) or (not got_err and got != want):
            diffs.append(f"{text}\n  helm:  {want_err or want!r}\n  kaiun: {got_err or got!r}")
    assert not diffs, f"{len(diffs)} of {len(calls)} differ:\n" + "\n".join(diffs[:20])
