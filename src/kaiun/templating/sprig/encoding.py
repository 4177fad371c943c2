"""Encodings: Go's ``encoding/json`` output, ApplicationSet's YAML, base64 and digests."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import uuid
import zlib
from collections.abc import Mapping
from typing import Any

import yaml

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


def _json_float(f: float) -> str:
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
        return _json_float(v)
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


class _GoYamlDumper(yaml.SafeDumper):
    """Close to go-yaml v2 as used by ``sigs.k8s.io/yaml``: block style, literal multi-lines."""


_YAML11_BOOLS = frozenset(["y", "Y", "n", "N"])


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data and not any(c in data for c in "\t\r") and data.strip(" ") == data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    # go-yaml double-quotes a string that would read back as another type ("yes", "123", "").
    resolved = dumper.resolve(yaml.ScalarNode, data, (True, False))  # type: ignore[no-untyped-call]
    if resolved != "tag:yaml.org,2002:str" or data in _YAML11_BOOLS:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_str(data)


def _represent_float(dumper: yaml.SafeDumper, data: float) -> yaml.Node:
    if data.is_integer() and abs(data) < 1e21:
        return dumper.represent_int(int(data))
    text = _json_float(data)
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_GoYamlDumper.add_representer(str, _represent_str)
_GoYamlDumper.add_representer(float, _represent_float)


def to_yaml(v: Any) -> str:
    """ApplicationSet's ``toYaml``: sorted keys, block style, no trailing newline."""
    plain = json.loads(go_json(v, html=False), parse_int=float)
    text = yaml.dump(
        plain,
        Dumper=_GoYamlDumper,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=1 << 30,
    )
    if text.endswith("...\n"):
        text = text[: -len("...\n")]
    return text.removesuffix("\n")


class _Yaml11Loader(yaml.SafeLoader):
    """YAML 1.1 as go-yaml v2 reads it: ``y``/``n`` are booleans too."""


_Yaml11Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN")
)


def _bool11(loader: yaml.SafeLoader, node: yaml.Node) -> bool:
    value = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    return value.lower() in ("y", "yes", "true", "on")


_Yaml11Loader.add_constructor("tag:yaml.org,2002:bool", _bool11)


def _from_yaml(s: str) -> Any:
    try:
        data = yaml.load(s, Loader=_Yaml11Loader)
    except yaml.YAMLError as exc:
        return {"Error": str(exc)}
    return (
        _floats(data)
        if isinstance(data, dict)
        else ({} if data is None else {"Error": "not a map"})
    )


def _from_yaml_array(s: str) -> Any:
    try:
        data = yaml.load(s, Loader=_Yaml11Loader)
    except yaml.YAMLError as exc:
        return [str(exc)]
    return _floats(data) if isinstance(data, list) else []


def _floats(v: Any) -> Any:
    # sigs.k8s.io/yaml goes through JSON: every number becomes a float64.
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, dict):
        return {str(k): _floats(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_floats(x) for x in v]
    return v


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
    "toYaml": Func(to_yaml, ("any",)),
    "fromYaml": Func(_from_yaml, ("str",)),
    "fromYamlArray": Func(_from_yaml_array, ("str",)),
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
