"""PLACEHOLDER until the lcdefaults branch lands."""

from typing import Any


def apply_defaults(obj: Any) -> None:
    if obj.get("kind") == "Namespace":
        obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])


def initial_status(obj: Any) -> None:
    if obj.get("kind") == "Namespace":
        obj["status"] = {"phase": "Active"}
