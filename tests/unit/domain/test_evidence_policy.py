"""The evidence policy, declared in the agreement profile and judged in the fold.

Under the Japan–Philippines profile 2026.2 a delivery needs a delivery ticket before
the invoice: the invoice is refused — never the delivery or its receipt, emergency or
not — until the ticket is on the delivery, carried when it was recorded or attached
later (``evidence.attached``, by the side that took the step). An order begun under a
profile without the policy (2026.1) keeps its verdicts.
"""

from __future__ import annotations

import copy
import tomllib
from datetime import date
from typing import Any

import pytest

from acsa.devtools.exercise import Exercise, ticket_ref
from acsa.domain import evidence
from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile, EvidenceRule, profile_from_document
from acsa.domain.errors import EvidenceMissing, ProfileInvalid
from acsa.domain.facts import Fact
from acsa.domain.parties import Role
from acsa.domain.rules import Action, Status
from acsa.domain.state import Verdict
from acsa.i18n.refusals import refusal
from in_force import JPN_PHL_IN_FORCE

D = date
DIESEL = ("pol", "Diesel F-76", "10000", "L", "152.5")
SUPPLY, RCV, FIN = Role.SUPPLY_OFFICER, Role.RECEIVING_OFFICIAL, Role.FINANCE_OFFICER
SHIPPED = tomllib.loads(JPN_PHL_IN_FORCE)
REFUSAL = ("evidence: the delivery of 2026-02-10 lacks a delivery-ticket: under JPN-PHL-ACSA "
           "2026.3+2026-02-01 a delivery needs one before the invoice")
ENGLISH = ("The delivery of Feb 10, 2026 lacks a delivery ticket: under JPN-PHL-ACSA "
           "2026.3+2026-02-01 a "
           "delivery needs one before the invoice.")
JAPANESE = ("2026/02/10の引渡しに引渡票がありません：JPN-PHL-ACSA "
            "2026.3+2026-02-01では、請求書の前に"
            "、引渡しにはその書類が必要です。")


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def profile(rules: list[dict[str, str]] | None = None, *, none: bool = False) -> AgreementProfile:
    """The shipped profile; ``rules`` replace its ``[[evidence]]`` (``none=True`` leaves it
    out, as version 2026.1 did)."""
    document = _plain(copy.deepcopy(SHIPPED))
    if none:
        del document["evidence"]
        document["version"] = "2026.1"
    elif rules is not None:
        document["evidence"] = rules
    return profile_from_document(document, "test.toml")


def verdict(x: Exercise, number: str, fact: Fact) -> Verdict:
    return next(v for v in x.state(number).verdicts if v.event == fact.hash)


def received(x: Exercise, *, ticket: bool) -> tuple[str, Fact, Fact]:
    """Diesel ordered by the Philippines, delivered by Japan (with or without its ticket)
    and received."""
    number = x.submit(x.terms("PHL", "JPN", [DIESEL]), D(2026, 2, 3))
    x.accept(number, D(2026, 2, 4))
    delivery = x.deliver(number, [(1, "10000")], D(2026, 2, 10), ticket=ticket)
    receipt = x.receive(number, delivery, D(2026, 2, 11))
    return number, delivery, receipt


def attach(x: Exercise, party: str, role: Role, number: str, to: str, on: date,
           kind: str = "delivery-ticket") -> Fact:
    return x.do(party, role, F.EVIDENCE_ATTACHED, number,
                {"to": to, "evidence": [ticket_ref(f"{number} later", kind)]}, on)


def test_the_shipped_profile_asks_a_delivery_ticket_before_the_invoice() -> None:
    assert profile().evidence == (EvidenceRule("deliver", "delivery-ticket", "invoice"),)
    assert profile(none=True).evidence == ()


@pytest.mark.parametrize(("rule", "problem"), [
    ({"step": "deliver", "document": "delivery-ticket", "before": "receive"},
     "evidence[0].before: must be one of invoice, pay"),
    ({"step": "invoice", "document": "delivery-ticket", "before": "pay"},
     "evidence[0].step: must be one of deliver, receive"),
    ({"step": "deliver", "document": "waybill", "before": "invoice"},
     "evidence[0].document: must be one of delivery-ticket"),
    ({"step": "deliver", "document": "photo", "before": "invoice", "extra": "x"}, "extra"),
])
def test_a_policy_holds_back_settlement_steps_only_and_names_known_documents(
        rule: dict[str, str], problem: str) -> None:
    with pytest.raises(ProfileInvalid) as refused:
        profile([rule])
    assert problem in str(refused.value)


def test_an_empty_or_repeated_policy_is_refused() -> None:
    rule = {"step": "deliver", "document": "delivery-ticket", "before": "invoice"}
    with pytest.raises(ProfileInvalid, match="names no rule"):
        profile([])
    with pytest.raises(ProfileInvalid, match="listed twice"):
        profile([rule, rule])


