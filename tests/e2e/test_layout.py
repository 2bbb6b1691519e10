"""Every main page on a phone (390 px) and a tablet (768 px), and an accessibility audit.

At both widths each page is read and operated without scrolling the page
sideways (a table wider than the screen scrolls inside its own box), and
every control, menu entry and table link is at least 44 px high. The new
order is filled in and signed on the phone. axe-core audits each page in
English at both widths and in Japanese on the phone: no serious or critical
violation. The contexts here bypass the pages' Content-Security-Policy, which
rightly refuses the inline script axe is injected as (test_browser.py keeps
the policy on).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import Browsing, LiveNode, Nodes, audit, axe_or_skip, chromium_or_skip, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("e2e-layout")]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 768, "height": 1024}, "has_touch": True}
DEVICES = {390: PHONE, 768: TABLET}
TOUCH_PX = 43.5  # 44 px, less rounding

# The main pages, by who opens them; "{order}" is an order with its signed timeline, and
# "{accepted}" one whose action forms (a delivery per line) are opened on the page.
PAGES: dict[str, tuple[str, ...]] = {
    "jpn.ordering": ("/", "/orders", "/orders/{order}", "/new-order", "/drafts", "/reports",
                     "/reports/aging", "/reports/open-orders", "/preferences", "/scan"),
    "jpn.supply": ("/orders/{accepted}",),
    "jpn.finance": ("/offsets", "/offsets/new?partner=PHL", "/catalogue", "/rates", "/claims",
                    "/reports/annual", "/arrangements"),
    "jpn.administrator": ("/admin", "/admin/users", "/admin/users/jpn.ordering",
                          "/admin/appointments", "/admin/agreements", "/admin/peers",
                          "/admin/paper", "/admin/agreements/JPN-PHL-ACSA",
                          "/admin/transmissions"),
    "jpn.security": ("/security/compromise-reports", "/releases"),
}

# The device's width, not innerWidth: a phone browser widens its layout to show a page that
# overflows, so a page too wide would pass a test against innerWidth.
OVERFLOW_JS = """(width) => {
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 0.5 && !el.closest('.table-wrap'))
      wide.push(el.tagName.toLowerCase() + (el.className ? '.' + el.className : '')
                + ' right=' + Math.round(r.right));
  }
  return {scroll: document.scrollingElement.scrollWidth, inner: innerWidth, width: width,
          wide: wide.slice(0, 5)};
}"""

SMALL_TARGETS_JS = """(px) => {
  const small = [];
  const check = (el, what) => {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(el).visibility === 'hidden') return;
    if (r.height < px || r.width < px)
      small.push(what + ' ' + (el.innerText || el.name || el.id || '').trim().slice(0, 30)
                 + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
  };
  document.querySelectorAll('button, .button, input:not([type=hidden]):not([type=checkbox])'
      + ':not([type=radio]), select, textarea, summary, header a, nav a, .pager a, a.tile, td a')
    .forEach(el => check(el, el.tagName.toLowerCase()));
  document.querySelectorAll('input[type=checkbox], input[type=radio]')
    .forEach(el => check(el.closest('label') || el, 'label of ' + el.name));
  return small.slice(0, 8);
}"""


def orders_for_the_pages(page: Any, node: LiveNode) -> dict[str, str]:
    """The seeded orders the pages show, found by searching as a user does."""
    out = {}
    for key, query in (("order", "q=Diesel+fuel"),
                       ("accepted", "q=Field+surgical&status=accepted")):
        page.goto(f"{node.url}/orders?{query}")
        out[key] = str(page.locator("table tbody a[href^='/orders/']").first.inner_text())
    return out


def open_page(page: Any, node: LiveNode, path: str, numbers: dict[str, str]) -> str:
    """Go to ``path`` and open every action form on it; the page's name for messages."""
    response = page.goto(node.url + path.format(**numbers))
    assert response.status == 200, (path, response.status)
    for summary in page.locator("details.action:not([open]) > summary").all():
        summary.click()
    return re.sub(r"\{(\w+)\}", r"<\1>", path)


def check_fits(page: Any, name: str) -> None:
    width = page.viewport_size["width"]
    found = page.evaluate(OVERFLOW_JS, width)
    assert found["scroll"] <= width and found["inner"] <= width, (name, found)
    small = page.evaluate(SMALL_TARGETS_JS, TOUCH_PX)
    assert not small, (name, page.viewport_size["width"], small)


def device(browse: Browsing, width: int, **kw: Any) -> Any:
    return browse.context(bypass_csp=True, **DEVICES[width], **kw)


