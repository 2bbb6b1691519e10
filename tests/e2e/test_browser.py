"""The web UI in a real Chromium, against two live nodes (JPN and PHL) that sync over HTTP.

Each test logs in through the login page as a demo official and does what
an officer would: look at the dashboard, filter orders, create one, accept
a partner's order once it has synced, lose a race with a colleague, read
the pages in Japanese, work without JavaScript. The tests share one pair of
nodes (one xdist group) and leave the seeded orders they do not act on
alone; each finds its order through the UI rather than by a fixed number.
One test takes a cash order from request to payment, each step by the
right official on the right node.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest

from acsa.domain.parties import Role
from acsa.services import users
from needs import tool_or_skip

from .conftest import Browsing, LiveNode, Nodes, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.federation, pytest.mark.slow,
              pytest.mark.xdist_group("e2e")]

NUMBER = re.compile(r"JP-PH/[A-Z]{3}/FY\d{4}/E?\d{5,}")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
SYNC_TIMEOUT_S = 25.0

# Every labelable control that is not hidden, without a label it is tied to: by
# <label for>, a wrapping <label> (both are in el.labels), aria-label or aria-labelledby.
UNLABELLED_JS = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea'))
  .filter(el => !(el.labels && el.labels.length) && !(el.getAttribute('aria-label') || '').trim()
                && !(el.getAttribute('aria-labelledby') || '').trim())
  .map(el => el.outerHTML.slice(0, 160))"""


# -- helpers -------------------------------------------------------------------------------


def number_of(page: Any) -> str:
    found = NUMBER.search(page.locator("h1").inner_text())
    assert found, page.locator("h1").inner_text()
    return found.group(0)


def status_of(page: Any) -> str:
    return str(page.locator("h1 .badge").first.inner_text()).strip()


def find_order(page: Any, node: LiveNode, text: str, status: str | None = None) -> str:
    """Search the order list the way a user does; the one matching order's number."""
    page.goto(f"{node.url}/orders")
    page.fill("#q", text)
    if status:
        page.select_option("#status", status)
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state()
    links = page.locator("table tbody a[href^='/orders/']")
    assert links.count() == 1, f"{text!r}: {links.all_inner_texts()}"
    return str(links.first.inner_text())


def open_order(page: Any, node: LiveNode, number: str) -> Any:
    return page.goto(f"{node.url}/orders/{number}")


def action_ids(page: Any) -> set[str]:
    return set(page.locator("details.action").evaluate_all("els => els.map(e => e.id)"))


def eventually(check: Callable[[], bool], what: str, nudge: Callable[[], None] | None = None,
               timeout: float = SYNC_TIMEOUT_S) -> float:
    """Wait for ``check``; the nodes' workers sync on their own within a second or so, and
    half-way through ``nudge`` runs one sync round by hand (`acsa sync now`)."""
    start = time.monotonic()
    nudged = False
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        if nudge and not nudged and time.monotonic() - start > timeout / 3:
            nudge()
            nudged = True
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def submit_action(page: Any, action: str, fill: Callable[[Any], None] | None = None) -> Any:
    """Open an action's <details>, fill its form and submit it; returns the response."""
    details = page.locator(f"details#act-{action}")
    if not details.evaluate("d => d.open"):
        details.locator("summary").click()
    form = details.locator("form")
    if fill:
        fill(form)
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit]").click()
    return navigation.value


def field_error(page: Any, name: str) -> str:
    """The message shown next to field ``name``."""
    error = page.locator(f"#err-{name.replace('.', '-')}")
    summary = page.locator("main .errors").all_inner_texts()
    assert error.count() == 1, f"no error beside {name}; the summary says {summary}"
    return str(error.inner_text())


# -- 1. login with a real TOTP code, dashboard, logout ---------------------------------------


