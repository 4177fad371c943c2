"""Property-based API fuzzing from /swagger.json: no 5xx, responses match their schemas.

Runs against the real server (``kaiun.auth`` accounts, sessions and RBAC) as admin, so the
session, account and project-role-token endpoints are fuzzed too. Bounded (few examples per
operation) so CI stays fast. Excluded: the SSE stream (never ends) and operations that probe
arbitrary network addresses (repository/cluster connection checks against generated URLs
would wait for timeouts, testing nothing about the server). Logging out and changing a
password would end or endanger the admin session the whole run shares, so those two are
fuzzed on their own, each case with a fresh admin session token.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from kaiun.localcluster import LocalCluster
from tests.integration.server.authserver import AuthServer, auth_server

EXCLUDED = (
    r"^/api/v1/stream/"
    r"|^/api/v1/repositories"
    r"|^/api/v1/repocreds"
    r"|^/api/v1/clusters"
)
SESSION_ENDING = ("DELETE /api/v1/session", "PUT /api/v1/account/password")
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(scope="module")
def real_server(local_cluster: LocalCluster) -> Iterator[AuthServer]:
    with auth_server(local_cluster) as srv:
        yield srv


@pytest.fixture(scope="module")
def api_schema(real_server: AuthServer) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{real_server.url}/swagger.json")
    schema.config.update(base_url=real_server.url)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=EXCLUDED)
shared_session = schema.exclude(name=list(SESSION_ENDING))
own_session = schema.include(name=list(SESSION_ENDING))


@shared_session.parametrize()
@settings(max_examples=4, suppress_health_check=list(HealthCheck), deadline=None)
def test_api_never_fails_and_matches_its_schema(
    case: schemathesis.Case, real_server: AuthServer
) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {real_server.tokens['admin']}"},
        checks=CHECKS,
        timeout=30,
    )


@own_session.parametrize()
@settings(max_examples=4, suppress_health_check=list(HealthCheck), deadline=None)
def test_session_ending_operations_with_their_own_session(
    case: schemathesis.Case, real_server: AuthServer
) -> None:
    token = real_server.token("admin", real_server.tokens["admin-password"])
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=30)
