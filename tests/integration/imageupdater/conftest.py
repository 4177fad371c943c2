"""Real registries on loopback for the image updater's integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.registry_kit import Registry

USERS = {"alice": "s3cret-pw"}


@pytest.fixture(scope="session")
def basic_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """docker-registry behind htpasswd basic auth."""
    registry = Registry(tmp_path_factory.mktemp("reg-basic"), auth="htpasswd", users=USERS)
    registry.start()
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """docker-registry behind a bearer-token realm served by the test."""
    registry = Registry(tmp_path_factory.mktemp("reg-token"), auth="token", users=USERS)
    registry.start()
    try:
        yield registry
    finally:
        registry.stop()
