"""Clearances and need to know: a security officer gives them, on SQLite and PostgreSQL.

A clearance is a level of the node's party's own scheme (the adopted profile's
``classification_levels``) or none; an assignment names an activity registered
on the node. Only a security officer gives either, never to themselves, and
each change is a line of the access log. A refusal names its field and the
values allowed, and keeps nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from acsa.devtools.world import staff_node
from acsa.domain.errors import AlreadyRecorded, DomainError, InvalidValue, UnknownReference
from acsa.services import admin, admin_views, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser, NotPermitted
from acsa.store import tables as T

AGREEMENT = "JPN-PHL-ACSA"
JPN_LEVELS = ["特定秘密", "極秘", "秘"]
SECURITY = "jpn.security"
ORDERING = "jpn.ordering"


@pytest.fixture
def jpn(make_node: Any) -> Node:
    node: Node = make_node("JPN")
    staff_node(node, [AGREEMENT])
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, "jpn.administrator")
        for activity, kind in (("KAMANDAG-10", "bilateral_training"),
                               ("TYPHOON-RAI2-HADR", "hadr")):
            admin.register_activity(uow, boss, agreement=AGREEMENT, activity_id=activity,
                                    name=activity.title(), type=kind,
                                    starts_on=date(2026, 2, 2))
    return node


def as_user(node: Node, who: str, act: Any, *args: Any, **kw: Any) -> LocalUser:
    with UnitOfWork(node) as uow:
        result: LocalUser = act(uow, users.get_user(uow, who), *args, **kw)
    return result


def refused(node: Node, who: str, act: Any, *args: Any, **kw: Any) -> DomainError:
    """``act`` must be refused and keep nothing: no user changed, no access-log line."""
    before = stored(node)
    with pytest.raises(DomainError) as caught:
        as_user(node, who, act, *args, **kw)
    assert stored(node) == before
    return caught.value


def stored(node: Node) -> tuple[list[Any], list[Any]]:
    with UnitOfWork(node, write=False) as uow:
        people = [tuple(r) for r in uow.conn.execute(
            select(T.users.c.id, T.users.c.clearance, T.users.c.activities)
            .order_by(T.users.c.id))]
        log = [tuple(r) for r in uow.conn.execute(select(T.access_log.c.id))]
    return people, log


def access_lines(node: Node, action_prefix: str = "user.") -> list[tuple[str, str, str]]:
    with UnitOfWork(node, write=False) as uow:
        a = T.access_log.c
        return [(r.user_id, r.action, r.target) for r in uow.conn.execute(
            select(a.user_id, a.action, a.target).where(a.action.like(f"{action_prefix}%"))
            .order_by(a.id))]


def user(node: Node, who: str) -> LocalUser:
    with UnitOfWork(node, write=False) as uow:
        return users.find_user(uow, who)


def test_the_levels_are_the_partys_own_as_the_adopted_profile_lists_them(jpn: Node) -> None:
    with UnitOfWork(jpn, write=False) as uow:
        assert list(users.clearance_levels(uow)) == JPN_LEVELS
        assert users.registered_activities(uow) == ["KAMANDAG-10", "TYPHOON-RAI2-HADR"]


def test_a_security_officer_sets_a_clearance_and_clears_it(jpn: Node) -> None:
    changed = as_user(jpn, SECURITY, admin_views.set_clearance, ORDERING, "極秘")
    assert changed.clearance == "極秘" and user(jpn, ORDERING).clearance == "極秘"
    as_user(jpn, SECURITY, admin_views.set_clearance, ORDERING, "極秘")  # unchanged: no line
    assert as_user(jpn, SECURITY, admin_views.set_clearance, ORDERING, "none").clearance is None
    assert user(jpn, ORDERING).clearance is None
    assert access_lines(jpn) == [
        (SECURITY, "user.clearance", f"{ORDERING}: none → 極秘"),
        (SECURITY, "user.clearance", f"{ORDERING}: 極秘 → none"),
    ]


def test_a_level_is_matched_without_regard_to_case_and_stored_as_the_scheme_spells_it(
        make_node: Any) -> None:
    phl = make_node("PHL")
    staff_node(phl, [AGREEMENT])
    changed = as_user(phl, "phl.security", admin_views.set_clearance, "phl.finance", "secret")
    assert changed.clearance == "SECRET"
    # The unclassified marking means no clearance at all.
    assert as_user(phl, "phl.security", admin_views.set_clearance, "phl.finance",
                   "UNCLASSIFIED").clearance is None


def test_an_unknown_level_is_refused_naming_the_field_and_the_levels(jpn: Node) -> None:
    exc = refused(jpn, SECURITY, admin_views.set_clearance, ORDERING, "BANANA")
    assert isinstance(exc, InvalidValue) and exc.field == "clearance"
    assert exc.params["allowed"] == [*JPN_LEVELS, "none"]
    assert all(level in exc.message for level in JPN_LEVELS) and "BANANA" in exc.message
    # The other party's levels are not this node's scheme.
    exc = refused(jpn, SECURITY, admin_views.set_clearance, ORDERING, "SECRET")
    assert exc.field == "clearance"
    assert user(jpn, ORDERING).clearance is None


def test_a_user_is_assigned_to_activities_and_taken_off_them(jpn: Node) -> None:
    changed = as_user(jpn, SECURITY, admin_views.assign, ORDERING, ["KAMANDAG-10"])
    assert changed.activities == {"KAMANDAG-10"}
    exc = refused(jpn, SECURITY, admin_views.assign, ORDERING, ["KAMANDAG-10"])
    assert isinstance(exc, AlreadyRecorded) and exc.field == "activity"
    as_user(jpn, SECURITY, admin_views.assign, ORDERING, ["TYPHOON-RAI2-HADR"])
    assert user(jpn, ORDERING).activities == {"KAMANDAG-10", "TYPHOON-RAI2-HADR"}
    changed = as_user(jpn, SECURITY, admin_views.unassign, ORDERING, ["KAMANDAG-10"])
    assert changed.activities == {"TYPHOON-RAI2-HADR"}
    exc = refused(jpn, SECURITY, admin_views.unassign, ORDERING, ["KAMANDAG-10"])
    assert isinstance(exc, UnknownReference) and exc.field == "activity"
    assert exc.params["allowed"] == ["TYPHOON-RAI2-HADR"]
    assert access_lines(jpn) == [
        (SECURITY, "user.assigned", f"{ORDERING}: KAMANDAG-10"),
        (SECURITY, "user.assigned", f"{ORDERING}: TYPHOON-RAI2-HADR"),
        (SECURITY, "user.unassigned", f"{ORDERING}: KAMANDAG-10"),
    ]


def test_an_unknown_activity_is_refused_naming_the_field_and_the_activities(
        jpn: Node) -> None:
    for act, wanted in ((admin_views.assign, ["KAMANDAG-10", "NO-SUCH"]),
                        (admin_views.set_activities, ["NO-SUCH"])):
        exc = refused(jpn, SECURITY, act, ORDERING, wanted)
        assert isinstance(exc, UnknownReference) and exc.field == "activity"
        assert exc.params == {"activity": "NO-SUCH",
                              "allowed": ["KAMANDAG-10", "TYPHOON-RAI2-HADR"]}
        assert "NO-SUCH" in exc.message and "KAMANDAG-10" in exc.message
    assert user(jpn, ORDERING).activities == frozenset()


def test_setting_the_activities_writes_one_line_per_change(jpn: Node) -> None:
    as_user(jpn, SECURITY, admin_views.set_activities, ORDERING, ["KAMANDAG-10"])
    as_user(jpn, SECURITY, admin_views.set_activities, ORDERING, ["TYPHOON-RAI2-HADR"])
    as_user(jpn, SECURITY, admin_views.set_activities, ORDERING, [])
    assert user(jpn, ORDERING).activities == frozenset()
    assert [(action, target) for _, action, target in access_lines(jpn)] == [
        ("user.assigned", f"{ORDERING}: KAMANDAG-10"),
        ("user.assigned", f"{ORDERING}: TYPHOON-RAI2-HADR"),
        ("user.unassigned", f"{ORDERING}: KAMANDAG-10"),
        ("user.unassigned", f"{ORDERING}: TYPHOON-RAI2-HADR"),
    ]


@pytest.mark.parametrize("who", ["jpn.administrator", ORDERING, "jpn.auditor"])
def test_only_a_security_officer_gives_clearance_and_need_to_know(jpn: Node, who: str) -> None:
    target = "jpn.finance"
    for act, value in ((admin_views.set_clearance, "秘"),
                       (admin_views.set_activities, ["KAMANDAG-10"]),
                       (admin_views.assign, ["KAMANDAG-10"])):
        exc = refused(jpn, who, act, target, value)
        assert isinstance(exc, NotPermitted) and exc.params["role"] == "security_officer"


def test_nobody_gives_themselves_clearance_or_need_to_know(jpn: Node) -> None:
    exc = refused(jpn, SECURITY, admin_views.set_clearance, SECURITY, "特定秘密")
    assert isinstance(exc, NotPermitted) and "their own" in exc.message
    exc = refused(jpn, SECURITY, admin_views.assign, SECURITY, ["KAMANDAG-10"])
    assert isinstance(exc, NotPermitted)


def test_an_unknown_user_is_refused(jpn: Node) -> None:
    exc = refused(jpn, SECURITY, admin_views.set_clearance, "jpn.nobody", "秘")
    assert isinstance(exc, UnknownReference) and exc.field == "user"


def test_adding_a_user_checks_the_clearance_and_activities_given(jpn: Node) -> None:
    # An administrator who is no security officer adds users without them.
    add = admin_views.add_user
    exc = refused(jpn, "jpn.administrator", add, user_id="jpn.analyst", name="Analyst",
                  roles=["auditor"], clearance="秘")
    assert isinstance(exc, NotPermitted)
    exc = refused(jpn, "jpn.administrator", add, user_id="jpn.analyst", name="Analyst",
                  roles=["auditor"], activities=["KAMANDAG-10"])
    assert isinstance(exc, NotPermitted)
    as_user(jpn, "jpn.administrator", add, user_id="jpn.chief", name="Chief",
            roles=["administrator", "security_officer"], clearance="none")
    exc = refused(jpn, "jpn.chief", add, user_id="jpn.analyst", name="Analyst",
                  roles=["auditor"], clearance="BANANA")
    assert isinstance(exc, InvalidValue) and exc.field == "clearance"
    assert exc.params["allowed"] == [*JPN_LEVELS, "none"]
    exc = refused(jpn, "jpn.chief", add, user_id="jpn.analyst", name="Analyst",
                  roles=["auditor"], activities=["NO-SUCH"])
    assert isinstance(exc, UnknownReference) and exc.field == "activity"
    added = as_user(jpn, "jpn.chief", add, user_id="jpn.analyst", name="Analyst",
                    roles=["auditor"], clearance="秘", activities=["KAMANDAG-10"])
    assert (added.clearance, added.activities) == ("秘", {"KAMANDAG-10"})
    assert access_lines(jpn) == [
        ("jpn.administrator", "user.added", "jpn.chief"),
        ("jpn.chief", "user.added", "jpn.analyst"),
        ("jpn.chief", "user.clearance", "jpn.analyst: none → 秘"),
        ("jpn.chief", "user.assigned", "jpn.analyst: KAMANDAG-10"),
    ]


def test_the_first_user_of_a_node_gets_no_clearance(make_node: Any) -> None:
    node = make_node("JPN")
    with UnitOfWork(node) as uow, pytest.raises(NotPermitted):
        users.add_user(uow, None, user_id="jpn.admin", name="Admin",
                       roles=["administrator", "security_officer"], clearance="秘")
    with UnitOfWork(node, write=False) as uow:
        assert users.count_users(uow) == 0