def test_the_invoice_waits_for_the_delivery_ticket_attached_later() -> None:
    p = profile()
    x = Exercise(p)
    number, delivery, _ = received(x, ticket=False)
    refused = x.invoice(number, D(2026, 2, 12))
    v = verdict(x, number, refused)
    assert (v.effective, v.code, v.reason) == (False, "evidence_missing", REFUSAL)
    assert x.status(number) is Status.RECEIVED
    [m] = evidence.missing(x.state(number), p)
    assert (m.step, m.event, m.on, m.document, m.before) == (
        "deliver", delivery.hash, D(2026, 2, 10), "delivery-ticket", "invoice")

    # The supply officer finds the ticket and attaches it to the delivery.
    attached = attach(x, "JPN", SUPPLY, number, delivery.hash, D(2026, 2, 13))
    assert verdict(x, number, attached).effective
    assert [e.kind for e in x.state(number).documents(delivery.hash)] == ["delivery-ticket"]
    assert evidence.missing(x.state(number), p) == []
    invoice = x.invoice(number, D(2026, 2, 13))
    assert verdict(x, number, invoice).effective
    assert x.status(number) is Status.SETTLING


def test_the_refusal_reads_in_english_and_japanese() -> None:
    x = Exercise(profile())
    number, _, _ = received(x, ticket=False)
    state = x.state(number)
    with pytest.raises(EvidenceMissing) as refused:
        evidence.check_evidence(Action.INVOICE, state, profile())
    assert str(refused.value) == REFUSAL
    assert refusal(refused.value, "en") == ENGLISH
    assert refusal(refused.value, "ja") == JAPANESE


def test_a_ticket_carried_by_the_delivery_lets_the_invoice_through() -> None:
    x = Exercise(profile())
    number, _, _ = received(x, ticket=True)
    assert verdict(x, number, x.invoice(number, D(2026, 2, 12))).effective


def test_a_file_of_another_kind_is_not_the_ticket() -> None:
    x = Exercise(profile())
    number, delivery, _ = received(x, ticket=False)
    assert verdict(x, number, attach(x, "JPN", SUPPLY, number, delivery.hash,
                                     D(2026, 2, 12), kind="photo")).effective
    assert verdict(x, number, x.invoice(number, D(2026, 2, 12))).code == "evidence_missing"


def test_no_delivery_or_receipt_is_held_back_emergency_or_not() -> None:
    x = Exercise(profile())
    number = x.emergency(x.terms("PHL", "JPN", [DIESEL], activity_type="hadr"),
                         D(2026, 2, 3))
    delivery = x.deliver(number, [(1, "10000")], D(2026, 2, 3), ticket=False)
    receipt = x.receive(number, delivery, D(2026, 2, 4))
    assert verdict(x, number, delivery).effective
    assert verdict(x, number, receipt).effective
    assert x.status(number) is Status.RECEIVED


def test_only_the_side_that_took_the_step_documents_it() -> None:
    x = Exercise(profile())
    number, delivery, receipt = received(x, ticket=False)
    by_requester = attach(x, "PHL", RCV, number, delivery.hash, D(2026, 2, 12))
    assert verdict(x, number, by_requester).code == "not_authorized"
    unknown = attach(x, "JPN", SUPPLY, number, "0" * 64, D(2026, 2, 12))
    assert verdict(x, number, unknown).code == "unknown_reference"
    unnamed = x.do("JPN", SUPPLY, F.EVIDENCE_ATTACHED, number,
                   {"to": delivery.hash, "evidence": [
                       {k: v for k, v in ticket_ref(number).items() if k != "kind"}]},
                   D(2026, 2, 12))
    assert verdict(x, number, unnamed).code == "missing_field"
    # The requester's receiving official documents the receipt.
    grn = attach(x, "PHL", RCV, number, receipt.hash, D(2026, 2, 12),
                 kind="goods-received-note")
    assert verdict(x, number, grn).effective


def test_a_payment_may_wait_for_the_goods_received_note() -> None:
    p = profile([{"step": "deliver", "document": "delivery-ticket", "before": "invoice"},
                 {"step": "receive", "document": "goods-received-note", "before": "pay"}])
    x = Exercise(p)
    number, _, receipt = received(x, ticket=True)
    invoice = x.invoice(number, D(2026, 2, 12))
    assert verdict(x, number, invoice).effective
    paid = x.pay("PHL", [(number, invoice, "1525000")], D(2026, 2, 20))
    v = verdict(x, number, paid)
    assert (v.code, v.reason) == ("evidence_missing", (
        "evidence: the receipt of 2026-02-11 lacks a goods-received-note: under JPN-PHL-ACSA "
        "2026.3+2026-02-01 a receipt needs one before the payment"))
    attach(x, "PHL", FIN, number, receipt.hash, D(2026, 2, 20), kind="goods-received-note")
    assert verdict(x, number, x.pay("PHL", [(number, invoice, "1525000")],
                                    D(2026, 2, 21))).effective


def test_an_order_under_2026_1_is_not_judged_by_the_policy() -> None:
    x = Exercise(profile(none=True))
    number, _, _ = received(x, ticket=False)
    assert verdict(x, number, x.invoice(number, D(2026, 2, 12))).effective