@pytest.mark.parametrize("width", [390, 768])
def test_every_main_page_fits_the_screen_and_passes_axe(browse: Browsing, nodes: Nodes,
                                                        width: int) -> None:
    chromium_or_skip()
    axe_or_skip()
    jpn = nodes.jpn
    login = device(browse, width).new_page()
    login.goto(f"{jpn.url}/auth/login")
    check_fits(login, "/auth/login")
    assert not audit(login, "/auth/login", "en").serious()
    problems = []
    numbers: dict[str, str] = {}
    for user, paths in PAGES.items():
        page = browse.login(user, ctx=device(browse, width))
        if not numbers:
            numbers = orders_for_the_pages(page, jpn)
        for path in paths:
            name = open_page(page, jpn, path, numbers)
            check_fits(page, name)
            problems += [(name, v["id"], v["nodes"]) for v in audit(page, name, "en").serious()]
            if path in ("/", "/new-order"):
                screenshot(page, f"{'dashboard' if path == '/' else 'new-order'}-{width}.png",
                           full_page=True)
    assert not problems, problems


def test_the_menu_wraps_into_large_entries_on_a_phone(browse: Browsing, nodes: Nodes) -> None:
    page = browse.login("jpn.ordering", ctx=device(browse, 390))
    assert page.evaluate("matchMedia('(pointer: coarse)').matches")
    entries = page.locator("header nav a")
    assert entries.count() >= 6
    boxes = [entries.nth(i).bounding_box() for i in range(entries.count())]
    assert all(b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes), boxes
    assert len({round(b["y"]) for b in boxes}) >= 2  # wrapped onto rows, none hidden


def test_a_new_order_is_filled_in_and_signed_on_a_phone(browse: Browsing, nodes: Nodes) -> None:
    jpn = nodes.jpn
    page = browse.login("jpn.ordering", ctx=device(browse, 390))
    page.goto(f"{jpn.url}/new-order")
    # The lines are cards: each field of a line is as wide as the card, and labelled.
    quantity = page.locator("[id='lines.0.quantity']")
    box = quantity.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] > 60, box
    assert page.locator("table.lines thead").bounding_box()["height"] <= 1
    label = page.evaluate("""() => getComputedStyle(
        document.querySelector("table.lines td.col-quantity"), '::before').content""")
    assert "Quantity" in label, label

    choose(page, "#activity", "TYPHOON-RAI2-HADR")
    choose(page, "#supplier", "PHL")
    choose(page, "#requesting_unit", "JGSDF-1HB")
    choose(page, "#method", "cash")
    choose(page, "#currency", "PHP")
    page.fill("#needed_by", "2026-12-20")
    page.fill("#deliver_to", "Ormoc port, berth 1 (phone)")
    page.fill("#poc", "Maj. Sato Haruto, +81 3 5366 3111")
    page.fill("#fund_citation", "FY26-HADR-0390")
    choose(page, "[id='lines.0.category']", "water")
    page.fill("[id='lines.0.description']", "Water purification tablets (phone)")
    page.fill("[id='lines.0.quantity']", "390")
    page.fill("[id='lines.0.unit']", "BX")
    page.fill("[id='lines.0.unit_price']", "100.00")
    assert page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]") == [390, 390]
    with page.expect_navigation() as navigation:
        page.locator("button[name=intent][value=submit]").tap()
    assert navigation.value.status == 200, page.locator("main").inner_text()[:800]
    assert re.search(r"JP-PH/JPN/FY2026/\d{5,}", page.locator("h1").inner_text())
    assert "Water purification tablets (phone)" in page.locator("main").inner_text()
    check_fits(page, "the new order")


def choose(page: Any, selector: str, value: str) -> None:
    """Pick ``value`` in a select, type it where the form asks for text, or check it where
    the form shows it without asking (an <output>, such as the agreement's currency)."""
    field = page.locator(selector)
    tag = field.evaluate("el => el.tagName")
    if tag == "SELECT":
        field.select_option(value)
    elif tag == "OUTPUT":
        assert field.inner_text().strip() == value, (selector, field.inner_text())
    else:
        field.fill(value)


def set_language(page: Any, node: LiveNode, locale: str) -> None:
    page.goto(f"{node.url}/preferences")
    page.select_option("#locale", locale)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def test_japanese_pages_pass_axe_on_a_phone(browse: Browsing, nodes: Nodes) -> None:
    chromium_or_skip()
    axe_or_skip()
    jpn = nodes.jpn
    login = device(browse, 390, locale="ja-JP").new_page()
    login.goto(f"{jpn.url}/auth/login?lang=ja")
    assert login.locator("html").get_attribute("lang") == "ja"
    problems = [("/auth/login", v["id"], v["nodes"])
                for v in audit(login, "/auth/login", "ja").serious()]
    numbers: dict[str, str] = {}
    for user, paths in PAGES.items():
        page = browse.login(user, ctx=device(browse, 390))
        if not numbers:
            numbers = orders_for_the_pages(page, jpn)
        set_language(page, jpn, "ja")
        try:
            for path in paths:
                name = open_page(page, jpn, path, numbers)
                assert page.locator("html").get_attribute("lang") == "ja", name
                check_fits(page, name)
                problems += [(name, v["id"], v["nodes"])
                             for v in audit(page, name, "ja").serious()]
        finally:
            set_language(page, jpn, "en")
    assert not problems, problems
