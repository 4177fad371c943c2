"""The kube room's public surface is what its ``__all__`` claims, and errors map statuses."""

from __future__ import annotations

import importlib

import pytest

from kaiun.kube import errors


@pytest.mark.parametrize("module", ["kaiun.kube", "kaiun.kube.cache", "kaiun.model"])
def test_all_names_exist(module: str) -> None:
    mod = importlib.import_module(module)
    assert mod.__doc__ and "must not import" in mod.__doc__.lower()
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


@pytest.mark.parametrize(
    ("code", "reason", "cls"),
    [
        (400, "BadRequest", errors.BadRequest),
        (401, "Unauthorized", errors.Unauthorized),
        (403, "Forbidden", errors.Forbidden),
        (404, "NotFound", errors.NotFound),
        (405, "MethodNotAllowed", errors.MethodNotAllowed),
        (409, "Conflict", errors.Conflict),
        (409, "AlreadyExists", errors.AlreadyExists),
        (410, "Expired", errors.Gone),
        (415, "UnsupportedMediaType", errors.UnsupportedMediaType),
        (422, "Invalid", errors.Invalid),
        (429, "TooManyRequests", errors.TooManyRequests),
        (500, "InternalError", errors.ServerError),
        (503, "ServiceUnavailable", errors.ServerError),
        (418, "Teapot", errors.APIError),
    ],
)
def test_status_codes_map_to_classes(code: int, reason: str, cls: type[errors.APIError]) -> None:
    err = errors.api_error(code, {"reason": reason, "message": "the message"}, where="GET /x")
    assert type(err) is cls
    assert err.code == code and err.reason == reason and err.api_message == "the message"
    if cls is not errors.Unauthorized:
        assert str(err) == "GET /x: the message"
    else:
        assert "check the token" in str(err)


def test_unreachable_message_is_actionable() -> None:
    err = errors.Unreachable("https://k:6443", "connection refused")
    assert str(err).startswith(
        "cannot reach the Kubernetes API at https://k:6443: connection refused"
    )
    assert "check the server address" in str(err)
