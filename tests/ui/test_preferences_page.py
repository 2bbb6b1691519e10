"""The user's own page: language, time zone, and API tokens for their scripts."""

from __future__ import annotations

import re

import pytest

from acsa.domain.parties import Role
from api.conftest import client_for, enrol, official
from ui.test_order_pages import browser_login, csrf_of

pytestmark = pytest.mark.postgres


def test_a_token_made_on_the_page_works_once_shown_and_stops_when_revoked(pair):  # type: ignore[no-untyped-def]
    client = client_for(pair.jpn)
    csrf = browser_login(client, pair.jpn,
                         enrol(pair.jpn, official(pair.jpn, Role.FINANCE_OFFICER)))
    r = client.post("/preferences/tokens", data={"csrf_token": csrf, "name": ""})
    assert r.status_code == 422 and 'id="err-name"' in r.text
    r = client.post("/preferences/tokens", data={"csrf_token": csrf, "name": "nightly export",
                                                 "scope.read": "1"})
    assert r.status_code == 201
    secret = re.search(r'<code class="mono" id="new-token">(acsa_[^<]+)</code>', r.text).group(1)
    assert secret not in client.get("/preferences").text  # shown once only
    script = client_for(pair.jpn)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert script.get("/api/v1/orders", headers=bearer).status_code == 200
    token_id = re.search(r'/preferences/tokens/(\d+)/revoke', client.get("/preferences").text)
    r = client.post(f"/preferences/tokens/{token_id.group(1)}/revoke",
                    data={"csrf_token": csrf_of(client.get("/preferences").text)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert script.get("/api/v1/orders", headers=bearer).status_code == 401


def test_language_and_time_zone_are_the_users_own(pair):  # type: ignore[no-untyped-def]
    client = client_for(pair.phl)
    csrf = browser_login(client, pair.phl,
                         enrol(pair.phl, official(pair.phl, Role.ORDERING_OFFICIAL)))
    r = client.post("/preferences", data={"csrf_token": csrf, "locale": "ja",
                                          "time_zone": "Mars/Olympus"})
    assert r.status_code == 422 and 'id="err-time_zone"' in r.text
    r = client.post("/preferences", data={"csrf_token": csrf, "locale": "ja",
                                          "time_zone": "Asia/Manila"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/orders")
    assert page.text.startswith("<!doctype html>\n<html lang=\"ja\">")
