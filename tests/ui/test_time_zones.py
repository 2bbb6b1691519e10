"""The user's time zone: what a new user starts in, and the dates and times pages show.

A new user starts in their party's time zone (the agreement profile's, else
Asia/Tokyo, Asia/Manila, America/New_York), and everything a user sees
follows their own zone: the dashboard's "today" and what is overdue on it,
the order list's overdue filter, the aging report's "as of" line (never an
ISO instant), a timeline's business dates, report file names and a PDF's
printed-on line. The clock stands at 20:00 UTC, when it is already the next
day in Tokyo and Manila.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path

import pytest

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.i18n import format_date
from acsa.services import admin, admin_views, orders, users
from acsa.services.unit_of_work import UnitOfWork
from api.conftest import client_for, enrol, official
from integration.test_order_services import terms
from needs import tool_or_skip
from ui.test_order_pages import browser_login

pytestmark = pytest.mark.postgres

EVENING_UTC = datetime(2026, 8, 8, 20, 0, tzinfo=UTC)  # 2026-08-09 05:00 in Tokyo


def set_zone(node, who: str, zone: str, locale: str = "en") -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(node) as uow:
        users.set_preferences(uow, users.get_user(uow, who), locale=locale, time_zone=zone)
        uow.commit()


def logged_in(node, role: Role, zone: str, locale: str = "en"):  # type: ignore[no-untyped-def]
    who = official(node, role)
    set_zone(node, who, zone, locale)
    client = client_for(node)
    browser_login(client, node, enrol(node, who))
    return client


def test_a_new_user_starts_in_the_party_s_time_zone(pair, make_node):  # type: ignore[no-untyped-def]
    for node, zone in ((pair.jpn, "Asia/Tokyo"), (pair.phl, "Asia/Manila")):
        with UnitOfWork(node) as uow:
            administrator = users.get_user(uow, official(node, Role.ADMINISTRATOR))
            added = admin_views.add_user(uow, administrator, user_id="new.auditor",
                                         name="New Auditor", roles=["auditor"])
            chosen = admin_views.add_user(uow, administrator, user_id="utc.auditor",
                                          name="UTC Auditor", roles=["auditor"], time_zone="UTC")
            uow.commit()
        assert added.time_zone == zone
        assert chosen.time_zone == "UTC"  # a zone given is kept
    # The administration page offers the party's zone for the next user.
    client = client_for(pair.jpn)
    browser_login(client, pair.jpn, enrol(pair.jpn, official(pair.jpn, Role.ADMINISTRATOR)))
    form = client.get("/admin/users").text
    assert re.search(r'id="time_zone" name="time_zone" list="zones" value="Asia/Tokyo"', form)

    # A node's first user, before any agreement is adopted: the party's capital's zone; once
    # a profile names the party's zone, that one.
    usa = make_node("USA")
    with UnitOfWork(usa) as uow:
        first = users.add_user(uow, None, user_id="usa.administrator", name="Admin",
                               roles=["administrator"])
        assert first.time_zone == "America/New_York"
        assert users.party_time_zone(uow, "FRA") == "UTC"
        admin.adopt_agreement(uow, first, "JPN-USA-ACSA")
        uow.commit()
    with UnitOfWork(usa) as uow:
        assert users.party_time_zone(uow, "USA") == "Pacific/Guam"
        assert users.party_time_zone(uow, "JPN") == "Asia/Tokyo"


def test_the_dashboard_s_today_and_what_is_overdue_follow_the_user_s_zone(pair):  # type: ignore[no-untyped-def]
    # An emergency order JPN recorded on 1 August, to be confirmed in writing by 8 August: on
    # the evening of the 8th in UTC it is the 9th in Manila, and the confirmation is late.
    pair.set_day(date(2026, 8, 1))
    t = terms(lines=[("water", "Potable water", "5000", "L", "30")], activity_type="hadr",
              supplying_unit="JMSDF-ESF1")
    number = as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.record_emergency, t,
                         requested_by="radio, Lt. Cruz").envelope.subject
    pair.carry(pair.jpn, pair.phl)
    pair.phl.clock.now = EVENING_UTC  # type: ignore[attr-defined]

    manila = logged_in(pair.phl, Role.ORDERING_OFFICIAL, "Asia/Manila")
    page = unescape(manila.get("/").text)
    shown = re.search(r"<h1>.*?<small class=\"muted\">([^<]+)</small>", page, re.S)
    assert shown and shown.group(1) == format_date(date(2026, 8, 9), "en")
    tile = re.search(r'data-task="emergency">(.*?)</a>', page, re.S)
    assert tile and "1 overdue" in tile.group(1), tile
    assert number in manila.get("/orders?overdue=1").text
    assert "your party's time zone" not in page  # no hint: the user is in a zone

    set_zone(pair.phl, official(pair.phl, Role.ORDERING_OFFICIAL), "UTC")
    page = unescape(manila.get("/").text)
    shown = re.search(r"<h1>.*?<small class=\"muted\">([^<]+)</small>", page, re.S)
    assert shown and shown.group(1) == format_date(date(2026, 8, 8), "en")
    tile = re.search(r'data-task="emergency">(.*?)</a>', page, re.S)
    assert tile and "overdue" not in tile.group(1), tile
    assert number not in manila.get("/orders?overdue=1").text
    # A user left on UTC is told their party's zone, and where to choose it.
    assert "your party's time zone is Asia/Manila" in page
    assert 'href="/preferences"' in page
    preferences = unescape(manila.get("/preferences").text)
    assert "Your party's time zone: Asia/Manila" in preferences


def test_report_and_order_pages_show_local_dates_never_iso_instants(pair, tmp_path: Path):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 8, 1))
    number = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         terms()).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    pair.jpn.clock.now = EVENING_UTC  # type: ignore[attr-defined]
    client = logged_in(pair.jpn, Role.FINANCE_OFFICER, "Asia/Tokyo", locale="ja")

    aging = client.get("/reports/aging")
    assert aging.status_code == 200
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", aging.text), "an ISO instant on the page"
    assert "基準時点: 2026/08/09 5:00:00 GMT+09:00" in aging.text

    order = client.get(f"/orders/{number}").text
    assert "業務日付 2026/08/01" in order
    assert not re.search(r"業務日付 \d{4}-\d\d-\d\d", order)

    download = client.get("/reports/open-orders.csv")
    assert download.status_code == 200
    assert "2026-08-09" in download.headers["content-disposition"]

    pdf = client.get(f"/documents/order-form/{number}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    path = tmp_path / "order.pdf"
    path.write_bytes(pdf.content)
    tool = tool_or_skip("pdftotext", "poppler-utils")
    text = subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "2026-08-09 05:00 UTC+09:00" in text, text[-600:]


def test_the_command_line_adds_users_in_their_party_s_zone_and_prints_in_the_user_s(  # type: ignore[no-untyped-def]
        pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from acsa.cli import common
    from integration.test_cli_users import Shell

    monkeypatch.setattr(common, "open_node", lambda settings, **kw: pair.jpn)
    shell = Shell(pair.jpn)
    added = shell.json("user", "add", "cli.auditor", "--name", "CLI Auditor", "--role",
                       "auditor", "--as", official(pair.jpn, Role.ADMINISTRATOR))
    assert added["time_zone"] == "Asia/Tokyo"
    chosen = shell.json("user", "add", "cli.planner", "--name", "CLI Planner", "--role",
                        "auditor", "--tz", "UTC", "--as", official(pair.jpn, Role.ADMINISTRATOR))
    assert chosen["time_zone"] == "UTC"

    number = as_official(pair.jpn, Role.ORDERING_OFFICIAL, orders.submit_order,
                         terms(requester="JPN", supplier="PHL")).envelope.subject
    pair.jpn.clock.now = EVENING_UTC  # type: ignore[attr-defined]
    finance = official(pair.jpn, Role.FINANCE_OFFICER)
    set_zone(pair.jpn, finance, "Asia/Tokyo")
    out = tmp_path / "order.pdf"
    shell("document", "order", number, "--out", str(out), "--as", finance)
    text = subprocess.run([tool_or_skip("pdftotext", "poppler-utils"), "-layout", str(out), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "2026-08-09 05:00 UTC+09:00" in text, text[-600:]
