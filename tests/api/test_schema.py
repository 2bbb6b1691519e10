"""Schemathesis over every operation of the API, authenticated, in every phase it has.

The run is Schemathesis' own engine (what ``st run`` runs), in process over
the ASGI app: its coverage phase (boundary and missing values, wrong types,
unexpected methods), fuzzing (positive and negative data) and the stateful
phase (sequences of calls following the links it infers between operations),
every check on — no server error; status codes, content types, headers and
bodies as documented; schema-valid requests accepted and schema-violating
ones refused; ``Allow`` on a 405 naming the resource's methods. The seed is
fixed, so a run is reproducible.

Two statuses are declared to the checks as this API's contract, because no
schema can express them (``acsa.web.problems`` documents both):

- 422 from an act when the agreement's rules refuse content the schema allows
  (an agreement this node has not adopted, a wrong current password …);
- 400 from ``GET /orders`` for an ``after`` this node did not hand out (a
  cursor is opaque), and 428 for an act without the required ``If-Match``.

One check is off for one operation: ``POST /evidence`` takes any file, and a
multipart part has no type but bytes, so "schema-violating" data for it (a
``file`` generated as a JSON object) is a file like any other and is stored.

Authenticated with an API token of an official holding the read, act and
admin scopes, on a node with an order on it. A token revoked during the run
(``DELETE /me/tokens/{id}`` may draw its id) is replaced before the next call,
so every phase runs authenticated.

At 8 examples per operation: about 4,000 cases on SQLite in 1–2 minutes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.services import auth, orders, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.web.app import create_app

from .conftest import bearer, official, problem, token_for
from .test_orders import order_terms

EXAMPLES_PER_OPERATION = 8
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429"]  # Schemathesis' own, less 5xx
PHASES = ("examples", "coverage", "fuzzing", "stateful")


def config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict({
        "seed": 20260203, "workers": 1,
        "generation": {"max-examples": EXAMPLES_PER_OPERATION},
        "phases": {phase: {"enabled": True} for phase in PHASES},
        "checks": {
            "positive_data_acceptance": {"expected-statuses": ACCEPTED},
            "missing_required_header": {
                "expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]},
        },
        "operations": [
            {"include-method": ["POST", "PUT", "DELETE"],
             "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}}},
            {"include-name": "GET /orders",
             "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}}},
            # A multipart file part is bytes: a "file" generated as a JSON object to violate
            # the schema arrives as a file whose bytes are that JSON, a file like any other.
            {"include-name": "POST /evidence",
             "checks": {"negative_data_rejection": {"enabled": False}}},
        ],
    })


def fresh_token(node: Node, who: str) -> type:
    """An auth provider: ``who``'s API token, replaced whenever the run revoked it."""
    held = {"id": 0, "secret": ""}

    class FreshToken:
        def get(self, case: Any, context: Any) -> str:
            with UnitOfWork(node) as uow:
                user = users.get_user(uow, who)
                live = {t.id for t in auth.list_tokens(uow, user) if t.revoked_at is None}
                if held["id"] not in live:
                    made = auth.create_token(uow, user, user_id=who, name="schemathesis",
                                             scopes=("read", "act", "admin"))
                    held.update(id=made.token.id, secret=made.secret)
                uow.commit()
            return str(held["secret"])

        def set(self, case: Any, data: str, context: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return FreshToken


@dataclass
class Run:
    """What a run found: cases per phase, statuses answered, and every failed check."""

    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def scenario(self, event: events.ScenarioFinished) -> None:
        recorder = event.recorder
        self.cases[event.phase.name] += len(recorder.cases)
        for interaction in recorder.interactions.values():
            if interaction.response is not None:
                self.statuses[interaction.response.status_code] += 1
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.status == Status.FAILURE:
                    case = recorder.cases[case_id].value
                    self.failures.append(f"{check.name}: {event.label}: "
                                         f"{case.as_curl_command()}")

    def summary(self) -> str:
        server_errors = sum(n for s, n in self.statuses.items() if s >= 500)
        return (f"{sum(self.cases.values())} cases ({dict(self.cases)}), "
                f"{server_errors} server errors, {len(self.failures)} failed checks, "
                f"statuses {dict(sorted(self.statuses.items()))}")


def run(schema: Any) -> Run:
    found = Run()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            found.scenario(event)
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            found.errors.append(str(getattr(event, "info", event)))
    return found


def test_every_operation_answers_as_its_schema_says(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    node = pair.phl
    as_official(node, Role.ORDERING_OFFICIAL, orders.submit_order,
                {**order_terms(), "requester": "PHL"})
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(node),
                                            config=config())
    schema.auth(refresh_interval=None)(fresh_token(node, official(node, Role.ORDERING_OFFICIAL)))
    assert len(list(schema.get_all_operations())) > 40
    found = run(schema)
    print(found.summary())
    assert not found.errors, found.errors
    assert not found.failures, "\n".join(found.failures[:20])
    assert all(found.cases[phase] for phase in ("COVERAGE", "FUZZING", "STATEFUL_TESTING")), \
        found.summary()
    assert not [s for s in found.statuses if s >= 500]
    # Authenticated throughout: most answers are the API's, not a refused token's.
    assert found.statuses[401] < sum(found.statuses.values()) // 4, found.summary()


def test_what_the_checks_found_is_documented_and_validated(node, client):  # type: ignore[no-untyped-def]
    headers = bearer(token_for(node, official(node, Role.ORDERING_OFFICIAL)))
    doc = client.get("/api/v1/openapi.json").json()
    accept = doc["paths"]["/orders/{number}/accept"]["post"]
    [if_match] = [p for p in accept["parameters"] if p["in"] == "header"]
    assert (if_match["name"], if_match["required"]) == ("If-Match", True)
    assert {"400", "422", "428"} <= set(accept["responses"])
    # A 405 names every method of the resource, not only the first route's.
    r = client.options("/api/v1/orders", headers=headers)
    assert (r.status_code, r.headers["allow"]) == (405, "GET, POST")
    r = client.options("/api/v1/orders/JP-PH/PHL/FY2026/00001/accept", headers=headers)
    assert (r.status_code, r.headers["allow"]) == (405, "POST")
    # A date is YYYY-MM-DD, as documented: "0" is not 1970-01-01.
    r = client.get("/api/v1/reports/ceilings", params={"on": "0"}, headers=headers)
    assert (r.status_code, problem(r)["field"]) == (422, "on")
    assert client.get("/api/v1/reports/ceilings", params={"on": "2026-02-03"},
                      headers=headers).status_code == 200