def test_login_with_totp_dashboard_and_logout(browse: Browsing, nodes: Nodes) -> None:
    ctx = browse.context()
    page = browse.login("jpn.finance", ctx=ctx)  # password, then /auth/code with a real code
    assert page.locator("header .who").inner_text().count("jpn.finance") == 1
    assert page.locator("h1").count() == 1

    counts = page.locator(".tiles .tile .n").all_inner_texts()
    assert counts and all(c.strip().isdigit() for c in counts), counts
    assert sum(int(c) for c in counts) > 0, "the seeded data leaves something waiting"
    assert page.locator("#due-h + .table-wrap tbody tr").count() >= 1  # amounts due
    charts = page.locator("main figure svg")
    assert charts.count() >= 1
    assert charts.first.locator("rect, path, line, polyline").count() > 0
    assert charts.first.bounding_box()["width"] > 100  # drawn, not an empty box
    screenshot(page, "dashboard.png")

    session = [c for c in ctx.cookies() if c["name"] == "acsa_session"]
    assert session and session[0]["httpOnly"], ctx.cookies()
    page.click("header .who button[type=submit]")  # Log out
    page.wait_for_url(re.compile(r"/auth/login"))
    assert "logged out" in page.content() or page.locator("#user").count() == 1
    page.goto(f"{nodes.jpn.url}/")
    assert "/auth/login" in page.url

    # The session ended on the server: presenting the old cookie again does not help.
    ctx.add_cookies(session)
    response = page.goto(f"{nodes.jpn.url}/")
    assert "/auth/login" in page.url, (page.url, response.status)


# -- 2. the order list, and one order --------------------------------------------------------


def test_order_list_filters_and_order_page(browse: Browsing, nodes: Nodes) -> None:
    jpn = nodes.jpn
    page = browse.login("jpn.approving")
    page.goto(f"{jpn.url}/orders")
    total = int(re.search(r"\d+", page.locator("h1 small").inner_text()).group(0))
    assert total >= 20
    rows = page.locator("table tbody tr")
    assert rows.count() == min(total, 50)

    # Filter by status: every row shown has it, and the form keeps the choice.
    page.select_option("#status", "submitted")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"status=submitted"))
    badges = page.locator("table tbody .badge:not(.flag)").all_inner_texts()
    assert badges and set(badges) == {"Submitted"}, badges
    assert page.locator("#status").input_value() == "submitted"

    # Text search (an item's description) narrows to one order.
    number = find_order(page, jpn, "purification", status="submitted")
    assert page.locator("#q").input_value() == "purification"

    # Paging: the list shows 50 at a time, newest first.
    page.goto(f"{jpn.url}/orders")
    next_link = page.locator("nav.pager a[rel=next]")
    if total > 50:
        first = page.locator("table tbody a").first.inner_text()
        next_link.click()
        page.wait_for_load_state()
        assert page.locator("table tbody a").first.inner_text() != first
        assert page.locator("nav.pager").get_by_text("First page").count() == 1
    else:
        assert next_link.count() == 0

    # The order page: lines, amounts, the signed timeline, this user's actions.
    page.goto(f"{jpn.url}/orders?q=purification")
    page.locator("table tbody a", has_text=number).click()
    page.wait_for_url(re.compile(re.escape(number)))
    assert number_of(page) == number and status_of(page) == "Submitted"
    lines = page.locator("#lines-h + .table-wrap tbody tr")
    assert lines.count() == 1
    assert "Water purification units" in lines.first.inner_text()
    assert "950,000" in lines.first.inner_text()
    amounts = page.locator("section[aria-labelledby=fig-h]").inner_text()
    assert "¥5,700,000" in amounts  # 6 × 950,000, formatted per currency
    timeline = page.locator("#tl-h + .table-wrap tbody tr")
    assert timeline.count() >= 1
    first_event = timeline.first
    text = first_event.inner_text()
    assert "Maj. Maria Santos" in text and "phl.ordering" in text and "PHL" in text
    assert "Ordering official" in text
    key = first_event.locator("td.mono")
    assert key.get_attribute("title") == nodes.phl.node.key.fingerprint
    assert key.inner_text().startswith(nodes.phl.node.key.fingerprint[:16])
    # The approving official may accept, reject or propose; nothing of later steps.
    offered = action_ids(page)
    assert {"act-accept", "act-reject"} <= offered, offered
    assert not offered & {"act-deliver", "act-receive", "act-invoice", "act-withdraw"}

    # Another official of the same node has no step on it.
    other = browse.login("jpn.receiving")
    open_order(other, jpn, number)
    assert action_ids(other) == set()
    assert other.locator("section[aria-labelledby=act-h] p.muted").count() == 1

    # A long-running order (settled in cash, with a write-off) for the screenshot.
    diesel = find_order(page, jpn, "Diesel fuel")
    open_order(page, jpn, diesel)
    assert page.locator("#tl-h + .table-wrap tbody tr").count() >= 6
    parties = page.locator("#tl-h + .table-wrap tbody").inner_text()
    assert "(JPN," in parties and "(PHL," in parties
    screenshot(page, "order.png", full_page=True)


