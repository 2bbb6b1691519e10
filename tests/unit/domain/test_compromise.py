"""Loss or compromise reports: the fold's rules, on facts alone.

JPN reports a loss of the Philippines' information (PHL is the originator); the steps
form a chain by ``data.follows``; the verdict depends on the events held, never on the
order they arrived in.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from acsa.domain import facts as F
from acsa.domain.compromise import (
    ACKNOWLEDGED,
    ASSESSED,
    CLOSED,
    REPORTED,
    check_compromise_data,
    fold_reports,
)
from acsa.domain.errors import InvalidValue, MissingField
from acsa.domain.facts import Actor, Fact
from acsa.domain.parties import Role

RID = "LC/JPN/00001"
_seq = itertools.count(1)


def fact(type_: str, party: str, data: dict[str, Any], *, at: str, subject: str = RID,
         role: Role = Role.SECURITY_OFFICER) -> Fact:
    seq = next(_seq)
    return Fact(hash=f"{type_}-{party}-{seq}", stream=f"JPN-PHL-ACSA/{party}", seq=seq, at=at,
                type=type_, subject=subject, parent=None, signer=party,
                actor=Actor(user=f"{party.lower()}.security", name=f"{party} security",
                            role=role, party=party),
                profile="sha256:x", data={**data, "on": at[:10]})


def reported(**changes: Any) -> Fact:
    data = {"originator": "PHL", "orders": ["JP-PH/PHL/FY2026/00001"], "events": [],
            "what_happened": "A printed copy left on a bus.", "discovered_on": "2026-02-03",
            "highest_marking": "SECRET"}
    return fact(F.COMPROMISE_REPORTED, changes.pop("party", "JPN"), {**data, **changes},
                at="2026-02-03T01:00:00.000Z")


def step(type_: str, party: str, follows: Fact, at: str, **data: Any) -> Fact:
    return fact(type_, party, {"follows": follows.hash, **data}, at=at)


def anyone(_: Fact) -> str | None:
    return None


def test_the_four_steps_in_turn_close_the_report() -> None:
    r = reported()
    ack = step(F.COMPROMISE_ACKNOWLEDGED, "PHL", r, "2026-02-03T02:00:00.000Z")
    assessed = step(F.COMPROMISE_ASSESSED, "JPN", ack, "2026-02-04T02:00:00.000Z",
                    assessment="Low harm.")
    closed = step(F.COMPROMISE_CLOSED, "PHL", assessed, "2026-02-05T02:00:00.000Z")
    found = fold_reports([r, ack, assessed, closed], anyone)[RID]
    assert found.status == CLOSED and found.head == closed.hash
    assert [(s.party, s.text) for s in found.steps] == [("PHL", ""), ("JPN", "Low harm."),
                                                        ("PHL", "")]
    assert found.awaits() is None and found.ineffective == ()


def test_the_verdict_does_not_depend_on_arrival_order_or_clocks() -> None:
    """PHL's clock runs an hour behind: its acknowledgement is stamped before the report.
    The chain, not the time, orders the steps; every permutation folds the same."""
    r = reported()
    ack = step(F.COMPROMISE_ACKNOWLEDGED, "PHL", r, "2026-02-03T00:30:00.000Z")
    assessed = step(F.COMPROMISE_ASSESSED, "PHL", ack, "2026-02-03T00:40:00.000Z",
                    assessment="x")
    late = step(F.COMPROMISE_ASSESSED, "JPN", ack, "2026-02-03T03:00:00.000Z", assessment="y")
    results = {fold_reports(list(p), anyone)[RID]
               for p in itertools.permutations([r, ack, assessed, late])}
    assert len(results) == 1
    (only,) = results
    assert only.status == ASSESSED and only.head == assessed.hash
    # Both assessments follow the acknowledgement; the first in recording order wins.
    assert only.ineffective == ((late.hash, "follows a step that is no longer the report's "
                                            "latest"),)


@pytest.mark.parametrize(("type_", "party", "reason"), [
    (F.COMPROMISE_ACKNOWLEDGED, "JPN", "only the originator (PHL) takes this step"),
    (F.COMPROMISE_ASSESSED, "PHL", "the report is reported: assessed needs a report that is "
                                   "acknowledged"),
    (F.COMPROMISE_CLOSED, "PHL", "the report is reported: closed needs a report that is "
                                 "assessed"),
])
def test_a_step_out_of_turn_is_ineffective_with_its_reason(type_: str, party: str,
                                                           reason: str) -> None:
    r = reported()
    bad = step(type_, party, r, "2026-02-03T02:00:00.000Z", assessment="x")
    found = fold_reports([r, bad], anyone)[RID]
    assert found.status == REPORTED and found.ineffective == ((bad.hash, reason),)
    # The report flows on: the right step after the bad one takes effect.
    ack = step(F.COMPROMISE_ACKNOWLEDGED, "PHL", r, "2026-02-03T03:00:00.000Z")
    assert fold_reports([r, bad, ack], anyone)[RID].status == ACKNOWLEDGED


def test_a_step_whose_predecessor_is_not_held_waits() -> None:
    r = reported()
    ack = step(F.COMPROMISE_ACKNOWLEDGED, "PHL", r, "2026-02-03T02:00:00.000Z")
    assessed = step(F.COMPROMISE_ASSESSED, "JPN", ack, "2026-02-04T02:00:00.000Z",
                    assessment="x")
    found = fold_reports([r, assessed], anyone)[RID]
    assert (found.status, found.waiting, found.ineffective) == (REPORTED, (assessed.hash,), ())


def test_reports_the_fold_refuses() -> None:
    own = reported(originator="JPN")
    unappointed = reported(party="JPN")
    twice = [reported(), reported()]
    assert fold_reports([own], anyone) == {}
    assert fold_reports([unappointed], lambda f: "not appointed") == {}
    assert fold_reports(twice, anyone)[RID].event == twice[0].hash
    misnumbered = fact(F.COMPROMISE_REPORTED, "PHL", dict(reported().data),
                       at="2026-02-03T01:00:00.000Z")
    assert fold_reports([misnumbered], anyone) == {}


@pytest.mark.parametrize(("type_", "data", "error", "field"), [
    (F.COMPROMISE_REPORTED, {"originator": "PHL", "what_happened": "x",
                             "discovered_on": "2026-02-03", "highest_marking": "SECRET"},
     MissingField, "orders"),
    (F.COMPROMISE_REPORTED, {"originator": "PHL", "orders": ["A"], "what_happened": "x",
                             "discovered_on": "03/02/2026", "highest_marking": "SECRET"},
     InvalidValue, "discovered_on"),
    (F.COMPROMISE_REPORTED, {"originator": "PHL", "orders": [1], "what_happened": "x",
                             "discovered_on": "2026-02-03", "highest_marking": "SECRET"},
     InvalidValue, "orders"),
    (F.COMPROMISE_ACKNOWLEDGED, {}, InvalidValue, "follows"),
    (F.COMPROMISE_ASSESSED, {"follows": "h"}, MissingField, "assessment"),
])
def test_data_a_partner_cannot_send(type_: str, data: dict[str, Any], error: type,
                                    field: str) -> None:
    with pytest.raises(error) as refused:
        check_compromise_data(type_, data)
    assert refused.value.field == field  # type: ignore[attr-defined]
