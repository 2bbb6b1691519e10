"""Equal-value exchanges valued at official rates only, from the profile version on that
says so — never backwards.

Both nodes adopt a version of the JPN–PHL profile in which the Ministry of Finance's
reporting rate (報告省令レート, source ``mof-reporting``) is official for exchanges
(``official_for = ["exchange"]``). Japan's finance officer then links two newer orders:
a rate typed on the link is refused on ``rates``; a rate the officer recorded without a
source is not used (the refusal names ``mof-reporting``); once the Ministry's rate is
recorded under its source, the link values at it. Two orders recorded under the earlier
version are still linked at the officer's own rate, as that version allows, and both
nodes rebuild and verify to the same record.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from acsa.domain.parties import Role
from acsa.services import admin, recording, settlement
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import get_user
from in_force import JPN_PHL_IN_FORCE

from .test_order_services import FIN, delivered_and_received, refused, terms, verified
from .twonodes import AGREEMENT, act, read, set_day, setup_pair, sync, user_id

D = date
TRUCKS_PHP = ("transportation", "Truck, 5 t", "10", "TRIP", "25000.00")  # PHP 250,000.00
TRUCKS_JPY = ("transportation", "Truck, 3½ t", "12", "TRIP", "50000")  # JPY 600,000


def official_for_exchanges(directory: Path) -> Path:
    """The shipped JPN–PHL profile as version 2026.9, with Japan's official source made
    official for equal-value exchanges."""
    text = JPN_PHL_IN_FORCE
    shipped_version = text.split('version = "', 1)[1].split('"', 1)[0]
    text = text.replace(f'version = "{shipped_version}"', 'version = "2026.9"', 1)
    marker = 'publisher = "Ministry of Finance, Japan (財務省)"\n'
    assert marker in text
    text = text.replace(marker, marker + 'official_for = ["exchange"]\n', 1)
    path = directory / "jpn-phl-2026.9.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def nodes(make_node):  # type: ignore[no-untyped-def]
    jpn, phl = make_node("JPN"), make_node("PHL")
    setup_pair(jpn, phl)
    return jpn, phl


def pair_of_trucks(jpn: Node, phl: Node) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Trucks each way, delivered and received: PHP 250,000.00 against JPY 600,000."""
    a = delivered_and_received(jpn, phl, terms("JPN", "PHL", [TRUCKS_PHP], method="eve"))
    b = delivered_and_received(jpn, phl, terms(lines=[TRUCKS_JPY], method="eve"))
    return a, b  # type: ignore[no-any-return]


def test_exchanges_under_the_new_version_take_official_rates_only(nodes, tmp_path):  # type: ignore[no-untyped-def]
    jpn, phl = nodes
    old_a, old_b = pair_of_trucks(jpn, phl)
    profile = official_for_exchanges(tmp_path)
    for n in (jpn, phl):
        with UnitOfWork(n) as uow:
            admin.adopt_agreement(uow, get_user(uow, user_id(n.party, Role.ADMINISTRATOR)),
                                  str(profile))
            uow.commit()
    sync(jpn, phl)
    sync(phl, jpn)
    assert read(jpn, lambda uow: recording.adopted_profile(uow, AGREEMENT).version) == "2026.9"
    new_a, new_b = pair_of_trucks(jpn, phl)

    set_day(D(2026, 3, 1), jpn, phl)
    typed = refused(jpn, FIN, settlement.link_exchange, [new_a, new_b], currency="PHP",
                    rates=[("JPY", "PHP", "0.38")], code="invalid_value")
    assert typed.field == "rates"
    assert typed.message == (
        "under JPN-PHL-ACSA 2026.9 an equal-value exchange is valued at official rates only "
        "(mof-reporting): leave the rate out to use the one recorded from it")
    act(jpn, FIN, admin.record_rate, agreement=AGREEMENT, on=D(2026, 3, 1), base="JPY",
        quote="PHP", rate="0.38")  # the officer's own
    missing = refused(jpn, FIN, settlement.link_exchange, [new_a, new_b], currency="PHP",
                      code="rate_missing")
    assert missing.field == "rates"
    assert missing.message == (
        "no official JPY/PHP rate from mof-reporting on or before 2026-03-01: equal-value "
        "exchanges are valued at official rates only, never at a rate an officer worked out")

    # The orders of the earlier version are linked at the officer's own rate, as it allows.
    old = act(jpn, FIN, settlement.link_exchange, [old_a, old_b], currency="PHP")
    assert old.envelope.data["residual"] == {"creditor": "PHL", "amount": "22000.00"}

    act(jpn, FIN, admin.record_rate, agreement=AGREEMENT, on=D(2026, 3, 1), base="JPY",
        quote="PHP", rate="0.3725", source="mof-reporting")
    new = act(jpn, FIN, settlement.link_exchange, [new_a, new_b], currency="PHP")
    # At 0.3725, JPY 600,000 is PHP 223,500.00: the Philippines supplied PHP 26,500.00 more.
    assert new.envelope.data["residual"] == {"creditor": "PHL", "amount": "26500.00"}
    sync(jpn, phl)
    set_day(D(2026, 3, 2), jpn, phl)
    for link in (old, new):
        act(phl, FIN, settlement.sign_exchange, link.hash[:12])
    sync(phl, jpn)
    verified(jpn, phl)
