"""Need to know on every read path, over HTTP: a canary SECRET order's figures show
nowhere an uncleared reader can look, and everywhere a cleared one reads.

Every ``GET`` route the node serves (:func:`acsa.web.read_policy.served`) is asked as
each of eight readers (``_canary_fixtures.READERS``), with its path filled with real
values — the canary's number, a readable order's, invoices, evidence hashes, report
kinds and formats, document kinds. An uncleared reader's responses — bodies, headers,
XLSX sheets, PDF text — hold none of the canary's amount, description, number, invoice
number, evidence hash or event hashes; where the reader typed the canary's number or
hash in the address, the answer is the one an order or file that does not exist gets.
Cleared readers find the canary where it belongs, so the test can fail. An uncleared
reader's totals, reports and charts read the same before and after the canary.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

import pytest

from acsa.reports import tables
from acsa.web.read_policy import ROUTES, Policy, served

from ._canary_fixtures import (  # noqa: F401 - the fixture is used by name
    ACTIVITY,
    ACTIVITY_NAME,
    AMOUNTS,
    EVIDENCE,
    READERS,
    Canary,
    Reader,
    aggregate_urls,
    canary_fixture,
    client_for,
    partner_of,
    readable_text,
)

FAKE_SHA = "f" * 64
REPORT_PARAMS = {"statement": "?partner={partner}", "year-end": "?year=2026",
                 "ceilings": "?on=2026-12-01", "annual": "?year=2026"}
DOCUMENTS = ("order-form", "invoice", "waybill", "goods-received")
Samples = Callable[[Canary, str], list[str]]


def _orders(c: Canary, party: str) -> list[str]:
    return [c.number, c.visible[party]]


def _reports(c: Canary, party: str, suffix: str = "") -> list[str]:
    return [f"/reports/{kind}{suffix}"
            + REPORT_PARAMS.get(kind, "").format(partner=partner_of(party))
            for kind in tables.REPORT_KINDS]


# The addresses each GET route is asked at, for a reader of ``party``'s node.
SAMPLES: dict[str, Samples] = {
    "/federation/v1/heads/{agreement}/{party}":
        lambda c, p: [f"/federation/v1/heads/JPN-PHL-ACSA/{p}"],
    "/federation/v1/streams/{agreement}/{party}":
        lambda c, p: [f"/federation/v1/streams/JPN-PHL-ACSA/{p}"],
    "/federation/v1/copies/{agreement}/{party}":
        lambda c, p: [f"/federation/v1/copies/JPN-PHL-ACSA/{p}"],
    "/federation/v1/evidence/{sha256}": lambda c, p: [f"/federation/v1/evidence/{c.evidence}"],
    "/auth/login": lambda c, p: ["/auth/login"],
    "/healthz": lambda c, p: ["/healthz"],
    "/readyz": lambda c, p: ["/readyz"],
    "/auth/code": lambda c, p: ["/auth/code"],
    "/static": lambda c, p: ["/static/app.css"],
    "/favicon.ico": lambda c, p: ["/favicon.ico"],
    "/api/v1/openapi.json": lambda c, p: ["/api/v1/openapi.json"],
    "/api/v1/agreements": lambda c, p: ["/api/v1/agreements"],
    "/api/v1/activities": lambda c, p: ["/api/v1/activities"],
    "/api/v1/units": lambda c, p: ["/api/v1/units"],
    "/api/v1/me": lambda c, p: ["/api/v1/me"],
    "/api/v1/me/tokens": lambda c, p: ["/api/v1/me/tokens"],
    "/api/v1/access-log": lambda c, p: ["/api/v1/access-log?limit=200"],
    "/api/v1/access-log/export": lambda c, p: ["/api/v1/access-log/export"],
    "/api/v1/orders": lambda c, p: [
        "/api/v1/orders?limit=200", "/api/v1/orders?q=kestrel",
        f"/api/v1/orders?activity={ACTIVITY}", "/api/v1/orders?status=invoiced"],
    "/api/v1/orders/{number:path}": lambda c, p: [f"/api/v1/orders/{n}" for n in _orders(c, p)],
    "/api/v1/drafts": lambda c, p: ["/api/v1/drafts"],
    "/api/v1/drafts/{draft_id}": lambda c, p: ["/api/v1/drafts/1"],
    "/api/v1/reports/balances": lambda c, p: ["/api/v1/reports/balances"],
    "/api/v1/reports/aging": lambda c, p: ["/api/v1/reports/aging"],
    "/api/v1/reports/obligations": lambda c, p: ["/api/v1/reports/obligations"],
    "/api/v1/reports/missing-evidence": lambda c, p: [
        "/api/v1/reports/missing-evidence", f"/api/v1/reports/missing-evidence?partner={p}"],
    "/api/v1/reports/ceilings": lambda c, p: ["/api/v1/reports/ceilings?on=2026-12-01"],
    "/api/v1/reports/activities": lambda c, p: ["/api/v1/reports/activities"],
    "/api/v1/reports/annual": lambda c, p: ["/api/v1/reports/annual?fiscal_year=FY2026"],
    "/api/v1/reports/annual/file": lambda c, p: [
        f"/api/v1/reports/annual/file?fiscal_year=FY2026&format={f}" for f in ("csv", "pdf")],
    "/api/v1/todo": lambda c, p: ["/api/v1/todo"],
    "/api/v1/ledger/verify": lambda c, p: ["/api/v1/ledger/verify"],
    "/api/v1/users": lambda c, p: ["/api/v1/users"],
    "/api/v1/users/{user_id}": lambda c, p: [f"/api/v1/users/{p.lower()}.finance"],
    "/": lambda c, p: ["/"],
    "/preferences": lambda c, p: ["/preferences"],
    "/drafts": lambda c, p: ["/drafts"],
    "/drafts/{draft_id}": lambda c, p: ["/drafts/1"],
    "/orders": lambda c, p: ["/orders", "/orders?q=kestrel", f"/orders?activity={ACTIVITY}",
                             "/orders?status=invoiced", "/orders?todo=pay",
                             "/orders?todo=confirm_payment", "/orders?todo=emergency&partner=1"],
    "/orders/{number:path}/act/{action}": lambda c, p: [
        f"/orders/{n}/act/{a}" for n in _orders(c, p) for a in ("credit-note", "pay")],
    "/orders/{number:path}": lambda c, p: [f"/orders/{n}" for n in _orders(c, p)],
    "/new-order": lambda c, p: ["/new-order"],
    "/new-emergency": lambda c, p: ["/new-emergency"],
    "/documents/{kind}/{number:path}": lambda c, p: [
        f"/documents/{k}/{n}" for n in _orders(c, p) for k in DOCUMENTS],
    "/scan": lambda c, p: ["/scan"],
    "/evidence/{sha256}": lambda c, p: [f"/evidence/{c.evidence}"],
    "/reports": lambda c, p: ["/reports"],
    "/reports/{kind}.{fmt}": lambda c, p: [*_reports(c, p, ".csv"), *_reports(c, p, ".xlsx"),
                                           "/reports/annual.pdf?year=2026"],
    "/reports/{kind}": lambda c, p: _reports(c, p),
    "/catalogue": lambda c, p: ["/catalogue"],
    "/api/v1/catalogue": lambda c, p: ["/api/v1/catalogue"],
    "/rates": lambda c, p: ["/rates", "/rates?agreement=JPN-PHL-ACSA"],
    "/api/v1/rates": lambda c, p: ["/api/v1/rates"],
    "/api/v1/rates/sources": lambda c, p: ["/api/v1/rates/sources"],
    "/arrangements": lambda c, p: ["/arrangements", "/arrangements?agreement=JPN-PHL-ACSA"],
    "/arrangements/{identifier:path}": lambda c, p: ["/arrangements/JP-PH/IA-01"],
    "/api/v1/arrangements": lambda c, p: ["/api/v1/arrangements"],
    "/api/v1/arrangements/{identifier:path}": lambda c, p: ["/api/v1/arrangements/JP-PH/IA-01"],
    "/claims": lambda c, p: ["/claims", "/claims?pending=true"],
    "/claims/{invoice:path}/notice": lambda c, p: [f"/claims/{c.invoice}/notice"],
    "/api/v1/claims": lambda c, p: ["/api/v1/claims", "/api/v1/claims?pending=true"],
    "/api/v1/claims/export": lambda c, p: ["/api/v1/claims/export"],
    "/api/v1/claims/{invoice:path}/notice": lambda c, p: [f"/api/v1/claims/{c.invoice}/notice"],
    "/offsets": lambda c, p: ["/offsets"],
    "/offsets/new": lambda c, p: [f"/offsets/new?partner={partner_of(p)}"],
    "/offsets/{offset:path}": lambda c, p: [f"/offsets/OFS/{partner_of(p)}/00001"],
    "/api/v1/offsets": lambda c, p: ["/api/v1/offsets"],
    "/api/v1/offsets/{offset:path}": lambda c, p: [f"/api/v1/offsets/OFS/{p}/00001"],
    "/admin": lambda c, p: ["/admin"],
    "/admin/users": lambda c, p: ["/admin/users"],
    "/admin/users/{user_id}": lambda c, p: [f"/admin/users/{p.lower()}.finance"],
    "/admin/appointments": lambda c, p: ["/admin/appointments"],
    "/admin/paper": lambda c, p: ["/admin/paper"],
    "/api/v1/paper-appointments": lambda c, p: ["/api/v1/paper-appointments"],
    "/api/v1/paper-steps/{number:path}": lambda c, p: [
        f"/api/v1/paper-steps/{n}" for n in _orders(c, p)],
    "/paper-steps/{step}/{number:path}": lambda c, p: [
        f"/paper-steps/{s}/{n}" for n in _orders(c, p) for s in ("accept", "deliver")],
    "/admin/units": lambda c, p: ["/admin/units"],
    "/admin/activities": lambda c, p: ["/admin/activities"],
    "/admin/agreements": lambda c, p: ["/admin/agreements"],
    "/admin/agreements/{agreement}": lambda c, p: ["/admin/agreements/JPN-PHL-ACSA"],
    "/admin/peers": lambda c, p: ["/admin/peers"],
    "/admin/access-log": lambda c, p: ["/admin/access-log"],
    "/admin/transmissions": lambda c, p: ["/admin/transmissions",
                                          f"/admin/transmissions?peer={partner_of(p)}"],
    "/security/compromise-reports": lambda c, p: ["/security/compromise-reports"],
    "/security/compromise-reports/{report_id:path}":
        lambda c, p: ["/security/compromise-reports/LC/JPN/00001"],
    "/api/v1/transmissions": lambda c, p: ["/api/v1/transmissions"],
    "/api/v1/compromise-reports": lambda c, p: ["/api/v1/compromise-reports"],
    "/api/v1/compromise-reports/{report_id:path}":
        lambda c, p: ["/api/v1/compromise-reports/LC/JPN/00001"],
    "/admin/access-log.csv": lambda c, p: ["/admin/access-log.csv"],
    "/releases": lambda c, p: ["/releases"],
    "/releases/{release_id}": lambda c, p: ["/releases/1"],
    "/api/v1/releases": lambda c, p: ["/api/v1/releases"],
    "/api/v1/releases/{release_id}": lambda c, p: ["/api/v1/releases/1"],
    "/api/v1/consents": lambda c, p: ["/api/v1/consents", *(
        f"/api/v1/consents?order={n}" for n in _orders(c, p))],
}


def get_routes(canary: Canary) -> list[str]:
    node = canary.nodes["JPN"]
    with client_for(node) as client:
        return sorted(path for method, path in served(client.app.routes)  # type: ignore[attr-defined]
                      if method == "GET")


def addresses(canary: Canary, party: str) -> list[str]:
    """Every GET route of the node, at each of its sample addresses."""
    out = []
    for path in get_routes(canary):
        assert path in SAMPLES, f"{path}: say at which addresses the canary test asks it"
        out += SAMPLES[path](canary, party)
    return out


def seen(response: object) -> str:
    """All a reader gets: the status line's reason aside, every header and the body."""
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())  # type: ignore[attr-defined]
    body: bytes = response.content  # type: ignore[attr-defined]
    kind = response.headers.get("content-type", "")  # type: ignore[attr-defined]
    return headers + "\n" + readable_text(body, kind)


