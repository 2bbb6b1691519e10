"""The access log: every opening of an order, a document, an evidence file or an export is
a line naming who, what (with its marking when classified), when and from where; only
auditors and security officers read and export it."""

from __future__ import annotations

import csv
import io

from ._reports_fixtures import Demo, demo_fixture  # noqa: F401 - the fixture is used by name


def lines(demo: Demo) -> list[dict[str, str]]:
    r = demo.auditor.get("/admin/access-log.csv")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_openings_of_a_classified_order_its_document_and_its_file_are_logged(demo: Demo):
    number, sha = demo.hidden, demo.files["secret.txt"]
    assert demo.auditor.get(f"/orders/{number}").status_code == 200
    assert demo.auditor.get(f"/documents/order-form/{number}").status_code == 200
    assert demo.auditor.get(f"/evidence/{sha}").status_code == 200
    mine = [line for line in lines(demo) if line["user"] == "jpn.auditor"]
    marked = f"{number} [JPN 極秘]"
    assert {"order.read", "document.read", "evidence.read"} <= {
        line["action"] for line in mine if line["target"].startswith(marked)}
    evidence = next(line for line in mine if line["action"] == "evidence.read")
    assert "secret.txt" in evidence["target"] and sha[:16] in evidence["target"]
    # The export is itself a line of the log.
    assert any(line["action"] == "report.export" and line["target"] == "access-log"
               for line in lines(demo))


def test_an_unclassified_order_is_logged_without_a_marking(demo: Demo):
    assert demo.finance.get(f"/orders/{demo.visible}").status_code == 200
    read = [line for line in lines(demo)
            if line["user"] == "jpn.finance" and line["action"] == "order.read"]
    assert read and read[-1]["target"] == demo.visible


def test_only_auditors_and_security_officers_read_or_export_the_log(demo: Demo):
    assert demo.finance.get("/admin/access-log.csv").status_code == 403
    assert demo.finance.get("/admin/access-log").status_code == 403
    page = demo.auditor.get(f"/admin/access-log?order={demo.hidden}")
    assert page.status_code == 200 and demo.hidden in page.text


def test_the_log_page_names_actions_in_the_readers_language(demo: Demo):
    demo.auditor.get(f"/orders/{demo.visible}")
    page = demo.auditor.get("/admin/access-log", headers={"Accept-Language": "ja"})
    assert "要請の閲覧" in page.text


def test_a_report_download_is_logged_with_the_marking_it_carries(demo: Demo):
    assert demo.auditor.get("/reports/open-orders.csv").status_code == 200
    assert demo.finance.get("/reports/open-orders.xlsx").status_code == 200
    exports = {line["user"]: line["target"] for line in lines(demo)
               if line["action"] == "report.export" and line["target"].startswith("open-")}
    # The auditor's download includes the classified order; the finance officer's does not.
    assert exports["jpn.auditor"] == "open-orders.csv [極秘 / SECRET]"
    assert exports["jpn.finance"] == "open-orders.xlsx"
