"""YAML stream parsing: the fast path and the slow, line-numbering path agree."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

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


HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
# Documents whose values need more than the fast builder's plain strings, maps and lists:
# each must come out exactly as PyYAML's SafeLoader builds it.
VALUES = [
    "data:\n  a: 1\n  b: 1.5\n  c: true\n  d: ~\n  e: '1'\n  f: 0x1f\n  g: yes\n  h: 2020-01-02\n",
    "data:\n  big: 123456789012345678901234567890\n  inf: .inf\n  neg: -0o17\n",
    "base: &b {x: 1, y: [1, 2]}\nmerged:\n  <<: *b\n  z: 3\n",
    "a: &l [1, 2]\nb: *l\nc: &m {k: v}\nd: [*m, *m]\n",
    "tagged: !!str 123\nbin: !!binary aGk=\nset: !!set {a, b}\nomap: !!omap [{a: 1}]\n",
    "1: int key\n2.5: float key\nnull: null key\ntrue: bool key\n",
    'text: |\n  line one\n  line two\nfolded: >-\n  a\n  b\nquoted: "\\u00e9\\n"\n',
    "empty_map: {}\nempty_list: []\nnested: [[[]], {a: {b: {c: []}}}]\n",
]


@pytest.mark.parametrize("body", VALUES)
def test_fast_path_builds_what_safeloader_builds(body: str) -> None:
    text = HEAD + body + "---\n" + HEAD + body
    expected = [d for d in yaml.safe_load_all(text) if d is not None]
    assert parse_yaml_stream(text, "f.yaml") == expected


def test_aliased_collections_stay_shared() -> None:
    # One object per aliased node (as PyYAML does): parsing costs memory linear in the
    # text, whatever the aliases expand to (here ~26 000 nodes, under the aliasing limit).
    laughs = "a: &a [x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(3)
    )
    (obj,) = parse_yaml_stream(HEAD + laughs, "f.yaml")
    assert obj["d"][0] is obj["d"][1]
    assert obj["b"][0] is obj["a"]


def test_alias_bomb_is_refused() -> None:
    # Nine levels of nine-fold aliasing: a few hundred bytes standing for ~387 million nodes,
    # once through the fast builder and once (a merge key) through PyYAML's constructor.
    levels = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    for extra in ("", "m: {<<: {k: v}}\n"):
        with pytest.raises(MalformedManifestError, match="excessive aliasing"):
            parse_yaml_stream(HEAD + levels + extra, "f.yaml")
    # The same shape a few levels smaller is fine.
    small = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    (obj,) = parse_yaml_stream(HEAD + small, "f.yaml")
    assert obj["c"] == [[["x", "x"]] * 2] * 2


def test_recursive_alias_through_pyyaml_is_malformed() -> None:
    with pytest.raises(MalformedManifestError, match="refers to its own anchor"):
        parse_yaml_stream(HEAD + "m: {<<: {k: v}}\nloop: &r [*r]\n", "f.yaml")


def test_recursive_alias_is_malformed() -> None:
    # PyYAML would build a list containing itself, which nothing downstream can serialise.
    with pytest.raises(MalformedManifestError) as err:
        parse_yaml_stream(HEAD + "a: 1\nloop: &r [*r]\n", "f.yaml")
    assert err.value.line == 5


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["yes", "off", "0o17", "0x1F", "1_000", "2021-03-04", "~", "null", "-.inf"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(body=st.dictionaries(st.text(min_size=1, max_size=8), _values, max_size=4),
       flow=st.booleans())  # fmt: skip
def test_fast_path_agrees_with_safeloader_on_generated_documents(
    body: dict[str, object], flow: bool
) -> None:
    doc = {**body, "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    text = yaml.safe_dump_all([doc, doc], default_flow_style=flow, allow_unicode=True)
    assert parse_yaml_stream(text, "f.yaml") == list(yaml.safe_load_all(text))
