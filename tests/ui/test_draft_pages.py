"""Drafts from the pages: kept however incomplete, listed, opened in the new-order form,
saved again and signed; only their author changes them, and need to know hides a
classified draft from a reader who may not read it."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from acsa.domain.parties import Role
from acsa.services import admin, users
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from api.conftest import client_for, enrol, official
from clearing import clear

from .test_order_pages import browser_login, event_count, new_order_form

pytestmark = pytest.mark.postgres


def register_activity(node) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, official(node, Role.ADMINISTRATOR))
        admin.register_activity(uow, boss, agreement="JPN-PHL-ACSA", activity_id="KAMANDAG-10",
                                name="Exercise KAMANDAG 10", type="bilateral_training",
                                starts_on=date(2026, 2, 2), ends_on=date(2026, 3, 27))
        uow.commit()


def drafts(node) -> list:  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return list(uow.conn.execute(select(T.drafts).order_by(T.drafts.c.id)))


def test_an_incomplete_draft_is_kept_listed_completed_and_signed(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    register_activity(pair.phl)
    client = client_for(pair.phl)
    csrf = browser_login(client, pair.phl,
                         enrol(pair.phl, official(pair.phl, Role.ORDERING_OFFICIAL)))
    before = event_count(pair.phl)
    # No quantity, no fund citation, no point of contact: still a draft.
    form = new_order_form(csrf, intent="draft", **{"lines.0.quantity": "", "poc": "",
                                                   "fund_citation": "", "note": "ask J4"})
    r = client.post("/new-order", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    (kept,) = drafts(pair.phl)
    assert r.headers["location"].startswith(f"/drafts/{kept.id}")
    assert event_count(pair.phl) == before  # nothing signed

    listed = client.get("/drafts")
    assert f'href="/drafts/{kept.id}"' in listed.text and "ask J4" in listed.text
    assert 'href="/drafts"' in client.get("/").text  # reachable from every page
    page = client.get(f"/drafts/{kept.id}").text
    assert 'value="Diesel fuel F-76"' in page and f'name="draft_id" value="{kept.id}"' in page
    assert re.search(r'id="lines.0.quantity" name="lines.0.quantity"[^>]*value=""', page)

    # Saved again with the quantity, then signed from the draft.
    again = new_order_form(csrf, intent="draft", draft_id=str(kept.id), note="ask J4")
    assert client.post("/new-order", data=again, follow_redirects=False).status_code == 303
    assert len(drafts(pair.phl)) == 1
    signed = new_order_form(csrf, draft_id=str(kept.id))
    r = client.post("/new-order", data=signed, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/orders/JP-PH/PHL/")
    (done,) = drafts(pair.phl)
    assert done.submitted_as and done.submitted_as in r.headers["location"]
    assert f'href="/drafts/{kept.id}"' not in client.get("/drafts").text
    assert client.post("/new-order", data=signed, follow_redirects=False).status_code == 422


def test_only_its_author_opens_or_changes_a_draft(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    register_activity(pair.phl)
    author = client_for(pair.phl)
    csrf = browser_login(author, pair.phl,
                         enrol(pair.phl, official(pair.phl, Role.ORDERING_OFFICIAL)))
    author.post("/new-order", data=new_order_form(csrf, intent="draft", note="mine"))
    (kept,) = drafts(pair.phl)
    other = client_for(pair.phl)
    other_csrf = browser_login(other, pair.phl,
                               enrol(pair.phl, official(pair.phl, Role.FINANCE_OFFICER)))
    assert other.get(f"/drafts/{kept.id}").status_code == 404
    assert "mine" not in other.get("/drafts").text
    r = other.post("/new-order", data=new_order_form(other_csrf, intent="draft",
                                                      draft_id=str(kept.id), note="theirs"))
    assert r.status_code == 404
    assert drafts(pair.phl)[0].note == "mine"


def test_a_classified_draft_is_hidden_from_an_uncleared_auditor(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    register_activity(pair.phl)
    clear(pair.phl, Role.ORDERING_OFFICIAL, "SECRET")
    author = client_for(pair.phl)
    csrf = browser_login(author, pair.phl,
                         enrol(pair.phl, official(pair.phl, Role.ORDERING_OFFICIAL)))
    r = author.post("/new-order", data=new_order_form(
        csrf, intent="draft", note="berth 7", **{"marking.level": "SECRET"}),
        follow_redirects=False)
    assert r.status_code == 303, r.text[:400]
    (kept,) = drafts(pair.phl)
    auditor = client_for(pair.phl)
    browser_login(auditor, pair.phl, enrol(pair.phl, official(pair.phl, Role.AUDITOR)))
    assert "berth 7" not in auditor.get("/drafts").text
    assert auditor.get(f"/drafts/{kept.id}").status_code == 404
    clear(pair.phl, Role.AUDITOR, "SECRET")
    assert "berth 7" in auditor.get("/drafts").text
