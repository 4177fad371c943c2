"""Fixtures for the simulated-workload tests."""

from __future__ import annotations

import pytest

from tests.integration.localcluster.workloads.workload_kit import Kns
from tests.support import Kubectl


@pytest.fixture
def k(kubectl: Kubectl, namespace: str) -> Kns:
    """Real kubectl in a fresh namespace."""
    return Kns(kubectl, namespace)
