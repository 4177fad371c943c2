"""The badge renderer escapes every text it draws and never emits a link."""

from __future__ import annotations

from xml.etree import ElementTree

from hypothesis import given
from hypothesis import strategies as st

from kaiun.server.badge import render


def test_markup_in_texts_is_escaped() -> None:
    svg = render([('<script>alert("x")</script>', "#fff"), ("javascript:alert(1)", "#000")])
    assert "<script>" not in svg and "href" not in svg
    texts = [t.text for t in ElementTree.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ['<script>alert("x")</script>', "javascript:alert(1)"]


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"))), max_size=4))
def test_any_text_yields_well_formed_svg(texts: list[str]) -> None:
    svg = render([(t, "#ccc") for t in texts])
    root = ElementTree.fromstring(svg)
    drawn = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert drawn == texts
