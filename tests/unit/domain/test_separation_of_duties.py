"""Separation of duties, declared in the agreement profile and judged in the fold.

Under the Japan–Philippines profile 2026.2 the person who orders does not also
receive, the person who receives does not also pay, and the person who issues
does not also bill; a small detachment's approving official may waive it for
their side on one order. An order begun under a profile without the rule
(2026.1) keeps its verdicts.
"""

from __future__ import annotations

import copy
import tomllib
from datetime import date
from typing import Any

import pytest

from acsa.devtools.exercise import Exercise, ticket_ref
from acsa.domain import commands
from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile, profile_from_document
from acsa.domain.errors import ProfileInvalid
from acsa.domain.facts import Fact
from acsa.domain.parties import Role, Side
from acsa.domain.roster import Appointment
from acsa.domain.rules import Status
from acsa.domain.state import Verdict
from in_force import JPN_PHL_IN_FORCE

D = date
DIESEL = ("pol", "Diesel F-76", "10000", "L", "152.5")
ORD, APP, RCV = Role.ORDERING_OFFICIAL, Role.APPROVING_OFFICIAL, Role.RECEIVING_OFFICIAL
SUPPLY, FIN = Role.SUPPLY_OFFICER, Role.FINANCE_OFFICER
SHIPPED = tomllib.loads(JPN_PHL_IN_FORCE)
RECEIVED_ON = date(2026, 2, 11)
REFUSAL = ("phl.multi already took 'submit' on this order: under JPN-PHL-ACSA "
           "2026.3+2026-02-01 one "
           "person may not also take 'receive' (separation of duties)")