# -- 3. a new order: a mistake, then the fix --------------------------------------------------


def fill_new_order(page: Any, *, supplier: str, unit: str, currency: str,
                   line: tuple[str, str, str, str, str], deliver_to: str, poc: str,
                   fund_citation: str = "FY26-HADR-0001") -> None:
    page.select_option("#activity", "TYPHOON-RAI2-HADR")
    page.fill("#fund_citation", fund_citation)
    page.select_option("#supplier", supplier)
    page.select_option("#requesting_unit", unit)
    page.select_option("#method", "cash")
    # The currency is the agreement's (the supplier's invoice currency): shown, not typed.
    assert page.locator("output#currency").inner_text() == currency
    page.fill("#needed_by", "2026-12-20")
    page.fill("#deliver_to", deliver_to)
    page.fill("#poc", poc)
    category, description, quantity, unit_of_issue, price = line
    page.select_option("[id='lines.0.category']", category)
    page.fill("[id='lines.0.description']", description)
    page.fill("[id='lines.0.quantity']", quantity)
    page.fill("[id='lines.0.unit']", unit_of_issue)
    page.fill("[id='lines.0.unit_price']", price)


def sign_and_submit(page: Any) -> Any:
    with page.expect_navigation() as navigation:
        page.click("button[name=intent][value=submit]")
    return navigation.value


def test_new_order_shows_errors_by_the_fields_and_keeps_what_was_typed(
        browse: Browsing, nodes: Nodes) -> None:
    jpn = nodes.jpn
    page = browse.login("jpn.ordering")
    page.goto(f"{jpn.url}/new-order")
    fill_new_order(page, supplier="PHL", unit="JGSDF-1HB", currency="PHP",
                   line=("food", "Bottled water, 2 L (e2e)", "abc", "EA", "120.00"),
                   deliver_to="", poc="Maj. Sato Haruto, +81 3 5366 3111")

    # Two mistakes, both shown at once: no place of delivery, a quantity that is no number.
    response = sign_and_submit(page)
    assert response.status == 422
    assert "required" in field_error(page, "deliver_to").lower()
    assert page.locator("#deliver_to").get_attribute("aria-invalid") == "true"
    assert "decimal" in field_error(page, "lines.0.quantity")
    assert page.locator(".errors[role=alert]").count() == 1
    # What was typed is still there, the mistake included.
    assert page.locator("[id='lines.0.quantity']").input_value() == "abc"
    assert page.locator("[id='lines.0.description']").input_value() == "Bottled water, 2 L (e2e)"
    assert page.locator("#poc").input_value() == "Maj. Sato Haruto, +81 3 5366 3111"
    assert page.locator("#supplier").input_value() == "PHL"
    assert page.locator("#activity").input_value() == "TYPHOON-RAI2-HADR"
    assert page.locator("#needed_by").input_value() == "2026-12-20"
    assert page.locator("[id='lines.0.category']").input_value() == "food"
    screenshot(page, "new-order-errors.png", full_page=True)

    # The place filled in, the quantity is still refused, beside the line's input.
    page.fill("#deliver_to", "Tacloban airport, apron 2")
    response = sign_and_submit(page)
    assert response.status == 422
    assert "decimal" in field_error(page, "lines.0.quantity")
    assert page.locator("[id='lines.0.quantity']").get_attribute("aria-invalid") == "true"
    assert page.locator("#err-deliver_to").count() == 0
    assert page.locator("#deliver_to").input_value() == "Tacloban airport, apron 2"

    page.fill("[id='lines.0.quantity']", "200")
    response = sign_and_submit(page)
    assert response.status == 200
    number = number_of(page)
    assert number.startswith("JP-PH/JPN/FY2026/")
    assert status_of(page) == "Submitted"
    assert page.locator(".notice[role=status]").count() == 1
    assert "Bottled water, 2 L (e2e)" in page.locator("#lines-h + .table-wrap").inner_text()
    assert "Tacloban airport, apron 2" in page.locator("dl.terms").first.inner_text()
    assert "₱24,000.00" in page.locator("section[aria-labelledby=fig-h]").inner_text()


