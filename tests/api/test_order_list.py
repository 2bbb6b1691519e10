"""The order list: filters and keyset pagination over a few hundred orders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, in_force_profile, staff_node
from acsa.domain.parties import Role
from acsa.services import orders

from .conftest import bearer, client_for, official, problem, token_for

ORDERS = 240  # a few hundred, in both directions and two agreements
EMERGENCIES = 6


def _terms(agreement: str, requester: str, supplier: str, i: int) -> dict[str, Any]:
    x = Exercise(in_force_profile(agreement))
    what = "Bottled water" if i % 5 == 0 else "Diesel fuel F-76"
    category = "water" if i % 5 == 0 else "pol"
    return x.terms(requester, supplier, [(category, f"{what} lot {i}", "100", "L", "150")],
                   activity="KAMANDAG-10" if i % 3 else "TYPHOON-RELIEF")


@pytest.fixture
def ledger(make_node: Any) -> Any:
    node = make_node("JPN")
    staff_node(node, ["JPN-PHL-ACSA", "JPN-USA-ACSA"])
    start = date(2026, 2, 3)
    for i in range(ORDERS):
        node.clock.now = datetime(2026, 2, 3, 3, tzinfo=UTC) + timedelta(days=i // 40)
        supplier, agreement = (("USA", "JPN-USA-ACSA") if i % 4 == 0
                               else ("PHL", "JPN-PHL-ACSA"))
        as_official(node, Role.ORDERING_OFFICIAL, orders.submit_order,
                    _terms(agreement, "JPN", supplier, i))
    for i in range(EMERGENCIES):
        as_official(node, Role.APPROVING_OFFICIAL, orders.record_emergency,
                    _terms("JPN-PHL-ACSA", "PHL", "JPN", i), requested_by="radio, Lt. Cruz")
    node.clock.set_day(start + timedelta(days=60))
    return node


def made() -> list[dict[str, Any]]:
    """What the ledger fixture made, to count what each filter should find."""
    out = []
    for i in range(ORDERS):
        out.append({"i": i, "usa": i % 4 == 0, "emergency": False})
    for i in range(EMERGENCIES):
        out.append({"i": i, "usa": False, "emergency": True})
    return out


def _all_pages(client: Any, headers: dict[str, str], **params: Any) -> tuple[list[Any], int]:
    seen: list[Any] = []
    after = None
    counts = set()
    while True:
        query = {**params, **({"after": after} if after else {})}
        page = client.get("/api/v1/orders", params=query, headers=headers).json()
        counts.add(page["count"])
        seen += page["data"]
        after = page["next"]
        if after is None:
            break
    assert len(counts) == 1
    return seen, counts.pop()


FILTERS = [
    ({"agreement": "JPN-USA-ACSA"}, lambda o: o["usa"]),
    ({"counterpart": "PHL"}, lambda o: not o["usa"]),
    ({"activity": "TYPHOON-RELIEF"}, lambda o: o["i"] % 3 == 0),
    ({"q": "BOTTLED water"}, lambda o: o["i"] % 5 == 0),
    ({"q": "water", "counterpart": "USA"}, lambda o: o["i"] % 5 == 0 and o["usa"]),
    ({"status": "submitted"}, lambda o: not o["emergency"]),
    ({"status": "accepted", "agreement": "JPN-PHL-ACSA"}, lambda o: o["emergency"]),
]


def test_keyset_pages_and_filters(ledger):
    headers = bearer(token_for(ledger, official(ledger, Role.AUDITOR), ("read",)))
    with client_for(ledger) as client:
        rows, count = _all_pages(client, headers, limit=37)
        assert count == len(rows) == ORDERS + EMERGENCIES
        numbers = [r["number"] for r in rows]
        assert len(set(numbers)) == len(numbers)
        keys = [(r["submitted_on"], r["number"]) for r in rows]
        assert keys == sorted(keys, reverse=True)
        first = client.get("/api/v1/orders", params={"limit": 200}, headers=headers).json()
        assert [r["number"] for r in first["data"]] == numbers[:200]
        # Money is a string in major units beside its currency, never a float.
        assert {(r["currency"], r["value"]) for r in rows} >= {("JPY", "15000"),
                                                               ("PHP", "15000.00")}
        # Filters select exactly the matching orders, page by page.
        for params, expected in FILTERS:
            rows, count = _all_pages(client, headers, limit=50, **params)
            assert count == len(rows) == sum(1 for o in made() if expected(o)), params
        # Overdue: the emergency orders nobody confirmed within the agreement's window.
        overdue = client.get("/api/v1/orders", params={"overdue": "true"},
                             headers=headers).json()
        assert overdue["count"] == EMERGENCIES
        assert all(r["emergency"] for r in overdue["data"])
        on_time = client.get("/api/v1/orders", params={"overdue": "false", "limit": 1},
                             headers=headers).json()
        assert on_time["count"] == ORDERS


def test_a_bad_cursor_and_a_large_page_are_refused(node, client):
    headers = bearer(token_for(node, official(node, Role.AUDITOR), ("read",)))
    p = problem(client.get("/api/v1/orders", params={"after": "bm90IGEgY3Vyc29y"},
                           headers=headers))
    assert (p["status"], p["code"], p["field"]) == (400, "bad_cursor", "after")
    p = problem(client.get("/api/v1/orders", params={"limit": 201}, headers=headers))
    assert (p["status"], p["field"]) == (422, "limit")


def test_a_classified_order_is_hidden_without_need_to_know(node, client):
    from sqlalchemy import update

    from acsa.services.unit_of_work import UnitOfWork
    from acsa.store import tables as T

    node.clock.set_day(date(2026, 2, 3))
    numbers = [as_official(node, Role.ORDERING_OFFICIAL, orders.submit_order,
                           _terms("JPN-PHL-ACSA", "JPN", "PHL", i),
                           marking={"level": "極秘"} if i == 1 else None).envelope.subject
               for i in (1, 2)]
    finance = bearer(token_for(node, official(node, Role.FINANCE_OFFICER), ("read",)))
    auditor = bearer(token_for(node, official(node, Role.AUDITOR), ("read",)))
    listed = client.get("/api/v1/orders", headers=finance).json()
    assert [o["number"] for o in listed["data"]] == [numbers[1]] and listed["count"] == 1
    p = problem(client.get(f"/api/v1/orders/{numbers[0]}", headers=finance))
    assert (p["status"], p["code"]) == (404, "unknown_reference")
    # An auditor's role spans every activity but never stands in for the clearance.
    assert client.get("/api/v1/orders", headers=auditor).json()["count"] == 1
    with UnitOfWork(node) as uow:
        uow.conn.execute(update(T.users).where(T.users.c.id == official(node, Role.AUDITOR))
                         .values(clearance="極秘"))
        uow.commit()
    assert client.get("/api/v1/orders", headers=auditor).json()["count"] == 2
    assert client.get(f"/api/v1/orders/{numbers[0]}", headers=auditor).status_code == 200
