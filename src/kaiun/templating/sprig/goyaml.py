"""YAML as ApplicationSet and Helm produce and read it (``sigs.k8s.io/yaml`` over go-yaml v2).

``toYaml`` goes through JSON, so every number is a float64 and maps are re-sorted with
go-yaml's key order; strings that would read back as another type are double-quoted;
multi-line strings use literal block style; lines wrap at 80 columns like libyaml's.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

import yaml

from kaiun.templating import gofmt
from kaiun.templating.errors import FuncError
from kaiun.templating.gotemplate.funcs import Func
from kaiun.templating.sprig.encoding import go_json, json_float

_GO_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_YAML11_BOOLS = frozenset(["y", "Y", "n", "N"])
_STR = "tag:yaml.org,2002:str"


def _key_less(a: str, b: str) -> bool:
    """go-yaml v2's map key order: letters after other characters, digit runs by value."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        al, bl = ca.isalpha(), cb.isalpha()
        if al and bl:
            return ca < cb
        if al or bl:
            return bl
        an = bn = 0
        if ca == "0" or cb == "0":
            j = i - 1
            while j >= 0 and a[j].isdigit():
                if a[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(a) and a[ai].isdigit():
            an = an * 10 + int(a[ai])
            ai += 1
        bi = i
        while bi < len(b) and b[bi].isdigit():
            bn = bn * 10 + int(b[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ca < cb
    return len(a) < len(b)


def _key_cmp(a: str, b: str) -> int:
    return -1 if _key_less(a, b) else (1 if _key_less(b, a) else 0)


_KEY = functools.cmp_to_key(_key_cmp)


def _ordered(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _ordered(v[k]) for k in sorted(v, key=_KEY)}
    if isinstance(v, list):
        return [_ordered(x) for x in v]
    return v


class _Emitter(yaml.emitter.Emitter):
    def check_simple_key(self) -> bool:
        # go-yaml writes an empty key as `"": value`; libyaml would switch to `? ""`.
        event = self.event
        if isinstance(event, yaml.ScalarEvent) and event.value == "" and event.style == '"':
            return True
        return bool(super().check_simple_key())


class _Dumper(
    _Emitter,
    yaml.serializer.Serializer,
    yaml.representer.SafeRepresenter,
    yaml.resolver.Resolver,
):
    def __init__(self, stream: Any, **kwargs: Any) -> None:
        _Emitter.__init__(
            self, stream, canonical=None, indent=None, width=kwargs.get("width"),
            allow_unicode=kwargs.get("allow_unicode"), line_break=None,
        )  # fmt: skip
        yaml.serializer.Serializer.__init__(self)
        yaml.representer.SafeRepresenter.__init__(
            self, default_style=None, default_flow_style=False, sort_keys=False
        )
        yaml.resolver.Resolver.__init__(self)

    # go-yaml's view of plain scalars: "=" is a string, Go floats such as 1e+21 are floats.
    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in rules if tag != "tag:yaml.org,2002:value"]
        for first, rules in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    }


def _represent_str(dumper: _Dumper, data: str) -> yaml.Node:
    if "\n" in data and not any(c in data for c in "\t\r") and data.strip(" ") == data:
        return dumper.represent_scalar(_STR, data, style="|")
    resolved = dumper.resolve(yaml.ScalarNode, data, (True, False))  # type: ignore[no-untyped-call]
    if resolved != _STR or data in _YAML11_BOOLS:
        return dumper.represent_scalar(_STR, data, style='"')
    return dumper.represent_str(data)


def _represent_float(dumper: _Dumper, data: float) -> yaml.Node:
    if data.is_integer() and abs(data) < 1e21:
        return dumper.represent_int(int(data))
    return dumper.represent_scalar("tag:yaml.org,2002:float", json_float(data))


_Dumper.add_implicit_resolver("tag:yaml.org,2002:float", _GO_FLOAT, list("-+0123456789."))
_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(float, _represent_float)


def to_yaml(v: Any) -> str:
    """ApplicationSet's (and Helm's) ``toYaml``, without the trailing newline."""
    plain = _ordered(json.loads(go_json(v, html=False), parse_int=float))
    text = yaml.dump(plain, Dumper=_Dumper, allow_unicode=True, width=80)
    if text.endswith("...\n"):
        text = text[: -len("...\n")]
    return text.removesuffix("\n")


class _GoLoader(yaml.SafeLoader):
    """Plain scalars resolved as go-yaml v2 does: YAML 1.1 booleans (``y``, ``on``...), Go
    integer syntax (``0x1F``, ``0o17``, ``0755``, ``1_000``), Go floats and ``.inf``/``.nan``;
    timestamps and ``12:30`` stay strings."""

    yaml_implicit_resolvers: dict[Any, Any] = {}

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        # Keys become JSON strings at once: in Python, the keys 1 and true would collide.
        self.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            out[_json_key(key)] = self.construct_object(value_node, deep=deep)
        return out


_BOOL_WORDS = "y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
_GoLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_GoLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(f"^(?:{_BOOL_WORDS})$"), list("yYnNtTfFoO")
)
_GoLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)$"),
    list("-+0123456789"),
)
_GoLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


