"""Implementing arrangements on two real nodes: PHL proposes, JPN countersigns (the events
travel as bundles through admission), an order cites it, and its invoice prints the
supplier's payment office from the arrangement."""

from __future__ import annotations

import dataclasses
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from acsa.devtools.world import as_official
from acsa.domain.errors import DomainError, InvalidValue, UnknownReference
from acsa.domain.parties import Role
from acsa.reports.claim_notice import render_notice
from acsa.reports.documents import render_pdf
from acsa.services import arrangements, claims, orders
from acsa.services.documents import document_model
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import get_user
from needs import tool_or_skip

from .conftest import Pair

EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "arrangement-jp-ph-ia-01.toml"
IA = "JP-PH/IA-01"
FINANCE = Role.FINANCE_OFFICER


def example() -> dict[str, Any]:
    return arrangements.parse_document(EXAMPLE.read_bytes(), str(EXAMPLE))


def order_terms(arrangement: str | None) -> dict[str, Any]:
    from reports.lifecycle import terms

    data = terms()
    data["lines"] = data["lines"][1:]  # water only
    data["lines"][0]["no"] = 1
    if arrangement is not None:
        data["implementing_arrangement"] = arrangement
    return data


def read(node: Any, fn: Any, *args: Any) -> Any:
    with UnitOfWork(node, write=False) as uow:
        return fn(uow, *args)


def pdf_text(path: Path) -> str:
    tool = tool_or_skip("pdftotext", "poppler-utils")
    return subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def signed_pair(pair: Pair) -> None:
    pair.set_day(date(2026, 2, 2))
    as_official(pair.phl, FINANCE, arrangements.propose_arrangement, example())
    pair.carry(pair.phl, pair.jpn)
    as_official(pair.jpn, FINANCE, arrangements.sign_arrangement, IA)
    pair.carry(pair.jpn, pair.phl)


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_an_unsigned_arrangement_is_not_in_effect_and_cannot_be_cited(pair: Pair) -> None:
    pair.set_day(date(2026, 2, 2))
    as_official(pair.phl, FINANCE, arrangements.propose_arrangement, example())
    found = read(pair.phl, arrangements.get_arrangement, IA)
    assert found.status == "proposed" and not found.in_effect(date(2026, 2, 3))
    pair.set_day(date(2026, 2, 3))
    with pytest.raises(InvalidValue) as refused:
        as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order, order_terms(IA))
    assert refused.value.field == "implementing_arrangement"
    with pytest.raises(UnknownReference) as unknown:
        as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                    order_terms("JP-PH/IA-99"))
    assert unknown.value.field == "implementing_arrangement"
    with pytest.raises(DomainError, match="own proposal"):
        as_official(pair.phl, FINANCE, arrangements.sign_arrangement, IA)


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_propose_on_phl_sign_on_jpn_cite_and_print_the_payment_office(
        pair: Pair, tmp_path: Path) -> None:
    signed_pair(pair)
    for node in (pair.jpn, pair.phl):
        found = read(node, arrangements.get_arrangement, IA)
        assert not found.ineffective, found.ineffective
        assert (found.status, found.proposed_by, found.signed_by) == ("signed", "PHL", "JPN")
        assert [a.identifier for a in read(node, arrangements.in_effect, "JPN-PHL-ACSA",
                                            date(2026, 2, 3))] == [IA]
    with pytest.raises(DomainError, match="already signed"):
        as_official(pair.jpn, FINANCE, arrangements.propose_arrangement, example())
    pair.set_day(date(2026, 2, 3))
    number = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order,
                         order_terms(IA)).envelope.subject
    pair.carry(pair.phl, pair.jpn)
    as_official(pair.jpn, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="JMSDF-ESF1")
    as_official(pair.jpn, Role.SUPPLY_OFFICER, orders.deliver, number, [(1, "2000")])
    pair.carry(pair.jpn, pair.phl)
    as_official(pair.phl, Role.RECEIVING_OFFICIAL, orders.receive, number, "1")
    pair.carry(pair.phl, pair.jpn)
    pair.set_day(date(2026, 2, 16))
    from reports.lifecycle import _invoice

    as_official(pair.jpn, FINANCE, _invoice, number, date(2026, 2, 16))
    model = read(pair.jpn, document_model, "invoice", number)
    assert model.remittance.office == "Accounting Division, Maritime Staff Office, Ichigaya, Tokyo"
    path = tmp_path / "invoice.pdf"
    path.write_bytes(render_pdf(model))
    text = pdf_text(path)
    assert "Accounting Division, Maritime Staff Office" in text
    assert IA in text and "Japan Maritime Self-Defense Force" in text
    notice = tmp_path / "notice.pdf"
    with UnitOfWork(pair.jpn) as uow:
        officer = get_user(uow, "jpn.finance")
        notice.write_bytes(render_notice(claims.notice_model(uow, officer, "INV/JPN/FY2025/00001")))
    assert "Accounting Division, Maritime Staff Office" in pdf_text(notice)


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_a_profile_without_the_register_keeps_free_text(pair: Pair) -> None:
    pair.set_day(date(2026, 2, 3))
    with UnitOfWork(pair.phl, write=False) as uow:
        profile = orders.adopted_profile(uow, "JPN-PHL-ACSA")
        assert profile.arrangement_register
        plain = dataclasses.replace(profile, arrangement_register=False)
        assert arrangements.check_citation(uow, plain, order_terms("anything at all"),
                                           date(2026, 2, 3)) is None
