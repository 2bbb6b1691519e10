"""``PUT /api/v1/users/{id}/roles`` and ``/units``: an administrator edits what a user may
do and for which units; each change is a line of the access log, a refusal names its
field and keeps nothing."""

from __future__ import annotations

from sqlalchemy import select

from acsa.domain.parties import Role
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

from .conftest import problem
from .test_users import headers_of, kept


def user_lines(node: Node) -> list[tuple[str, str]]:
    with UnitOfWork(node, write=False) as uow:
        a = T.access_log.c
        return [(r.action, r.target) for r in uow.conn.execute(
            select(a.action, a.target).where(a.action.in_(["user.roles", "user.units"]))
            .order_by(a.id))]


def test_an_administrator_sets_roles_and_units(node, client):  # type: ignore[no-untyped-def]
    admin = headers_of(node, Role.ADMINISTRATOR)
    r = client.put("/api/v1/users/jpn.ordering/roles", headers=admin,
                   json={"roles": ["ordering_official", "receiving_official"]})
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == ["ordering_official", "receiving_official"]
    r = client.put("/api/v1/users/jpn.ordering/units", headers=admin, json={"units": []})
    assert r.status_code == 200 and r.json()["units"] == []
    assert [action for action, _ in user_lines(node)] == ["user.roles", "user.units"]


def test_refusals_name_the_field_and_keep_nothing(node, client):  # type: ignore[no-untyped-def]
    admin = headers_of(node, Role.ADMINISTRATOR)
    before = kept(node)
    for path, body, field in (("roles", {"roles": ["general"]}, "roles"),
                              ("units", {"units": ["AFP-TOG1"]}, "units"),
                              ("roles", {"roles": ["auditor"]}, "roles")):
        who = "jpn.administrator" if body == {"roles": ["auditor"]} else "jpn.ordering"
        r = client.put(f"/api/v1/users/{who}/{path}", headers=admin, json=body)
        assert r.status_code == 422 and problem(r)["field"] == field, r.text
    r = client.put("/api/v1/users/jpn.ordering/roles", json={"roles": ["auditor"]},
                   headers=headers_of(node, Role.SECURITY_OFFICER))
    assert r.status_code == 403
    assert kept(node) == before and user_lines(node) == []