def _go_int(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    body = text.lstrip("+-")
    sign = -1 if text.startswith("-") else 1
    try:
        if len(body) > 1 and body[0] == "0" and body[1].isdigit():
            return sign * int(body, 8)
        return sign * int(body, 0)
    except ValueError:  # "09": not an integer to Go either, so a string
        return text


def _go_float(loader: yaml.SafeLoader, node: yaml.Node) -> float:
    text = str(loader.construct_scalar(node)).lower()  # type: ignore[arg-type]
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


def _go_bool(loader: yaml.SafeLoader, node: yaml.Node) -> bool:
    value = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    return value.lower() in ("y", "yes", "true", "on")


_GoLoader.add_constructor("tag:yaml.org,2002:int", _go_int)
_GoLoader.add_constructor("tag:yaml.org,2002:float", _go_float)
_GoLoader.add_constructor("tag:yaml.org,2002:bool", _go_bool)


def _json_key(k: Any) -> str:
    if isinstance(k, bool):
        return "true" if k else "false"
    if k is None:
        return "null"
    if isinstance(k, float):
        return gofmt.format_float(k)
    return str(k)


def _to_json_value(v: Any) -> Any:
    """What sigs.k8s.io/yaml's YAML-to-JSON step makes of a decoded value."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return float(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise FuncError(
                f"error converting YAML to JSON: json: unsupported value: {gofmt.format_float(v)}"
            )
        return v
    if isinstance(v, dict):
        return {_json_key(k): _to_json_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_to_json_value(x) for x in v]
    return str(v)


def _decode(s: str) -> Any:
    try:
        data = yaml.load(s, Loader=_GoLoader)
    except yaml.YAMLError as exc:
        raise FuncError(f"error converting YAML to JSON: yaml: {exc}") from None
    return _to_json_value(data)


def _json_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "object" if isinstance(v, dict) else "array"


def _mismatch(v: Any, target: str) -> FuncError:
    return FuncError(
        "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal "
        f"{_json_kind(v)} into Go value of type {target}"
    )


def from_yaml(s: str) -> dict[str, Any]:
    """ApplicationSet's ``fromYaml``: a map; anything else is an error."""
    data = _decode(s)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise _mismatch(data, "map[string]interface {}")
    return data


def from_yaml_array(s: str) -> list[Any]:
    """ApplicationSet's ``fromYamlArray``: a list; anything else is an error."""
    data = _decode(s)
    if data is None:
        return []
    if not isinstance(data, list):
        raise _mismatch(data, "[]interface {}")
    return data


FUNCS: dict[str, Func] = {
    "toYaml": Func(to_yaml, ("any",)),
    "fromYaml": Func(from_yaml, ("str",)),
    "fromYamlArray": Func(from_yaml_array, ("str",)),
}