# -- 4. across the two nodes ------------------------------------------------------------------


def test_phl_order_accepted_on_jpn_shows_on_phl_with_jpn_signature(
        browse: Browsing, nodes: Nodes) -> None:
    jpn, phl = nodes.jpn, nodes.phl
    santos = browse.login("phl.ordering")
    santos.goto(f"{phl.url}/new-order")
    fill_new_order(santos, supplier="JPN", unit="AFP-NFL", currency="JPY",
                   line=("pol", "Marine gas oil (e2e cross-node)", "5000", "L", "150"),
                   deliver_to="Subic Bay, Pier 5", poc="Maj. Maria Santos, +63 2 8911 0001")
    assert sign_and_submit(santos).status == 200
    number = number_of(santos)
    assert number.startswith("JP-PH/PHL/") and status_of(santos) == "Submitted"

    # The PHL worker tells JPN at once; an operator may also run a round by hand.
    phl.sync_now()
    suzuki = browse.login("jpn.approving")

    def arrived() -> bool:
        return bool(open_order(suzuki, jpn, number).status == 200)

    waited = eventually(arrived, f"{number} to reach JPN", nudge=phl.sync_now)
    assert status_of(suzuki) == "Submitted", waited
    response = submit_action(suzuki, "accept", lambda form: form.locator(
        "select[name=supplying_unit]").select_option("JMSDF-ESF1"))
    assert response.status == 200 and number_of(suzuki) == number
    assert status_of(suzuki) == "Accepted"
    assert "Accept" in suzuki.locator(".notice[role=status]").inner_text()

    def accepted_on_phl() -> bool:
        open_order(santos, phl, number)
        return status_of(santos) == "Accepted"

    eventually(accepted_on_phl, f"{number} accepted on PHL", nudge=jpn.sync_now)
    rows = santos.locator("#tl-h + .table-wrap tbody tr")
    signed_by_jpn = rows.filter(has_text="jpn.approving")
    assert signed_by_jpn.count() == 1, rows.all_inner_texts()
    text = signed_by_jpn.inner_text()
    assert "Lt. Col. Suzuki Aiko" in text and "(JPN, jpn.approving)" in text
    assert "Approving official" in text and "took effect" in text
    key = signed_by_jpn.locator("td.mono")
    assert key.get_attribute("title") == jpn.node.key.fingerprint
    assert key.get_attribute("title") != phl.node.key.fingerprint
    assert "JMSDF-ESF1" in santos.locator("dl.terms").first.inner_text()


def tile_count(page: Any, node: LiveNode, status: str) -> int:
    """The dashboard's count of orders in ``status`` waiting for this user's side: the tile
    of the worklist's task for that status."""
    task = {"submitted": "accept", "delivered": "receive"}[status]
    page.goto(f"{node.url}/")
    tile = page.locator(f"a.tile[data-task='{task}'] .n")
    return int(tile.inner_text()) if tile.count() else 0


def reach(page: Any, node: LiveNode, number: str, status: str, nudge: Callable[[], None]
          ) -> None:
    """Wait until ``number`` shows ``status`` on ``node`` (the nodes sync on their own)."""
    def there() -> bool:
        return bool(open_order(page, node, number).status == 200) and status_of(page) == status

    eventually(there, f"{number} {status} on {node.party}", nudge=nudge)


