"""Kubernetes name and key syntax checks (``k8s.io/apimachinery/pkg/util/validation``).

Each ``is_*`` function returns the list of problems in Kubernetes' own words (empty when
the value is fine), ready to be the detail of a ``FieldValueInvalid`` cause.
"""

from __future__ import annotations

import re

_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL_FMT = _LABEL
DNS1123_SUBDOMAIN_FMT = rf"{_LABEL}(\.{_LABEL})*"
DNS1035_LABEL_FMT = "[a-z]([-a-z0-9]*[a-z0-9])?"
QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
LABEL_VALUE_FMT = f"({QUALIFIED_NAME_FMT})?"
CONFIG_KEY_FMT = "[-._a-zA-Z0-9]+"

_DNS1123_LABEL = re.compile(f"^{DNS1123_LABEL_FMT}$")
_DNS1123_SUBDOMAIN = re.compile(f"^{DNS1123_SUBDOMAIN_FMT}$")
_DNS1035_LABEL = re.compile(f"^{DNS1035_LABEL_FMT}$")
_QUALIFIED_NAME = re.compile(f"^{QUALIFIED_NAME_FMT}$")
_LABEL_VALUE = re.compile(f"^{LABEL_VALUE_FMT}$")
_CONFIG_KEY = re.compile(f"^{CONFIG_KEY_FMT}$")
_PLAIN_KEY = re.compile("^[-_a-zA-Z0-9][-._a-zA-Z0-9]*$")
_IANA_ALNUM = re.compile("^[-a-z0-9]+$")
_IANA_LETTER = re.compile("[a-z]")

_QUALIFIED_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """``validation.RegexError``: the message, examples, and the regex used."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def max_len_error(length: int) -> str:
    """``validation.MaxLenError``."""
    return f"must be no more than {length} characters"


def is_dns1123_label(value: str) -> list[str]:
    """A lowercase RFC 1123 label (Namespace names, container and port names...)."""
    errs = [max_len_error(63)] if len(value) > 63 else []
    if not _DNS1123_LABEL.match(value):
        msg = (
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
            "or '-', and must start and end with an alphanumeric character"
        )
        errs.append(regex_error(msg, DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    """A lowercase RFC 1123 subdomain (most object names)."""
    errs = [max_len_error(253)] if len(value) > 253 else []
    if not _DNS1123_SUBDOMAIN.match(value):
        msg = (
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric character"
        )
        errs.append(regex_error(msg, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    """A DNS-1035 label (Service names, CRD plural/singular names)."""
    errs = [max_len_error(63)] if len(value) > 63 else []
    if not _DNS1035_LABEL.match(value):
        msg = (
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
            "start with an alphabetic character, and end with an alphanumeric character"
        )
        errs.append(regex_error(msg, DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


def is_path_segment_name(value: str) -> list[str]:
    """Names that only need to be a URL path segment (RBAC objects)."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]


def is_qualified_name(value: str) -> list[str]:
    """``[prefix/]name`` as in label and annotation keys."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) > 2:
        example = regex_error(_QUALIFIED_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        return [
            f"a qualified name {example} with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ]
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in is_dns1123_subdomain(prefix))
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + max_len_error(63))
    if not _QUALIFIED_NAME.match(name):
        example = regex_error(_QUALIFIED_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        errs.append("name part " + example)
    return errs


def is_label_value(value: str) -> list[str]:
    """A label value: empty, or at most 63 qualified-name characters."""
    errs = [max_len_error(63)] if len(value) > 63 else []
    if not _LABEL_VALUE.match(value):
        msg = (
            "a valid label must be an empty string or consist of alphanumeric characters, "
            "'-', '_' or '.', and must start and end with an alphanumeric character"
        )
        errs.append(regex_error(msg, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def is_plain_config_key(value: str) -> bool:
    """A fast check that ``value`` is a valid data key not starting with a dot."""
    return len(value) <= 253 and _PLAIN_KEY.match(value) is not None


def is_config_map_key(value: str) -> list[str]:
    """Keys of ConfigMap/Secret data."""
    errs = [max_len_error(253)] if len(value) > 253 else []
    if not _CONFIG_KEY.match(value):
        msg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
        errs.append(regex_error(msg, CONFIG_KEY_FMT, "key.name", "KEY_NAME", "key-name"))
    if value == ".":
        errs.append("must not be '.'")
    elif value == "..":
        errs.append("must not be '..'")
    elif value.startswith(".."):
        errs.append("must not start with '..'")
    return errs


def is_port_name(value: str) -> list[str]:
    """An IANA_SVC_NAME (container and service port names)."""
    errs: list[str] = []
    if len(value) > 15:
        errs.append(max_len_error(15))
    if not _IANA_ALNUM.match(value):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if "--" in value:
        errs.append("must not contain consecutive hyphens")
    if not _IANA_LETTER.search(value):
        errs.append("must contain at least one letter (a-z)")
    if value.startswith("-") or value.endswith("-"):
        errs.append("must not begin or end with a hyphen")
    return errs


_ENV_MSG = "a valid environment variable name must consist only of printable ASCII characters"
_ENV_MSG += " other than '='"


def is_env_var_name(value: str) -> list[str]:
    """Environment variable names (RelaxedEnvironmentVariableValidation is on in 1.32)."""
    if value and all(" " <= c <= "~" and c != "=" for c in value):
        return []
    return [_ENV_MSG]


def is_valid_port(port: object) -> list[str]:
    """A TCP/UDP port number."""
    if isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535:
        return []
    return ["must be between 1 and 65535, inclusive"]
