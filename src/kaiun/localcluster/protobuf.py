"""Decode request bodies kubectl sends in Kubernetes' protobuf encoding into JSON-shaped dicts.

kubectl's typed commands (``create namespace``, ``create deployment``, ``create job``,
``autoscale``, ``create token``, ``auth can-i`` ...) POST ``application/vnd.kubernetes.protobuf``
and never fall back to JSON, so the local cluster must read that encoding. The envelope is the
magic ``k8s\\x00`` followed by a ``runtime.Unknown`` message whose ``raw`` bytes hold the
object; the object's message layout comes from :mod:`kaiun.localcluster.protobuf_types`
(generated from the ``generated.proto`` descriptors kubectl is built with). The result is the
dict the JSON API would have received for the same command: JSON field names, unset and empty
non-pointer fields omitted, ``Time`` as RFC 3339, ``IntOrString`` as int or str, ``Quantity``
as its string and ``bytes`` as base64.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson

from kaiun.localcluster import protobuf_types as tables
from kaiun.localcluster.errors import BadRequest, UnsupportedMediaType

__all__ = [
    "MAGIC",
    "ProtobufError",
    "UnknownType",
    "decode_object",
    "fields",
    "json_body",
]

MAGIC = b"k8s\x00"

# Wire types of the protobuf encoding.
VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5

_SCALARS = {"bool", "int32", "int64", "uint32", "uint64", "sint32", "sint64"}
_SCALARS |= {"double", "float", "fixed32", "fixed64", "sfixed32", "sfixed64"}


class ProtobufError(ValueError):
    """The body is not a well-formed Kubernetes protobuf message."""


class UnknownType(ProtobufError):
    """The body is well formed but names a kind this server has no message table for."""


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    if pos < len(buf) and buf[pos] < 0x80:
        return buf[pos], pos + 1  # most keys and lengths fit one byte
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ProtobufError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError("varint longer than 10 bytes")


def fields(buf: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """Yield ``(field number, wire type, value)`` for each field of one encoded message.

    Varints and fixed-width values come back as unsigned ints, length-delimited ones as bytes.
    """
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ProtobufError("field number 0")
        value: int | bytes
        if wire == VARINT:
            value, pos = _varint(buf, pos)
        elif wire == FIXED64:
            if pos + 8 > end:
                raise ProtobufError("truncated fixed64")
            value, pos = int.from_bytes(buf[pos : pos + 8], "little"), pos + 8
        elif wire == FIXED32:
            if pos + 4 > end:
                raise ProtobufError("truncated fixed32")
            value, pos = int.from_bytes(buf[pos : pos + 4], "little"), pos + 4
        elif wire == LENGTH:
            size, pos = _varint(buf, pos)
            if pos + size > end:
                raise ProtobufError("length-delimited field runs past the end of the message")
            value, pos = buf[pos : pos + size], pos + size
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        yield number, wire, value


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value >= 1 << (bits - 1) else value


_FIXED64_KINDS = {"double", "fixed64", "sfixed64"}
_FIXED32_KINDS = {"float", "fixed32", "sfixed32"}


def _scalar(kind: str, wire: int, value: int | bytes) -> Any:
    if kind in ("string", "bytes"):
        if not isinstance(value, bytes):
            raise ProtobufError(f"a {kind} field arrived with wire type {wire}")
        if kind == "bytes":
            return base64.b64encode(value).decode("ascii")
        return value.decode("utf-8", errors="replace")  # as Go's JSON encoder would
    expected = FIXED64 if kind in _FIXED64_KINDS else FIXED32 if kind in _FIXED32_KINDS else VARINT
    if wire != expected or isinstance(value, bytes):
        raise ProtobufError(f"a {kind} field arrived with wire type {wire}")
    if kind == "bool":
        return value != 0
    if kind in ("int32", "int64", "sfixed64"):
        return _signed(value, 64)
    if kind == "sfixed32":
        return _signed(value, 32)
    if kind in ("sint32", "sint64"):
        return (value >> 1) ^ -(value & 1)
    if kind == "double":
        return struct.unpack("<d", value.to_bytes(8, "little"))[0]
    if kind == "float":
        return struct.unpack("<f", value.to_bytes(4, "little"))[0]
    return value  # uint32, uint64, fixed32, fixed64


def _zero(value: Any) -> bool:
    return value is None or value == "" or value == 0  # False == 0 too


def _time(buf: bytes, micro: bool) -> str | None:
    if not buf:
        return None  # a zero time marshals to an empty message and to JSON null
    seconds = nanos = 0
    for number, _wire, value in fields(buf):
        if number == 1 and isinstance(value, int):
            seconds = _signed(value, 64)
        elif number == 2 and isinstance(value, int):
            nanos = _signed(value, 64)
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ProtobufError(f"timestamp {seconds} is out of range") from exc
    if micro:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{max(nanos, 0) // 1000:06d}Z"
    # Go's metav1.Time keeps whole seconds only.
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _int_or_string(buf: bytes) -> int | str:
    kind, int_val, str_val = 0, 0, ""
    for number, _wire, value in fields(buf):
        if number == 1 and isinstance(value, int):
            kind = value
        elif number == 2 and isinstance(value, int):
            int_val = _signed(value, 64)
        elif number == 3 and isinstance(value, bytes):
            str_val = value.decode("utf-8", errors="replace")
    return str_val if kind == 1 else int_val


def _duration(buf: bytes) -> str:
    nanos = 0
    for number, _wire, value in fields(buf):
        if number == 1 and isinstance(value, int):
            nanos = _signed(value, 64)
    return _go_duration(nanos)


def _go_duration(nanos: int) -> str:
    """Go's ``time.Duration.String`` (``1h2m3.5s``), which is how metav1.Duration marshals."""
    if nanos == 0:
        return "0s"
    sign, nanos = ("-", -nanos) if nanos < 0 else ("", nanos)
    if nanos < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if nanos >= size:
                return sign + _trim(f"{nanos / size:.9f}") + unit
    hours, rest = divmod(nanos, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    seconds = _trim(f"{rest / 1_000_000_000:.9f}") + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


def _trim(number: str) -> str:
    return number.rstrip("0").rstrip(".") if "." in number else number


def _raw_json(buf: bytes) -> Any:
    """RawExtension / FieldsV1 / JSON: the embedded bytes are themselves a JSON document."""
    raw = b""
    for number, _wire, value in fields(buf):
        if number == 1 and isinstance(value, bytes):
            raw = value
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ProtobufError(f"embedded JSON does not parse: {exc}") from exc


def _special(name: str, buf: bytes) -> Any:
    if name == "meta.v1.Time":
        return _time(buf, micro=False)
    if name == "meta.v1.MicroTime":
        return _time(buf, micro=True)
    if name == "meta.v1.Duration":
        return _duration(buf)
    if name == "intstr.IntOrString":
        return _int_or_string(buf)
    if name.endswith(".ExtraValue"):
        items = [(wire, value) for number, wire, value in fields(buf) if number == 1]
        return [_scalar("string", wire, value) for wire, value in items]
    if name == "resource.Quantity":
        for number, _wire, value in fields(buf):
            if number == 1 and isinstance(value, bytes):
                return value.decode("ascii", errors="replace")
        return "0"
    return _raw_json(buf)


def _value(kind: str, wire: int, value: int | bytes) -> Any:
    if kind.startswith("."):
        name = kind[1:]
        if not isinstance(value, bytes):
            raise ProtobufError(f"message field of type {name} was not length-delimited")
        if name in tables.SPECIAL:
            return _special(name, value)
        return decode_message(name, value)
    return _scalar(kind, wire, value)


def _packed(kind: str, buf: bytes) -> list[Any]:
    out: list[Any] = []
    width = 8 if kind in _FIXED64_KINDS else 4 if kind in _FIXED32_KINDS else 0
    pos = 0
    while pos < len(buf):
        if width:
            if pos + width > len(buf):
                raise ProtobufError(f"packed {kind} values run past the end of the field")
            raw = int.from_bytes(buf[pos : pos + width], "little")
            out.append(_scalar(kind, FIXED64 if width == 8 else FIXED32, raw))
            pos += width
        else:
            raw, pos = _varint(buf, pos)
            out.append(_scalar(kind, VARINT, raw))
    return out


def _map_entry(key_kind: str, value_kind: str, buf: bytes) -> tuple[Any, Any]:
    key: Any = None
    val: Any = None
    for number, wire, raw in fields(buf):
        if number == 1:
            key = _scalar(key_kind, wire, raw)
        elif number == 2:
            val = _value(value_kind, wire, raw)
    # An absent key or value is its type's zero, as with any proto2 field.
    if key is None:
        key = _scalar(key_kind, LENGTH, b"") if key_kind == "string" else 0
    if val is None:
        blank = value_kind.startswith(".") or value_kind in ("string", "bytes")
        val = _value(value_kind, LENGTH, b"") if blank else _default_scalar(value_kind)
    return key, val


def _default_scalar(kind: str) -> Any:
    if kind in _FIXED64_KINDS:
        return _scalar(kind, FIXED64, 0)
    if kind in _FIXED32_KINDS:
        return _scalar(kind, FIXED32, 0)
    return _scalar(kind, VARINT, 0)


def decode_message(name: str, buf: bytes) -> dict[str, Any]:
    """The JSON-shaped dict of message ``name`` (a key of the tables) encoded in ``buf``."""
    layout = tables.message(name)
    if layout is None:
        raise UnknownType(f"no protobuf message table for {name}")
    out: dict[str, Any] = {}
    for number, wire, raw in fields(buf):
        spec = layout.get(number)
        if spec is None:
            continue  # a field newer than our tables; JSON decoding drops unknown fields too
        json_name, kind, flags = spec
        if "m" in flags:
            key_kind, _, value_kind = kind.partition(",")
            if not isinstance(raw, bytes):
                raise ProtobufError(f"map field {json_name} was not length-delimited")
            key, val = _map_entry(key_kind, value_kind, raw)
            out.setdefault(json_name, {})[key] = val
        elif "r" in flags:
            items = out.setdefault(json_name, [])
            if wire == LENGTH and kind in _SCALARS and isinstance(raw, bytes):
                items.extend(_packed(kind, raw))
            else:
                items.append(_value(kind, wire, raw))
        elif "i" in flags:
            # Go embeds this struct inline: its fields sit beside the parent's in JSON.
            out.update(_value(kind, wire, raw))
        else:
            out[json_name] = _value(kind, wire, raw)
    return _drop_zeros(name, out)


@cache
def _omissions(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Scalars whose zero JSON omits, and slices JSON shows as null when absent."""
    layout = tables.message(name) or {}
    droppable = tuple(
        json_name
        for json_name, kind, flags in layout.values()
        if not (set(flags) & set("krm")) and not kind.startswith(".")
    )
    nulls = tuple(j for j, _kind, flags in layout.values() if "r" in flags and "k" in flags)
    return droppable, nulls


def _drop_zeros(name: str, out: dict[str, Any]) -> dict[str, Any]:
    # Non-pointer scalars are always on the wire; JSON's omitempty leaves their zero out.
    droppable, nulls = _omissions(name)
    for json_name in droppable:
        if json_name in out and _zero(out[json_name]):
            del out[json_name]
    for json_name in nulls:
        out.setdefault(json_name, None)  # nil slice, no omitempty: JSON says null
    return out


def _unknown(body: bytes) -> tuple[str, str, bytes]:
    api_version = kind = ""
    raw = b""
    encoding = ""
    for number, _wire, value in fields(body):
        if not isinstance(value, bytes):
            continue
        if number == 1:
            for sub, _w, text in fields(value):
                if sub == 1 and isinstance(text, bytes):
                    api_version = text.decode("utf-8", errors="replace")
                elif sub == 2 and isinstance(text, bytes):
                    kind = text.decode("utf-8", errors="replace")
        elif number == 2:
            raw = value
        elif number == 3:
            encoding = value.decode("utf-8", errors="replace")
    if encoding:
        raise UnknownType(f"protobuf body with content encoding {encoding!r} is not supported")
    return api_version, kind, raw


def decode_object(body: bytes) -> dict[str, Any]:
    """The object in a ``k8s\\x00``-prefixed protobuf body, as the JSON API would receive it.

    Raises :class:`UnknownType` for a kind without a table and :class:`ProtobufError` for
    malformed bytes.
    """
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the Kubernetes protobuf magic k8s\\0")
    api_version, kind, raw = _unknown(body[len(MAGIC) :])
    name = tables.kind_message(api_version, kind)
    if name is None:
        raise UnknownType(f"no protobuf message table for {api_version or 'v1'} {kind or '?'}")
    obj = decode_message(name, raw)
    return {"kind": kind, "apiVersion": api_version, **obj}


def json_body(body: bytes) -> bytes:
    """A protobuf request body re-encoded as the JSON body the same client would have sent.

    An unknown kind answers 415 (as before protobuf was understood), malformed bytes 400.
    """
    if not body:
        return body  # e.g. a DELETE without options
    try:
        obj = decode_object(body)
    except UnknownType as exc:
        raise UnsupportedMediaType(
            f"{exc}; send application/json instead", reason="UnsupportedMediaType"
        ) from exc
    except ProtobufError as exc:
        raise BadRequest(f"the body of the request could not be decoded: {exc}") from exc
    return orjson.dumps(obj)
