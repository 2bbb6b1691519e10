"""Refusals on the pages are in the reader's language and phrased for an officer: the
field named as the form labels it, values written as the reader writes them, never an
error code, a field key, an English sentence on a Japanese page or an ISO date.

JPN's officials read the pages in Japanese; each test makes a refusal happen through
the real app and reads every message the page shows: the list above the form, the
message beside each field, and the error page.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any

import pytest

from acsa.domain.parties import Role
from acsa.i18n.labels import label
from acsa.services import admin, users
from acsa.services.unit_of_work import UnitOfWork
from api.conftest import official

from .test_order_pages import event_count, logged_in, new_order_form

pytestmark = pytest.mark.postgres

SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")  # a code or a field key: fund_citation
ISO_DAY = re.compile(r"\b20\d\d-\d\d-\d\d\b")


def messages(html: str) -> list[str]:
    """Every refusal a page shows: the summary above a form (its lines), each field's
    message, and an error page's sentence."""
    found = []
    for block in re.findall(r'<div class="errors" role="alert">(.*?)</div>', html, re.S):
        found += [_text(p) for p in re.findall(r"<(?:p|li)>(.*?)</(?:p|li)>", block, re.S)]
    found += [_text(m) for m in re.findall(r'<span class="field-error"[^>]*>(.*?)</span>',
                                           html, re.S)]
    found += [_text(m) for m in re.findall(r'<p class="error" role="alert">(.*?)</p>', html,
                                           re.S)]
    return found


