"""US ceilings counted per country, and ceilings counted at official rates only.

A USA node and a PHL node hold two agreements with each other: the shipped MLSA (2017.2,
whose ceilings say ``scope = "country"``, as 10 U.S.C. 2347 counts) and a second one, a
copy of it under another id adopted by path, as ``acsa agreement adopt FILE.toml`` does.
An order of USD 59,999,000 accepted under one uses up USA's credits ceiling toward PHL
(USD 60 million a fiscal year), so an order of USD 2,000 under the other is refused —
on either node, naming both agreements, on the field ``lines``. With ``scope`` left out
the same two orders both pass: each agreement counts its own.

USA's Treasury Reporting Rates of Exchange are official for ceilings in both US profiles:
an order the USA requests in pesos is counted in dollars at a Treasury rate only. A rate
the officer worked out does not count it (the refusal names the missing official rate);
once the Treasury rate is recorded, the order passes. A source the profile does not name
is refused on ``source``, and nothing is kept.

Bundles travel as signed files between the two live nodes; every storage step runs on
SQLite and, when ``ACSA_TEST_POSTGRES_URL`` is set, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from acsa.devtools.world import NAMES, UNITS, as_official, carry, introduce, staff_node, user_id
from acsa.domain.errors import CeilingExceeded, InvalidValue, RateMissing
from acsa.domain.parties import Role
from acsa.i18n.refusals import refusal
from acsa.profiles import PROFILE_DIR
from acsa.services import admin, order_view, orders, rates, reports, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import rebuild, verify_node

D = date
ORD, APP, FIN = Role.ORDERING_OFFICIAL, Role.APPROVING_OFFICIAL, Role.FINANCE_OFFICER
MLSA, SECOND = "USA-PHL-MLSA", "USA-PHL-MLSA-2"
ACTIVITY = "BALIKATAN-26"


def second_profile(directory: Path, *, scope: bool = True, first: str | None = None) -> Path:
    """A copy of the shipped MLSA under the id ``USA-PHL-MLSA-2`` (and, given ``first``, a
    copy under that id too), with its ceilings counted per country or, without ``scope``,
    per agreement (the line left out)."""
    text = (PROFILE_DIR / "usa-phl-mlsa.toml").read_text(encoding="utf-8")
    if not scope:
        text = text.replace('scope = "country"\n', "")
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / "second.toml"
    out.write_text(text.replace(f'id = "{MLSA}"', f'id = "{SECOND}"')
                   .replace('short_id = "US-PH"', 'short_id = "US-PH2"'), encoding="utf-8")
    if first:
        (directory / "first.toml").write_text(text, encoding="utf-8")
    return out


def adopt_and_staff(node: Node, source: str, agreement: str) -> None:
    """What an administrator does for a further agreement: adopt it (a file, by path),
    register the units and appoint the officials under it."""
    party = node.party
    unit_ids = [u for u, _ in UNITS[party]]
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, user_id(party, Role.ADMINISTRATOR))
        admin.adopt_agreement(uow, boss, source)
        for unit, name in UNITS[party]:
            admin.register_unit(uow, boss, agreement=agreement, unit_id=unit, name=name)
        for role in (ORD, APP, FIN):
            admin.appoint(uow, boss, agreement=agreement, user_id=user_id(party, role),
                          name=NAMES[party][role], role=role.value, units=unit_ids,
                          valid_from=D(2026, 1, 15))
        uow.commit()


def register(node: Node, agreement: str) -> None:
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, user_id(node.party, Role.ADMINISTRATOR))
        admin.register_activity(uow, boss, agreement=agreement, activity_id=ACTIVITY,
                                name="Balikatan 2026", type="bilateral_training",
                                starts_on=D(2026, 1, 15))
        uow.commit()


def two_agreements(make_node: Callable[[str], Node], tmp_path: Path, *,
                   scope: bool = True, mlsa: Path | None = None) -> tuple[Node, Node, Path]:
    """A USA and a PHL node, each holding the MLSA (the shipped one, else the file ``mlsa``)
    and its second copy, introduced."""
    usa, phl = make_node("USA"), make_node("PHL")
    bundles = tmp_path / "bundles"
    copy = second_profile(tmp_path / "profiles", scope=scope, first=None if scope else MLSA)
    if not scope:  # both agreements per agreement: the MLSA's copy without scope, by path
        mlsa = copy.parent / "first.toml"
    for node in (usa, phl):
        node.clock.set_day(D(2026, 2, 3))  # type: ignore[attr-defined]
        if mlsa is None:
            staff_node(node, [MLSA])
        else:
            staff_node(node, [])
            adopt_and_staff(node, str(mlsa), MLSA)
        adopt_and_staff(node, str(copy), SECOND)
        for agreement in (MLSA, SECOND):
            register(node, agreement)
    introduce(usa, phl)
    carry(usa, phl, bundles)
    carry(phl, usa, bundles)
    return usa, phl, bundles


def order(agreement: str, requester: str, supplier: str, currency: str,
          lines: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Terms of an order under ``agreement``: lines of (category, quantity, unit price)."""
    unit = {"USA": "USN-7FLT-LOG", "PHL": "AFP-NFL"}[requester]
    return {"agreement": agreement, "activity": ACTIVITY, "activity_type": "bilateral_training",
            "requester": requester, "supplier": supplier, "requesting_unit": unit,
            "method": "cash", "currency": currency, "needed_by": "2026-03-01",
            "deliver_to": "Subic Bay, Pier 3", "poc": "Capt. Reyes",
            "fund_citation": f"{requester}-FY26-0042",
            "lines": [{"no": i + 1, "category": c, "description": f"{c} for the exercise",
                       "quantity": q, "unit": "EA", "unit_price": p}
                      for i, (c, q, p) in enumerate(lines)]}