def drawn(body: bytes) -> bytes:
    """A page as drawn: each chart's element ids are random, to keep them apart."""
    return re.sub(rb"chart-[0-9a-f]{8}-[0-9a-f-]{27}", b"chart-", body)


def changed(before: bytes, after: bytes) -> list[str]:
    """The lines that differ, to say what moved."""
    old, new = before.decode("utf-8", "replace"), after.decode("utf-8", "replace")
    return [line for line in difflib.unified_diff(old.splitlines(), new.splitlines(),
                                                  lineterm="", n=0)][:12]


def echoed(canary: Canary, url: str) -> tuple[str, str] | None:
    """The canary's number or hash when the reader typed it, and a stand-in of its shape
    that names nothing on the node."""
    if canary.number in url:
        return canary.number, canary.number[:-5] + "99999"
    if canary.evidence in url:
        return canary.evidence, FAKE_SHA
    if canary.invoice in url:  # a claim notice's address names the invoice
        return canary.invoice, canary.invoice[:-5] + "99999"
    return None


def test_no_uncleared_reader_finds_the_canary_on_any_route(canary: Canary) -> None:
    asked = 0
    for reader in (r for r in READERS if not r.cleared):
        client = canary.clients[reader.name]
        for url in addresses(canary, reader.node):
            r = client.get(url, follow_redirects=False)
            asked += 1
            assert r.status_code < 500, (reader.name, url, r.text[:300])
            text = seen(r)
            typed = echoed(canary, url)
            secrets = [s for s in canary.secrets() if typed is None or s != typed[0]]
            found = [s for s in secrets if s in text]
            assert not found, (reader.name, url, found)
            if typed is not None:  # as if it did not exist
                stand_in = client.get(url.replace(*typed), follow_redirects=False)
                assert r.status_code == stand_in.status_code and r.status_code >= 400, (
                    reader.name, url, r.status_code)
                assert r.content == stand_in.content.replace(
                    typed[1].encode(), typed[0].encode()), (reader.name, url)
    assert asked > 6 * 90  # six readers, every route at each of its addresses


