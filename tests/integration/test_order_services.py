"""Order and settlement use cases on two real nodes (SQLite, and PostgreSQL when available).

Each test tells the story of one order between the Philippine and Japanese
nodes; events are copied between the nodes' databases with
:func:`twonodes.sync` where a bundle would carry them.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import in_force_profile
from acsa.domain import commands, references
from acsa.domain.errors import DomainError
from acsa.domain.parties import Role
from acsa.services import admin, evidence, order_view, orders, queries, settlement
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import get_user
from acsa.services.verify import verify_node
from acsa.store import tables as T

from .twonodes import AGREEMENT, UNITS, act, read, set_day, setup_pair, sync

D = date
ORD, APP = Role.ORDERING_OFFICIAL, Role.APPROVING_OFFICIAL
SUPPLY, RCV, FIN = Role.SUPPLY_OFFICER, Role.RECEIVING_OFFICIAL, Role.FINANCE_OFFICER
X = Exercise(in_force_profile(AGREEMENT))


@pytest.fixture
def nodes(make_node):  # type: ignore[no-untyped-def]
    jpn, phl = make_node("JPN"), make_node("PHL")
    setup_pair(jpn, phl)
    return jpn, phl


def terms(requester="PHL", supplier="JPN", lines=None, method="cash", **extra):  # type: ignore[no-untyped-def]
    lines = lines or [("pol", "Diesel fuel F-76", "10000", "L", "152.5")]
    return X.terms(requester, supplier, lines, method=method, **extra)


def status(node, number) -> str:  # type: ignore[no-untyped-def]
    return read(node, order_view.status_of, number)


def events(node) -> int:  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return int(uow.conn.execute(select(func.count()).select_from(T.events)).scalar_one())


def refused(node, role, use_case, *args, code, **kw) -> DomainError:  # type: ignore[no-untyped-def]
    """Run a use case that must be refused with ``code``, and check that nothing was kept."""
    before = events(node)
    with pytest.raises(DomainError) as caught:
        act(node, role, use_case, *args, **kw)
    assert caught.value.code == code, caught.value
    assert events(node) == before
    return caught.value


def submitted_and_accepted(jpn, phl, t=None, day=date(2026, 2, 3)) -> str:  # type: ignore[no-untyped-def]
    """An order PHL asks of JPN (or the other way), accepted by the supplier."""
    t = t or terms()
    requester, supplier = (phl, jpn) if t["requester"] == "PHL" else (jpn, phl)
    set_day(day, jpn, phl)
    number = act(requester, ORD, orders.submit_order, t).envelope.subject
    sync(requester, supplier)
    act(supplier, APP, orders.accept, number, supplying_unit=UNITS[supplier.party][0][0])
    sync(supplier, requester)
    return number


def delivered_and_received(jpn, phl, t=None, day=date(2026, 2, 10)) -> str:  # type: ignore[no-untyped-def]
    t = t or terms()
    requester, supplier = (phl, jpn) if t["requester"] == "PHL" else (jpn, phl)
    number = submitted_and_accepted(jpn, phl, t)
    set_day(day, jpn, phl)
    quantities = [(ln["no"], ln["quantity"]) for ln in t["lines"]]
    act(supplier, SUPPLY, orders.deliver, number, quantities)
    sync(supplier, requester)
    act(requester, RCV, orders.receive, number, "1")
    sync(requester, supplier)
    return number


def verified(*nodes) -> None:  # type: ignore[no-untyped-def]
    for n in nodes:
        with UnitOfWork(n) as uow:
            report = verify_node(uow)
        assert report.ok, report.findings


# -- cash -------------------------------------------------------------------------------------


def test_a_cash_order_from_submission_to_settled_on_both_nodes(nodes):
    jpn, phl = nodes
    number = submitted_and_accepted(jpn, phl)
    assert status(jpn, number) == status(phl, number) == "accepted"

    set_day(D(2026, 2, 10), jpn, phl)
    act(jpn, SUPPLY, orders.deliver, number, [(1, "9800")])
    sync(jpn, phl)
    act(phl, RCV, orders.receive, number, "1", lines=[(1, "9700", "100")])
    sync(phl, jpn)
    assert status(jpn, number) == "received"

    set_day(D(2026, 2, 12), jpn, phl)
    invoice = act(jpn, FIN, settlement.issue_invoice, number)
    assert invoice.envelope.data["number"] == "INV/JPN/FY2025/00001"  # JPN's FY starts in April
    assert invoice.envelope.data["total"] == "1479250"  # 9,700 L received × 152.5 JPY
    sync(jpn, phl)

    set_day(D(2026, 3, 1), jpn, phl)
    payment = act(phl, FIN, settlement.record_payment,
                  [(number, "INV/JPN/FY2025/00001", "1479250")], reference="LBP-2026-0042")
    assert payment.envelope.subject == "PAY/PHL/00001"
    sync(phl, jpn)
    set_day(D(2026, 3, 3), jpn, phl)
    act(jpn, FIN, settlement.confirm_payment, "PAY/PHL/00001")
    sync(jpn, phl)

    assert status(jpn, number) == status(phl, number) == "settled"
    shown = read(phl, order_view.show_order, number)
    assert shown["status"] == "settled"
    assert shown["figures"]["settled"] == "1479250"
    assert shown["figures"]["outstanding"] == "0"
    assert [e["type"] for e in shown["timeline"]] == [
        "order.submitted", "order.accepted", "delivery.recorded", "receipt.recorded",
        "invoice.issued", "payment.recorded", "payment.confirmed"]
    accepted = shown["timeline"][1]
    assert accepted["actor"]["role"] == "approving_official"
    assert accepted["signer"] == "JPN" and accepted["key"] == jpn.key.fingerprint
    assert all(e["verdict"]["effective"] for e in shown["timeline"])
    assert read(jpn, order_view.show_order, number)["figures"] == shown["figures"]
    verified(jpn, phl)


def test_a_short_payment_is_written_off_within_the_limit_and_the_rest_invoiced(nodes):
    jpn, phl = nodes
    number = delivered_and_received(jpn, phl)
    set_day(D(2026, 2, 12), jpn, phl)
    act(jpn, FIN, settlement.issue_invoice, number)
    act(jpn, FIN, settlement.void_invoice, number, "1", reason="wrong delivery note")
    reissued = act(jpn, FIN, settlement.issue_invoice, number, replaces="INV/JPN/FY2025/00001")
    assert reissued.envelope.data["number"] == "INV/JPN/FY2025/00002"
    act(jpn, FIN, settlement.issue_credit_note, number, "INV/JPN/FY2025/00002", "1000",
        reason="price corrected")
    sync(jpn, phl)
    set_day(D(2026, 3, 1), jpn, phl)
    act(phl, FIN, settlement.record_payment, [(number, "2", "1524000")], reference="SWIFT-1")
    sync(phl, jpn)
    act(jpn, FIN, settlement.confirm_payment, "PAY/PHL/00001",
        [(number, "2", "1500000")])  # 24,000 JPY lost to charges and rates
    refused(jpn, FIN, settlement.write_off, number, "2", "24000", reason="bank charges",
            code="limit_exceeded")
    act(jpn, FIN, settlement.write_off, number, "2", "4000", reason="bank charges")
    difference = act(jpn, FIN, settlement.issue_invoice, number, kind="difference",
                     reference="INV/JPN/FY2025/00002")
    assert difference.envelope.data["total"] == "20000"
    sync(jpn, phl)
    act(phl, FIN, settlement.record_payment, [(number, "3", "20000")], reference="SWIFT-2")
    sync(phl, jpn)
    act(jpn, FIN, settlement.confirm_payment, "PAY/PHL/00002")
    sync(jpn, phl)
    assert status(jpn, number) == status(phl, number) == "settled"
    shown = read(jpn, order_view.show_order, number)
    assert [i["live"] for i in shown["invoices"]] == [False, True, True]
    assert shown["figures"]["written_off"] == "4000"


def test_one_payment_covers_invoices_of_two_orders(nodes):
    jpn, phl = nodes
    first = delivered_and_received(jpn, phl)
    second = delivered_and_received(jpn, phl, terms(lines=[("water", "Potable water", "2000",
                                                              "L", "30")]))
    set_day(D(2026, 2, 12), jpn, phl)
    act(jpn, FIN, settlement.issue_invoice, first)
    act(jpn, FIN, settlement.issue_invoice, second)
    sync(jpn, phl)
    set_day(D(2026, 3, 1), jpn, phl)
    refused(phl, FIN, settlement.record_payment, [(first, "1", "1525001")], reference="X",
            code="amount_exceeds_outstanding")
    refused(jpn, FIN, settlement.record_payment, [(first, "1", "1")], reference="X",
            code="not_authorized")
    act(phl, FIN, settlement.record_payment,
        [(first, "1", "1525000"), (second, "INV/JPN/FY2025/00002", "60000")], reference="X")
    sync(phl, jpn)
    confirmation = act(jpn, FIN, settlement.confirm_payment, "PAY/PHL/00001",
                       [(first, "1", "1524000"), (second, "1", "60000")])
    assert [p["order"] for p in confirmation.envelope.data["orders"]] == [first, second]
    assert status(jpn, first) == "settling"
    # The write-off is judged on the first order with the payment that also covers the second.
    act(jpn, FIN, settlement.write_off, first, "1", "1000", reason="bank charges")
    sync(jpn, phl)
    for node in (jpn, phl):
        assert (status(node, first), status(node, second)) == ("settled", "settled")
    verified(jpn, phl)


# -- in kind, exchange, offset ------------------------------------------------------------------


def test_rik_returned_in_part_then_converted_after_the_deadline(nodes):
    jpn, phl = nodes
    rations = terms(lines=[("food", "Ration, MRE", "500", "EA", "1200")], method="rik")
    number = delivered_and_received(jpn, phl, rations)  # first delivery 10 February 2026
    assert read(phl, order_view.show_order, number)["figures"]["in_kind_due_on"] == "2027-02-10"

    set_day(D(2026, 6, 1), jpn, phl)
    act(phl, SUPPLY, settlement.return_in_kind, number, [(1, "200")],
        description="same grade, same quantity")
    sync(phl, jpn)
    act(jpn, RCV, settlement.answer_return, number, None, True)
    sync(jpn, phl)
    assert read(phl, order_view.show_order, number)["figures"]["in_kind"] == "360000"

    set_day(D(2026, 12, 1), jpn, phl)
    act(jpn, FIN, admin.set_catalogue_price, agreement=AGREEMENT, category="food",
        item="Ration, MRE", unit="EA", unit_price="1350", valid_from=D(2027, 1, 1))
    set_day(D(2027, 2, 10), jpn, phl)
    refused(jpn, FIN, settlement.convert_to_cash, number, code="deadline_not_reached")
    set_day(D(2027, 2, 11), jpn, phl)
    conversion = act(jpn, FIN, settlement.convert_to_cash, number)
    assert conversion.envelope.data["amount"] == "405000"  # 300 × 1,350, the catalogue price
    invoice = act(jpn, FIN, settlement.issue_invoice, number, kind="conversion")
    assert invoice.envelope.data["reference"] == conversion.hash
    assert invoice.envelope.data["number"] == "INV/JPN/FY2026/00001"
    sync(jpn, phl)
    set_day(D(2027, 3, 1), jpn, phl)
    act(phl, FIN, settlement.record_payment, [(number, "1", "405000")], reference="LBP-77")
    sync(phl, jpn)
    act(jpn, FIN, settlement.confirm_payment, "PAY/PHL/00001")
    sync(jpn, phl)
    assert status(jpn, number) == status(phl, number) == "settled"
    assert read(jpn, order_view.show_order, number)["figures"]["settled"] == "645000"


def exchanged(jpn, phl):  # type: ignore[no-untyped-def]
    """Two orders each way linked in an exchange, signed by both finance officers."""
    # A: the Philippines transports for Japan, 10 trips × PHP 25,000.00 = PHP 250,000.00.
    a = delivered_and_received(jpn, phl, terms("JPN", "PHL", [
        ("transportation", "Truck, 5 t", "10", "TRIP", "25000.00")], method="eve"))
    # B: Japan transports for the Philippines, 12 trips × JPY 50,000 = JPY 600,000 (services
    # of the same category each way, as JPN-PHL 2026.2 wants).
    b = delivered_and_received(jpn, phl, terms(lines=[
        ("transportation", "Truck, 3½ t", "12", "TRIP", "50000")], method="eve"))
    set_day(D(2026, 3, 1), jpn, phl)
    refused(jpn, FIN, settlement.link_exchange, [a, b], currency="PHP", code="rate_missing")
    act(jpn, FIN, admin.record_rate, agreement=AGREEMENT, on=D(2026, 3, 1), base="JPY",
        quote="PHP", rate="0.38")
    link = act(jpn, FIN, settlement.link_exchange, [a, b], currency="PHP")
    assert link.envelope.subject == "EVE/JPN/00001"
    # At 0.38, B is worth PHP 228,000.00: the Philippines supplied PHP 22,000.00 more.
    assert link.envelope.data["residual"] == {"creditor": "PHL", "amount": "22000.00"}
    sync(jpn, phl)
    refused(jpn, FIN, settlement.sign_exchange, "EVE/JPN/00001", code="not_authorized")
    set_day(D(2026, 3, 2), jpn, phl)
    act(phl, FIN, settlement.sign_exchange, link.hash[:12])
    sync(phl, jpn)
    return a, b


def test_an_exchange_each_way_with_a_residual_billed_in_cash(nodes):
    jpn, phl = nodes
    a, b = exchanged(jpn, phl)
    for node in (jpn, phl):
        # Nothing is owed on B itself, but the exchange closes as a whole.
        assert status(node, b) == "settling"
        assert status(node, a) == "settling"
        shown = read(node, order_view.show_order, a)
        assert shown["exchanges"][0]["to_cash"] == "22000.00"
        assert (shown["figures"]["in_kind"], shown["figures"]["receivable"]) == ("0.00",
                                                                               "22000.00")
    residual = act(phl, FIN, settlement.issue_invoice, a, kind="residual")
    assert residual.envelope.data["total"] == "22000.00"
    sync(phl, jpn)
    act(jpn, FIN, settlement.record_payment, [(a, "1", "22000.00")], reference="MUFG-9")
    sync(jpn, phl)
    act(phl, FIN, settlement.confirm_payment, "PAY/JPN/00001")
    sync(phl, jpn)
    assert status(jpn, a) == status(phl, a) == status(jpn, b) == status(phl, b) == "settled"
    verified(jpn, phl)


def test_an_offset_nets_invoices_each_way(nodes):
    jpn, phl = nodes
    xo = delivered_and_received(jpn, phl, terms(lines=[("food", "Rations", "100", "EA",
                                                          "1000")]))
    yo = delivered_and_received(jpn, phl, terms("JPN", "PHL", [("food", "Rice", "300", "KG",
                                                                  "100.00")]))
    set_day(D(2026, 2, 20), jpn, phl)
    act(jpn, FIN, settlement.issue_invoice, xo)
    act(phl, FIN, settlement.issue_invoice, yo)
    act(phl, FIN, admin.record_rate, agreement=AGREEMENT, on=D(2026, 2, 20), base="JPY",
        quote="PHP", rate="0.38")
    sync(jpn, phl)
    sync(phl, jpn)
    set_day(D(2026, 3, 31), jpn, phl)
    proposal = act(phl, FIN, settlement.propose_offset, [(xo, "1"), (yo, "1")], currency="PHP")
    assert proposal.envelope.subject == "OFS/PHL/00001"
    assert proposal.envelope.data["net"] == "30000.00"
    sync(phl, jpn)
    set_day(D(2026, 4, 1), jpn, phl)
    act(jpn, FIN, settlement.sign_offset, "OFS/PHL/00001")
    sync(jpn, phl)
    for node in (jpn, phl):
        assert status(node, yo) == "settled" and status(node, xo) == "settling"
        assert read(node, order_view.show_order, xo)["invoices"][0]["outstanding"] == "21053"
        finance = read(node, get_user, f"{node.party.lower()}.finance")
        [listed] = read(node, settlement.list_offsets, finance)
        assert (listed["state"], listed["signed_by"]) == ("signed", "JPN")


# -- other paths ---------------------------------------------------------------------------------


def test_an_emergency_order_confirmed_after_its_window(nodes):
    jpn, phl = nodes
    set_day(D(2026, 8, 1), jpn, phl)
    t = terms(lines=[("water", "Potable water", "5000", "L", "30")], activity_type="hadr",
              supplying_unit="JMSDF-ESF1")
    event = act(jpn, APP, orders.record_emergency, t, requested_by="radio, Lt. Cruz")
    number = event.envelope.subject
    assert number == "JP-PH/JPN/FY2026/E00001"
    sync(jpn, phl)
    assert status(phl, number) == "accepted"
    set_day(D(2026, 8, 12), jpn, phl)
    act(phl, ORD, orders.confirm_emergency, number)
    sync(phl, jpn)
    for node in (jpn, phl):
        shown = read(node, order_view.show_order, number)
        assert shown["emergency_confirmation"] == {"due_on": "2026-08-08",
                                                   "confirmed_on": "2026-08-12"}
        note = shown["timeline"][-1]["verdict"]["note"]
        assert note == "confirmed late: 4 day(s) after the window closed on 2026-08-08"


def test_a_dispute_over_a_receipt_is_resolved_only_by_both(nodes):
    jpn, phl = nodes
    number = submitted_and_accepted(jpn, phl)
    set_day(D(2026, 2, 10), jpn, phl)
    act(jpn, SUPPLY, orders.deliver, number, [(1, "10000")])
    sync(jpn, phl)
    act(phl, RCV, orders.receive, number, "1", lines=[(1, "9500", "0")])
    sync(phl, jpn)
    set_day(D(2026, 2, 11), jpn, phl)
    act(jpn, SUPPLY, orders.open_dispute, number, reason="the meter ticket shows 10,000 L",
        about="1")
    proposal = act(jpn, SUPPLY, orders.propose_resolution, number, None,
                   "joint gauge reading: 9,800 L", [("1", 1, "9800")])
    refused(jpn, SUPPLY, orders.sign_resolution, number, None, code="not_authorized")
    sync(jpn, phl)
    assert status(phl, number) == "disputed"
    act(phl, RCV, orders.sign_resolution, number, "1", proposal.hash[:10])
    sync(phl, jpn)
    assert status(jpn, number) == status(phl, number) == "received"
    invoice = act(jpn, FIN, settlement.issue_invoice, number)
    assert invoice.envelope.data["total"] == "1494500"  # 9,800 L × 152.5
    shown = read(jpn, order_view.show_order, number)
    assert shown["disputes"][0]["resolved_by"] == proposal.hash
    assert shown["disputes"][0]["about"] == shown["deliveries"][0]["id"]


def test_changes_after_acceptance_take_both_parties(nodes):
    jpn, phl = nodes
    number = submitted_and_accepted(jpn, phl)
    set_day(D(2026, 2, 5), jpn, phl)
    state = read(phl, orders.order_state, number)
    changes = commands.term_changes(state, quantities={1: "12000"}, needed_by="2026-03-15")
    act(phl, ORD, orders.request_change, number, "amend", reason="the exercise grew",
        changes=changes)
    refused(phl, ORD, orders.respond, number, None, True, code="not_authorized")
    sync(phl, jpn)
    act(jpn, APP, orders.respond, number, "1", True)
    sync(jpn, phl)
    shown = read(phl, order_view.show_order, number)
    assert shown["version"] == 2 and shown["terms"]["lines"][0]["quantity"] == "12000"
    assert shown["changes"][0]["answer"] == "accepted"

    act(jpn, APP, orders.request_change, number, "close_short", reason="stock exhausted")
    sync(jpn, phl)
    act(phl, ORD, orders.respond, number, None, False)
    act(phl, ORD, orders.cancel_order, number, reason="exercise called off")
    sync(phl, jpn)
    assert read(jpn, order_view.show_order, number)["changes"][-1]["kind"] == "cancel"
    act(jpn, APP, orders.respond, number, None, True)
    sync(jpn, phl)
    assert status(jpn, number) == status(phl, number) == "cancelled"

    set_day(D(2026, 2, 6), jpn, phl)
    unanswered = act(phl, ORD, orders.submit_order, terms()).envelope.subject
    act(phl, ORD, orders.cancel_order, unanswered, reason="raised in error")
    assert status(phl, unanswered) == "cancelled"


def test_proposed_changes_before_acceptance(nodes):
    jpn, phl = nodes
    set_day(D(2026, 2, 3), jpn, phl)
    number = act(phl, ORD, orders.submit_order, terms()).envelope.subject
    sync(phl, jpn)
    state = read(jpn, orders.order_state, number)
    act(jpn, APP, orders.propose, number, commands.term_changes(state, prices={1: "155"}),
        reason="price list of February")
    sync(jpn, phl)
    assert status(phl, number) == "proposed"
    act(phl, ORD, orders.confirm, number)
    sync(phl, jpn)
    act(jpn, APP, orders.accept, number, supplying_unit="JGSDF-1HB")
    sync(jpn, phl)
    shown = read(phl, order_view.show_order, number)
    assert (shown["status"], shown["version"]) == ("accepted", 2)
    assert shown["terms"]["lines"][0]["unit_price"] == "155"


def test_a_transfer_to_a_third_party_needs_the_suppliers_consent(nodes):
    jpn, phl = nodes
    number = delivered_and_received(jpn, phl)
    set_day(D(2026, 2, 15), jpn, phl)
    act(phl, ORD, orders.request_transfer, number, to="USA", lines=[(1, "1000")],
        reason="trilateral exercise: refuelling USMC vehicles")
    refused(phl, SUPPLY, orders.record_transfer, number, code="consent_missing")
    sync(phl, jpn)
    act(jpn, APP, orders.answer_transfer, number, None, True)
    sync(jpn, phl)
    act(phl, SUPPLY, orders.record_transfer, number, "1")
    sync(phl, jpn)
    [transfer] = read(jpn, order_view.show_order, number)["transfers"]
    assert (transfer["answer"], transfer["done_on"]) == ("consented", "2026-02-15")


def test_evidence_files_are_kept_with_the_delivery_and_travel_with_it(nodes):
    jpn, phl = nodes
    number = submitted_and_accepted(jpn, phl)
    set_day(D(2026, 2, 10), jpn, phl)
    files = (T.evidence_files,)

    @use_case
    def attach_and_deliver(uow: UnitOfWork, quantity: str) -> None:
        # The file and the delivery citing it: one use case, kept whole or not at all.
        user = get_user(uow, "jpn.supply")
        ticket = evidence.store_evidence(uow, "/tmp/meter ticket 0042.pdf", b"%PDF-1.4 0042")
        orders.deliver(uow, user, number, [(1, quantity)], evidence=[ticket])

    def deliver(quantity: str) -> None:
        with UnitOfWork(jpn) as uow:
            attach_and_deliver(uow, quantity)

    with pytest.raises(DomainError) as caught:
        deliver("12000")  # beyond the 10 % tolerance
    assert caught.value.code == "tolerance_exceeded"
    with UnitOfWork(jpn, write=False) as uow:
        assert uow.conn.execute(select(func.count()).select_from(*files)).scalar_one() == 0
    deliver("10000")
    sync(jpn, phl)
    [delivery] = read(phl, order_view.show_order, number)["deliveries"]
    assert delivery["evidence"][0]["name"] == "meter ticket 0042.pdf"
    assert delivery["evidence"][0]["media_type"] == "application/pdf"
    with UnitOfWork(phl, write=False) as uow:
        assert uow.conn.execute(select(T.evidence_files.c.content)).scalar_one() == (
            b"%PDF-1.4 0042")


def test_a_stale_parent_is_a_conflict(nodes):
    jpn, phl = nodes
    set_day(D(2026, 2, 3), jpn, phl)
    number = act(phl, ORD, orders.submit_order, terms()).envelope.subject
    sync(phl, jpn)
    head = read(jpn, order_view.show_order, number)["head"]
    refused(jpn, APP, orders.accept, number, supplying_unit="JGSDF-1HB",
            expected_parent="0" * 64, code="conflict")
    act(jpn, APP, orders.accept, number, supplying_unit="JGSDF-1HB", expected_parent=head)
    assert status(jpn, number) == "accepted"


def test_listing_filters_and_pages_newest_first(nodes):
    jpn, phl = nodes
    set_day(D(2026, 2, 3), jpn, phl)
    numbers = [act(phl, ORD, orders.submit_order, terms()).envelope.subject for _ in range(3)]
    water = terms(lines=[("water", "Potable water", "2000", "L", "30")])
    numbers.append(act(phl, ORD, orders.submit_order, water).envelope.subject)
    act(phl, ORD, orders.withdraw, numbers[0], reason="duplicate")

    def listed(**wanted: object) -> queries.OrderPage:
        with UnitOfWork(phl, write=False) as uow:
            user = get_user(uow, "phl.ordering")
            return queries.list_orders(uow, user, queries.OrderFilter(**wanted))  # type: ignore[arg-type]

    newest_first = numbers[::-1]  # one day: the later number first
    first = listed(limit=2)
    assert [o.number for o in first.data] == newest_first[:2] and first.count == 4
    rest = listed(limit=2, after=first.next)
    assert [o.number for o in rest.data] == newest_first[2:] and rest.next is None
    assert [o.number for o in listed(status="cancelled").data] == numbers[:1]
    assert [o.number for o in listed(q="WATER").data] == numbers[3:]
    assert listed(counterpart="JPN", agreement=AGREEMENT).count == 4
    assert listed(counterpart="USA").data == []
    assert first.data[1].value == "1525000" and first.data[1].status == "submitted"
    with pytest.raises(DomainError) as caught:
        listed(status="lost")
    assert caught.value.field == "status"


def test_references_by_position_hash_and_invoice_number(nodes):
    jpn, phl = nodes
    number = delivered_and_received(jpn, phl)
    set_day(D(2026, 2, 12), jpn, phl)
    invoice = act(jpn, FIN, settlement.issue_invoice, number)
    state = read(jpn, orders.order_state, number)
    for ref in ("1", invoice.hash[:8], "INV/JPN/FY2025/00001"):
        assert references.find_invoice(state, ref) == invoice.hash
    with pytest.raises(DomainError) as caught:
        references.find_invoice(state, "2")
    assert (caught.value.code, caught.value.field) == ("unknown_reference", "invoice")
    assert references.find_delivery(state, state.deliveries[0].id[:6]) == state.deliveries[0].id


def test_a_registered_activity_gives_its_type_when_the_terms_leave_it_out(nodes):
    jpn, phl = nodes
    set_day(D(2026, 10, 20), jpn, phl)
    act(phl, Role.ADMINISTRATOR, admin.register_activity, agreement=AGREEMENT,
        activity_id="TYPHOON-HADR", name="Typhoon relief", type="hadr",
        starts_on=D(2026, 10, 18))
    t = terms(activity="TYPHOON-HADR")
    del t["activity_type"]
    number = act(phl, ORD, orders.submit_order, t).envelope.subject
    assert read(phl, order_view.show_order, number)["terms"]["activity_type"] == "hadr"
    t["activity"] = "NOT-REGISTERED"
    refused(phl, ORD, orders.submit_order, t, code="missing_field")
