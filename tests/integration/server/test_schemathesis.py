"""Property-based API fuzzing from /swagger.json: no 5xx, responses match their schemas.

Bounded (few examples per operation) so CI stays fast. Excluded: the SSE stream (never ends)
and operations that probe arbitrary network addresses (repository/cluster connection checks
against generated URLs would wait for timeouts, testing nothing about the server).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.integration.server.conftest import ApiServer

EXCLUDED = (
    r"^/api/v1/stream/"
    r"|^/api/v1/repositories"
    r"|^/api/v1/repocreds"
    r"|^/api/v1/clusters"
)


@pytest.fixture(scope="module")
def api_schema(api_server: ApiServer) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_url(f"{api_server.url}/swagger.json")
    schema.config.update(base_url=api_server.url)
    return schema


schema = schemathesis.pytest.from_fixture("api_schema").exclude(path_regex=EXCLUDED)


@schema.parametrize()
@settings(max_examples=4, suppress_health_check=list(HealthCheck), deadline=None)
def test_api_never_fails_and_matches_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(
        headers={"Authorization": "Bearer admin-token"},
        checks=[not_a_server_error, response_schema_conformance],
        timeout=30,
    )
