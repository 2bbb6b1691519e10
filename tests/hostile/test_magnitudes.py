"""Figures too large and U+0000: refused locally naming the field, judged from a partner.

A unit price of 30 digits once crashed the node that recorded it (an integer
the store cannot hold) and, inside a partner's bundle, crashed the import
without recording anything, so that a partner could stall the channel. The
event schema's version 2 bounds every figure (``event_schema.DIGITS_MAX``)
and refuses U+0000 in every text: a local act over a limit is refused by the
command line, the API and the pages, naming the field, with nothing stored;
a partner's event over it is admitted and judged ineffective with the reason,
and the stream after it flows on, alike on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re
from contextlib import suppress
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, in_force_profile
from acsa.domain.errors import InvalidValue, NothingDue
from acsa.domain.event_schema import DIGITS_MAX, TOO_MANY_DIGITS, check_data
from acsa.domain.interpret import interpret_orders
from acsa.domain.money import MINOR_UNITS, line_total
from acsa.domain.parties import Role
from acsa.events import Envelope, seal
from acsa.i18n import gettext
from acsa.services import admin, orders, users
from acsa.services.node import Node
from acsa.services.recording import adopted_profile
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store import tables as T
from acsa.store.log import append
from acsa.store.projections import order_rows
from api.conftest import bearer, client_for, official, problem, token_for
from integration.conftest import FixedClock, engine_kind, make_node, pair  # noqa: F401
from integration.test_bundles import terms
from integration.test_cli_orders import Cli, own_nodes  # noqa: F401
from ui.test_order_pages import logged_in, new_order_form

pytestmark = pytest.mark.postgres

D = date
AGREEMENT = "JPN-PHL-ACSA"
HUGE = "1" + "0" * 29  # a 30-digit unit price
REFUSED = f"lines[0].unit_price: at most {DIGITS_MAX} digits"
INT64_MAX = 2**63 - 1


@pytest.fixture
def nations(pair):  # type: ignore[no-untyped-def]  # noqa: F811
    """JPN and PHL, staffed and introduced, on each engine."""
    return pair


def count(node: Node, table: Any = T.events) -> int:
    with UnitOfWork(node, write=False) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(table)).scalar_one())


def huge_terms(**line: str) -> dict[str, Any]:
    t = terms()
    t["lines"][0].update(line or {"unit_price": HUGE})
    return t


# -- a local act over the limit: refused, naming the field, nothing stored ----------------------


def test_the_service_refuses_a_30_digit_unit_price_naming_the_field(nations):  # type: ignore[no-untyped-def]
    nations.set_day(D(2026, 2, 3))
    before = (count(nations.phl), count(nations.phl, T.orders))
    with pytest.raises(InvalidValue) as refused:
        as_official(nations.phl, Role.ORDERING_OFFICIAL, orders.submit_order, huge_terms())
    assert str(refused.value) == REFUSED
    assert refused.value.params == {"digits": DIGITS_MAX}
    # Each figure within the limit, but their product is not: the line is named.
    with pytest.raises(InvalidValue, match=r"^lines\[0\]: quantity × unit price"):
        as_official(nations.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                    huge_terms(quantity="99999", unit_price="9999999999"))
    assert (count(nations.phl), count(nations.phl, T.orders)) == before


def test_the_command_line_refuses_it_in_one_line(nations, own_nodes, tmp_path: Path):  # type: ignore[no-untyped-def]  # noqa: F811
    nations.set_day(D(2026, 2, 3))
    own_nodes[nations.phl.data_dir.resolve()] = nations.phl
    phl = Cli(nations.phl)
    path = tmp_path / "terms.json"
    path.write_text(json.dumps(huge_terms()))
    line = phl.fails("order", "submit", "--file", str(path), "--as", "phl.ordering")
    assert REFUSED in line  # one line on stderr, no event kept (Cli.fails checks both)
    assert count(nations.phl, T.orders) == 0


def test_the_api_refuses_it_as_a_problem_naming_the_field(nations):  # type: ignore[no-untyped-def]
    nations.set_day(D(2026, 2, 3))
    client = client_for(nations.phl)
    headers = bearer(token_for(nations.phl, official(nations.phl, Role.ORDERING_OFFICIAL)))
    body = huge_terms()
    body.pop("requester")
    before = count(nations.phl)
    r = client.post("/api/v1/orders", json=body, headers=headers)
    assert r.status_code == 422, r.text
    found = problem(r)
    assert (found["code"], found["field"]) == ("invalid_value", "lines[0].unit_price")
    assert found["detail"] == f"at most {DIGITS_MAX} digits"
    assert found["params"] == {"digits": DIGITS_MAX}
    assert count(nations.phl) == before and count(nations.phl, T.orders) == 0


def register_activity(node: Node) -> None:
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, official(node, Role.ADMINISTRATOR))
        admin.register_activity(uow, boss, agreement=AGREEMENT, activity_id="KAMANDAG-10",
                                name="Exercise KAMANDAG 10", type="bilateral_training",
                                starts_on=D(2026, 2, 2), ends_on=D(2026, 3, 27))
        uow.commit()


def field_error(html: str, name: str) -> str | None:
    found = re.search(rf'<span class="field-error" id="err-{name}">([^<]*)</span>', html)
    return found.group(1) if found else None


def test_the_new_order_page_refuses_it_beside_the_field_in_the_users_language(nations):  # type: ignore[no-untyped-def]
    nations.set_day(D(2026, 2, 3))
    register_activity(nations.phl)
    client, csrf = logged_in(nations.phl, Role.ORDERING_OFFICIAL)
    before = count(nations.phl)
    r = client.post("/new-order", data=new_order_form(csrf, **{"lines.0.unit_price": HUGE}))
    assert r.status_code == 422
    english = field_error(r.text, "lines-0-unit_price")
    assert english is not None and f"{DIGITS_MAX} digits" in english.lower()
    assert f'value="{HUGE}"' in r.text  # what was typed is kept
    with UnitOfWork(nations.phl) as uow:
        uow.conn.execute(update(T.users).values(locale="ja")
                         .where(T.users.c.id == official(nations.phl, Role.ORDERING_OFFICIAL)))
        uow.commit()
    r = client.post("/new-order", data=new_order_form(csrf, **{"lines.0.unit_price": HUGE}))
    japanese = field_error(r.text, "lines-0-unit_price")
    assert gettext(TOO_MANY_DIGITS, "ja") != TOO_MANY_DIGITS  # the catalogue has it
    assert japanese is not None and japanese != english and str(DIGITS_MAX) in japanese
    assert "桁" in japanese  # "digits", in the reader's language
    assert count(nations.phl) == before and count(nations.phl, T.orders) == 0


def test_nul_in_a_description_is_refused_by_every_entry_point(nations, own_nodes, tmp_path):  # type: ignore[no-untyped-def]  # noqa: F811
    nations.set_day(D(2026, 2, 3))
    nul = huge_terms(description="Diesel\x00fuel")
    with pytest.raises(InvalidValue, match=r"^lines\[0\]\.description: must not contain"):
        as_official(nations.phl, Role.ORDERING_OFFICIAL, orders.submit_order, nul)
    own_nodes[nations.phl.data_dir.resolve()] = nations.phl
    path = tmp_path / "terms.json"
    path.write_text(json.dumps(nul))
    line = Cli(nations.phl).fails("order", "submit", "--file", str(path), "--as", "phl.ordering")
    assert "lines[0].description: must not contain the character U+0000" in line
    body = {k: v for k, v in nul.items() if k != "requester"}
    r = client_for(nations.phl).post("/api/v1/orders", json=body, headers=bearer(
        token_for(nations.phl, official(nations.phl, Role.ORDERING_OFFICIAL))))
    assert r.status_code == 422 and problem(r)["field"].startswith("lines")
    assert count(nations.phl, T.orders) == 0


# -- a partner's event over the limit: admitted, judged ineffective, the stream flows ----------


def forge(node: Node, number: str, terms_: dict[str, Any], *, v: int = 2,
          actor: dict[str, Any] | None = None) -> str:
    """Append to ``node``'s own stream, signed by its key but never judged, the submission
    of order ``number`` on ``terms_``: what a faulty or hostile partner node could send."""
    with UnitOfWork(node) as uow:
        stream = f"{AGREEMENT}/{node.party}"
        head = uow.conn.execute(select(T.streams).where(T.streams.c.stream == stream)).one()
        who = official(node, Role.ORDERING_OFFICIAL)
        appointment = uow.context.roster(stream).find(
            party=node.party, user=who, role=Role.ORDERING_OFFICIAL, unit="AFP-TOG1",
            on=D(2026, 2, 3))
        assert appointment is not None
        envelope = Envelope(
            v=v, stream=stream, seq=head.head_seq + 1, prev=head.head_hash, at=node.now_at(),
            profile=adopted_profile(uow, AGREEMENT).digest, type="order.submitted",
            subject=number, parent=None,
            actor={"user": who, "name": "Maj. Maria Santos", "role": "ordering_official",
                   "party": node.party, "unit": "AFP-TOG1", "appointment": appointment.id,
                   **(actor or {})},
            marking={"level": "UNCLASSIFIED", "originator": node.party, "rel": ["JPN", "PHL"]},
            data={"terms": terms_, "on": "2026-02-03"},
        )
        signed = seal(envelope, uow.node.key)
        append(uow.conn, signed, origin="local", received_at=node.now_at())
        uow.commit()
    return signed.hash


def verdict(node: Node, number: str) -> Any:
    with UnitOfWork(node, write=False) as uow:
        return uow.conn.execute(select(T.verdicts).where(T.verdicts.c.order_number == number)
                                .order_by(T.verdicts.c.position)).all()


def order_status(node: Node, number: str) -> str | None:
    with UnitOfWork(node, write=False) as uow:
        return uow.conn.execute(select(T.orders.c.status)
                                .where(T.orders.c.number == number)).scalar_one_or_none()


@pytest.mark.parametrize(("line", "reason"), [
    ({"unit_price": HUGE}, REFUSED),
    ({"description": "Diesel\x00fuel"},
     "lines[0].description: must not contain the character U+0000"),
], ids=["30-digit unit price", "NUL in a description"])
def test_a_partners_event_over_a_limit_is_admitted_ineffective_and_the_stream_flows(
        nations, line, reason):  # type: ignore[no-untyped-def]
    nations.set_day(D(2026, 2, 3))
    bad = "JP-PH/PHL/FY2026/00900"
    forge(nations.phl, bad, huge_terms(**line))
    after = as_official(nations.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms())
    summary = nations.carry(nations.phl, nations.jpn)
    assert (summary.quarantined, summary.applied) == (None, 2), summary.problems
    [judged] = verdict(nations.jpn, bad)
    assert not judged.effective
    assert (judged.code, judged.reason) == ("invalid_value", reason)
    assert order_status(nations.jpn, bad) is None  # nothing of it is projected
    # The next event of that stream applies normally.
    assert order_status(nations.jpn, after.envelope.subject) == "submitted"
    with UnitOfWork(nations.jpn, write=False) as uow:
        assert verify_node(uow).ok
        held = uow.conn.execute(select(func.count()).select_from(T.events).where(
            T.events.c.subject == bad)).scalar_one()
    assert held == 1  # kept in the log exactly as signed


def test_a_version_1_event_over_the_limits_is_quarantined_never_judged(nations):  # type: ignore[no-untyped-def]
    """Version 1 events are not judged by the limits in the fold (those already held are
    never judged again); one over them arriving now is refused at admission instead."""
    nations.set_day(D(2026, 2, 3))
    forge(nations.phl, "JP-PH/PHL/FY2026/00901", huge_terms(), v=1)
    before = count(nations.jpn)
    summary = nations.carry(nations.phl, nations.jpn)
    assert summary.quarantined is not None and summary.applied == 0
    assert any(REFUSED in p for p in summary.problems), summary.problems
    assert count(nations.jpn) == before


def test_nul_in_an_envelopes_own_text_is_quarantined(nations):  # type: ignore[no-untyped-def]
    """The log keeps an event's subject and actor in columns of their own, which
    PostgreSQL could not hold with U+0000: such an envelope is refused whole."""
    nations.set_day(D(2026, 2, 3))
    forge(nations.phl, "JP-PH/PHL/FY2026/00902", terms(), v=1, actor={"name": "Maj.\x00Santos"})
    summary = nations.carry(nations.phl, nations.jpn)
    assert summary.quarantined is not None
    assert any("actor.name: must not contain the character U+0000" in p
               for p in summary.problems), summary.problems
    with pytest.raises(Exception, match="U\\+0000"):
        forge(nations.phl, "JP-PH/PHL/FY2026/00903", terms(), actor={"name": "Maj.\x00Santos"})


def test_the_largest_figures_are_stored_on_every_engine(nations):  # type: ignore[no-untyped-def]
    nations.set_day(D(2026, 2, 3))
    largest = "9" * DIGITS_MAX
    event = as_official(nations.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                        huge_terms(quantity="1", unit_price=largest))
    number = event.envelope.subject
    nations.carry(nations.phl, nations.jpn)
    as_official(nations.jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="JMSDF-ESF1")
    nations.carry(nations.jpn, nations.phl)
    for node in (nations.jpn, nations.phl):
        with UnitOfWork(node, write=False) as uow:
            value = uow.conn.execute(select(T.orders.c.value_minor)
                                     .where(T.orders.c.number == number)).scalar_one()
            posted = uow.conn.execute(select(func.max(T.postings.c.amount_minor))).scalar_one()
            assert verify_node(uow).ok
        assert value == posted == int(largest)  # JPY: minor units are yen


# -- property: any figures within the limit multiply and sum within the store ------------------

PROFILE = in_force_profile(AGREEMENT)


@st.composite
def figure(draw: Any, digits: int) -> str:
    """A plain decimal with at most ``digits`` digits before the point."""
    whole = draw(st.integers(0, 10**digits - 1))
    places = draw(st.integers(0, 6))
    fraction = draw(st.integers(0, 10**places - 1)) if places else 0
    return f"{whole}.{fraction:0{places}d}" if places else str(whole)


@st.composite
def priced_lines(draw: Any) -> list[tuple[str, str]]:
    """One to three lines whose quantity and price digits share the limit between them."""
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        q_digits = draw(st.integers(0, DIGITS_MAX))
        quantity = draw(figure(q_digits).filter(lambda t: Decimal(t) > 0))
        lines.append((quantity, draw(figure(DIGITS_MAX - q_digits))))
    return lines


def integers_in(rows: Any) -> list[int]:
    return [v for table in rows.tables.values() for row in table for v in row.values()
            if isinstance(v, int) and not isinstance(v, bool)]


@given(lines=priced_lines(), currency=st.sampled_from(sorted(MINOR_UNITS)))
def test_any_figures_within_the_limit_multiply_and_sum_within_a_64_bit_column(
        lines: list[tuple[str, str]], currency: str) -> None:
    data = {"terms": {"lines": [{"quantity": q, "unit_price": p} for q, p in lines]}}
    exact = sum(Decimal(q) * Decimal(p) for q, p in lines)
    try:
        check_data(data)
    except InvalidValue as refused:
        # Refused only for what the limit says: the lines' sum has too many digits.
        assert exact >= 10**DIGITS_MAX and refused.field == "lines"
        return
    assert exact < 10**DIGITS_MAX
    # Within the limit, every amount fits a JSON-safe integer in minor units, and over
    # 9,000 of them fit one signed 64-bit balance.
    totals = [line_total(Decimal(q), Decimal(p), currency).minor for q, p in lines]
    assert 0 <= sum(totals) < 10 ** (DIGITS_MAX + 2) <= 2**53
    assert 9_000 * sum(totals) <= INT64_MAX
    # Folded through an order's whole life, every integer its projection rows hold fits.
    x = Exercise(PROFILE)
    number = x.submit(x.terms("PHL", "JPN", [("pol", "Diesel", q, "L", p) for q, p in lines]),
                      D(2026, 2, 3))
    x.accept(number, D(2026, 2, 4))
    delivery = x.deliver(number, [(i + 1, q) for i, (q, _) in enumerate(lines)], D(2026, 2, 5))
    x.receive(number, delivery, D(2026, 2, 6))
    with suppress(NothingDue):  # lines worth less than a yen leave nothing to invoice
        x.invoice(number, D(2026, 2, 7))
    facts = [replace(f, version=2) for f in x.s.facts]
    state = interpret_orders(facts, x.s.context(), [number])[number]
    assert all(v.effective for v in state.verdicts), [v.reason for v in state.verdicts]
    rows = order_rows(state, facts, x.s.context(), facts[-1].hash)
    assert all(abs(n) * 9_000 <= INT64_MAX for n in integers_in(rows))