def test_cash_order_from_request_to_payment_across_both_nodes(
        browse: Browsing, nodes: Nodes, tmp_path: Any) -> None:
    """Each step by the right official on the right node; dashboards count on both sides;
    the printed invoice carries the order number."""
    jpn, phl = nodes.jpn, nodes.phl
    suzuki, takahashi, watanabe = (browse.login(u) for u in
                                   ("jpn.approving", "jpn.supply", "jpn.finance"))
    santos, bautista, garcia = (browse.login(u) for u in
                                ("phl.ordering", "phl.receiving", "phl.finance"))
    awaiting_before = tile_count(suzuki, jpn, "submitted")
    to_acknowledge_before = tile_count(bautista, phl, "delivered")

    santos.goto(f"{phl.url}/new-order")
    fill_new_order(santos, supplier="JPN", unit="AFP-NFL", currency="JPY",
                   line=("pol", "Lubricating oil (e2e full path)", "40", "L", "1250"),
                   deliver_to="Tacloban airport apron", poc="Maj. Maria Santos")
    assert sign_and_submit(santos).status == 200
    number = number_of(santos)

    reach(suzuki, jpn, number, "Submitted", phl.sync_now)
    assert tile_count(suzuki, jpn, "submitted") == awaiting_before + 1
    open_order(suzuki, jpn, number)
    submit_action(suzuki, "accept", lambda form: form.locator(
        "select[name=supplying_unit]").select_option("JMSDF-ESF1"))
    assert status_of(suzuki) == "Accepted"
    assert tile_count(suzuki, jpn, "submitted") == awaiting_before

    ticket = tmp_path / "delivery-ticket-e2e.pdf"
    ticket.write_bytes(b"%PDF-1.4\n% delivery ticket: 40 L lubricating oil\n")
    open_order(takahashi, jpn, number)

    def deliver(form: Any) -> None:
        form.locator("input[name='lines.0.quantity']").fill("40")
        form.locator("input[name=evidence_file]").set_input_files(str(ticket))

    submit_action(takahashi, "deliver", deliver)
    assert status_of(takahashi) == "Delivered"
    assert "delivery-ticket-e2e.pdf" in takahashi.locator("#del-h + .table-wrap").inner_text()

    reach(bautista, phl, number, "Delivered", jpn.sync_now)
    assert tile_count(bautista, phl, "delivered") == to_acknowledge_before + 1
    open_order(bautista, phl, number)
    submit_action(bautista, "receive")
    assert status_of(bautista) == "Received"
    assert tile_count(bautista, phl, "delivered") == to_acknowledge_before

    reach(watanabe, jpn, number, "Received", phl.sync_now)
    submit_action(watanabe, "invoice")
    assert status_of(watanabe) == "Settling"

    reach(garcia, phl, number, "Settling", jpn.sync_now)
    assert "¥50,000" in garcia.locator("#inv-h + .table-wrap").inner_text()  # 40 × 1,250
    submit_action(garcia, "pay", lambda form: form.locator("input[name=reference]").fill(
        "LBP TT 2026-1126-0042"))
    assert "LBP TT 2026-1126-0042" in garcia.locator("#inv-h").locator("..").inner_text()

    def payment_arrived() -> bool:
        open_order(watanabe, jpn, number)
        return bool(watanabe.locator("details#act-confirm-payment").count())

    eventually(payment_arrived, f"the payment for {number} on JPN", nudge=phl.sync_now)
    submit_action(watanabe, "confirm-payment")
    assert status_of(watanabe) == "Settled"
    reach(garcia, phl, number, "Settled", jpn.sync_now)

    # The printed invoice: a real PDF that names the order.
    pdf = watanabe.context.request.get(f"{jpn.url}/documents/invoice/{number}")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    text = pdf_text(pdf.body(), tmp_path)
    assert number in text, text[:500]


