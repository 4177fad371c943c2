"""The diff room (L1, pure): does the cluster match Git, and what differs?

Owns normalization (``normalize/``: known types, server fields, ignoreDifferences with JSON
pointers, jq path expressions and managed-fields managers), the three-way merge that
predicts live-after-apply, the server-side strategy over a dry-run result given as data,
compare options, JSON patches, unified diffs and Secret redaction. Imports only
``kaiun.model`` and libraries; does no IO.
"""

from kaiun.diff.compare import (
    DEFAULT_NORMALIZER,
    diff,
    last_applied_of,
    respect_ignore_differences,
    server_side_diff,
)
from kaiun.diff.errors import DiffError, DiffInputError, IgnoreRuleError
from kaiun.diff.merge import predict_live
from kaiun.diff.normalize import IgnoreRule, Normalizer
from kaiun.diff.normalize.ignore import remove_ignored
from kaiun.diff.normalize.quantity import canonical_quantity
from kaiun.diff.options import COMPARE_OPTIONS, CompareOptions
from kaiun.diff.patch import json_patch
from kaiun.diff.redact import redact_secrets
from kaiun.diff.result import DiffResult
from kaiun.diff.text import to_yaml, unified_diff

__all__ = [
    "COMPARE_OPTIONS",
    "DEFAULT_NORMALIZER",
    "CompareOptions",
    "DiffError",
    "DiffInputError",
    "DiffResult",
    "IgnoreRule",
    "IgnoreRuleError",
    "Normalizer",
    "canonical_quantity",
    "diff",
    "json_patch",
    "last_applied_of",
    "predict_live",
    "redact_secrets",
    "remove_ignored",
    "respect_ignore_differences",
    "server_side_diff",
    "to_yaml",
    "unified_diff",
]
