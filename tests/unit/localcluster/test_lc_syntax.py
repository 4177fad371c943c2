"""Name, key, quantity, cron schedule and schema-format syntax in Kubernetes' own words."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaiun.localcluster import names
from kaiun.localcluster.crdformats import format_ok
from kaiun.localcluster.cronschedule import schedule_error
from kaiun.localcluster.gobase64 import corrupt_offset
from kaiun.localcluster.quantity import canonical_quantity, parse_quantity


@pytest.mark.parametrize(
    ("value", "subdomain", "label", "dns1035"),
    [
        ("web", True, True, True),
        ("web-1", True, True, True),
        ("1web", True, True, False),
        ("web.example.com", True, False, False),
        ("Web", False, False, False),
        ("web-", False, False, False),
        ("-web", False, False, False),
        ("web_app", False, False, False),
        ("a" * 63, True, True, True),
        ("a" * 64, True, False, False),
        ("a" * 253, True, False, False),
        ("a" * 254, False, False, False),
        ("", False, False, False),
    ],
)
def test_dns_names(value: str, subdomain: bool, label: bool, dns1035: bool) -> None:
    assert (not names.is_dns1123_subdomain(value)) is subdomain
    assert (not names.is_dns1123_label(value)) is label
    assert (not names.is_dns1035_label(value)) is dns1035


def test_too_long_label_reports_length_and_nothing_else() -> None:
    assert names.is_dns1123_label("a" * 64) == ["must be no more than 63 characters"]


@pytest.mark.parametrize(
    ("key", "errors"),
    [
        ("app", []),
        ("app.kubernetes.io/name", []),
        ("argocd.argoproj.io/sync-wave", []),
        ("A_b.c", []),
        ("/name", ["prefix part must be non-empty"]),
        (
            "example.com/",
            [
                "name part must be non-empty",
                "name part "
                + names.regex_error(
                    "must consist of alphanumeric characters, '-', '_' or '.', "
                    "and must start and end with an alphanumeric character",
                    names.QUALIFIED_NAME_FMT,
                    "MyName",
                    "my.name",
                    "123-abc",
                ),
            ],
        ),
        ("x" * 64, ["name part must be no more than 63 characters"]),
    ],
)
def test_qualified_names(key: str, errors: list[str]) -> None:
    assert names.is_qualified_name(key) == errors


def test_qualified_name_prefix_must_be_subdomain() -> None:
    [error] = names.is_qualified_name("Example.com/name")
    assert error.startswith("prefix part a lowercase RFC 1123 subdomain must consist")


@pytest.mark.parametrize(
    ("name", "errors"),
    [
        ("http", []),
        ("metrics-9090", []),
        ("a-very-long-name", ["must be no more than 15 characters"]),
        (
            "HTTP",
            [
                "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "must contain at least one letter (a-z)",
            ],
        ),
        ("a--b", ["must not contain consecutive hyphens"]),
        ("8080", ["must contain at least one letter (a-z)"]),
        ("-web", ["must not begin or end with a hyphen"]),
    ],
)
def test_port_names(name: str, errors: list[str]) -> None:
    assert names.is_port_name(name) == errors


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("..data", False),
        ("..", False),
        (".", False),
        (".env", True),
        ("a b", False),
        ("tls.crt", True),
    ],
)
def test_config_keys(name: str, ok: bool) -> None:
    assert (not names.is_config_map_key(name)) is ok


@pytest.mark.parametrize(
    ("name", "ok"),
    [("system:admin", True), ("a/b", False), ("50%", False), (".", False), ("..", False)],
)
def test_path_segment_names(name: str, ok: bool) -> None:
    assert (not names.is_path_segment_name(name)) is ok


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100m", Fraction(1, 10)),
        ("1", Fraction(1)),
        ("1.5", Fraction(3, 2)),
        ("128Mi", Fraction(128 * 2**20)),
        ("1Gi", Fraction(2**30)),
        ("2k", Fraction(2000)),
        ("1e3", Fraction(1000)),
        ("5E-1", Fraction(1, 2)),
        ("-1", Fraction(-1)),
        (2, Fraction(2)),
        (0.25, Fraction(1, 4)),
        ("1Kb", None),
        ("abc", None),
        ("", None),
        (True, None),
        (None, None),
    ],
)
def test_quantities(value: object, expected: Fraction | None) -> None:
    assert parse_quantity(value) == expected


@pytest.mark.parametrize(
    ("schedule", "error"),
    [
        ("*/5 * * * *", None),
        ("0 3 * * 1-5", None),
        ("0 0 1 jan,jul *", None),
        ("15 10 ? * SUN", None),
        ("@hourly", None),
        ("@every 1h30m", None),
        ("", "empty spec string"),
        ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
        ("60 * * * *", "end of range (60) above maximum (59): 60"),
        ("0 0 0 * *", "beginning of range (0) below minimum (1): 0"),
        ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
        ("*/0 * * * *", "step of range should be a positive number: */0"),
        ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
        ("*/2/3 * * * *", "too many slashes: */2/3"),
        ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
        ("0 0 * * 7", "end of range (7) above maximum (6): 7"),
        ("@fortnightly", "unrecognized descriptor: @fortnightly"),
        ("@every soon", 'failed to parse duration @every soon: time: invalid duration "soon"'),
    ],
)
def test_cron_schedules(schedule: str, error: str | None) -> None:
    assert schedule_error(schedule) == error


@pytest.mark.parametrize(
    ("fmt", "value", "ok"),
    [
        ("date-time", "2024-01-02T03:04:05Z", True),
        ("date-time", "2024-01-02", False),
        ("date", "2024-01-02", True),
        ("uuid", "123e4567-e89b-12d3-a456-426614174000", True),
        ("uuid", "nope", False),
        ("ipv4", "10.0.0.1", True),
        ("ipv4", "::1", False),
        ("ipv6", "::1", True),
        ("cidr", "10.0.0.0/8", True),
        ("cidr", "10.0.0.1", False),
        ("byte", "aGk=", True),
        ("byte", "not base64", False),
        ("hostname", "example.com", True),
        ("hostname", "-bad", False),
        ("email", "a@b.io", True),
        ("duration", "1h30m", True),
        ("mac", "00:11:22:33:44:55", True),
        ("int-or-whatever", "anything", True),
    ],
)
def test_string_formats(fmt: str, value: str, ok: bool) -> None:
    assert format_ok(fmt, value) is ok


@given(st.binary(max_size=40))
def test_go_base64_accepts_what_python_encodes(data: bytes) -> None:
    import base64

    assert corrupt_offset(base64.b64encode(data).decode()) is None


@pytest.mark.parametrize(
    ("value", "canonical", "rounded"),
    [
        ("0.5", "500m", "500m"),
        ("1.5", "1500m", "1500m"),
        ("1000m", "1", "1"),
        ("2000", "2k", "2k"),
        ("1500", "1500", "1500"),
        ("1024Mi", "1Gi", "1Gi"),
        ("1.5Gi", "1536Mi", "1536Mi"),
        ("0.5Ki", "512", "512"),
        ("1000Ki", "1000Ki", "1000Ki"),
        ("1e3", "1e3", "1e3"),
        ("1500e0", "1500", "1500"),
        ("1n", "1n", "1m"),
        ("0.0001", "100u", "1m"),
        ("-1.5", "-1500m", "-1500m"),
        ("0", "0", "0"),
        (2, "2", "2"),
        (0.25, "250m", "250m"),
        ("1Kb", None, None),
        (True, None, None),
    ],
)
def test_canonical_quantities(value: object, canonical: str | None, rounded: str | None) -> None:
    assert canonical_quantity(value) == canonical
    assert canonical_quantity(value, milli_round=True) == rounded
