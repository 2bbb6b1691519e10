"""Each officer's dashboard in a real browser: the worklist tiles their roles may act on,
each count equal to the orders the tile's list shows, on both nodes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import Browsing, Nodes, screenshot

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")

OFFICERS = [f"{party}.{role}" for party in ("jpn", "phl")
            for role in ("ordering", "approving", "supply", "receiving", "finance")]
ORDER_LINKS = "main table tbody a[href^='/orders/']"


def tiles(page: Any) -> list[tuple[str, int, str]]:
    """Each tile on the dashboard: its task, its count and the list it opens."""
    out = []
    for tile in page.locator(".tiles a.tile").all():
        out.append((str(tile.get_attribute("data-task")),
                    int(tile.locator(".n").inner_text().strip()),
                    str(tile.get_attribute("href"))))
    return out


def listed(page: Any, url: str) -> int:
    """How many orders the list at ``url`` shows, all pages followed."""
    page.goto(url)
    seen = 0
    while True:
        seen += page.locator(ORDER_LINKS).count()
        more = page.locator("main a[rel=next]")
        if more.count() == 0:
            return seen
        more.first.click()
        page.wait_for_load_state()


@pytest.mark.parametrize("officer", OFFICERS)
def test_every_tile_counts_the_orders_its_list_shows(browse: Browsing, nodes: Nodes,
                                                     officer: str) -> None:
    node = nodes.of_user(officer)
    page = browse.login(officer)
    found = tiles(page)
    assert found, f"{officer} sees no worklist"
    # Only tasks one of the officer's roles may do are offered.
    role = officer.split(".")[1]
    assert all(re.fullmatch(r"[a-z_]+|emergency-partner", task) for task, _, _ in found)
    if role in ("receiving", "supply"):
        assert not {t for t, _, _ in found} & {"pay", "invoice", "confirm_payment"}, found
    screenshot(page, f"dashboard-{officer}.png", full_page=True)
    for task, count, href in found:
        assert listed(page, f"{node.url}{href}") == count, (officer, task, href)


LATIN_WORD = re.compile(r"\b[A-Za-z]{3,}\b")
QUOTED = re.compile(r"「[^」]*」")


def test_a_refusal_on_a_japanese_page_is_in_japanese_and_names_the_fields_label(
        browse: Browsing, nodes: Nodes) -> None:
    from .test_browser import choose_japanese, fill_new_order, sign_and_submit

    jpn = nodes.jpn
    page = browse.login("jpn.ordering")
    choose_japanese(page, jpn)
    page.goto(f"{jpn.url}/new-order")
    fill_new_order(page, supplier="PHL", unit="JGSDF-1HB", currency="PHP",
                   line=("food", "飲料水 2 L", "abc", "EA", "120.00"),
                   deliver_to="", poc="佐藤 一尉 03-5366-3111")
    response = sign_and_submit(page)
    assert response.status == 422
    summary = page.locator(".errors[role=alert]").inner_text()
    place = page.locator("label[for='deliver_to']").first.inner_text().strip(" *＊\n")
    assert CJK.search(place), place
    beside = {name: page.locator(f"#err-{name.replace('.', '-')}").inner_text()
              for name in ("deliver_to", "lines.0.quantity")}
    assert all(CJK.search(t) for t in beside.values()), beside
    assert place in summary, summary
    # No English in the messages; what the officer typed is quoted back as typed.
    words = LATIN_WORD.findall(QUOTED.sub("", summary + " ".join(beside.values())))
    assert not words, (summary, beside)
    screenshot(page, "refusal-ja.png", full_page=True)
