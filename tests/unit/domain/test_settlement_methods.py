"""Settlement methods per category, and an equal-value exchange that closes as a whole.

The Japan–Philippines profile 2026.2 declares Japan's rule: supplies are settled by return
of the same item (rik) or in cash; services in cash or by services of the same kind and
equal value (eve), "the same kind" being the same category of the profile, each way. An
exchange closes as a whole: neither linked order is settled while the residual billed on
one of them is unpaid. An order begun under 2026.1 keeps its verdicts and statuses.
"""

from __future__ import annotations

import copy
import tomllib
from datetime import date
from typing import Any

import pytest

from acsa.devtools.exercise import Exercise
from acsa.domain import commands
from acsa.domain.agreement import AgreementProfile, profile_from_document
from acsa.domain.errors import ProfileInvalid
from acsa.domain.figures import completed_statuses, exchange_members, status
from acsa.domain.parties import Role
from acsa.domain.rules import Status
from in_force import JPN_PHL_IN_FORCE

D = date
SHIPPED = tomllib.loads(JPN_PHL_IN_FORCE)
TRUCKS_PHP = ("transportation", "Truck, 5 t", "10", "TRIP", "25000.00")  # PHP 250,000.00
TRUCKS_JPY = ("transportation", "Truck, 3½ t", "12", "TRIP", "50000")  # JPY 600,000
WATER_JPY = ("water", "Potable water", "20000", "L", "30")  # JPY 600,000
BILLETING_JPY = ("billeting", "Barracks", "40", "NIGHT", "15000")  # JPY 600,000
RATES = [("JPY", "PHP", "0.38")]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


def document() -> dict[str, Any]:
    return _plain(copy.deepcopy(SHIPPED))  # type: ignore[no-any-return]


def profile_2026_1() -> AgreementProfile:
    """The shipped profile as version 2026.1 had it: no methods per category, and an
    exchange that does not close as a whole (nor the other rules of 2026.2)."""
    doc = document()
    for key in ("deadlines", "separation_of_duties"):
        doc.pop(key, None)
    doc["settlement"].pop("methods_by_kind")
    doc["settlement"].pop("exchange")
    doc["version"] = "2026.1"
    return profile_from_document(doc, "jpn-phl-acsa-2026.1")


def through_receipt(x: Exercise, requester: str, supplier: str, line: tuple[str, ...],
                    method: str = "eve") -> str:
    n = x.submit(x.terms(requester, supplier, [line], method=method), D(2026, 2, 3))
    x.accept(n, D(2026, 2, 4))
    d = x.deliver(n, [(1, line[2])], D(2026, 2, 10))
    x.receive(n, d, D(2026, 2, 10))
    return n


# -- the profile ------------------------------------------------------------------------


def test_the_shipped_profile_declares_japans_rule(jp_ph):
    assert jp_ph.version == "2026.3+2026-02-01" and jp_ph.methods_per_category
    assert jp_ph.category_methods("water") == {"cash", "rik"}
    assert jp_ph.category_methods("transportation") == {"cash", "eve"}
    assert jp_ph.settlement.exchange_same_category
    assert jp_ph.settlement.exchange_closes_as_whole


def test_a_profile_without_the_rule_allows_every_method_everywhere():
    old = profile_2026_1()
    assert not old.methods_per_category
    assert old.category_methods("water") == {"cash", "rik", "eve"}
    assert not old.settlement.exchange_closes_as_whole


def test_a_category_may_list_its_own_methods():
    doc = document()
    doc["categories"][1]["methods"] = ["cash"]  # water: cash only
    p = profile_from_document(doc, "t.toml")
    assert p.category_methods("water") == {"cash"}
    assert p.category_methods("food") == {"cash", "rik"}


