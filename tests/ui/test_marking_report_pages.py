"""A report page, and its downloads, carry the strongest marking of the orders they include
at top and bottom, as the reader may read them."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.services import orders
from integration.test_order_services import terms

from .test_marking_pages import banners, clear
from .test_order_pages import logged_in

pytestmark = pytest.mark.postgres


def test_a_report_carries_the_strongest_marking_of_the_orders_it_includes(pair):  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    for level in ("CONFIDENTIAL", "SECRET", None):
        as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms(),
                    marking={"level": level} if level else None)
    clear(pair.phl, Role.FINANCE_OFFICER, "SECRET")
    client, _ = logged_in(pair.phl, Role.FINANCE_OFFICER)
    page = client.get("/reports/open-orders").text
    assert banners(page) == ["SECRET / 極秘"] * 2
    rows = list(csv.reader(io.StringIO(
        client.get("/reports/open-orders.csv").content.decode("utf-8-sig"))))
    assert rows[0] == rows[-1] == ["SECRET / 極秘"]
    assert len(rows) == 2 + 1 + 3  # the markings, the header, three orders
    # A reader cleared for less sees fewer orders, and the marking of what they see.
    clear(pair.phl, Role.FINANCE_OFFICER, "CONFIDENTIAL")
    assert banners(client.get("/reports/open-orders").text) == ["CONFIDENTIAL / 秘"] * 2
    clear(pair.phl, Role.FINANCE_OFFICER, "")
    page = client.get("/reports/open-orders").text
    assert not banners(page) and "marking-banner" not in page