# Where a cleared reader must find the canary, and what of it: so that the test above can
# fail.
MUST_SHOW = (
    ("/api/v1/orders/{number}", AMOUNTS[0]), ("/orders/{number}", "{number}"),
    ("/api/v1/orders?q=kestrel", "{number}"), ("/orders?q=kestrel", "{number}"),
    ("/documents/invoice/{number}", AMOUNTS[1]), ("/documents/order-form/{number}", "{number}"),
    ("/evidence/{evidence}", EVIDENCE.decode()), ("/reports/open-orders", "{number}"),
    ("/reports/invoices", "{number}"), ("/reports/invoices.xlsx", "{number}"),
    ("/reports/aging", "{number}"), ("/reports/aging.csv", AMOUNTS[0]),
    ("/api/v1/reports/aging", "{number}"), ("/reports/statement.csv?partner={partner}",
                                            "{number}"),
    ("/reports/activities", ACTIVITY_NAME), ("/reports/activities.csv", AMOUNTS[0]),
    ("/api/v1/reports/activities", ACTIVITY),
)


@pytest.mark.parametrize("reader", [r for r in READERS if r.cleared], ids=lambda r: r.name)
def test_cleared_readers_find_the_canary(canary: Canary, reader: Reader) -> None:
    client = canary.clients[reader.name]
    for template, wanted in MUST_SHOW:
        values = {"number": canary.number, "evidence": canary.evidence,
                  "partner": partner_of(reader.node)}
        url = template.format(**values)
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
        assert wanted.format(**values) in seen(r), url


