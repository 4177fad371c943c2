"""Shared vocabulary (L0, pure): resource keys, annotation and label names, tracking ids.

Owns names and value types every other room speaks. Must not import any other room, and
does no IO. Modules are imported directly (``from kaiun.model import tracking``).
"""

__all__: list[str] = []
