"""``/api/v1/users``: users with their clearance and activities, set by a security officer.

Reading needs the ``admin`` scope and an administrator, auditor or security
officer; a change, a security officer acting on someone else. Refusals are
problem documents naming the field and the values allowed; nothing is kept.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from acsa.domain.parties import Role
from acsa.services import admin, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

from .conftest import bearer, enrol, login, official, problem, token_for

LEVELS = ["特定秘密", "極秘", "秘"]


@pytest.fixture
def activities(node: Node) -> list[str]:
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, official(node, Role.ADMINISTRATOR))
        for activity, kind in (("KAMANDAG-10", "bilateral_training"),
                               ("TYPHOON-RAI2-HADR", "hadr")):
            admin.register_activity(uow, boss, agreement="JPN-PHL-ACSA", activity_id=activity,
                                    name=activity.title(), type=kind,
                                    starts_on=date(2026, 2, 2))
    return ["KAMANDAG-10", "TYPHOON-RAI2-HADR"]


def headers_of(node: Node, role: Role, scopes: tuple[str, ...] = ("read", "admin")
               ) -> dict[str, str]:
    return bearer(token_for(node, official(node, role), scopes))


def kept(node: Node) -> tuple[list[Any], int]:
    with UnitOfWork(node, write=False) as uow:
        people = [tuple(r) for r in uow.conn.execute(
            select(T.users.c.id, T.users.c.clearance, T.users.c.activities)
            .order_by(T.users.c.id))]
        lines = len(uow.conn.execute(select(T.access_log.c.id)
                                     .where(T.access_log.c.action.like("user.%"))).all())
    return people, lines


def test_users_are_listed_with_their_clearance_and_the_levels_allowed(node, client):
    r = client.get("/api/v1/users", headers=headers_of(node, Role.AUDITOR))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["clearance_levels"] == LEVELS
    assert body["count"] == len(body["data"]) == len(Role)
    ordering = next(u for u in body["data"] if u["id"] == "jpn.ordering")
    assert (ordering["clearance"], ordering["activities"], ordering["party"]) == (
        None, [], "JPN")
    r = client.get("/api/v1/users/jpn.ordering", headers=headers_of(node, Role.AUDITOR))
    assert r.status_code == 200 and r.json() == ordering


def test_a_security_officer_sets_and_clears_a_clearance(node, client, activities):
    so = headers_of(node, Role.SECURITY_OFFICER)
    r = client.put("/api/v1/users/jpn.ordering/clearance", json={"clearance": "極秘"},
                   headers=so)
    assert r.status_code == 200, r.text
    assert r.json()["clearance"] == "極秘"
    r = client.put("/api/v1/users/jpn.ordering/activities",
                   json={"activities": ["KAMANDAG-10"]}, headers=so)
    assert r.status_code == 200 and r.json()["activities"] == ["KAMANDAG-10"]
    me = client.get("/api/v1/me", headers=headers_of(node, Role.ORDERING_OFFICIAL, ("read",)))
    assert (me.json()["clearance"], me.json()["activities"]) == ("極秘", ["KAMANDAG-10"])
    r = client.put("/api/v1/users/jpn.ordering/clearance", json={"clearance": None},
                   headers=so)
    assert r.status_code == 200 and r.json()["clearance"] is None
    r = client.put("/api/v1/users/jpn.ordering/activities", json={"activities": []},
                   headers=so)
    assert r.status_code == 200 and r.json()["activities"] == []
    log = client.get("/api/v1/access-log", headers=headers_of(node, Role.AUDITOR, ("read",)))
    lines = [(e["user_id"], e["action"], e["target"]) for e in log.json()["data"]
             if e["action"].startswith("user.")]
    assert lines == [
        ("jpn.security", "user.clearance", "jpn.ordering: none → 極秘"),
        ("jpn.security", "user.assigned", "jpn.ordering: KAMANDAG-10"),
        ("jpn.security", "user.clearance", "jpn.ordering: 極秘 → none"),
        ("jpn.security", "user.unassigned", "jpn.ordering: KAMANDAG-10"),
    ]


def test_an_unknown_level_or_activity_is_refused_naming_field_and_values(
        node, client, activities):
    so = headers_of(node, Role.SECURITY_OFFICER)
    before = kept(node)
    r = client.put("/api/v1/users/jpn.ordering/clearance", json={"clearance": "BANANA"},
                   headers=so)
    assert r.status_code == 422
    body = problem(r)
    assert (body["code"], body["field"]) == ("invalid_value", "clearance")
    assert body["params"] == {"level": "BANANA", "allowed": [*LEVELS, "none"], "party": "JPN"}
    r = client.put("/api/v1/users/jpn.ordering/activities",
                   json={"activities": ["KAMANDAG-10", "NO-SUCH"]}, headers=so)
    assert r.status_code == 422
    body = problem(r)
    assert (body["code"], body["field"]) == ("unknown_reference", "activity")
    assert body["params"] == {"activity": "NO-SUCH", "allowed": activities}
    assert kept(node) == before


@pytest.mark.parametrize("role", [Role.ORDERING_OFFICIAL, Role.ADMINISTRATOR])
def test_anyone_but_a_security_officer_is_refused_a_change(node, client, activities, role):
    before = kept(node)
    headers = headers_of(node, role)
    r = client.put("/api/v1/users/jpn.finance/clearance", json={"clearance": "秘"},
                   headers=headers)
    assert r.status_code == 403 and problem(r)["code"] == "not_permitted"
    r = client.put("/api/v1/users/jpn.finance/activities",
                   json={"activities": ["KAMANDAG-10"]}, headers=headers)
    assert r.status_code == 403 and problem(r)["code"] == "not_permitted"
    assert kept(node) == before


def test_refusals_of_reading_scope_self_and_unknown_users(node, client):
    ordering = headers_of(node, Role.ORDERING_OFFICIAL)
    assert client.get("/api/v1/users", headers=ordering).status_code == 403
    read_only = headers_of(node, Role.SECURITY_OFFICER, ("read",))
    r = client.get("/api/v1/users", headers=read_only)
    assert r.status_code == 403 and problem(r)["code"] == "scope_missing"
    so = headers_of(node, Role.SECURITY_OFFICER)
    r = client.put("/api/v1/users/jpn.security/clearance", json={"clearance": "秘"},
                   headers=so)
    assert r.status_code == 403 and "their own" in problem(r)["detail"]
    r = client.get("/api/v1/users/jpn.nobody", headers=so)
    assert (problem(r)["code"], problem(r)["field"]) == ("unknown_reference", "user")
    r = client.put("/api/v1/users/jpn.ordering/clearance", json={"level": "秘"}, headers=so)
    assert r.status_code == 422  # an unknown field in the body


def test_a_session_changes_a_clearance_with_its_csrf_token(node, client):
    officer = enrol(node, official(node, Role.SECURITY_OFFICER))
    csrf = login(client, node, officer)
    path = "/api/v1/users/jpn.ordering/clearance"
    r = client.put(path, json={"clearance": "秘"})
    assert r.status_code == 403 and problem(r)["code"] == "csrf_rejected"
    r = client.put(path, json={"clearance": "秘"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["clearance"] == "秘"
