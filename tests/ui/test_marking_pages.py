"""Markings on the pages: the Classification field of the new-order, emergency and delivery
forms, its refusals beside the field in the user's language, and the marking in both
parties' schemes at the top and bottom of every page that shows a classified order."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.i18n import gettext
from acsa.services import admin, orders, users
from acsa.services.markings import NO_EQUIVALENT
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from api.conftest import official
from clearing import clear
from integration.test_order_services import terms

from .test_order_pages import event_count, head_of, logged_in, new_order_form

pytestmark = pytest.mark.postgres

BANNER = re.compile(r'<div class="marking-banner" role="note" aria-label="[^"]*">([^<]*)</div>')




def register_activity(node: Node) -> None:
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, official(node, Role.ADMINISTRATOR))
        admin.register_activity(uow, boss, agreement="JPN-PHL-ACSA", activity_id="KAMANDAG-10",
                                name="Exercise KAMANDAG 10", type="bilateral_training",
                                starts_on=date(2026, 2, 2), ends_on=date(2026, 3, 27))
        uow.commit()


def banners(html: str) -> list[str]:
    return BANNER.findall(html.replace("&amp;", "&"))


def test_a_new_order_is_classified_on_its_form_and_marked_on_every_page(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    register_activity(pair.phl)
    clear(pair.phl, Role.ORDERING_OFFICIAL, "SECRET")
    client, csrf = logged_in(pair.phl, Role.ORDERING_OFFICIAL)
    form = client.get("/new-order").text
    levels = re.search(r'<select id="marking.level" name="marking.level">(.*?)</select>', form,
                       re.S)
    assert levels is not None
    assert re.findall(r'<option value="([^"]*)"', levels.group(1)) == [
        "", "TOP SECRET", "SECRET", "CONFIDENTIAL", "RESTRICTED"]
    assert 'name="marking.caveats"' in form and not banners(form)
    before = event_count(pair.phl)
    # A level that is not PHL's: refused beside the field, named as the form labels it.
    r = client.post("/new-order", data=new_order_form(csrf, **{"marking.level": "極秘"}))
    assert r.status_code == 422
    error = re.search(r'<span class="field-error" id="err-marking-level">([^<]*)</span>',
                      r.text)
    assert error is not None and "TOP SECRET, SECRET, CONFIDENTIAL, RESTRICTED" in error.group(1)
    assert '<a href="#marking.level">Classification</a>' in r.text
    r = client.post("/new-order", data=new_order_form(csrf, **{"marking.caveats": "NOFORN"}))
    assert r.status_code == 422 and 'id="err-marking-caveats"' in r.text  # no level
    # Above the user's own clearance: they could not read it back.
    r = client.post("/new-order", data=new_order_form(csrf, **{"marking.level": "TOP SECRET"}))
    assert r.status_code == 422 and 'id="err-marking-level"' in r.text
    assert event_count(pair.phl) == before
    r = client.post("/new-order", follow_redirects=False, data=new_order_form(
        csrf, **{"marking.level": "SECRET", "marking.caveats": "NOFORN, ORCON"}))
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:600]
    assert event_count(pair.phl) == before + 1
    page = client.get(r.headers["location"]).text
    assert banners(page) == ["SECRET / 極秘 // NOFORN, ORCON"] * 2  # top and bottom
    assert "releasable to JPN, PHL" in page
    listed = client.get("/orders").text
    assert banners(listed) == ["SECRET / 極秘 // NOFORN, ORCON"] * 2
    assert '<span class="badge marking"' in listed
    # A page of unclassified orders only carries no marking.
    plain = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms())
    assert not banners(client.get(f"/orders/{plain.envelope.subject}").text)


def test_a_draft_keeps_the_classification_chosen_on_the_form(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    register_activity(pair.phl)
    clear(pair.phl, Role.ORDERING_OFFICIAL, "SECRET")
    client, csrf = logged_in(pair.phl, Role.ORDERING_OFFICIAL)
    r = client.post("/new-order", follow_redirects=False, data=new_order_form(
        csrf, intent="draft", **{"marking.level": "CONFIDENTIAL"}))
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:600]
    with UnitOfWork(pair.phl) as uow:
        user = users.get_user(uow, official(pair.phl, Role.ORDERING_OFFICIAL))
        [draft] = uow.conn.execute(T.drafts.select()).all()
        assert json.loads(draft.terms)["marking"] == {"level": "CONFIDENTIAL"}
        event = orders.submit_order(uow, user, orders.draft_terms(uow, draft.id),
                                    draft_id=draft.id)
    assert event.envelope.marking["level"] == "CONFIDENTIAL"


def test_a_japanese_reader_sees_both_schemes_and_the_protection_in_japanese(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    number = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms(),
                         marking={"level": "RESTRICTED"}).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    clear(pair.jpn, Role.APPROVING_OFFICIAL, "秘")
    client, _ = logged_in(pair.jpn, Role.APPROVING_OFFICIAL)  # reads Japanese
    page = client.get(f"/orders/{number}").text
    phrase = gettext(NO_EQUIVALENT, "ja") % {"party": "JPN", "level": "秘"}
    assert phrase != NO_EQUIVALENT % {"party": "JPN", "level": "秘"}  # it is translated
    assert banners(page) == [f"RESTRICTED / {phrase}"] * 2
    assert "equivalent" not in page and "protect as" not in page
    assert 'lang="ja"' in page
    # Without a clearance at 秘 a Japanese reader does not see the order at all.
    clear(pair.jpn, Role.APPROVING_OFFICIAL, "", activities=())
    assert client.get(f"/orders/{number}").status_code == 404


def test_an_emergency_and_a_delivery_are_classified_in_the_supplier_s_scheme(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    clear(pair.jpn, Role.APPROVING_OFFICIAL, "極秘")
    client, csrf = logged_in(pair.jpn, Role.APPROVING_OFFICIAL)
    page = client.get("/new-emergency").text
    levels = re.search(r'<select id="marking.level" name="marking.level">(.*?)</select>', page,
                       re.S)
    assert levels is not None
    assert re.findall(r'<option value="([^"]*)"', levels.group(1)) == ["", "特定秘密", "極秘",
                                                                       "秘"]
    form = {
        "csrf_token": csrf, "intent": "submit", "agreement": "JPN-PHL-ACSA",
        "activity": "KAMANDAG-10", "activity_type": "bilateral_training",
        "requester": "PHL", "requesting_unit": "AFP-TOG1", "supplying_unit": "JMSDF-ESF1",
        "requested_by": "Maj. Santos, radio 14:20", "method": "cash", "currency": "JPY",
        "needed_by": "2026-02-20", "deliver_to": "Subic Bay, berth 7", "poc": "Maj. Santos",
        "fund_citation": "AFP-GAA-2026-OPS-0142",
        "lines.0.category": "pol", "lines.0.description": "Diesel fuel F-76",
        "lines.0.quantity": "5000", "lines.0.unit": "L", "lines.0.unit_price": "152.5",
        "marking.level": "極秘",
    }
    r = client.post("/new-emergency", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:600]
    number = r.headers["location"].removeprefix("/orders/")
    assert banners(client.get(r.headers["location"]).text) == ["極秘 / SECRET"] * 2
    # A delivery on an unclassified order, classified above it on the delivery form.
    plain = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                        terms()).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.accept, plain,
                supplying_unit="JMSDF-ESF1")
    supply, supply_csrf = logged_in(pair.jpn, Role.SUPPLY_OFFICER)
    page = supply.get(f"/orders/{plain}").text
    assert 'id="deliver-marking.level"' in page and not banners(page)
    fields = {"csrf_token": supply_csrf, "head": head_of(page), "lines.0.line": "1",
              "lines.0.quantity": "5000", "marking.level": "秘"}
    before = event_count(pair.jpn)
    r = supply.post(f"/orders/{plain}/act/deliver", data=fields)
    assert r.status_code == 422  # the supply officer holds no clearance
    error = re.search(r'id="err-marking-level">([^<]*)<', r.text)
    assert error is not None and "clearance" not in error.group(1)  # said in Japanese
    assert event_count(pair.jpn) == before
    clear(pair.jpn, Role.SUPPLY_OFFICER, "秘")
    r = supply.post(f"/orders/{plain}/act/deliver", data=fields, follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:600]
    page = supply.get(r.headers["location"]).text
    assert banners(page) == ["秘 / CONFIDENTIAL"] * 2
    assert number != plain
