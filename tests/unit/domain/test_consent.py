"""The originator's consent: its fold, on facts alone, and the data its events must hold."""

from __future__ import annotations

from typing import Any

import pytest

from acsa.domain import facts as F
from acsa.domain.consent import (
    GRANTED,
    PENDING,
    REFUSED,
    check_consent_data,
    fold_consents,
    subject,
)
from acsa.domain.errors import InvalidValue
from acsa.domain.facts import Actor, Fact
from acsa.domain.parties import Role

ORDER = "JP-PH/PHL/FY2026/00001"
_seq = iter(range(1, 10_000))


def fact(type_: str, party: str, data: dict[str, Any], *, at: str = "2026-02-02T01:00:00.000Z",
         signer: str | None = None) -> Fact:
    seq = next(_seq)
    return Fact(hash=f"{seq:064x}", stream=f"JPN-PHL-ACSA/{signer or party}", seq=seq, at=at,
                type=type_, subject=subject(ORDER), parent=None, signer=signer or party,
                actor=Actor(user=f"{party.lower()}.security", name=f"{party} security",
                            role=Role.SECURITY_OFFICER, party=party),
                profile="sha256:x", data={"order": ORDER, **data, "on": at[:10]})


def ask(party: str = "JPN", originators: tuple[str, ...] = ("JPN", "PHL")) -> Fact:
    return fact(F.CONSENT_REQUESTED, party, {"action": "release", "recipient": "USA",
                                             "originators": list(originators), "reason": "r"})


def grant(request: Fact, party: str, **kw: Any) -> Fact:
    data = {"request": request.hash, "action": "release", "recipient": "USA",
            "events": [f"{party}-event".ljust(64, "0")]}
    data.update(kw.pop("data", {}))
    return fact(F.CONSENT_GRANTED, party, data, **kw)


def refuse(request: Fact, party: str) -> Fact:
    return fact(F.CONSENT_REFUSED, party, {"request": request.hash, "reason": "no"})


def fold(*facts: Fact, problem: str | None = None) -> dict[str, Any]:
    return fold_consents(facts, lambda f: problem)


def test_granted_only_when_every_originator_granted_for_its_own_events():
    request = ask()
    assert fold(request)[request.hash].status == PENDING
    jpn = grant(request, "JPN")
    assert fold(request, jpn)[request.hash].status == PENDING
    both = fold(request, jpn, grant(request, "PHL"))[request.hash]
    assert both.status == GRANTED
    assert both.released == (jpn.data["events"][0], "PHL-event".ljust(64, "0"))


def test_one_refusal_refuses_and_the_first_answer_of_each_originator_decides():
    request = ask()
    no, yes = refuse(request, "PHL"), grant(request, "PHL")
    consent = fold(request, grant(request, "JPN"), no, yes)[request.hash]
    assert consent.status == REFUSED
    assert consent.ineffective == ((yes.hash, "PHL has already answered this request"),)


def test_the_same_verdict_whatever_order_the_facts_arrive_in():
    request = ask()
    facts = [request, grant(request, "PHL", at="2026-02-02T00:00:00.000Z"),
             grant(request, "JPN")]
    assert fold(*facts) == fold(*reversed(facts))
    assert fold(*facts)[request.hash].status == GRANTED


@pytest.mark.parametrize(("answer", "reason"), [
    (lambda r: grant(r, "USA"), "USA is not an originator this request asks"),
    (lambda r: grant(r, "PHL", signer="JPN"), "an act of PHL signed by JPN's node"),
    (lambda r: grant(r, "PHL", data={"recipient": "AUS"}),
     "the grant does not restate the request's order, action and recipient"),
])
def test_an_answer_that_may_not_count_is_kept_ineffective_with_its_reason(answer, reason):
    request = ask()
    bad = answer(request)
    consent = fold(request, bad)[request.hash]
    assert consent.status == PENDING and consent.ineffective == ((bad.hash, reason),)


def test_an_unappointed_signer_counts_for_nothing():
    request = ask()
    assert fold(request, grant(request, "JPN"), problem="not appointed") == {}


@pytest.mark.parametrize(("type_", "data", "field"), [
    (F.CONSENT_REQUESTED, {"action": "sell", "recipient": "USA"}, "action"),
    (F.CONSENT_REQUESTED, {"action": "release", "recipient": "USA", "originators": []},
     "originators"),
    (F.CONSENT_REQUESTED, {"action": "release", "recipient": "USA",
                           "originators": ["JPN"]}, "reason"),
    (F.CONSENT_GRANTED, {"action": "release", "recipient": "USA", "request": "x"}, "request"),
    (F.CONSENT_GRANTED, {"action": "release", "recipient": "USA", "request": "0" * 64,
                         "events": ["short"]}, "events"),
    (F.CONSENT_REFUSED, {"request": "0" * 64}, "reason"),
])
def test_data_the_fold_could_not_read_is_refused_naming_its_field(type_, data, field):
    with pytest.raises(InvalidValue) as refused:
        check_consent_data(type_, {"order": ORDER, **data})
    assert refused.value.field == field