@pytest.mark.parametrize("reader", [r for r in READERS if not r.cleared], ids=lambda r: r.name)
def test_an_uncleared_readers_figures_do_not_move_with_the_canary(canary: Canary,
                                                                  reader: Reader) -> None:
    client = canary.clients[reader.name]
    for url in aggregate_urls(reader.node):
        after = client.get(url)
        assert after.status_code == 200, (url, after.text[:300])
        before = canary.before[reader.name][url]
        assert drawn(after.content) == drawn(before), (url, changed(before, after.content))
    activities = client.get("/reports/activities").text
    assert ACTIVITY_NAME not in activities and ACTIVITY not in activities
    # The same figures are there for what the reader may read.
    assert canary.visible[reader.node] in client.get("/reports/invoices").text


def test_the_cleared_readers_totals_do_count_it(canary: Canary) -> None:
    """The same totals as a cleared reader reads them do move: the comparison above is not
    blind."""
    cleared = next(r for r in READERS if r.cleared and r.node == "PHL")
    uncleared = next(r for r in READERS if not r.cleared and r.node == "PHL")
    for url in ("/api/v1/reports/balances", "/api/v1/reports/aging", "/"):
        mine = canary.clients[cleared.name].get(url).content
        theirs = canary.clients[uncleared.name].get(url).content
        assert mine != theirs, url


def test_each_route_answers_as_its_read_policy_says(canary: Canary) -> None:
    """Officials' routes refuse an officer; node-to-node routes refuse every user; public
    routes serve anyone; the rest need a login."""
    officer = canary.clients["originator, uncleared officer"]
    node = canary.nodes["PHL"]
    with client_for(node) as anonymous:
        for path in get_routes(canary):
            policy = ROUTES[("GET", path)].policy
            for url in SAMPLES[path](canary, "PHL"):
                if policy is Policy.OFFICIALS:
                    assert officer.get(url).status_code == 403, url
                elif policy is Policy.FEDERATION:
                    assert officer.get(url).status_code in (400, 401, 403), url
                elif policy is Policy.PUBLIC:
                    assert anonymous.get(url).status_code == 200, url
                else:
                    got = anonymous.get(url, follow_redirects=False)
                    assert got.status_code in (401, 303), (url, got.status_code)


@pytest.mark.parametrize("reader", READERS, ids=lambda r: r.name)
def test_a_dashboard_and_a_report_carry_the_marking_of_what_their_reader_may_read(
        canary: Canary, reader: Reader) -> None:
    """Cleared for the canary, a reader's dashboard has its marking at top and bottom and
    the API's reports name it; uncleared, neither shows a marking (nothing else of the
    demo is classified)."""
    client = canary.clients[reader.name]
    dashboard = client.get("/").text
    report = client.get("/api/v1/reports/balances").json()
    if reader.cleared:
        assert dashboard.count('class="marking-banner"') == 2
        assert "SECRET / 極秘" in dashboard
        assert report["marking"]["display"] == "SECRET / 極秘"
    else:
        assert "marking-banner" not in dashboard
        assert report.get("marking") is None