def submitted(node: Node, terms: dict[str, Any]) -> str:
    return as_official(node, ORD, orders.submit_order, terms).envelope.subject


def ceiling_rows(node: Node, who: str, agreement: str) -> list[reports.CeilingRow]:
    with UnitOfWork(node, write=False) as uow:
        user = users.get_user(uow, who)
        return [r for r in reports.ceilings(uow, user, D(2026, 2, 3)) if r.agreement == agreement]


def test_an_order_under_one_agreement_uses_up_the_ceiling_for_the_other(
        make_node: Callable[[str], Node], tmp_path: Path) -> None:
    usa, phl, bundles = two_agreements(make_node, tmp_path)
    # PHL asks the USA for fuel under each agreement, before either is accepted: USD
    # 59,999,000 under the MLSA, USD 2,000 under the second — USA's credits toward PHL.
    big = submitted(phl, order(MLSA, "PHL", "USA", "USD", [("pol", "1", "59999000.00")]))
    small = order(SECOND, "PHL", "USA", "USD", [("pol", "1", "2000.00")])
    second = submitted(phl, small)
    carry(phl, usa, bundles)
    as_official(usa, APP, orders.accept, big, supplying_unit="USN-7FLT-LOG")
    # Accepting the second would bring the ceiling to USD 60,001,000 across both.
    with pytest.raises(CeilingExceeded) as on_usa:
        as_official(usa, APP, orders.accept, second, supplying_unit="USN-7FLT-LOG")
    error = on_usa.value
    assert error.field == "lines"
    assert error.message == (
        "USA's credits ceiling toward PHL for FY2026, counted across USA-PHL-MLSA-2, "
        "USA-PHL-MLSA, is 60000000.00 USD; this order would bring it to 60001000.00 USD")
    japanese = refusal(error, "ja")
    assert "USA-PHL-MLSA-2、USA-PHL-MLSA" in japanese and "counted" not in japanese
    # Once PHL's node holds the acceptance, it refuses a new such order itself.
    carry(usa, phl, bundles)
    with pytest.raises(CeilingExceeded) as on_phl:
        submitted(phl, small)
    assert on_phl.value.message == error.message

    # Each agreement's report row counts both agreements' orders, and names them.
    for agreement, named in ((MLSA, (MLSA, SECOND)), (SECOND, (SECOND, MLSA))):
        [liabilities, credits] = ceiling_rows(usa, "usa.approving", agreement)
        assert (credits.direction, credits.scope, credits.agreements) == ("credits", "country",
                                                                         named)
        assert credits.used.text() == "59999000.00"
        assert liabilities.used.text() == "0.00"
    for node in (usa, phl):
        with UnitOfWork(node) as uow:
            rebuild(uow)
            uow.commit()
        with UnitOfWork(node) as uow:
            assert verify_node(uow).ok


def test_a_ceiling_counted_per_agreement_counts_its_own_orders_only(
        make_node: Callable[[str], Node], tmp_path: Path) -> None:
    usa, phl, bundles = two_agreements(make_node, tmp_path, scope=False)
    big = submitted(phl, order(MLSA, "PHL", "USA", "USD", [("pol", "1", "59999000.00")]))
    other = submitted(phl, order(SECOND, "PHL", "USA", "USD", [("pol", "1", "2000.00")]))
    carry(phl, usa, bundles)
    for number in (big, other):
        as_official(usa, APP, orders.accept, number, supplying_unit="USN-7FLT-LOG")
    [_, credits] = ceiling_rows(usa, "usa.approving", SECOND)
    assert (credits.scope, credits.agreements, credits.used.text()) == (
        "agreement", (SECOND,), "2000.00")
    # A third order under the MLSA itself still breaks the MLSA's own ceiling.
    carry(usa, phl, bundles)
    with pytest.raises(CeilingExceeded) as told:
        submitted(phl, order(MLSA, "PHL", "USA", "USD", [("pol", "1", "2000.00")]))
    assert told.value.message == (
        "USA's credits ceiling toward PHL for FY2026 is 60000000.00 USD; this order would "
        "bring it to 60001000.00 USD")


