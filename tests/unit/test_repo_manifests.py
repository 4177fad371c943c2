"""YAML stream parsing: the fast path and the slow, line-numbering path agree."""

from __future__ import annotations

import pytest

from kaiun.repo import MalformedManifestError
from kaiun.repo.manifests import parse_yaml_stream

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"

CASES = [
    # (stream, expected names or the line of the error)
    (CM.format(name="a") + "---\n" + CM.format(name="b"), ["a", "b"]),
    ("---\n" + CM.format(name="a") + "---\n---\n", ["a"]),
    ("apiVersion: v1\nkind: List\nitems:\n- " + CM.format(name="i").replace("\n", "\n  "), ["i"]),
    (CM.format(name="a") + "---\nkind: ConfigMap\nmetadata: {name: b}\n", 6),
    (CM.format(name="a") + "---\n- just\n- a list\n", 6),
    (CM.format(name="a") + "---\napiVersion: v1\nkind: [unclosed\n", 8),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_parse_yaml_stream(text: str, expected: list[str] | int) -> None:
    if isinstance(expected, int):
        with pytest.raises(MalformedManifestError) as err:
            parse_yaml_stream(text, "f.yaml")
        assert err.value.file == "f.yaml"
        assert err.value.line == expected
    else:
        names = [o["metadata"]["name"] for o in parse_yaml_stream(text, "f.yaml")]
        assert names == expected
