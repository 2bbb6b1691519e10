"""The Japan–Philippines agreement enters into force by a profile update both parties sign.

The shipped profile says the agreement is signed, not in force: an order dated 2 February
2026 is refused, naming ``agreement``. Japan's administrator records the entry into force
(1 February 2026, by the exchange of notes): Japan's orders still wait, because the
Philippines has not signed the update. A Philippine administrator who types another date
is refused, naming ``on`` and the date Japan recorded. Once the Philippines records the
same date and instrument, both nodes hold one in-force version with one digest, the order
goes through and is accepted, and a rebuild and verify change nothing.
"""

from __future__ import annotations

from datetime import date

import pytest

from acsa.devtools.world import IN_FORCE_REFERENCE, staff_node, user_id
from acsa.domain.errors import DomainError
from acsa.domain.parties import Role
from acsa.services import admin, orders, queries, recording
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import get_user
from acsa.services.verify import rebuild, verify_node

from .test_order_services import APP, ORD, refused, status, terms
from .twonodes import AGREEMENT, act, introduce, read, sync

ON = date(2026, 2, 1)
VERSION = "2026.3+2026-02-01"


@pytest.fixture
def signed_only(make_node):  # type: ignore[no-untyped-def]
    jpn, phl = make_node("JPN"), make_node("PHL")
    for n in (jpn, phl):
        staff_node(n, [AGREEMENT], in_force=False)
    introduce(jpn, phl)
    sync(jpn, phl)
    return jpn, phl


def record_in_force(node: Node, on: date = ON, reference: str = IN_FORCE_REFERENCE) -> str:
    with UnitOfWork(node) as uow:
        boss = get_user(uow, user_id(node.party, Role.ADMINISTRATOR))
        profile = admin.enter_into_force(uow, boss, AGREEMENT, on=on, reference=reference)
        uow.commit()
    return profile.digest


def submit(phl: Node) -> str:
    return act(phl, ORD, orders.submit_order, terms(), on=date(2026, 2, 2)).envelope.subject


def test_orders_wait_until_both_parties_record_the_entry_into_force(signed_only):  # type: ignore[no-untyped-def]
    jpn, phl = signed_only
    assert read(phl, recording.adopted_profile, AGREEMENT).status == "signed"
    error = refused(phl, ORD, orders.submit_order, terms(), on=date(2026, 2, 2),
                    code="not_eligible")
    assert (error.field, error.message) == ("agreement",
                                            "JPN-PHL-ACSA is not in force on 2026-02-02")

    # The Philippines records it first; Japan has not yet: orders still wait.
    digest = record_in_force(phl)
    sync(jpn, phl)
    error = refused(phl, ORD, orders.submit_order, terms(), on=date(2026, 2, 2),
                    code="invalid_value")
    assert (error.field, error.message) == (
        "agreement", f"JPN has not yet adopted JPN-PHL-ACSA {VERSION}: orders under it wait "
        "until both parties have signed it")

    # Japan types another date: refused, naming the date the Philippines recorded.
    with pytest.raises(DomainError) as caught:
        record_in_force(jpn, on=date(2026, 2, 2))
    assert caught.value.field == "on"
    assert "2026-02-01" in caught.value.message and IN_FORCE_REFERENCE in caught.value.message
    # The same date and instrument: the same document, the same digest.
    assert record_in_force(jpn) == digest
    sync(jpn, phl)
    for n in (jpn, phl):
        [info] = read(n, queries.list_agreements)
        assert (info.version, info.status, info.in_force_on, info.adopted_by) == (
            VERSION, "in_force", ON, ["JPN", "PHL"])

    number = submit(phl)
    sync(jpn, phl)
    act(jpn, APP, orders.accept, number, on=date(2026, 2, 2))
    sync(jpn, phl)
    assert status(jpn, number) == status(phl, number) == "accepted"
    for n in (jpn, phl):
        with UnitOfWork(n) as uow:
            rebuild(uow)
            uow.commit()
        with UnitOfWork(n) as uow:
            assert verify_node(uow).ok
    assert status(jpn, number) == status(phl, number) == "accepted"


def test_an_agreement_in_force_does_not_enter_into_force_again(signed_only):  # type: ignore[no-untyped-def]
    jpn, _ = signed_only
    record_in_force(jpn)
    with pytest.raises(DomainError) as caught:
        record_in_force(jpn, on=date(2026, 3, 1))
    assert (caught.value.field, caught.value.message) == (
        "agreement", f"JPN-PHL-ACSA {VERSION} is already in force, since 2026-02-01")


def test_a_date_before_the_signature_is_refused(signed_only):  # type: ignore[no-untyped-def]
    jpn, _ = signed_only
    with pytest.raises(DomainError) as caught:
        record_in_force(jpn, on=date(2026, 1, 14))
    assert (caught.value.field, caught.value.message) == (
        "on", "cannot be before the signature, 2026-01-15")
