"""Loss or compromise reports on two real nodes: JPN reports a loss of the Philippines'
information, the report travels to PHL as a bundle through admission, PHL acknowledges, JPN
assesses, PHL closes; every step out of order is refused naming the field, a partner's such
step is ruled ineffective on both nodes, and only security officers read the reports."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from acsa.devtools.world import appoint_security_officer, as_official
from acsa.domain import facts as F
from acsa.domain.errors import InvalidValue, MissingField, NotAppointed, StepOutOfOrder
from acsa.domain.parties import Role
from acsa.events import Envelope, seal
from acsa.events.envelope import ENVELOPE_VERSION
from acsa.i18n.refusals import refusal
from acsa.services import compromise, dashboard, orders
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import NotPermitted, get_user
from acsa.store.log import append, lock_stream

from .conftest import Pair

SO = Role.SECURITY_OFFICER
AGREEMENT = "JPN-PHL-ACSA"


def appointed_pair(pair: Pair) -> None:
    for n in (pair.jpn, pair.phl):
        appoint_security_officer(n, AGREEMENT)
    pair.carry(pair.phl, pair.jpn)
    pair.carry(pair.jpn, pair.phl)


def read_as(node: Any, role: Role, fn: Any, *args: Any, **kw: Any) -> Any:
    with UnitOfWork(node, write=False) as uow:
        user = get_user(uow, f"{node.party.lower()}.{role.value.split('_')[0]}")
        return fn(uow, user, *args, **kw)


def phl_order(pair: Pair) -> str:
    """An order the Philippines submitted to Japan: PHL's information on JPN's node."""
    from reports.lifecycle import terms

    event = as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms())
    pair.carry(pair.phl, pair.jpn)
    return str(event.envelope.subject)


def report(pair: Pair, order: str, **kw: Any) -> str:
    event = as_official(pair.jpn, SO, compromise.report_compromise, {
        "orders": [order], "what_happened": "A printed order left on a bus in Subic.",
        "discovered_on": "2026-02-03", "highest_marking": "UNCLASSIFIED", **kw})
    return str(event.envelope.subject)


@pytest.mark.parametrize("engine_kind", ["sqlite", "postgres"], indirect=True)
def test_a_report_travels_to_the_originator_and_is_closed_there(pair: Pair) -> None:
    pair.set_day(date(2026, 2, 3))
    appointed_pair(pair)
    order = phl_order(pair)
    rid = report(pair, order)
    assert rid == "LC/JPN/00001"
    pair.carry(pair.jpn, pair.phl)
    seen = read_as(pair.phl, SO, compromise.show_view, rid)
    assert seen["status"] == "reported" and seen["originator"] == "PHL"
    assert seen["orders"] == [order] and seen["next_step"] == "acknowledged"
    assert seen["ours_next"] and read_as(pair.phl, SO, compromise.awaiting)
    assert not read_as(pair.jpn, SO, compromise.awaiting)
    assert read_as(pair.phl, SO, dashboard.dashboard).compromise_reports == 1
    assert read_as(pair.jpn, SO, dashboard.dashboard).compromise_reports == 0

    # The reporting party may not acknowledge; nobody may assess before the acknowledgement.
    with pytest.raises(StepOutOfOrder) as refused:
        as_official(pair.jpn, SO, compromise.acknowledge_report, rid)
    assert refused.value.field == "report" and "originator (PHL)" in refused.value.message
    with pytest.raises(StepOutOfOrder) as early:
        as_official(pair.phl, SO, compromise.assess_report, rid, "Low harm.")
    assert refusal(early.value, "en") == (
        f"Report {rid} is reported: assessment comes once it is acknowledged.")
    assert refusal(early.value, "ja") == (
        f"報告 {rid} は「報告済み」です。評価は「受領確認済み」になってから行います。")
    with pytest.raises(StepOutOfOrder):
        as_official(pair.phl, SO, compromise.close_report, rid)

    as_official(pair.phl, SO, compromise.acknowledge_report, rid)
    pair.carry(pair.phl, pair.jpn)
    as_official(pair.jpn, SO, compromise.assess_report, rid,
                "Unclassified order text only; no operational detail exposed.")
    with pytest.raises(StepOutOfOrder):
        as_official(pair.jpn, SO, compromise.close_report, rid)
    pair.carry(pair.jpn, pair.phl)
    as_official(pair.phl, SO, compromise.close_report, rid, "Accepted; no further action.")
    pair.carry(pair.phl, pair.jpn)
    for node in (pair.jpn, pair.phl):
        view = read_as(node, SO, compromise.show_view, rid)
        assert view["status"] == "closed", node.party
        assert [s["step"] for s in view["steps"]] == ["acknowledged", "assessed", "closed"]
        assert [s["party"] for s in view["steps"]] == ["PHL", "JPN", "PHL"]
        assert view["ineffective"] == [] and view["next_step"] is None
    with pytest.raises(StepOutOfOrder) as again:
        as_official(pair.phl, SO, compromise.close_report, rid)
    assert refusal(again.value, "en") == (
        f"Report {rid} is already closed: closing by the originator is recorded once.")


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_only_security_officers_read_reports(pair: Pair) -> None:
    pair.set_day(date(2026, 2, 3))
    appointed_pair(pair)
    rid = report(pair, phl_order(pair))
    pair.carry(pair.jpn, pair.phl)
    for node in (pair.jpn, pair.phl):
        assert [v["id"] for v in read_as(node, SO, compromise.list_views)] == [rid]
        for role in (Role.SUPPLY_OFFICER, Role.AUDITOR, Role.ADMINISTRATOR):
            with pytest.raises(NotPermitted):
                read_as(node, role, compromise.list_views)
            with pytest.raises(NotPermitted):
                read_as(node, role, compromise.show_view, rid)


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_bad_reports_are_refused_naming_the_field_and_store_nothing(pair: Pair) -> None:
    pair.set_day(date(2026, 2, 3))
    appointed_pair(pair)
    order = phl_order(pair)
    cases = [({"highest_marking": "TOP"}, InvalidValue, "highest_marking"),
             ({"what_happened": ""}, MissingField, "what_happened"),
             ({"discovered_on": "2026-13-01"}, InvalidValue, "discovered_on"),
             ({"discovered_on": "2026-02-04"}, InvalidValue, "discovered_on"),
             ({"originator": "JPN"}, InvalidValue, "originator"),
             ({"orders": ["JP-PH/PHL/FY2025/99999"], "agreement": AGREEMENT},
              Exception, "orders[0]")]
    for change, error, field in cases:
        with pytest.raises(error) as refused:
            report(pair, order, **change)
        assert getattr(refused.value, "field", None) == field, change
    with pytest.raises(NotAppointed):
        as_official(pair.jpn, Role.SUPPLY_OFFICER, compromise.report_compromise,
                    {"orders": [order], "what_happened": "x", "discovered_on": "2026-02-03",
                     "highest_marking": "UNCLASSIFIED"})
    assert read_as(pair.jpn, SO, compromise.list_views) == []


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_a_partners_step_out_of_order_is_ineffective_on_both_nodes(pair: Pair) -> None:
    """JPN's node signs a closing step of its own (only the originator closes, once the
    report is assessed): admitted, ruled ineffective with the reason on both nodes, and the
    report flows on."""
    pair.set_day(date(2026, 2, 3))
    appointed_pair(pair)
    rid = report(pair, phl_order(pair))
    jpn = pair.jpn
    with UnitOfWork(jpn) as uow:
        found = compromise.reports(uow)[rid]
        user = get_user(uow, "jpn.security")
        stream = f"{AGREEMENT}/JPN"
        head = lock_stream(uow.conn, stream)
        appointment = uow.context.roster(stream).find(party="JPN", user=user.id, role=SO,
                                                      unit=None, on=date(2026, 2, 3))
        assert appointment is not None
        envelope = Envelope(
            v=ENVELOPE_VERSION, stream=stream, seq=head["head_seq"] + 1,
            prev=head["head_hash"], at=jpn.now_at(), profile=_digest(uow),
            type=F.COMPROMISE_CLOSED, subject=rid, parent=None,
            actor={"user": user.id, "name": user.name, "role": SO.value, "party": "JPN",
                   "unit": None, "appointment": appointment.id},
            marking={"level": "UNCLASSIFIED", "originator": "JPN", "rel": ["JPN", "PHL"]},
            data={"follows": found.head, "on": "2026-02-03"})
        append(uow.conn, seal(envelope, jpn.key), origin="local", received_at=envelope.at)
        uow.commit()
    summary = pair.carry(jpn, pair.phl)
    assert summary.quarantined is None
    as_official(pair.phl, SO, compromise.acknowledge_report, rid)
    pair.carry(pair.phl, jpn)
    for node in (pair.jpn, pair.phl):
        view = read_as(node, SO, compromise.show_view, rid)
        assert view["status"] == "acknowledged", node.party
        assert len(view["ineffective"]) == 1
        assert "closed needs a report that is assessed" in view["ineffective"][0]["reason"]


def _digest(uow: UnitOfWork) -> str:
    from acsa.services.recording import adopted_profile

    return adopted_profile(uow, AGREEMENT).digest


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_the_pages_in_japanese_show_no_english(pair: Pair) -> None:
    """JPN's security officer reads the reports and the transmission records in Japanese;
    a refused step is shown beside the report, in Japanese, naming no code."""
    from api.conftest import client_for, enrol
    from ui.test_order_pages import browser_login, csrf_of

    pair.set_day(date(2026, 2, 3))
    appointed_pair(pair)
    rid = report(pair, phl_order(pair))
    browser = client_for(pair.jpn)
    browser_login(browser, pair.jpn, enrol(pair.jpn, "jpn.security"))
    listing = browser.get("/security/compromise-reports").text
    assert "紛失・漏えい報告" in listing and rid in listing and "報告済み" in listing
    detail = browser.get(f"/security/compromise-reports/{rid}")
    assert detail.status_code == 200 and "作成国" in detail.text
    for english in ("Loss or compromise", "Originator", "What happened", "Next step"):
        assert english not in listing and english not in detail.text, english
    # The reporting side's officer is offered no acknowledgement; posting one is refused.
    assert f"{rid}/acknowledge" not in detail.text
    r = browser.post(f"/security/compromise-reports/{rid}/acknowledge",
                     data={"csrf_token": csrf_of(detail.text)})
    assert r.status_code == 409 and "作成国（PHL）だけが" in r.text
    assert "step_out_of_order" not in r.text
    # A report from the form: a day after today is refused beside its field, nothing stored.
    order = phl_order(pair)
    form = {"csrf_token": csrf_of(listing), "agreement": AGREEMENT, "orders": order,
            "events": "", "what_happened": "写しを紛失", "discovered_on": "2026-02-04",
            "highest_marking": "UNCLASSIFIED"}
    r = browser.post("/security/compromise-reports", data=form)
    assert r.status_code == 422 and 'id="err-discovered_on"' in r.text
    error = r.text[r.text.index('id="err-discovered_on"'):][:200]
    assert "2026" in error and "本日" in error, error
    assert [v["id"] for v in read_as(pair.jpn, SO, compromise.list_views)] == [rid]
    r = browser.post("/security/compromise-reports",
                     data={**form, "discovered_on": "2026-02-03"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("LC/JPN/00002?"
                                                                   "notice=done%3Areport-compromise")
    records = browser.get("/admin/transmissions").text
    assert "送信記録" in records and "バンドルファイル" in records and "file:" in records
    assert "コマンドラインの運用者" in records
    for english in ("Transmission records", "Recipient", "Bundle file", "operator"):
        assert english not in records, english
    # A first day that is not a date is marked beside its input; the records stay listed.
    bad = browser.get("/admin/transmissions?since=2026-02-31")
    assert bad.status_code == 422 and 'id="err-since"' in bad.text, bad.text[:300]
    assert "YYYY-MM-DD" in bad.text and "バンドルファイル" in bad.text
