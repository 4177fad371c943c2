"""Legacy ApplicationSet templating (``goTemplate: false``): ``{{param}}`` substitution.

Parameters are flat (``path.basename``, ``path[0]``, ``metadata.labels.env``); a tag with no
parameter is left as written, as ApplicationSet's fasttemplate renderer does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kaiun.templating.errors import FastTemplateError
from kaiun.templating.gofmt import format_value


def render(text: str, params: Mapping[str, Any], *, json_escape: bool = False) -> str:
    """Replace each ``{{ name }}`` with ``params[name]``; unknown tags stay untouched.

    ``json_escape`` escapes values for splicing into a JSON string (ApplicationSet renders
    the template serialised as JSON).
    """
    out: list[str] = []
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            out.append(text[pos:])
            break
        end = text.find("}}", start + 2)
        if end < 0:
            raise FastTemplateError(f"cannot find end tag='}}}}' in the template={text!r}")
        out.append(text[pos:start])
        tag = text[start + 2 : end]
        key = tag.strip()
        if key in params:
            value = params[key]
            s = value if isinstance(value, str) else format_value(value)
            out.append(json.dumps(s, ensure_ascii=False)[1:-1] if json_escape else s)
        else:
            out.append("{{" + tag + "}}")
        pos = end + 2
    return "".join(out)
