"""Schemathesis against /openapi.json, in process: no server error, no answer off the schema."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.helpers import TOKEN


@pytest.fixture
def api_schema(make_app):
    app = make_app(RATELIMIT_ENABLED=False)  # hundreds of calls a second, from one token
    # The token through the spec's security scheme, so cases without it stay without it.
    config = schemathesis.config.SchemathesisConfig.from_dict(
        {"auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}}}
    )
    return schemathesis.openapi.from_wsgi("/openapi.json", app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema(case):
    # A schema cannot say "a decodable photo": any bytes are a valid `file` (or base64 element),
    # and the documented 4xx for the ones that are not photos is right, not a rejection.
    photos = case.operation.path == "/api/predict" or case.operation.path.endswith("/infer")
    excluded = [positive_data_acceptance] if photos else []
    case.call_and_validate(excluded_checks=excluded)
