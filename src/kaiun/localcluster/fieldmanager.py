"""PLACEHOLDER until the lcpatch branch lands."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any


@dataclass
class Conflict:
    manager: str
    field: str


class ApplyConflictError(Exception):
    conflicts: list[Conflict]


def record_update(old: Any, new: Any, **kw: Any) -> Any:
    return new


def apply(live: Any, config: Any, **kw: Any) -> Any:
    from kaiun.localcluster.patch import merge_patch

    return merge_patch(copy.deepcopy(live) if live else {}, config)
