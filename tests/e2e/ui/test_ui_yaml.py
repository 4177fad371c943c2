"""The UI's YAML subset (``static/js/yaml.js``) in chromium, differentially against PyYAML:
what PyYAML writes the UI reads back equal, what the UI writes PyYAML reads back equal, and
what is outside the subset is refused with its line."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from playwright.sync_api import Page

from kaiun.cli.demo.seed import demo_applications
from tests.e2e.ui.uikit import KaiunUp

TRICKY: dict[str, Any] = {
    "strings": ["yes", "no", "on", "off", "null", "~", "true", "1.0", "010", "0x1F", "1e3"],
    "edges": ["", " lead", "trail ", "a: b", "#x", "- x", "a #b", "[x]", "{y}", "'q'", '"dq"'],
    "text": "line one\nline two\n",
    "text-no-newline": "a\nb",
    "unicode": "café ☕",
    "numbers": [0, -1, 1.5, 1000000],
    "flags": [True, False, None],
    "empty": {"list": [], "map": {}},
    "key with spaces": {"nested: colon": "v", "1": "string key"},
    "nested": [[1, [2, 3]], {"a": [{"b": {"c": []}}]}],
    "url": "https://example.com/a?b=c#d",
}


def _module(page: Page, up: KaiunUp) -> None:
    page.goto(f"{up.url}/settings")
    page.wait_for_selector('[data-page="settings"]')


def _parse(page: Page, text: str) -> Any:
    return page.evaluate("async (t) => (await import('/assets/js/yaml.js')).parseYAML(t)", text)


def _dump(page: Page, value: Any) -> str:
    return str(
        page.evaluate("async (v) => (await import('/assets/js/yaml.js')).dumpYAML(v)", value)
    )


def _documents(up: KaiunUp) -> list[Any]:
    apps = [app for _, app in demo_applications(up.demo_repo_url, up.namespace)]
    return [*apps, TRICKY]


def test_reads_what_pyyaml_writes(page: Page, kaiun_up: KaiunUp) -> None:
    _module(page, kaiun_up)
    for doc in _documents(kaiun_up):
        for flow in (False, None):
            text = yaml.safe_dump(doc, allow_unicode=True, width=10**9, default_flow_style=flow)
            assert _parse(page, text) == doc, text


def test_pyyaml_reads_what_it_writes(page: Page, kaiun_up: KaiunUp) -> None:
    _module(page, kaiun_up)
    for doc in _documents(kaiun_up):
        text = _dump(page, doc)
        assert yaml.safe_load(text) == doc, text
        assert _parse(page, text) == doc, text


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: &anchor 2\n", 2),
        ("a: 1\n---\nb: 2\n", 2),
        ("a:\n\t- b\n", 2),
        ("a: 1\na: 2\n", 2),
        ("a:\n  b: 1\n   c: 2\n", 3),
        ('a: "open\n', 1),
        ("a: !!str x\n", 1),
    ],
)
def test_refuses_what_is_outside_the_subset(
    page: Page, kaiun_up: KaiunUp, text: str, line: int
) -> None:
    _module(page, kaiun_up)
    message = page.evaluate(
        """async (t) => {
          const m = await import('/assets/js/yaml.js');
          try { m.parseYAML(t); return null; } catch (e) { return e.message; }
        }""",
        text,
    )
    assert message is not None and message.startswith(f"line {line}:"), message
