"""PLACEHOLDER until the lcdefaults branch lands."""

from typing import Any


def validate(obj: Any) -> list[Any]:
    return []


def validate_update(old: Any, new: Any) -> list[Any]:
    return []


def validate_metadata(obj: Any, namespaced: bool) -> list[Any]:
    return []


def status_message(kind: str, group: str, name: str, causes: Any) -> str:
    return f'{kind} "{name}" is invalid'
