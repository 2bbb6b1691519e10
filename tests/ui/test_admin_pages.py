"""The administration pages and the login pages, on the seeded demo's JPN node.

Administrators act; auditors read (and alone read the access log with
security officers); an ordering official is refused. Forms are posted as a
browser without JavaScript posts them, with the session's CSRF token.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pyotp
from sqlalchemy import select

from acsa.services import queries, users
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

from . import _admin_fixtures as fx
from ._admin_fixtures import Browser
from .test_refusal_language import titled

# The fixtures, by name (pytest finds them as module attributes).
demo_nodes, demo = fx.demo_nodes, fx.demo
administrator, auditor, ordering = fx.administrator, fx.auditor, fx.ordering

PAGES = ["/admin", "/admin/users", "/admin/users/jpn.ordering", "/admin/appointments",
         "/admin/appointments?agreement=JPN-PHL-ACSA", "/admin/units", "/admin/activities",
         "/admin/agreements", "/admin/agreements/JPN-PHL-ACSA", "/admin/peers",
         "/admin/peers?all=1"]


def user_ids(node: Node) -> set[str]:
    with UnitOfWork(node, write=False) as uow:
        return {u.id for u in users.list_users(uow)}


def test_every_admin_page_opens_for_the_administrator(administrator: Browser) -> None:
    for path in PAGES:
        r = administrator.client.get(path)
        assert r.status_code == 200, (path, r.text[-2000:])
        assert 'href="/admin/users"' in r.text
    users_page = administrator.client.get("/admin/users").text
    assert "jpn.ordering" in users_page and 'action="/admin/users"' in users_page


def test_an_ordering_official_is_refused_every_admin_page(ordering: Browser) -> None:
    for path in [*PAGES, "/admin/access-log"]:
        r = ordering.client.get(path)
        assert r.status_code == 403, path
        assert titled(r.text, "not_permitted") and "not_permitted" not in r.text
    r = ordering.client.post("/admin/users", data={"csrf_token": ordering.csrf, "id": "x.y",
                                                   "name": "X", "roles": "auditor"})
    assert r.status_code == 403


def test_an_auditor_reads_but_gets_no_forms(auditor: Browser) -> None:
    for path in PAGES:
        r = auditor.client.get(path)
        assert r.status_code == 200, path
        assert 'method="post" action="/admin' not in r.text, path


def test_the_access_log_is_for_auditors_and_filters_by_user_and_order(
        demo: Node, administrator: Browser, auditor: Browser) -> None:
    assert administrator.client.get("/admin/access-log").status_code == 403
    r = auditor.client.get("/admin/access-log")
    assert r.status_code == 200 and "jpn.administrator" in r.text
    r = auditor.client.get("/admin/access-log", params={"user": "jpn.auditor"})
    assert r.status_code == 200
    rows = re.findall(r"<tr><td>\d+</td>.*?</tr>", r.text, re.S)
    assert rows and all("jpn.auditor" in row for row in rows)
    with UnitOfWork(demo, write=False) as uow:
        boss = users.get_user(uow, "jpn.auditor")
        number = queries.list_orders(uow, boss, queries.OrderFilter(limit=1)).data[0].number
    assert auditor.client.get(f"/orders/{number}").status_code == 200
    r = auditor.client.get("/admin/access-log", params={"order": number})
    rows = re.findall(r"<tr><td>\d+</td>.*?</tr>", r.text, re.S)
    assert len(rows) >= 1 and all("order.read" in row and number in row for row in rows)


def test_a_bad_user_id_is_shown_beside_its_field_and_nothing_is_stored(
        demo: Node, administrator: Browser) -> None:
    before = user_ids(demo)
    r = administrator.client.post("/admin/users", data={
        "csrf_token": administrator.csrf, "id": "Bad Id!", "name": "Capt. Nobody",
        "roles": "auditor", "locale": "en", "time_zone": "Asia/Tokyo"})
    assert r.status_code == 422
    field = re.search(r'<input id="id" name="id"[^>]*>\s*(?:<small[^>]*>[^<]*</small>\s*)?'
                      r'<span class="field-error" id="err-id">([^<]+)</span>', r.text)
    assert field and "lowercase" in field.group(1), r.text
    assert 'aria-invalid="true" aria-describedby="err-id"' in r.text
    assert 'value="Capt. Nobody"' in r.text  # what was typed is kept
    assert user_ids(demo) == before


def test_an_administrator_adds_a_user_with_a_first_password(
        demo: Node, administrator: Browser) -> None:
    r = administrator.client.post("/admin/users", data={
        "csrf_token": administrator.csrf, "id": "jpn.logistics2",
        "name": "Capt. Kobayashi Mei", "roles": ["supply_officer", "receiving_official"],
        "units": "JGSDF-1HB", "locale": "ja", "time_zone": "Asia/Tokyo",
        "password": "a long first passphrase"},
        follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith(
        "/admin/users/jpn.logistics2"), r.text
    with UnitOfWork(demo, write=False) as uow:
        added = users.get_user(uow, "jpn.logistics2")
        stored = uow.conn.execute(select(T.users.c.password_hash)
                                  .where(T.users.c.id == "jpn.logistics2")).scalar_one()
    assert {r.value for r in added.roles} == {"supply_officer", "receiving_official"}
    assert added.units == {"JGSDF-1HB"} and added.time_zone == "Asia/Tokyo"
    assert stored and stored.startswith("$argon2id$")
    page = administrator.client.get(r.headers["location"])
    assert page.status_code == 200 and "Capt. Kobayashi Mei" in page.text


def test_a_form_without_the_csrf_token_is_refused(demo: Node, administrator: Browser) -> None:
    before = user_ids(demo)
    r = administrator.client.post("/admin/users", data={
        "id": "jpn.forged", "name": "Forged", "roles": "administrator"})
    assert r.status_code == 403 and titled(r.text, "csrf_rejected")
    r = administrator.client.post("/admin/users", data={
        "csrf_token": "not-the-token", "id": "jpn.forged", "name": "Forged",
        "roles": "administrator"})
    assert r.status_code == 403
    assert user_ids(demo) == before


def test_totp_enrolment_shows_the_secret_and_its_qr_code_once(
        demo: Node, administrator: Browser) -> None:
    r = administrator.client.post("/admin/users/jpn.finance/totp",
                                  data={"csrf_token": administrator.csrf})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    uri = re.search(r"otpauth://totp/[^<\s]+", r.text)
    assert uri and "<svg" in r.text
    secret = re.search(r"secret=([A-Z2-7]+)", uri.group(0))
    assert secret and secret.group(1) in r.text
    with UnitOfWork(demo, write=False) as uow:
        stored = uow.conn.execute(select(T.users.c.totp_secret)
                                  .where(T.users.c.id == "jpn.finance")).scalar_one()
    assert stored == secret.group(1)
    assert pyotp.TOTP(stored).now()
    again = administrator.client.get("/admin/users/jpn.finance")
    assert secret.group(1) not in again.text and "otpauth://" not in again.text


def test_setting_a_password_needs_it_twice(administrator: Browser) -> None:
    path = "/admin/users/jpn.supply/password"
    r = administrator.client.post(path, data={"csrf_token": administrator.csrf,
                                              "password": "one long passphrase",
                                              "password_again": "another one"})
    assert r.status_code == 422 and 'id="err-password_again"' in r.text
    r = administrator.client.post(path, data={"csrf_token": administrator.csrf,
                                              "password": "short", "password_again": "short"})
    assert r.status_code == 422 and 'id="err-password"' in r.text
    r = administrator.client.post(path, data={"csrf_token": administrator.csrf,
                                              "password": "one long passphrase",
                                              "password_again": "one long passphrase"},
                                  follow_redirects=False)
    assert r.status_code == 303


def test_appointing_and_ending_an_appointment(demo: Node, administrator: Browser) -> None:
    r = administrator.client.post("/admin/appointments", data={
        "csrf_token": administrator.csrf, "agreement": "JPN-PHL-ACSA",
        "user": "jpn.auditor", "role": "ordering_official", "units": "JASDF-2AW",
        "limits.JPY": "5000000", "valid_from": "2026-04-01", "valid_to": "2026-03-01"})
    assert r.status_code == 422 and 'id="err-valid_to"' in r.text
    r = administrator.client.post("/admin/appointments", data={
        "csrf_token": administrator.csrf, "agreement": "JPN-PHL-ACSA",
        "user": "jpn.auditor", "role": "ordering_official", "units": "JASDF-2AW",
        "limits.JPY": "5000000", "valid_from": "2026-04-01"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = administrator.client.get(r.headers["location"]).text
    assert "jpn.auditor" in page and "5,000,000" in page
    with UnitOfWork(demo, write=False) as uow:
        roster = [a for a in uow.context.roster("JPN-PHL-ACSA/JPN").appointments.values()
                  if a.user == "jpn.auditor"]
    assert len(roster) == 1 and roster[0].limits == {"JPY": 5000000}
    r = administrator.client.post("/admin/appointments/revoke", data={
        "csrf_token": administrator.csrf, "agreement": "JPN-PHL-ACSA",
        "appointment": roster[0].id}, follow_redirects=False)
    assert r.status_code == 303
    with UnitOfWork(demo, write=False) as uow:
        found = uow.context.roster("JPN-PHL-ACSA/JPN").appointments[roster[0].id]
    assert found.revoked_at is not None


def test_units_and_activities_are_registered(demo: Node, administrator: Browser) -> None:
    r = administrator.client.post("/admin/units", data={
        "csrf_token": administrator.csrf, "agreement": "JPN-PHL-ACSA", "id": "JGSDF-WAiR",
        "name": "Amphibious Rapid Deployment Brigade, JGSDF"}, follow_redirects=False)
    assert r.status_code == 303
    assert "JGSDF-WAiR" in administrator.client.get("/admin/units").text
    r = administrator.client.post("/admin/activities", data={
        "csrf_token": administrator.csrf, "agreement": "JPN-PHL-ACSA", "id": "SAMA-SAMA-26",
        "name": "Exercise Sama Sama", "type": "multilateral_exercise",
        "starts_on": "2026-10-05", "ends_on": "2026-10-01"})
    assert r.status_code == 422 and 'id="err-ends_on"' in r.text
    r = administrator.client.post("/admin/activities", data={
        "csrf_token": administrator.csrf, "agreement": "JPN-PHL-ACSA", "id": "SAMA-SAMA-26",
        "name": "Exercise Sama Sama", "type": "multilateral_exercise",
        "starts_on": "2026-10-05"}, follow_redirects=False)
    assert r.status_code == 303
    assert "SAMA-SAMA-26" in administrator.client.get("/admin/activities").text


def test_the_profile_view_shows_every_section_and_the_digest(
        demo: Node, administrator: Browser) -> None:
    with UnitOfWork(demo, write=False) as uow:
        digest = next(a.digest for a in queries.list_agreements(uow) if a.id == "JPN-PHL-ACSA")
    listing = administrator.client.get("/admin/agreements").text
    assert 'href="/admin/agreements/JPN-PHL-ACSA"' in listing
    page = administrator.client.get("/admin/agreements/JPN-PHL-ACSA").text
    assert digest in page
    for section in ("s-parties", "s-activities", "s-categories", "s-prohibited",
                    "s-settlement", "s-pricing", "s-ceilings", "s-classification"):
        assert f'id="{section}"' in page
    assert "Japan Self-Defense Forces" in page and "1005" in page
    pricing = page[page.index('id="s-pricing"'):page.index('id="s-ceilings"')]
    assert "Reciprocal (each party&#39;s own prices)" in pricing, pricing
    assert "the delivery" in pricing and "the quantity received" in pricing
    missing = administrator.client.get("/admin/agreements/NO-SUCH")
    assert missing.status_code == 422 and "NO-SUCH" in missing.text


def test_the_peers_page_shows_the_partner_and_its_key(demo: Node,
                                                      administrator: Browser) -> None:
    page = administrator.client.get("/admin/peers").text
    assert 'id="peer-PHL"' in page and "http://127.0.0.1:8001" in page
    with UnitOfWork(demo, write=False) as uow:
        fp = uow.conn.execute(select(T.peers.c.fingerprint)).scalar_one()
    assert fp in page
    # No key was announced: nothing to confirm, and a typed fingerprint is refused.
    r = administrator.client.post("/admin/peers/PHL/confirm-key", data={
        "csrf_token": administrator.csrf, "fingerprint": fp})
    assert r.status_code == 422 and "not the fingerprint of a key the peer announced" in r.text


def test_a_rotated_peer_key_is_confirmed_only_by_its_fingerprint(
        demo_nodes: tuple[Node, Node, Path], administrator: Browser) -> None:
    from acsa.devtools.world import carry
    from acsa.services.peers import install_rotated_key, pending_keys, rotate_key

    jpn, phl, bundles = demo_nodes
    with UnitOfWork(phl) as uow:
        _, new = rotate_key(uow, users.get_user(uow, "phl.administrator"))
        uow.commit()
    carry(phl, jpn, bundles)  # the announcement, signed with the old key
    install_rotated_key(phl)
    page = administrator.client.get("/admin/peers").text
    assert 'id="keys"' in page and new not in page  # shown only in part: it must be typed
    wrong = "ed25519:" + "0" * 64
    r = administrator.client.post("/admin/peers/PHL/confirm-key", data={
        "csrf_token": administrator.csrf, "fingerprint": wrong})
    assert r.status_code == 422 and "do not confirm it" in r.text
    hexa = new.removeprefix("ed25519:")
    heard = " ".join(hexa[i:i + 4] for i in range(0, 20, 4))  # as read aloud, in groups
    r = administrator.client.post("/admin/peers/PHL/confirm-key", data={
        "csrf_token": administrator.csrf, "fingerprint": heard}, follow_redirects=False)
    assert r.status_code == 303, r.text
    with UnitOfWork(jpn, write=False) as uow:
        assert pending_keys(uow, "PHL") == []
    assert 'id="keys"' not in administrator.client.get("/admin/peers").text


def test_deactivating_a_user_ends_their_session(demo: Node, administrator: Browser) -> None:
    receiving = fx.log_in(demo, "jpn.receiving")
    assert receiving.client.get("/").status_code == 200
    r = administrator.client.post("/admin/users/jpn.receiving/active", data={
        "csrf_token": administrator.csrf, "active": "0"}, follow_redirects=False)
    assert r.status_code == 303
    r = receiving.client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/auth/login")
    r = administrator.client.post("/admin/users/jpn.administrator/active", data={
        "csrf_token": administrator.csrf, "active": "0"})
    assert r.status_code == 422
    r = administrator.client.post("/admin/users/jpn.receiving/active", data={
        "csrf_token": administrator.csrf, "active": "1"}, follow_redirects=False)
    assert r.status_code == 303


def test_the_login_page_speaks_the_browsers_language(demo: Node) -> None:
    with fx.client_for(demo) as client:
        ja = client.get("/auth/login?next=/admin", headers={"Accept-Language": "ja,en;q=0.5"})
        assert ja.status_code == 200 and '<html lang="ja">' in ja.text
        for name in ("login_token", "next", "user", "password", "code"):
            assert f'name="{name}"' in ja.text
        assert 'value="/admin"' in ja.text and "<nav aria-label" not in ja.text.split(
            "<main", 1)[0]
        en = client.get("/auth/login", headers={"Accept-Language": "en"})
        assert '<html lang="en">' in en.text
        # The language switch: ?lang= wins over the browser's language.
        switched = client.get(f"/auth/login?next={quote('/admin')}&lang=en",
                              headers={"Accept-Language": "ja"})
        assert '<html lang="en">' in switched.text
        assert 'href="/auth/login?next=%2Fadmin&amp;lang=ja"' in switched.text
        code = client.get("/auth/code", headers={"Accept-Language": "ja"})
        assert code.status_code == 200 and '<html lang="ja">' in code.text
        assert 'name="code"' in code.text and code.headers["x-frame-options"] == "DENY"


def test_an_administrator_edits_a_users_roles_and_units(demo: Node,
                                                        administrator: Browser) -> None:
    with UnitOfWork(demo) as uow:
        boss = users.get_user(uow, "jpn.administrator")
        users.add_user(uow, boss, user_id="jpn.clerk", name="Clerk", roles=["auditor"],
                       units=["JGSDF-1HB"])
        uow.commit()
    page = administrator.client.get("/admin/users/jpn.clerk").text
    assert 'action="/admin/users/jpn.clerk/roles"' in page
    r = administrator.client.post("/admin/users/jpn.clerk/roles", data={
        "csrf_token": administrator.csrf, "roles": ["auditor", "finance_officer"],
        "units": ["JMSDF-ESF1"]}, follow_redirects=False)
    assert r.status_code == 303, r.text[r.text.find('class="errors"'):][:500]
    with UnitOfWork(demo, write=False) as uow:
        clerk = users.find_user(uow, "jpn.clerk")
        lines = [(row.action, row.target) for row in uow.conn.execute(
            select(T.access_log).where(T.access_log.c.target.startswith("jpn.clerk: "))
            .order_by(T.access_log.c.id))]
    assert {r.value for r in clerk.roles} == {"auditor", "finance_officer"}
    assert clerk.units == {"JMSDF-ESF1"}
    assert lines == [("user.roles", "jpn.clerk: auditor → auditor, finance_officer"),
                     ("user.units", "jpn.clerk: JGSDF-1HB → JMSDF-ESF1")]
    # No role at all: refused beside the field, named as the form labels it.
    r = administrator.client.post("/admin/users/jpn.clerk/roles", data={
        "csrf_token": administrator.csrf, "units": ["JMSDF-ESF1"]})
    assert r.status_code == 422
    assert 'id="err-roles"' in r.text and '<a href="#roles">Roles</a>' in r.text


def test_only_an_administrator_edits_roles(auditor: Browser) -> None:
    r = auditor.client.post("/admin/users/jpn.ordering/roles", data={
        "csrf_token": auditor.csrf, "roles": ["administrator"]})
    assert r.status_code == 403


def test_a_notice_survives_a_fragment_in_the_redirect() -> None:
    """The notice goes before ``#section``: after it the browser keeps it to itself."""
    from acsa.web.ui.pages import redirect

    location = redirect("/orders/JP-PH%2FPHL/x#release-h", notice="done:grant-consent")
    assert location.headers["location"] == (
        "/orders/JP-PH%2FPHL/x?notice=done%3Agrant-consent#release-h")
    assert redirect("/a?b=1", notice="saved").headers["location"] == "/a?b=1&notice=saved"
