"""Downgrading with the originators' consent: a SECRET order PHL asked of JPN, both
parties having signed events of it, is protected at CONFIDENTIAL (秘 on JPN) only once
both security officers have consented; then readers cleared for the new level read it on
both nodes, and the projections are what a fold of the log gives."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import NAMES, UNITS, as_official, user_id
from acsa.domain.errors import InvalidValue
from acsa.domain.parties import Role
from acsa.profiles import shipped_profile
from acsa.services import admin, admin_views, consent, orders, users
from acsa.services.need_to_know import unreadable
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store import tables as T
from integration.conftest import Pair

ACTIVITY = "KAMANDAG-10"
SO = Role.SECURITY_OFFICER
X = Exercise(shipped_profile("JPN-PHL-ACSA"))


def staff_security(node: Node) -> None:
    """An activity, a second security officer (who clears the first: no one clears
    themself), and the first appointed under the agreement."""
    party = node.party
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, user_id(party, Role.ADMINISTRATOR))
        admin.register_activity(uow, boss, agreement="JPN-PHL-ACSA", activity_id=ACTIVITY,
                                name=ACTIVITY, type="bilateral_training",
                                starts_on=date(2026, 1, 15))
        admin.appoint(uow, boss, agreement="JPN-PHL-ACSA", user_id=user_id(party, SO),
                      name=NAMES[party][SO], role=SO.value,
                      units=[u for u, _ in UNITS[party]], valid_from=date(2026, 1, 15))
        users.add_user(uow, boss, user_id=f"{party.lower()}.security2", name="Second officer",
                       roles=[SO.value])
        uow.commit()


def clear(node: Node, who: str, level: str, by: str = "") -> None:
    with UnitOfWork(node) as uow:
        officer = users.get_user(uow, by or user_id(node.party, SO))
        admin_views.set_clearance(uow, officer, who, level)
        admin_views.assign(uow, officer, who, [ACTIVITY])
        uow.commit()


def hidden_from(node: Node, who: str, number: str) -> bool:
    with UnitOfWork(node, write=False) as uow:
        return number in unreadable(uow, users.get_user(uow, who))


def marking(node: Node, number: str) -> str:
    """The marking the order's projection is protected by, in its originator's scheme."""
    with UnitOfWork(node, write=False) as uow:
        return str(uow.conn.execute(select(T.orders.c.marking)
                                    .where(T.orders.c.number == number)).scalar_one())


@pytest.fixture
def secret(pair: Pair) -> tuple[Pair, str]:
    p = pair
    p.set_day(date(2026, 2, 3))
    for node in (p.jpn, p.phl):
        staff_security(node)
        clear(node, user_id(node.party, SO), "SECRET" if node.party == "PHL" else "極秘",
              by=f"{node.party.lower()}.security2")
    clear(p.phl, "phl.ordering", "SECRET")
    clear(p.jpn, "jpn.approving", "極秘")
    clear(p.phl, "phl.finance", "CONFIDENTIAL")  # cleared for the new level only
    clear(p.jpn, "jpn.finance", "秘")
    terms = X.terms("PHL", "JPN", [("pol", "Diesel fuel F-76", "5000", "L", "150")])
    number = as_official(p.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         {**terms, "activity": ACTIVITY},
                         marking={"level": "SECRET"}).envelope.subject
    p.carry(p.phl, p.jpn)
    as_official(p.jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="JMSDF-ESF1")
    p.carry(p.jpn, p.phl)
    return p, number


def test_a_downgrade_takes_effect_only_with_both_originators_consent(secret):
    p, number = secret
    assert (marking(p.phl, number), marking(p.jpn, number)) == ("SECRET", "SECRET")
    assert hidden_from(p.phl, "phl.finance", number)
    assert hidden_from(p.jpn, "jpn.finance", number)

    for level, why in (("TOP SECRET", "must be below"), ("秘", "is not one of PHL's levels")):
        with pytest.raises(InvalidValue) as refused:
            as_official(p.phl, SO, consent.request_consent, number, action="downgrade",
                        level=level, reason="exercise over")
        assert refused.value.field == "level" and why in refused.value.message
    request = as_official(p.phl, SO, consent.request_consent, number, action="downgrade",
                          level="CONFIDENTIAL", reason="the exercise is over")
    assert list(request.envelope.data["originators"]) == ["JPN", "PHL"]
    as_official(p.phl, SO, consent.grant_consent, request.hash)
    p.carry(p.phl, p.jpn)
    # PHL's consent alone is not the originators' consent: nothing changes on either node.
    assert hidden_from(p.phl, "phl.finance", number)
    assert hidden_from(p.jpn, "jpn.finance", number)
    assert marking(p.jpn, number) == "SECRET"

    as_official(p.jpn, SO, consent.grant_consent, request.hash)
    assert not hidden_from(p.jpn, "jpn.finance", number)
    p.carry(p.jpn, p.phl)
    assert not hidden_from(p.phl, "phl.finance", number)
    assert (marking(p.phl, number), marking(p.jpn, number)) == ("CONFIDENTIAL", "CONFIDENTIAL")
    for node in (p.jpn, p.phl):
        with UnitOfWork(node) as uow:
            report = verify_node(uow)
        assert report.ok, [str(f) for f in report.findings[:5]]


def test_a_refusal_keeps_the_marking(secret):
    p, number = secret
    request = as_official(p.phl, SO, consent.request_consent, number, action="declassify",
                          reason="public now")
    p.carry(p.phl, p.jpn)
    as_official(p.jpn, SO, consent.refuse_consent, request.hash, reason="not yet")
    as_official(p.phl, SO, consent.grant_consent, request.hash)
    p.carry(p.jpn, p.phl)
    assert hidden_from(p.phl, "phl.finance", number)
    assert (marking(p.phl, number), marking(p.jpn, number)) == ("SECRET", "SECRET")


def test_the_api_and_the_command_line_ask_for_a_downgrade(secret):
    from unittest.mock import patch

    from typer.testing import CliRunner

    from acsa.cli import _register, app
    from acsa.cli import releases as cli_releases
    from api.conftest import bearer, client_for, token_for

    p, number = secret
    api = client_for(p.jpn)
    officer = bearer(token_for(p.jpn, "jpn.security"))
    same = api.post("/api/v1/consents", headers=officer, json={
        "order": number, "action": "downgrade", "level": "極秘", "reason": "r"})
    assert (same.status_code, same.json()["field"]) == (422, "level")
    asked = api.post("/api/v1/consents", headers=officer, json={
        "order": number, "action": "downgrade", "level": "秘", "reason": "exercise over"})
    assert asked.status_code == 201, asked.text
    assert (asked.json()["level"], asked.json()["status"]) == ("秘", "pending")
    _register()
    with patch.object(cli_releases, "node", lambda: p.jpn):
        listed = CliRunner().invoke(app, ["consent", "list", "--order", number, "--as",
                                          "jpn.security"])
    assert f"{asked.json()['request'][:12]}  {number}  downgrade to 秘: PENDING" in listed.output
