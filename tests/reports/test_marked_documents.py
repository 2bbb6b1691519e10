"""Markings on printed documents: both parties' markings at the top and bottom of every
page of every document of a classified order."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import Any

from acsa.devtools.world import as_official
from acsa.domain.parties import Role
from acsa.reports.documents import render_pdf
from acsa.services import orders
from acsa.services.documents import document_model
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from needs import tool_or_skip

from . import lifecycle
from .lifecycle import terms

KINDS = ("order", "waybill")


def pages(path: Path) -> list[list[str]]:
    """Each page's non-blank lines of text, as pdftotext lays them out."""
    tool = tool_or_skip("pdftotext", "poppler-utils")
    text = subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    return [[ln.strip() for ln in page.splitlines() if ln.strip()]
            for page in text.split("\f") if page.strip()]


def many_lines(count: int) -> dict[str, Any]:
    """Terms with ``count`` lines: enough for a document of several pages."""
    t = terms()
    t["lines"] = [{"no": i, "category": "pol", "description": f"Lubricant, grade {i}",
                   "quantity": "10", "unit": "L", "unit_price": "5"}
                  for i in range(1, count + 1)]
    return t


def classified_order(pair: Any, level: str, *, lines: int = 2, accepted: bool = True) -> str:
    """An order of ``lines`` lines PHL classifies at ``level`` (see lifecycle)."""
    return lifecycle.classified_order(pair, level, many_lines(lines), accepted=accepted)


def printed(node: Node, number: str, tmp_path: Path) -> dict[str, list[list[str]]]:
    out = {}
    with UnitOfWork(node, write=False) as uow:
        for kind in KINDS:
            path = tmp_path / f"{node.party}-{kind}.pdf"
            path.write_bytes(render_pdf(document_model(uow, kind, number)))
            out[kind] = pages(path)
    return out


def test_every_page_of_a_secret_order_s_documents_carries_both_markings(pair, tmp_path):
    number = classified_order(pair, "SECRET", lines=60)
    for node in (pair.jpn, pair.phl):
        documents = printed(node, number, tmp_path)
        assert len(documents["order"]) >= 2  # the order form runs over several pages
        for kind, found in documents.items():
            for page in found:
                assert page[0] == "SECRET / 極秘", (node.party, kind, page[:2])
                assert page[-1] == "SECRET / 極秘", (node.party, kind, page[-2:])


def test_a_level_without_equivalent_says_how_the_other_party_protects_it(pair, tmp_path):
    # Before JPN acts on it: JPN's own acts would be marked 秘, the CONFIDENTIAL equivalent,
    # and the order protected by the stronger of the two.
    number = classified_order(pair, "RESTRICTED", accepted=False)
    with UnitOfWork(pair.jpn, write=False) as uow:
        model = document_model(uow, "order", number)
    assert model.marking == "RESTRICTED / (no JPN equivalent: protect as 秘)"
    path = tmp_path / "order.pdf"
    path.write_bytes(render_pdf(model))
    for page in pages(path):
        assert page[0] == "RESTRICTED / (no JPN equivalent: protect as 秘)"
        assert page[1].startswith("RESTRICTED / （JPN")  # and in Japanese
        assert page[-1].startswith("RESTRICTED / （JPN") and "秘" in page[-1]


def test_an_unclassified_order_s_documents_stay_as_they_were(pair, tmp_path):
    pair.set_day(date(2026, 2, 3))
    number = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         terms()).envelope.subject
    path = tmp_path / "order.pdf"
    with UnitOfWork(pair.phl, write=False) as uow:
        path.write_bytes(render_pdf(document_model(uow, "order", number)))
    [page] = pages(path)
    assert page[0] == page[-1] == "UNCLASSIFIED"
