"""Every page names its icon, served by the node itself: no 404 for /favicon.ico."""

from __future__ import annotations

from acsa.domain.parties import Role
from ui.test_order_pages import logged_in


def test_pages_link_the_nodes_own_icon_and_the_old_address_finds_it(pair):  # type: ignore[no-untyped-def]
    client, _ = logged_in(pair.jpn, Role.FINANCE_OFFICER)
    page = client.get("/").text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")
    old = client.get("/favicon.ico", follow_redirects=False)
    assert old.status_code == 301 and old.headers["location"] == "/static/favicon.svg"
