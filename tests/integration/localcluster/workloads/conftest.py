"""Fixtures for the simulated-workload tests."""

from __future__ import annotations

from typing import Any

import pytest
from workload_kit import Kns


@pytest.fixture
def k(kubectl: Any, namespace: str) -> Kns:
    """Real kubectl in a fresh namespace."""
    return Kns(kubectl, namespace)