def _plain(value: Any) -> Any:
    """A parsed TOML document as a profile document holds it (dates as ISO text)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def profile(**section: Any) -> AgreementProfile:
    """The shipped profile; ``section`` replaces its ``separation_of_duties`` (``none=True``
    leaves it out, as version 2026.1 did)."""
    document = _plain(copy.deepcopy(SHIPPED))
    if section.pop("none", False):
        del document["separation_of_duties"]
        document["version"] = "2026.1"
    elif section:
        document["separation_of_duties"] = section
    return profile_from_document(document, "test.toml")


class Detachment:
    """An exercise in which one Philippine official orders and receives (``phl.multi``) and
    one Japanese official delivers and bills (``jpn.multi``)."""

    def __init__(self, p: AgreementProfile) -> None:
        self.x = Exercise(p)
        s = self.x.s
        self.multi: dict[tuple[str, Role], Appointment] = {
            ("PHL", role): s.appoint("PHL", "phl.multi", role) for role in (ORD, RCV, FIN)}
        self.multi |= {("JPN", role): s.appoint("JPN", "jpn.multi", role)
                       for role in (SUPPLY, FIN)}

    def by_multi(self, party: str, role: Role, type: str, number: str, data: dict[str, Any],
                 on: date) -> Fact:
        return self.x.s.act(self.multi[(party, role)], type, number, data, on=on)

    def delivered(self) -> tuple[str, Fact]:
        """An order phl.multi submitted, accepted and delivered in full."""
        x = self.x
        number = x.s.number("PHL", D(2026, 2, 3))
        self.by_multi("PHL", ORD, F.ORDER_SUBMITTED, number,
                      {"terms": x.terms("PHL", "JPN", [DIESEL])}, D(2026, 2, 3))
        x.accept(number, D(2026, 2, 4))
        delivery = x.deliver(number, [(1, "10000")], D(2026, 2, 10))
        return number, delivery

    def receive(self, number: str, delivery: Fact, on: date = RECEIVED_ON) -> Fact:
        return self.by_multi("PHL", RCV, F.RECEIPT_RECORDED, number,
                             {"delivery": delivery.hash,
                              "lines": [{"line": 1, "quantity": "10000"}]}, on)

    def waive(self, number: str, party: str = "PHL", on: date = RECEIVED_ON) -> Fact:
        return self.x.do(party, APP, F.DUTIES_WAIVED, number,
                         {"reason": "detachment of four at Subic: one officer orders and "
                          "receives"}, on)

    def verdict(self, number: str, fact: Fact) -> Verdict:
        return next(v for v in self.x.state(number).verdicts if v.event == fact.hash)


def test_the_shipped_profile_declares_the_rule_from_version_2026_2(
        jp_ph: AgreementProfile) -> None:
    assert jp_ph.version == "2026.3+2026-02-01"
    assert jp_ph.separation is not None and jp_ph.separation.waivers
    assert jp_ph.separation.combined("receive", "submit")
    assert jp_ph.separation.combined("pay", "receive")
    assert not jp_ph.separation.combined("deliver", "receive")


def test_who_ordered_may_not_receive(jp_ph: AgreementProfile) -> None:
    d = Detachment(jp_ph)
    number, delivery = d.delivered()
    receipt = d.receive(number, delivery)
    v = d.verdict(number, receipt)
    assert (v.effective, v.code, v.reason) == (False, "duties_combined", "actor.user: " + REFUSAL)
    assert d.x.status(number) is Status.DELIVERED
    # Another receiving official acknowledges it.
    d.x.receive(number, delivery, D(2026, 2, 11))
    assert d.x.status(number) is Status.RECEIVED


def test_a_waiver_lifts_the_rule_for_that_side_on_that_order_only(
        jp_ph: AgreementProfile) -> None:
    d = Detachment(jp_ph)
    number, delivery = d.delivered()
    waiver = d.waive(number)
    assert d.verdict(number, waiver).effective
    [w] = d.x.state(number).waivers
    assert (w.side, w.user, w.on) == (Side.REQUESTER, "phl.approving_official", D(2026, 2, 11))
    assert w.reason.startswith("detachment of four")
    assert d.verdict(number, d.receive(number, delivery)).effective
    assert d.x.status(number) is Status.RECEIVED
    # Another order of the same requester is not waived.
    other, other_delivery = d.delivered()
    assert d.verdict(other, d.receive(other, other_delivery)).code == "duties_combined"


def test_the_supplier_side_who_delivered_may_not_bill_until_waived(
        jp_ph: AgreementProfile) -> None:
    d = Detachment(jp_ph)
    x = d.x
    number = x.submit(x.terms("PHL", "JPN", [DIESEL]), D(2026, 2, 3))
    x.accept(number, D(2026, 2, 4))
    delivery = d.by_multi("JPN", SUPPLY, F.DELIVERY_RECORDED, number,
                          {"lines": [{"line": 1, "quantity": "10000"}],
                           "evidence": [ticket_ref(number)]}, D(2026, 2, 10))
    x.receive(number, delivery, D(2026, 2, 11))
    invoice = x.invoice(number, D(2026, 2, 12))  # by another finance officer: effective
    assert d.verdict(number, invoice).effective
    x.void(number, invoice, D(2026, 2, 12))
    st = x.state(number)
    again = commands.invoice_data(st, jp_ph, on=D(2026, 2, 13), number="INV-2",
                                  replaces=invoice.hash)
    refused = d.by_multi("JPN", FIN, F.INVOICE_ISSUED, number, again, D(2026, 2, 13))
    assert d.verdict(number, refused).code == "duties_combined"
    d.waive(number, "JPN", D(2026, 2, 13))
    assert d.verdict(number, d.by_multi("JPN", FIN, F.INVOICE_ISSUED, number, again,
                                        D(2026, 2, 13))).effective


def test_who_received_may_not_pay(jp_ph: AgreementProfile) -> None:
    d = Detachment(jp_ph)
    x = d.x
    number = x.submit(x.terms("PHL", "JPN", [DIESEL]), D(2026, 2, 3))
    x.accept(number, D(2026, 2, 4))
    delivery = x.deliver(number, [(1, "10000")], D(2026, 2, 10))
    d.receive(number, delivery)  # phl.multi did not order this one: effective
    invoice = x.invoice(number, D(2026, 2, 12))
    data = commands.payment_data(currency="JPY", allocations=[(number, invoice.hash, 1525000)],
                                 reference="LBP-1")
    payment = d.by_multi("PHL", FIN, F.PAYMENT_RECORDED, "PAY/PHL/00001", data, D(2026, 3, 1))
    v = d.verdict(number, payment)
    assert (v.effective, v.code) == (False, "duties_combined")
    assert "'receive'" in v.reason and "'pay'" in v.reason


def test_an_order_under_a_profile_without_the_rule_keeps_its_verdicts() -> None:
    d = Detachment(profile(none=True))
    number, delivery = d.delivered()
    assert d.verdict(number, d.receive(number, delivery)).effective
    assert d.x.status(number) is Status.RECEIVED
    # Nothing to waive under it.
    waiver = d.waive(number)
    assert (d.verdict(number, waiver).code, d.verdict(number, waiver).reason) == (
        "not_eligible", "type: JPN-PHL-ACSA 2026.1 declares no separation of duties to waive")


def test_a_profile_may_allow_no_waiver() -> None:
    d = Detachment(profile(incompatible=[["submit", "receive"]], waivers=False))
    number, delivery = d.delivered()
    assert d.verdict(number, d.waive(number)).code == "not_eligible"
    assert d.verdict(number, d.receive(number, delivery)).code == "duties_combined"


def test_a_side_waives_once_and_only_its_approving_official_may(
        jp_ph: AgreementProfile) -> None:
    d = Detachment(jp_ph)
    number, _ = d.delivered()
    assert d.verdict(number, d.waive(number)).effective
    assert d.verdict(number, d.waive(number)).code == "already_recorded"
    by_ordering = d.x.do("PHL", ORD, F.DUTIES_WAIVED, number, {"reason": "r"}, D(2026, 2, 11))
    assert d.verdict(number, by_ordering).code == "transition_not_allowed"
    no_reason = d.x.do("JPN", APP, F.DUTIES_WAIVED, number, {}, D(2026, 2, 11))
    assert d.verdict(number, no_reason).code == "missing_field"


@pytest.mark.parametrize(("section", "problem"), [
    ({"incompatible": [["submit", "ship"]], "waivers": True}, "unknown action 'ship'"),
    ({"incompatible": [["submit", "submit"]], "waivers": True}, "not a pair of two different"),
    ({"incompatible": [["submit", "accept"]], "waivers": True},
     "submit and accept are never taken by one side"),
    ({"incompatible": [["submit", "receive"], ["receive", "submit"]], "waivers": True},
     "listed twice"),
    ({"incompatible": [], "waivers": True}, "names no pair"),
    ({"incompatible": [["submit", "receive"]]}, "separation_of_duties.waivers: missing"),
    ({"incompatible": [["submit", "receive"]], "waivers": True, "roles": []}, "unknown key"),
])
def test_a_wrong_section_is_named(section: dict[str, Any], problem: str) -> None:
    with pytest.raises(ProfileInvalid) as caught:
        profile(**section)
    assert problem in str(caught.value)
    assert str(caught.value).startswith("test.toml: separation_of_duties")
