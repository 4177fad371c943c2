"""Encodings: Go's ``encoding/json`` output, base64 and digests (YAML is :mod:`.goyaml`)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import uuid
import zlib
from collections.abc import Mapping
from typing import Any

from kaiun.templating import gofmt
from kaiun.templating.errors import FuncError
from kaiun.templating.gotemplate.funcs import Func
from kaiun.templating.sprig.convert import strval
from kaiun.templating.values import Duration, GoTime

_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_JSON_ESC = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _json_str(s: str, html: bool) -> str:
    out = ['"']
    for c in s:
        if c in _JSON_ESC:
            out.append(_JSON_ESC[c])
        elif html and c in _HTML:
            out.append(_HTML[c])
        elif ord(c) < 0x20 or c in "\u2028\u2029":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def json_float(f: float) -> str:
    if math.isnan(f) or math.isinf(f):
        raise FuncError(f"json: unsupported value: {gofmt.format_float(f)}")
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        s = gofmt.format_float(f, "e", -1)
        mant, _, exp = s.partition("e")
        sign, digits = exp[0], exp[1:].lstrip("0") or "0"
        return f"{mant}e{sign}{digits}"
    return gofmt.format_float(f, "f", -1)


def go_json(v: Any, *, html: bool = True, indent: str = "", level: int = 0) -> str:
    """Go's ``json.Marshal`` (sorted map keys, HTML-safe escapes) / ``MarshalIndent``."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        return json_float(v)
    if isinstance(v, str):
        return _json_str(v, html)
    if isinstance(v, GoTime):
        return _json_str(v.Format("2006-01-02T15:04:05.999999999Z07:00"), html)
    if isinstance(v, Duration):
        return str(v.ns)
    nl = "\n" + indent * (level + 1) if indent else ""
    end = "\n" + indent * level if indent else ""
    colon = ": " if indent else ":"
    if isinstance(v, Mapping):
        if not v:
            return "{}"
        items = [
            _json_str(str(k), html)
            + colon
            + go_json(v[k], html=html, indent=indent, level=level + 1)
            for k in sorted(v, key=lambda k: str(k).encode())
        ]
        return "{" + nl + ("," + nl).join(items) + end + "}"
    if isinstance(v, list | tuple):
        if not v:
            return "[]"
        parts = [go_json(x, html=html, indent=indent, level=level + 1) for x in v]
        return "[" + nl + ("," + nl).join(parts) + end + "]"
    if isinstance(v, bytes):
        return _json_str(base64.b64encode(v).decode(), html)
    raise FuncError(f"json: unsupported type: {type(v).__name__}")


def _to_json(v: Any) -> str:
    try:
        return go_json(v)
    except FuncError:
        return ""


def _from_json(s: str) -> Any:
    try:
        return json.loads(s, parse_int=float)
    except ValueError:
        return None


def _must_from_json(s: str) -> Any:
    try:
        return json.loads(s, parse_int=float)
    except ValueError as exc:
        raise FuncError(str(exc)) from None


_B64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")


def _b64dec(s: str) -> str:
    try:
        return base64.b64decode(s.encode(), validate=True).decode(errors="replace")
    except (binascii.Error, ValueError):
        bad = next((i for i, c in enumerate(s) if c not in _B64 and c != "="), None)
        if bad is None:
            bad = len(s.rstrip("=")) // 4 * 4
        return f"illegal base64 data at input byte {bad}"


def _b32dec(s: str) -> str:
    try:
        return base64.b32decode(s.encode()).decode(errors="replace")
    except (binascii.Error, ValueError) as exc:
        return f"illegal base32 data: {exc}"


def _hex(algo: str) -> Func:
    return Func(lambda s: hashlib.new(algo, s.encode()).hexdigest(), ("str",))


FUNCS: dict[str, Func] = {
    "toJson": Func(_to_json, ("any",)),
    "mustToJson": Func(go_json, ("any",)),
    "toRawJson": Func(lambda v: go_json(v, html=False), ("any",)),
    "toPrettyJson": Func(lambda v: go_json(v, indent="  "), ("any",)),
    "mustToPrettyJson": Func(lambda v: go_json(v, indent="  "), ("any",)),
    "fromJson": Func(_from_json, ("str",)),
    "mustFromJson": Func(_must_from_json, ("str",)),
    "b64enc": Func(lambda s: base64.b64encode(s.encode()).decode(), ("str",)),
    "b64dec": Func(_b64dec, ("str",)),
    "b32enc": Func(lambda s: base64.b32encode(s.encode()).decode(), ("str",)),
    "b32dec": Func(_b32dec, ("str",)),
    "sha1sum": _hex("sha1"),
    "sha256sum": _hex("sha256"),
    "sha512sum": _hex("sha512"),
    "adler32sum": Func(lambda s: str(zlib.adler32(s.encode())), ("str",)),
    "uuidv4": Func(lambda: str(uuid.uuid4()), ()),
    "toString": Func(strval, ("any",)),
}