def pdf_text(content: bytes, directory: Any) -> str:
    tool = tool_or_skip("pdftotext", "poppler-utils")
    path = directory / "printed.pdf"
    path.write_bytes(content)
    return subprocess.run([tool, "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


# -- 5. two officials, one order --------------------------------------------------------------


def test_second_of_two_concurrent_acts_gets_a_conflict(browse: Browsing, nodes: Nodes) -> None:
    jpn = nodes.jpn
    first = browse.login("jpn.approving")
    second = browse.login("jpn.approving")  # a second session: another desk, same office
    number = find_order(first, jpn, "Generator overhaul", status="submitted")
    open_order(first, jpn, number)
    open_order(second, jpn, number)
    assert status_of(first) == status_of(second) == "Submitted"

    response = submit_action(first, "reject", lambda form: form.locator(
        "textarea[name=reason]").fill("no 60 kVA generator free before January"))
    assert response.status == 200 and status_of(first) == "Rejected"

    # The second still has the order as it was, and accepts it: refused, never overwritten.
    response = submit_action(second, "accept", lambda form: form.locator(
        "select[name=supplying_unit]").select_option("JGSDF-1HB"))
    assert response.status == 409
    message = second.locator(".errors[role=alert]").inner_text()
    assert "Someone else changed this order" in message
    assert status_of(second) == "Rejected"  # the reloaded order, as it now stands
    assert "act-accept" not in action_ids(second)
    # Nothing overwritten: one decision by JPN in the record, the rejection.
    open_order(first, jpn, number)
    assert status_of(first) == "Rejected"
    decisions = first.locator("#tl-h + .table-wrap tbody tr").filter(has_text="jpn.approving")
    assert decisions.count() == 1, decisions.all_inner_texts()
    assert "no 60 kVA generator free" in first.locator("dl.terms").first.inner_text()


# -- 6. Japanese --------------------------------------------------------------------------------


GLYPHS_JS = """() => {
  // Draw two different kanji: real glyphs differ, two "missing glyph" boxes do not.
  const draw = ch => { const c = document.createElement('canvas'); c.width = c.height = 40;
    const g = c.getContext('2d'); g.font = '32px ' + getComputedStyle(document.body).fontFamily;
    g.fillText(ch, 2, 32); return Array.from(g.getImageData(0, 0, 40, 40).data).join(','); };
  const a = draw('発'), b = draw('注'), blank = draw(' ');
  return {differ: a !== b, inked: a !== blank && b !== blank};
}"""


def choose_japanese(page: Any, node: LiveNode) -> None:
    page.goto(f"{node.url}/preferences")
    page.select_option("#locale", "ja")
    page.fill("#time_zone", "Asia/Tokyo")
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def test_japanese_pages_render_real_glyphs_and_stay_on_the_node(
        browse: Browsing, nodes: Nodes) -> None:
    jpn = nodes.jpn
    ctx = browse.context()
    requests: list[str] = []
    ctx.on("request", lambda r: requests.append(r.url))
    page = browse.login("jpn.receiving", ctx=ctx)
    choose_japanese(page, jpn)
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("#locale").input_value() == "ja"
    assert CJK.search(page.locator("nav[aria-label]").inner_text())

    diesel = find_order(page, jpn, "Diesel fuel")
    open_order(page, jpn, diesel)
    assert page.locator("html").get_attribute("lang") == "ja"
    body = page.locator("main").inner_text()
    assert len(CJK.findall(body)) > 30, body[:800]
    assert CJK.search(status_of(page)), status_of(page)
    assert CJK.search(page.locator("#lines-h").inner_text())
    page.evaluate("document.fonts.ready.then(() => true)")
    assert page.evaluate("document.fonts.status") == "loaded"
    glyphs = page.evaluate(GLYPHS_JS)
    assert glyphs == {"differ": True, "inked": True}, glyphs

    # Which font Chromium really drew the headings with: a CJK font, with glyphs.
    cdp = ctx.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    heading = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "#lines-h"})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": heading})["fonts"]
    assert any(f["glyphCount"] > 0 and re.search(r"IPA|Noto|Droid|CJK|Gothic|Mincho",
                                                    f["familyName"]) for f in fonts), fonts
    cdp.detach()
    screenshot(page, "order-ja.png")

    assert requests and all(r.startswith(f"{jpn.url}/") for r in requests), \
        [r for r in requests if not r.startswith(f"{jpn.url}/")]


