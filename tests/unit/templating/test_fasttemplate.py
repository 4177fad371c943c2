"""Legacy ApplicationSet ``{{param}}`` substitution."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaiun import templating
from kaiun.templating import fasttemplate

PARAMS = {
    "name": "in-cluster",
    "server": "https://kubernetes.default.svc",
    "path": "apps/guestbook",
    "path.basename": "guestbook",
    "path[0]": "apps",
    "metadata.labels.env": "prod",
    "count": 3,
}


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ("{{name}}-{{path.basename}}", "in-cluster-guestbook"),
        ("{{ name }}", "in-cluster"),
        ("{{path[0]}}/{{metadata.labels.env}}", "apps/prod"),
        ("{{unknown}} stays", "{{unknown}} stays"),
        ("{{ unknown }}", "{{ unknown }}"),
        ("n={{count}}", "n=3"),
        ("no tags", "no tags"),
        ("{{name}}{{name}}", "in-clusterin-cluster"),
        ("{{.name}}", "{{.name}}"),
    ],
)
def test_render(text: str, out: str) -> None:
    assert fasttemplate.render(text, PARAMS) == out


def test_json_escape_for_values_spliced_into_json() -> None:
    out = fasttemplate.render('{"v": "{{q}}"}', {"q": 'say "hi"\n'}, json_escape=True)
    assert out == '{"v": "say \\"hi\\"\\n"}'


def test_unterminated_tag_is_an_error() -> None:
    with pytest.raises(templating.FastTemplateError, match="cannot find end tag"):
        fasttemplate.render("{{name", PARAMS)


@given(st.text().filter(lambda s: "{{" not in s))
def test_text_without_tags_is_unchanged(text: str) -> None:
    assert fasttemplate.render(text, PARAMS) == text
