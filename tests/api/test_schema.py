"""Property-based run over the OpenAPI document: no server errors, responses as documented.

Schemathesis generates requests for every operation from the schema (a
bounded number each) and checks each response: never a 5xx, a documented
status code, content type, headers and body. Authenticated with an API
token of an auditor who may read and act, on a node with an order on it.
"""

from __future__ import annotations

from datetime import date

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.services import orders
from acsa.web.app import create_app

from .conftest import bearer, official, token_for
from .test_orders import order_terms

EXAMPLES_PER_OPERATION = 8
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]


def test_every_operation_answers_as_its_schema_says(pair):
    pair.set_day(date(2026, 2, 3))
    node = pair.phl
    as_official(node, Role.ORDERING_OFFICIAL, orders.submit_order,
                {**order_terms(), "requester": "PHL"})
    headers = bearer(token_for(node, official(node, Role.ORDERING_OFFICIAL),
                               ("read", "act", "admin")))
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(node))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:

        @given(case=operation.as_strategy())
        # derandomize: the same examples on every run, so CI is reproducible.
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  derandomize=True,
                  suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        run()
