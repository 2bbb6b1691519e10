"""National accounting: claim notices, the exception report of receivables not yet notified,
and the export for the nation's accounting system, on the module's world (JPN invoiced
INV/JPN/FY2025/00001 for 1,526,500 JPY on 2026-02-16; the pair's day is 2026-03-05)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from datetime import date
from pathlib import Path

import jsonschema_rs
import pytest

from acsa.devtools.world import as_official
from acsa.domain import commands
from acsa.domain import facts as F
from acsa.domain.agreement import Remittance
from acsa.domain.errors import AlreadyRecorded, InvalidValue, MissingField, UnknownReference
from acsa.domain.parties import Role
from acsa.domain.rules import Action
from acsa.reports.claim_notice import render_notice
from acsa.services import claims, orders, users
from acsa.services.recording import order_state
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import NotPermitted
from clearing import clear
from needs import tool_or_skip

from .lifecycle import classified_order

INVOICE = "INV/JPN/FY2025/00001"
SCHEMA = Path(__file__).parents[2] / "docs" / "national-accounting.schema.json"


def pdf_text(path: Path) -> str:
    tool = tool_or_skip("pdftotext", "poppler-utils")
    return subprocess.run([tool, "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


def flat(text: str) -> str:
    return " ".join(text.split())


def read(node, who, fn, *args, **kw):
    with UnitOfWork(node) as uow:
        return fn(uow, users.get_user(uow, who), *args, **kw)


def mine(rows, invoice=INVOICE):
    return [r for r in rows if r.invoice == invoice]


def test_the_notice_prints_every_field_in_both_languages(world, tmp_path):
    jpn = world.pair.jpn
    model = read(jpn, "jpn.finance", claims.notice_model, INVOICE)
    path = tmp_path / "notice.pdf"
    path.write_bytes(render_notice(model))
    text = pdf_text(path)
    words = flat(text)
    for expected in (
        "Claim notice", "債権発生通知書",
        "Provisional layout until the official template is available",
        "正式な様式が定められるまでの暫定様式",
        "Creditor / 債権者", "Japan (JPN)", "Japan Self-Defense Forces",
        "Debtor / 債務者", "Republic of the Philippines (PHL)",
        "Armed Forces of the Philippines",
        "Legal basis / 法的根拠", "concerning Reciprocal Provision of Supplies and Services",
        "Article / 条項", "Article on settlement of reimbursement (number to be confirmed)",
        "A placeholder in the agreement profile",
        world.cash.number, INVOICE, "1,526,500 JPY", "2026-02-16",
        "Payment due / 支払期限", "2026-03-18",
        "Payment office and remittance details",
        "Remittance details are not set in the agreement profile.",
        "Issuing official / 発行担当官", model.issued_by,
        "Revenue collection officer / 歳入徴収官", "Signature and seal",
        "UNCLASSIFIED",
    ):
        assert expected in words, expected
    assert model.document.payload in text.replace("\n", "").replace(" ", "")
    assert model.receivable.due_on == date(2026, 3, 18)


def test_the_notice_prints_the_creditor_s_remittance_details_when_the_profile_sets_them(
        world, tmp_path):
    model = read(world.pair.jpn, "jpn.finance", claims.notice_model, INVOICE)
    remittance = Remittance(payee="Ministry of Defense, Accounting Division",
                            office="MSDF Yokosuka District Finance Office",
                            bank="Bank of Japan, Head Office", account_number="0012345",
                            swift_bic="BOJPJPJT", instructions="Quote the invoice number")
    model = replace(model, document=replace(model.document, remittance=remittance))
    path = tmp_path / "notice.pdf"
    path.write_bytes(render_notice(model))
    words = flat(pdf_text(path))
    for expected in ("MSDF Yokosuka District Finance Office", "Bank of Japan, Head Office",
                     "0012345", "BOJPJPJT", "Quote the invoice number"):
        assert expected in words, expected
    assert "not set in the agreement profile." not in words


def test_the_exception_report_before_and_after_the_notice_is_marked_sent(world):
    jpn = world.pair.jpn
    world.pair.set_day(date(2026, 3, 5))
    [before] = mine(read(jpn, "jpn.finance", claims.pending))
    assert before.notice is None and before.creditor == "JPN" and before.debtor == "PHL"
    assert before.total == 1_526_500 and before.currency == "JPY"
    assert before.days_since_invoice(date(2026, 3, 5)) == 17
    # The auditor reads the same report; other roles are refused.
    assert mine(read(jpn, "jpn.auditor", claims.pending)) == [before]
    with pytest.raises(NotPermitted):
        read(jpn, "jpn.ordering", claims.pending)
    with pytest.raises(NotPermitted):
        read(jpn, "jpn.auditor", claims.mark_sent, INVOICE, to="歳入徴収官")
    with pytest.raises(MissingField):
        read(jpn, "jpn.finance", claims.mark_sent, INVOICE, to="  ")
    with pytest.raises(InvalidValue):
        read(jpn, "jpn.finance", claims.mark_sent, INVOICE, to="歳入徴収官",
             on=date(2026, 2, 1))
    with pytest.raises(UnknownReference):
        read(jpn, "jpn.finance", claims.mark_sent, "INV/JPN/FY2025/99999", to="歳入徴収官")

    done = read(jpn, "jpn.finance", claims.mark_sent, INVOICE,
                to="Revenue collection officer, MSDF Yokosuka", on=date(2026, 3, 4))
    assert done.notice is not None and done.notice.sent_on == date(2026, 3, 4)
    assert mine(read(jpn, "jpn.finance", claims.pending)) == []
    [after] = mine(read(jpn, "jpn.finance", claims.receivables))
    assert after.notice == done.notice and after.notice.recorded_by == "jpn.finance"
    assert after.notice.sent_to == "Revenue collection officer, MSDF Yokosuka"
    with pytest.raises(AlreadyRecorded):
        read(jpn, "jpn.finance", claims.mark_sent, INVOICE, to="someone else")
    # The record is this node's: the partner holds no such row and owes, not claims.
    assert read(world.pair.phl, "phl.finance", claims.receivables) == []


def test_the_export_validates_against_its_schema_on_both_nodes(world):
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema_rs.validator_for(schema)
    for node, who, direction, flow in ((world.pair.jpn, "jpn.finance", "receivable",
                                        "incoming"),
                                       (world.pair.phl, "phl.auditor", "payable",
                                        "outgoing")):
        data = read(node, who, claims.accounting_export)
        validator.validate(data)
        [inv] = [i for i in data["invoices"] if i["invoice"] == INVOICE]
        assert inv["direction"] == direction and inv["currency"] == "JPY"
        assert inv["total_minor"] == 1_526_500 and inv["outstanding_minor"] == 0
        assert ("claim_notice" in inv) == (direction == "receivable")
        [pay] = [p for p in data["payments"] if p["invoice"] == INVOICE]
        assert pay["direction"] == flow and pay["amount_minor"] == 1_526_500
        assert pay["confirmed"] is True
        [conf] = [c for c in data["confirmations"] if c["invoice"] == INVOICE]
        assert conf["received_minor"] == 1_526_500 and conf["confirmed_on"] == "2026-03-12"
    bad = dict(data, invoices=[dict(data["invoices"][0], total_minor="1526500")])
    assert not validator.is_valid(bad)


def _invoice(uow, user, number, on):
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    data = commands.invoice_data(state, profile, on=on, number="INV/JPN/FY2025/00077")
    return orders.act_on_order(uow, user, number, Action.INVOICE, F.INVOICE_ISSUED, data, on=on)


def test_a_classified_receivable_is_only_for_readers_cleared_for_it(world, tmp_path):
    p = world.pair
    number = classified_order(p, "SECRET")
    clear(p.phl, Role.RECEIVING_OFFICIAL, "SECRET")
    as_official(p.phl, Role.RECEIVING_OFFICIAL, orders.receive, number, "1")
    p.carry(p.phl, p.jpn)
    clear(p.jpn, Role.FINANCE_OFFICER, "極秘")
    p.set_day(date(2026, 2, 20))
    as_official(p.jpn, Role.FINANCE_OFFICER, _invoice, number, date(2026, 2, 20))
    p.set_day(date(2026, 3, 5))  # the module's day, as the world left it
    secret = "INV/JPN/FY2025/00077"
    # Neither the uncleared auditor's report nor export shows it, and no notice is printed.
    assert mine(read(p.jpn, "jpn.auditor", claims.pending), secret) == []
    exported = read(p.jpn, "jpn.auditor", claims.accounting_export)
    assert secret not in {i["invoice"] for i in exported["invoices"]}
    with pytest.raises(UnknownReference):
        read(p.jpn, "jpn.auditor", claims.find, secret)
    # The cleared finance officer sees it, and its notice carries the marking on every page.
    assert len(mine(read(p.jpn, "jpn.finance", claims.pending), secret)) == 1
    model = read(p.jpn, "jpn.finance", claims.notice_model, secret)
    path = tmp_path / "secret.pdf"
    path.write_bytes(render_notice(model))
    pages = [[ln.strip() for ln in page.splitlines() if ln.strip()]
             for page in pdf_text(path).split("\f") if page.strip()]
    assert pages
    for page in pages:
        assert page[0] == "SECRET / 極秘" and page[-1] == "SECRET / 極秘", page[:2]