@pytest.mark.parametrize(("where", "value", "problem"), [
    ("kind", {"service": ["cash", "rik"]},
     "settlement.methods_by_kind.service: replacement in kind is for supplies only"),
    ("kind", {"supply": ["barter"]},
     "settlement.methods_by_kind.supply: unknown settlement method 'barter'"),
    ("kind", {"supply": []}, "settlement.methods_by_kind.supply: must not be empty"),
    ("kind", {}, "settlement.methods_by_kind: names no kind"),
    ("kind", {"supply": ["cash"], "suply": ["cash"]},
     "settlement.methods_by_kind.suply: unknown key"),
    ("category", ["cash", "eve", "rik"],
     "categories[2].methods: replacement in kind is for supplies only"),
    ("exchange", {"same_kind": "kind", "closes_as_whole": True},
     "settlement.exchange.same_kind: must be one of category"),
])
def test_a_wrong_methods_rule_is_refused_by_key(where, value, problem):
    doc = document()
    if where == "kind":
        doc["settlement"]["methods_by_kind"] = value
    elif where == "category":
        doc["categories"][2]["methods"] = value  # billeting
    else:
        doc["settlement"]["exchange"] = value
    with pytest.raises(ProfileInvalid) as caught:
        profile_from_document(doc, "t.toml")
    assert problem in str(caught.value)


def test_a_method_the_agreement_lacks_is_refused_for_a_category():
    doc = document()
    doc["settlement"]["methods"] = ["cash", "rik"]
    doc["settlement"].pop("methods_by_kind")
    doc["settlement"].pop("exchange")
    doc.pop("deadlines")
    doc["categories"][2]["methods"] = ["cash", "eve"]
    with pytest.raises(ProfileInvalid, match=r"categories\[2\]\.methods: 'eve' is not a "
                       "settlement method of this agreement"):
        profile_from_document(doc, "t.toml")


# -- at order creation ----------------------------------------------------------------


def test_a_supply_is_refused_an_equal_value_exchange(jp_ph):
    x = Exercise(jp_ph)
    n = x.submit(x.terms("PHL", "JPN", [WATER_JPY], method="eve"), D(2026, 2, 3))
    v = x.state(n).verdicts[0]
    assert not v.effective and v.code == "not_eligible"
    assert v.reason == ("method: Water may not be settled by eve under JPN-PHL-ACSA "
                        "2026.3+2026-02-01: "
                        "only by cash, rik")


@pytest.mark.parametrize(("line", "method"), [
    (WATER_JPY, "rik"), (WATER_JPY, "cash"), (TRUCKS_JPY, "eve"), (TRUCKS_JPY, "cash"),
])
def test_the_methods_each_kind_allows(jp_ph, line, method):
    x = Exercise(jp_ph)
    n = x.submit(x.terms("PHL", "JPN", [line], method=method), D(2026, 2, 3))
    assert x.state(n).verdicts[0].effective


def test_an_order_with_a_supply_line_among_services_is_refused_eve(jp_ph):
    x = Exercise(jp_ph)
    n = x.submit(x.terms("PHL", "JPN", [TRUCKS_JPY, WATER_JPY], method="eve"), D(2026, 2, 3))
    assert x.state(n).verdicts[0].reason.startswith("method: Water may not be settled by eve")


def test_under_2026_1_a_supply_may_still_be_exchanged():
    x = Exercise(profile_2026_1())
    n = x.submit(x.terms("PHL", "JPN", [WATER_JPY], method="eve"), D(2026, 2, 3))
    assert x.state(n).verdicts[0].effective


# -- at linking an exchange -----------------------------------------------------------------


def test_an_exchange_names_the_category_it_exchanges(jp_ph):
    x = Exercise(jp_ph)
    a = through_receipt(x, "JPN", "PHL", TRUCKS_PHP)
    b = through_receipt(x, "PHL", "JPN", TRUCKS_JPY)
    link = x.link_exchange("JPN", [a, b], D(2026, 3, 1), "PHP", RATES)
    assert link.data["category"] == "transportation"
    assert x.state(a).verdicts[-1].effective and x.state(b).verdicts[-1].effective
    part = x.state(b).exchanges[-1]
    assert part.members == (a, b) and (part.residual, part.residual_currency) == (
        2_200_000, "PHP")