def _text(fragment: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def assert_japanese(html: str, *, at_least: int = 1) -> list[str]:
    """The page's refusals: at least ``at_least``, each a Japanese sentence with no code,
    no field key and no ISO date."""
    found = messages(html)
    assert len(found) >= at_least, html[html.find("<main"):][:2000]
    for message in found:
        assert not message.isascii(), message
        assert not SNAKE.search(message), message
        assert not ISO_DAY.search(message), message
        assert "required" not in message and "Field" not in message, message
    return found


def register_activity(node: Any) -> None:
    with UnitOfWork(node) as uow:
        boss = users.get_user(uow, official(node, Role.ADMINISTRATOR))
        admin.register_activity(uow, boss, agreement="JPN-PHL-ACSA", activity_id="KAMANDAG-10",
                                name="Exercise KAMANDAG 10", type="bilateral_training",
                                starts_on=date(2026, 2, 2), ends_on=date(2026, 3, 27))
        uow.commit()


def jpn_order_form(csrf: str, **changes: str) -> dict[str, str]:
    """JPN asking PHL, as JPN's ordering official fills the form."""
    form = new_order_form(csrf, supplier="PHL", requesting_unit="JGSDF-1HB", **changes)
    form.pop("currency")  # the agreement's, not typed
    return form


@pytest.fixture
def jpn_orders(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    register_activity(pair.jpn)
    client, csrf = logged_in(pair.jpn, Role.ORDERING_OFFICIAL)
    return pair, client, csrf


def test_every_problem_of_a_new_order_once_in_japanese_by_its_label(jpn_orders):  # type: ignore[no-untyped-def]
    pair, client, csrf = jpn_orders
    form = jpn_order_form(csrf, activity="", fund_citation="")
    for key in [k for k in form if k.startswith("lines.")]:
        del form[key]
    before = event_count(pair.jpn)
    r = client.post("/new-order", data=form)
    assert r.status_code == 422
    found = assert_japanese(r.text, at_least=4)
    listed = [m for m in found if "：" in m]
    # The list names each field once, by the form's label: the activity (its type is read
    # from it), the fund citation the agreement requires, the lines.
    assert sum(m.startswith("活動") for m in listed) == 1, listed
    assert any(m.startswith("予算科目") and "必須" in m for m in listed), listed
    assert any(m.startswith("明細") and "一行" in m for m in listed), listed
    assert len(listed) == len(set(listed))
    assert 'id="err-fund_citation"' in r.text and 'id="err-lines"' in r.text
    assert event_count(pair.jpn) == before


def test_a_value_the_request_schema_refuses_is_put_in_japanese(jpn_orders):  # type: ignore[no-untyped-def]
    _pair, client, csrf = jpn_orders
    r = client.post("/new-order", data=jpn_order_form(csrf, method="barter", poc="x" * 2001))
    assert r.status_code == 422
    found = assert_japanese(r.text, at_least=2)
    assert "Input should be" not in r.text and "String should" not in r.text
    assert any("選択肢" in m for m in found) and any("2000" in m for m in found), found


def test_a_number_that_is_no_number_and_a_unit_that_is_none(jpn_orders):  # type: ignore[no-untyped-def]
    _pair, client, csrf = jpn_orders
    second = {"lines.1.category": "food", "lines.1.description": "Rations",
              "lines.1.quantity": "40", "lines.1.unit": "BARREL", "lines.1.unit_price": "900"}
    r = client.post("/new-order", data=jpn_order_form(
        csrf, **{"lines.0.quantity": "lots"}, **second))
    assert r.status_code == 422
    found = assert_japanese(r.text, at_least=4)
    assert any("「lots」は数値ではありません" in m for m in found), found
    assert any("「BARREL」は払出単位ではありません" in m for m in found), found
    assert any(m.startswith("明細 1：数量：") for m in found), found
    assert any(m.startswith("明細 2：払出単位：") for m in found), found


def test_no_appointment_is_told_with_the_role_and_date_in_japanese(jpn_orders):  # type: ignore[no-untyped-def]
    pair, _client, _csrf = jpn_orders
    client, csrf = logged_in(pair.jpn, Role.RECEIVING_OFFICIAL)
    r = client.post("/new-order", data=jpn_order_form(csrf))
    assert r.status_code == 403
    (message,) = assert_japanese(r.text)
    assert "要請担当官" in message and "2026/02/03" in message, message
    assert "ordering_official" not in r.text


def test_the_error_page_says_what_was_refused_without_codes(jpn_orders):  # type: ignore[no-untyped-def]
    _pair, client, _csrf = jpn_orders
    r = client.get("/orders/JP-PH/PHL/FY2026/99999")
    assert r.status_code == 404
    (message,) = assert_japanese(r.text)
    assert "JP-PH/PHL/FY2026/99999" in message
    assert "unknown_reference" not in r.text and "コード" not in r.text


def test_an_action_refused_by_its_schema_and_by_the_rules_in_japanese(pair):  # type: ignore[no-untyped-def]
    from acsa.devtools.world import as_official
    from acsa.services import orders
    from integration.test_order_services import terms

    from .test_order_pages import head_of

    pair.set_day(date(2026, 2, 3))
    number = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         terms()).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    client, csrf = logged_in(pair.jpn, Role.APPROVING_OFFICIAL)
    head = head_of(client.get(f"/orders/{number}").text)
    r = client.post(f"/orders/{number}/act/reject", data={"csrf_token": csrf, "head": head})
    assert r.status_code == 422 and 'id="err-reason"' in r.text
    assert_japanese(r.text)
    r = client.post(f"/orders/{number}/act/accept", data={
        "csrf_token": csrf, "head": head, "supplying_unit": "JMSDF-ESF1", "on": "2026-13-40"})
    assert r.status_code == 422
    assert any("日付" in m for m in assert_japanese(r.text))
    r = client.post(f"/orders/{number}/act/accept", data={
        "csrf_token": csrf, "head": head, "supplying_unit": "JMSDF-ESF1", "on": "2026-01-20"})
    assert r.status_code == 422  # before the order began
    assert any("2026/01/20" in m for m in assert_japanese(r.text))


def titled(html: str, code: str) -> bool:
    """Whether an error page is titled with the name of refusal ``code`` in its language
    (the page names the refusal; the code is for the API and the log)."""
    lang = re.search(r'<html lang="(\w+)"', html)
    return f"<h1>{label('error', code, lang.group(1) if lang else 'en')}</h1>" in html