def test_japanese_headings_are_translated(browse: Browsing, nodes: Nodes) -> None:
    jpn = nodes.jpn
    page = browse.login("jpn.receiving")
    choose_japanese(page, jpn)
    page.goto(f"{jpn.url}/")
    untranslated = [t for t in page.locator("main h1, main h2").all_inner_texts()
                    if not CJK.search(t)]
    number = find_order(page, jpn, "Diesel fuel")
    open_order(page, jpn, number)
    untranslated += [t for t in page.locator("main h2").all_inner_texts() if not CJK.search(t)]
    page.goto(f"{jpn.url}/preferences")
    untranslated += [t for t in page.locator("main h1").all_inner_texts() if not CJK.search(t)]
    assert not untranslated, untranslated


# -- 7. without JavaScript ----------------------------------------------------------------------


def test_login_and_act_without_javascript(browse: Browsing, nodes: Nodes) -> None:
    jpn = nodes.jpn
    page = browse.login("jpn.approving", java_script_enabled=False)
    number = find_order(page, jpn, "purification", status="submitted")  # a GET form
    open_order(page, jpn, number)
    assert status_of(page) == "Submitted"
    response = submit_action(page, "accept", lambda form: form.locator(
        "select[name=supplying_unit]").select_option("JMSDF-ESF1"))
    assert response.status == 200
    assert status_of(page) == "Accepted"
    assert page.locator(".notice[role=status]").count() == 1


# -- 8. accessibility basics ---------------------------------------------------------------------


def check_page_basics(page: Any) -> None:
    assert page.locator("h1").count() == 1, page.url
    lang = page.locator("html").get_attribute("lang")
    assert lang in ("en", "ja"), (page.url, lang)
    unlabelled = page.evaluate(UNLABELLED_JS)
    assert not unlabelled, (page.url, unlabelled)


def test_inputs_are_labelled_one_h1_and_a_language(browse: Browsing, nodes: Nodes) -> None:
    jpn = nodes.jpn
    login_page = browse.context().new_page()
    login_page.goto(f"{jpn.url}/auth/login")
    check_page_basics(login_page)

    page = browse.login("jpn.ordering")
    page.goto(f"{jpn.url}/new-order")
    check_page_basics(page)
    assert page.locator("main input, main select, main textarea").count() > 40

    supply = browse.login("jpn.supply")  # an accepted order: the delivery form, per line
    number = find_order(supply, jpn, "Field surgical team", status="accepted")
    open_order(supply, jpn, number)
    assert "act-deliver" in action_ids(supply)
    check_page_basics(supply)
    page.goto(f"{jpn.url}/orders")
    check_page_basics(page)
    page.goto(f"{jpn.url}/preferences")
    check_page_basics(page)


# -- 9. pages other engineers are adding (lightly, if present) -----------------------------------


@pytest.mark.parametrize(("user", "path", "kind"), [
    ("jpn.finance", "/reports", "html"),
    ("jpn.finance", "/reports/aging", "html"),
    ("jpn.receiving", "/scan", "html"),
    ("jpn.administrator", "/admin", "html"),
    ("jpn.finance", "/documents/order-form/{number}", "pdf"),
])
def test_other_pages_when_present(browse: Browsing, nodes: Nodes, user: str, path: str,
                                  kind: str) -> None:
    jpn = nodes.jpn
    page = browse.login(user)
    if "{number}" in path:
        path = path.format(number=find_order(page, jpn, "Diesel fuel"))
    response = page.context.request.get(f"{jpn.url}{path}", max_redirects=0)
    assert response.status == 200, (path, response.status, response.text()[:500])
    content_type = response.headers.get("content-type", "")
    if kind == "pdf":
        assert content_type.startswith("application/pdf"), content_type
        assert response.body().startswith(b"%PDF")
        return
    assert content_type.startswith("text/html"), content_type
    page.goto(f"{jpn.url}{path}")
    check_page_basics(page)


def test_roles_are_as_the_tests_assume(nodes: Nodes) -> None:
    """The demo officials the tests log in as hold the roles the tests rely on."""
    for who, role in (("jpn.approving", Role.APPROVING_OFFICIAL),
                      ("jpn.supply", Role.SUPPLY_OFFICER),
                      ("phl.ordering", Role.ORDERING_OFFICIAL)):
        node = nodes.of_user(who)
        assert role in node.read(lambda uow, who=who: users.get_user(uow, who).roles)
