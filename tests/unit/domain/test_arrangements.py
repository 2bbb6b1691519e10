"""The register of implementing arrangements: its rules, on facts alone."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from acsa.domain import facts as F
from acsa.domain.arrangements import (
    PROPOSED,
    SIGNED,
    check_arrangement_data,
    cited,
    fold_arrangements,
    terms_from_data,
)
from acsa.domain.errors import InvalidValue, MissingField, UnknownReference
from acsa.domain.facts import Actor, Fact
from acsa.domain.parties import Role

IA = "JP-PH/IA-01"


def terms(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "identifier": IA, "title": "JMSDF – Philippine Navy", "pricing_basis": "reciprocal",
        "valid_from": "2026-02-01", "valid_to": "2027-01-31",
        "parties": [
            {"party": "JPN", "service_branch": "JMSDF", "contacts": ["Cdr. Sato"],
             "remittance": {"payee": "JMSDF", "office": "MSO Accounting"}},
            {"party": "PHL", "service_branch": "Philippine Navy", "contacts": ["Capt. Cruz"]},
        ],
    }
    data.update(changes)
    return data


_seq = iter(range(1, 10_000))


def fact(type_: str, party: str, data: dict[str, Any], *, at: str = "2026-02-02T01:00:00.000Z",
         signer: str | None = None, role: Role = Role.FINANCE_OFFICER) -> Fact:
    seq = next(_seq)
    return Fact(hash=f"{type_}-{party}-{seq}", stream=f"JPN-PHL-ACSA/{signer or party}",
                seq=seq, at=at, type=type_, subject=f"IA/{IA}", parent=None,
                signer=signer or party,
                actor=Actor(user=f"{party.lower()}.finance", name=f"{party} finance",
                            role=role, party=party),
                profile="sha256:x", data={**data, "on": at[:10]})


def propose(party: str = "PHL", **kw: Any) -> Fact:
    return fact(F.ARRANGEMENT_PROPOSED, party, {"arrangement": terms(**kw.pop("t", {}))}, **kw)


def sign(proposal: Fact, party: str = "JPN", **kw: Any) -> Fact:
    return fact(F.ARRANGEMENT_SIGNED, party, {"proposal": proposal.hash}, **kw)


def fold(*facts: Fact) -> Any:
    return fold_arrangements(facts, lambda f: None)


def test_in_effect_only_once_the_other_party_countersigned_and_within_its_dates() -> None:
    p = propose()
    assert fold(p)[IA].status == PROPOSED
    assert not fold(p)[IA].in_effect(date(2026, 3, 1))
    done = fold(p, sign(p))[IA]
    assert done.status == SIGNED and done.signed_by == "JPN"
    assert done.in_effect(date(2026, 2, 1)) and done.in_effect(date(2027, 1, 31))
    assert not done.in_effect(date(2026, 1, 31)) and not done.in_effect(date(2027, 2, 1))


def test_a_party_cannot_countersign_its_own_proposal() -> None:
    p = propose("PHL")
    a = fold(p, sign(p, "PHL"))[IA]
    assert a.status == PROPOSED and "own proposal" in a.ineffective[0][1]


def test_a_signature_that_sorts_before_its_proposal_still_counts() -> None:
    p = propose(at="2026-02-02T01:00:00.000Z")
    s = sign(p, at="2026-02-02T01:00:00.000Z")  # the JPN stream sorts before PHL's
    assert fold(s, p)[IA].status == SIGNED


def test_a_later_proposal_replaces_an_unsigned_one_and_the_old_cannot_be_signed() -> None:
    first = propose()
    second = propose(t={"title": "revised"}, at="2026-02-03T01:00:00.000Z")
    late = sign(first, at="2026-02-04T01:00:00.000Z")
    a = fold(first, second, late)[IA]
    assert a.terms.title == "revised" and a.status == PROPOSED
    assert "replaced" in a.ineffective[0][1]


def test_a_signed_arrangement_is_never_replaced() -> None:
    p = propose()
    s = sign(p)
    again = propose(t={"title": "changed"}, at="2026-03-01T01:00:00.000Z")
    a = fold(p, s, again)[IA]
    assert a.terms.title == "JMSDF – Philippine Navy" and a.status == SIGNED
    assert "already signed" in a.ineffective[0][1]


def test_only_a_finance_officer_the_roster_authorises_counts() -> None:
    p = propose()
    s = sign(p)
    register = fold_arrangements([p, s], lambda f: "not appointed" if f is s else None)
    assert register[IA].status == PROPOSED
    assert register[IA].ineffective == ((s.hash, "not appointed"),)


def test_an_act_recorded_by_another_partys_node_does_not_count() -> None:
    p = propose()
    forged = sign(p, "JPN", signer="PHL")
    assert fold(p, forged)[IA].status == PROPOSED


@pytest.mark.parametrize(("changes", "field"), [
    ({"identifier": ""}, "identifier"),
    ({"identifier": "has space"}, "identifier"),
    ({"title": None}, "title"),
    ({"pricing_basis": None}, "pricing_basis"),
    ({"valid_from": "tomorrow"}, "valid_from"),
    ({"valid_to": "2026-01-01"}, "valid_to"),
    ({"parties": []}, "parties"),
])
def test_terms_name_the_field_at_fault(changes: dict[str, Any], field: str) -> None:
    with pytest.raises((InvalidValue, MissingField)) as refused:
        terms_from_data(terms(**changes))
    assert refused.value.field == field


def test_each_party_names_contacts_and_a_payee_for_its_remittance() -> None:
    data = terms()
    data["parties"][1]["contacts"] = []
    with pytest.raises(InvalidValue) as refused:
        terms_from_data(data)
    assert refused.value.field == "parties[1].contacts"
    data = terms()
    data["parties"][0]["remittance"] = {"office": "x"}
    with pytest.raises(MissingField) as missing:
        terms_from_data(data)
    assert missing.value.field == "parties[0].remittance.payee"
    with pytest.raises(InvalidValue):
        terms_from_data(terms(), ["JPN", "USA"])


def test_the_terms_round_trip_through_event_data() -> None:
    parsed = terms_from_data(terms())
    assert terms_from_data(parsed.as_data()) == parsed
    check_arrangement_data(F.ARRANGEMENT_PROPOSED, {"arrangement": parsed.as_data()})
    with pytest.raises(InvalidValue):
        check_arrangement_data(F.ARRANGEMENT_SIGNED, {"proposal": 3})


def test_an_order_cites_only_an_arrangement_in_effect_naming_its_field() -> None:
    p = propose()
    with pytest.raises(UnknownReference) as unknown:
        cited(fold(p), "JP-PH/IA-99", date(2026, 3, 1))
    assert unknown.value.field == "implementing_arrangement"
    with pytest.raises(InvalidValue, match="not yet signed"):
        cited(fold(p), IA, date(2026, 3, 1))
    with pytest.raises(InvalidValue, match="not in effect"):
        cited(fold(p, sign(p)), IA, date(2028, 1, 1))
    assert cited(fold(p, sign(p)), IA, date(2026, 3, 1)).identifier == IA


def test_the_profile_switches_the_register_on_and_refuses_anything_but_a_boolean() -> None:
    from acsa.domain.agreement import profile_from_document
    from acsa.domain.errors import ProfileInvalid
    from acsa.profiles import shipped_profile

    shipped = shipped_profile("JPN-PHL-ACSA")
    assert shipped.arrangement_register
    without = {k: v for k, v in shipped.document.items() if k != "implementing_arrangements"}
    assert not profile_from_document(without, "test").arrangement_register
    with pytest.raises(ProfileInvalid, match="register"):
        profile_from_document({**without, "implementing_arrangements": {"register": "yes"}},
                              "test")