def test_services_of_another_category_are_refused_on_every_order(jp_ph):
    x = Exercise(jp_ph)
    a = through_receipt(x, "JPN", "PHL", TRUCKS_PHP)
    b = through_receipt(x, "PHL", "JPN", BILLETING_JPY)
    x.link_exchange("JPN", [a, b], D(2026, 3, 1), "PHP", RATES)
    vb = x.state(b).verdicts[-1]
    assert (vb.effective, vb.code) == (False, "not_eligible")
    assert vb.reason == (
        f"orders: {b} is not all Transportation (including airlift): an exchange under "
        "JPN-PHL-ACSA 2026.3+2026-02-01 links services of one category, the same each way")
    assert not x.state(a).verdicts[-1].effective  # all or none
    assert not x.state(a).exchanges and not x.state(b).exchanges


def test_an_exchange_without_its_category_or_of_a_supply_is_refused(jp_ph):
    x = Exercise(jp_ph)
    a = through_receipt(x, "JPN", "PHL", TRUCKS_PHP)
    b = through_receipt(x, "PHL", "JPN", TRUCKS_JPY)
    proposed = commands.exchange_data([(x.state(a), jp_ph), (x.state(b), jp_ph)],
                                      on=D(2026, 3, 1), currency="PHP", rates=RATES)
    role = x.official("JPN", Role.FINANCE_OFFICER).role
    for category, field, words in ((None, "category", "names the category"),
                                   ("water", "orders", "Water is not settled by equal-value")):
        data = {k: v for k, v in proposed.items() if k != "category"}
        if category:
            data["category"] = category
        x.do("JPN", role, "exchange.proposed", f"EVE/JPN/9{field}", data, D(2026, 3, 1))
        v = x.state(a).verdicts[-1]
        assert not v.effective and v.reason.startswith(field + ":") and words in v.reason


# -- an exchange closes as a whole -----------------------------------------------------------


def exchanged(x: Exercise, b_line: tuple[str, ...]) -> tuple[str, str, Any]:
    a = through_receipt(x, "JPN", "PHL", TRUCKS_PHP)
    b = through_receipt(x, "PHL", "JPN", b_line)
    link = x.link_exchange("JPN", [a, b], D(2026, 3, 1), "PHP", RATES)
    x.sign_exchange("PHL", link, D(2026, 3, 2))
    return a, b, link


def test_neither_order_is_settled_until_the_residual_is_paid(jp_ph):
    x = Exercise(jp_ph)
    a, b, link = exchanged(x, TRUCKS_JPY)
    # B owes nothing of its own: its fold alone would call it settled.
    assert status(x.state(b), jp_ph) is Status.SETTLED
    assert exchange_members(x.state(b)) == (a,)
    assert (x.status(a), x.status(b)) == (Status.SETTLING, Status.SETTLING)
    inv = x.invoice(a, D(2026, 3, 3), kind="residual", reference=link.hash)
    pay = x.pay("JPN", [(a, inv, "22000.00")], D(2026, 3, 20))
    assert (x.status(a), x.status(b)) == (Status.SETTLING, Status.SETTLING)  # not confirmed
    x.confirm_payment("PHL", pay, [(a, inv, "22000.00")], D(2026, 3, 21))
    assert (x.status(a), x.status(b)) == (Status.SETTLED, Status.SETTLED)


def test_completed_statuses_need_every_linked_order(jp_ph):
    x = Exercise(jp_ph)
    a, b, link = exchanged(x, TRUCKS_JPY)
    inv = x.invoice(a, D(2026, 3, 3), kind="residual", reference=link.hash)
    pay = x.pay("JPN", [(a, inv, "22000.00")], D(2026, 3, 20))
    x.confirm_payment("PHL", pay, [(a, inv, "22000.00")], D(2026, 3, 21))
    profiles = {jp_ph.digest: jp_ph}
    both = completed_statuses({a: x.state(a), b: x.state(b)}, profiles)
    assert both == {a: Status.SETTLED, b: Status.SETTLED}
    # An order whose linked order is not at hand is not called settled.
    assert completed_statuses({b: x.state(b)}, profiles) == {b: Status.SETTLING}


def test_under_2026_1_the_order_without_the_residual_is_settled_at_signature():
    old = profile_2026_1()
    x = Exercise(old)
    a, b, _ = exchanged(x, WATER_JPY)
    assert (x.status(a), x.status(b)) == (Status.SETTLING, Status.SETTLED)