def test_a_ceiling_is_counted_in_dollars_at_the_treasury_rate_only(
        make_node: Callable[[str], Node], tmp_path: Path) -> None:
    usa, phl, bundles = two_agreements(make_node, tmp_path)
    # The USA asks the Philippines for food in pesos: USA's liabilities, counted in dollars.
    food = order(MLSA, "USA", "PHL", "PHP", [("food", "1000", "560.00")])  # PHP 560,000.00
    with pytest.raises(RateMissing) as none:
        submitted(usa, food)
    assert "treasury-reporting" in none.value.message

    def rate(**kw: Any) -> Any:
        return as_official(usa, FIN, admin.record_rate, agreement=MLSA, on=D(2026, 2, 1),
                           base="USD", quote="PHP", **kw)

    rate(rate="56.00")  # worked out by the officer: not official
    with pytest.raises(RateMissing) as own:
        submitted(usa, food)
    assert own.value.field == "rate"
    assert own.value.message == (
        "no official PHP/USD rate from treasury-reporting on or before 2026-02-03: annual "
        "ceilings are counted at official rates only, never at a rate an officer worked out")
    with pytest.raises(InvalidValue) as unknown:
        rate(rate="56.10", source="bsp-daily")
    assert unknown.value.field == "source"
    assert unknown.value.message == ("'bsp-daily' is not an official rate source of "
                                     "USA-PHL-MLSA (treasury-reporting, bsp-reference)")
    official = rate(rate="56.25", source="treasury-reporting")
    assert official.envelope.data == {"base": "USD", "quote": "PHP", "rate": "56.25",
                                      "on": "2026-02-01", "source": "treasury-reporting"}
    number = submitted(usa, food)
    carry(usa, phl, bundles)
    as_official(phl, APP, orders.accept, number, supplying_unit="AFP-NFL")
    carry(phl, usa, bundles)
    [liabilities, _] = ceiling_rows(usa, "usa.approving", MLSA)
    assert liabilities.used.text() == "9955.56"  # 560,000 / 56.25, half-even
    [(group, sub_used, _)] = liabilities.sub_caps  # food is a supply other than POL
    assert (group, sub_used) == ("supplies other than POL", liabilities.used)

    # Both nodes list both rates, saying which is official and from which source.
    for node in (usa, phl):
        with UnitOfWork(node, write=False) as uow:
            listed = [(r["rate"], r["official"], r["source"], r["source_name"], r["recorded_by"])
                      for r in rates.list_rates(uow, MLSA)]
        assert sorted(listed) == [("56.00", False, None, None, "USA"),
                          ("56.25", True, "treasury-reporting",
                           "Treasury Reporting Rates of Exchange", "USA")]
        with UnitOfWork(node) as uow:
            rebuild(uow)
            uow.commit()
        with UnitOfWork(node) as uow:
            assert verify_node(uow).ok


def as_2017_1(directory: Path) -> Path:
    """The MLSA as it was before 2017.2: ceilings counted per agreement, no rate sources."""
    text = (PROFILE_DIR / "usa-phl-mlsa.toml").read_text(encoding="utf-8")
    text = text.replace('scope = "country"\n', "").replace('version = "2017.2"',
                                                           'version = "2017.1"')
    head, rest = text.split("[exchange_rates]", 1)
    text = head + rest[rest.index("[classification]"):]
    path = directory / "mlsa-2017.1.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_order_begun_under_2017_1_is_counted_as_2017_1_counts(
        make_node: Callable[[str], Node], tmp_path: Path) -> None:
    """Submitted under 2017.1 (per agreement) and accepted after both nodes adopt 2017.2
    (per country): its ceiling is counted per agreement, as when it began. A new order
    under 2017.2 is counted across both agreements."""
    usa, phl, bundles = two_agreements(make_node, tmp_path, mlsa=as_2017_1(tmp_path))
    big = submitted(phl, order(SECOND, "PHL", "USA", "USD", [("pol", "1", "59999000.00")]))
    begun = submitted(phl, order(MLSA, "PHL", "USA", "USD", [("pol", "1", "2000.00")]))
    carry(phl, usa, bundles)
    as_official(usa, APP, orders.accept, big, supplying_unit="USN-7FLT-LOG")
    for node in (usa, phl):
        with UnitOfWork(node) as uow:
            admin.adopt_agreement(uow, users.get_user(uow, user_id(node.party,
                                                                   Role.ADMINISTRATOR)),
                                  MLSA)
            uow.commit()
    carry(usa, phl, bundles)
    carry(phl, usa, bundles)
    as_official(usa, APP, orders.accept, begun, supplying_unit="USN-7FLT-LOG")  # per agreement
    carry(usa, phl, bundles)
    with pytest.raises(CeilingExceeded) as told:
        submitted(phl, order(MLSA, "PHL", "USA", "USD", [("pol", "1", "2000.00")]))
    assert "counted across USA-PHL-MLSA, USA-PHL-MLSA-2" in told.value.message
    assert "60003000.00 USD" in told.value.message  # 59,999,000 + 2,000 + 2,000
    for node in (usa, phl):
        with UnitOfWork(node) as uow:
            rebuild(uow)
            uow.commit()
        with UnitOfWork(node) as uow:
            assert verify_node(uow).ok
        with UnitOfWork(node, write=False) as uow:
            assert order_view.status_of(uow, begun) == "accepted"
