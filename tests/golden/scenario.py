"""The release log's scenario: the demonstration's two nodes, then every other kind of event.

``demo.seed`` staffs and introduces a JPN and a PHL node and records an
exercise and a typhoon relief operation (February–November 2026): orders in
every status and settlement method, rates, catalogue prices, an exchange and
an offset. The chapter here continues on the same nodes (December 2026 –
March 2027) with what the seeding does not record: a proposal confirmed, an
amendment, a close-short, a transfer to a third party, a waiver of the
separation of duties (profile 2026.2), a cancellation after acceptance, a
withdrawal racing an acceptance, a dispute resolved, a voided
and reissued invoice with a credit note, replacement in kind converted to
cash, a relief official appointed and revoked, balance statements agreed
and disputed, and the JPN node key rotated and its old key revoked. Events
travel between the nodes only as signed bundle files.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from acsa.devtools import demo, worked_example
from acsa.devtools.world import appoint_security_officer, as_official, carry, user_id
from acsa.domain import commands
from acsa.domain.parties import Role
from acsa.services import (
    admin,
    arrangements,
    attachments,
    compromise,
    consent,
    duties,
    evidence,
    orders,
    peers,
    settlement,
    statements,
    users,
)
from acsa.services.node import Node
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T

AGREEMENT = "JPN-PHL-ACSA"
RELIEF = "jpn.relief"
RELIEF_NAME = "Lt. Kobayashi Mei"
JPN_UNITS = ["JGSDF-1HB", "JMSDF-ESF1", "JASDF-2AW"]

ORDERING, APPROVING = Role.ORDERING_OFFICIAL, Role.APPROVING_OFFICIAL
SUPPLY, RECEIVING, FINANCE = Role.SUPPLY_OFFICER, Role.RECEIVING_OFFICIAL, Role.FINANCE_OFFICER
HADR = {"activity": "TYPHOON-RAI2-HADR", "activity_type": "hadr"}
D = date
Out = Callable[[str], None]
ARRANGEMENT = "JP-PH/IA-01"
ARRANGEMENT_FILE = Path(__file__).parents[2] / "docs" / "examples" / "arrangement-jp-ph-ia-01.toml"


def release_scenario(base: Path, out: Out) -> tuple[Node, Node]:
    """The demonstration's seeded nodes in ``base``, taken through :func:`chapter`."""
    jpn, phl = demo.seed(base, out)
    calendar = worked_example.Calendar()
    calendar.to(D(2026, 11, 25))
    jpn.clock = phl.clock = calendar
    chapter(demo.Seeder(jpn, phl, calendar, base / "bundles"), out)
    return jpn, phl


def chapter(s: demo.Seeder, out: Out) -> None:
    out("  a relief finance officer appointed for December")
    grant = relief_officer(s)
    out("  an implementing arrangement proposed by PHL and countersigned by JPN")
    implementing_arrangement(s)
    out("  a loss of PHL's information reported by JPN, acknowledged, assessed and closed")
    compromise_report(s)
    out("  a proposal confirmed; an invoice voided, reissued, credited and paid")
    proposal_and_invoices(s)
    out("  a short receipt disputed, then resolved by both")
    dispute(s)
    out("  an amendment, a close-short and a transfer to a third party, each agreed")
    amendment_close_short_transfer(s)
    out("  a cancellation after acceptance, asked for and agreed")
    cancellation(s)
    out("  a withdrawal crossing the acceptance: the acceptance stands")
    race(s)
    out("  the relief officer's appointment revoked")
    s.calendar.to(D(2026, 12, 31))
    act_as(s, D(2026, 12, 31), "JPN", user_id("JPN", Role.ADMINISTRATOR),
           admin.revoke_appointment, agreement=AGREEMENT, appointment=grant)
    s.sync()
    out("  water still owed in kind after its deadline, converted to cash")
    owed, total = conversion(s)
    out("  the JPN key rotated, confirmed by PHL out of band, and used")
    old = key_rotation(s)
    payment = s.pay(D(2027, 2, 26), "JPN", [(owed, "1", total)], "MOF-JP 0226-04")
    s.confirm(D(2027, 3, 1), "PHL", payment)
    out("  balance statements, one agreed and one disputed; the old JPN key revoked")
    statements_and_revocation(s, old)
    out("  consent to release an order to the USA: granted by both originators; another "
        "refused")
    consent_to_release(s, owed)


def state_of(s: demo.Seeder, party: str, number: str) -> Any:
    with UnitOfWork(s.node(party), write=False) as uow:
        return orders.order_state(uow, number)


def act_as(s: demo.Seeder, day: date, party: str, who: str, use_case: Callable[..., Any],
           *args: Any, **kw: Any) -> Any:
    """Run ``use_case`` as the local user ``who`` on ``day``, in one committed transaction."""
    s.calendar.to(day)
    with UnitOfWork(s.node(party)) as uow:
        result = use_case(uow, users.get_user(uow, who), *args, **kw)
        uow.commit()
    return result


def relief_officer(s: demo.Seeder) -> str:
    """A second JPN finance officer, appointed for December; the hash of the appointment."""
    boss = user_id("JPN", Role.ADMINISTRATOR)
    act_as(s, D(2026, 11, 30), "JPN", boss, users.add_user, user_id=RELIEF, name=RELIEF_NAME,
           roles=[FINANCE.value], units=JPN_UNITS, time_zone="Asia/Tokyo", locale="ja")
    grant = act_as(s, D(2026, 11, 30), "JPN", boss, admin.appoint, agreement=AGREEMENT,
                   user_id=RELIEF, name=RELIEF_NAME, role=FINANCE.value, units=JPN_UNITS,
                   limits={"JPY": "5000000"}, valid_from=D(2026, 12, 1))
    s.sync()
    return str(grant.hash)


def relief(s: demo.Seeder, day: date, use_case: Callable[..., Any], *args: Any,
           **kw: Any) -> Any:
    return act_as(s, day, "JPN", RELIEF, use_case, *args, on=day, **kw)


def implementing_arrangement(s: demo.Seeder) -> None:
    """JP-PH/IA-01 (docs/examples), proposed by PHL's finance officer, countersigned by JPN's."""
    document = arrangements.parse_document(ARRANGEMENT_FILE.read_bytes(), str(ARRANGEMENT_FILE))
    s.calendar.to(D(2026, 11, 30))
    as_official(s.phl, FINANCE, arrangements.propose_arrangement, document)
    s.sync()
    as_official(s.jpn, FINANCE, arrangements.sign_arrangement, ARRANGEMENT)
    s.sync()


def compromise_report(s: demo.Seeder) -> None:
    """JPN's security officer reports a printed copy of PHL's arrangement proposal lost;
    PHL's acknowledges, JPN's assesses, PHL's closes (each appointed first)."""
    security = Role.SECURITY_OFFICER
    s.calendar.to(D(2026, 11, 30))
    for node in (s.jpn, s.phl):
        appoint_security_officer(node, AGREEMENT, valid_from=D(2026, 11, 30))
    s.sync()
    with UnitOfWork(s.jpn, write=False) as uow:
        proposal = uow.conn.execute(select(T.events.c.hash).where(
            T.events.c.type == "arrangement.proposed")).scalar_one()
    report = as_official(s.jpn, security, compromise.report_compromise, {
        "events": [proposal], "what_happened": "A printed copy left in a hired car in Manila.",
        "discovered_on": "2026-11-30", "highest_marking": "UNCLASSIFIED"}).envelope.subject
    s.sync()
    as_official(s.phl, security, compromise.acknowledge_report, report)
    s.sync()
    as_official(s.jpn, security, compromise.assess_report, report,
                "The copy holds the payment offices only; no operational detail.")
    s.sync()
    as_official(s.phl, security, compromise.close_report, report, "Accepted.")
    s.sync()


def proposal_and_invoices(s: demo.Seeder) -> None:
    dampers = s.order(D(2026, 12, 1), "PHL", "JPN", "AFP-TOG1",
                      [("spare_parts", "Main rotor damper, UH-1", "6", "EA", "210000")],
                      implementing_arrangement=ARRANGEMENT)
    s.do(D(2026, 12, 2), "JPN", APPROVING, orders.propose, dampers,
         commands.term_changes(state_of(s, "JPN", dampers), prices={1: "198000"}),
         reason="price list of December")
    s.sync()
    s.do(D(2026, 12, 3), "PHL", ORDERING, orders.confirm, dampers)
    s.sync()
    s.accept(D(2026, 12, 3), dampers, "JPN", "JASDF-2AW")
    s.deliver(D(2026, 12, 8), dampers, "JPN", "6")
    s.receive(D(2026, 12, 9), dampers, "PHL")
    first = relief(s, D(2026, 12, 10), settlement.issue_invoice, dampers)
    relief(s, D(2026, 12, 10), settlement.void_invoice, dampers, "1",
           reason="billed to the wrong account")
    second = relief(s, D(2026, 12, 10), settlement.issue_invoice, dampers,
                    replaces=first.envelope.data["number"])
    relief(s, D(2026, 12, 11), settlement.issue_credit_note, dampers,
           second.envelope.data["number"], "18000", reason="one seal kit not supplied")
    s.sync()
    pay = s.pay(D(2027, 1, 8), "PHL", [(dampers, "2", "1170000")], "LBP SWIFT 0108-03")
    s.confirm(D(2027, 1, 11), "JPN", pay)


def dispute(s: demo.Seeder) -> None:
    water = s.order(D(2026, 12, 2), "JPN", "PHL", "JMSDF-ESF1",
                    [("water", "Bottled drinking water", "5000", "L", "18.50")])
    s.accept(D(2026, 12, 3), water, "PHL", "AFP-NFL")
    s.deliver(D(2026, 12, 5), water, "PHL", "5000")
    s.receive(D(2026, 12, 5), water, "JPN", lines=[(1, "4600", "0")])
    s.do(D(2026, 12, 6), "PHL", SUPPLY, orders.open_dispute, water,
         reason="the pier log shows 5,000 L handed over", about="1")
    proposal = s.do(D(2026, 12, 7), "PHL", SUPPLY, orders.propose_resolution, water, None,
                    "joint count of the pallets: 4,800 L", [("1", 1, "4800")])
    s.sync()
    s.do(D(2026, 12, 8), "JPN", RECEIVING, orders.sign_resolution, water, "1",
         proposal.hash[:12])
    s.sync()
    s.invoice(D(2026, 12, 9), water, "PHL")


def amendment_close_short_transfer(s: demo.Seeder) -> None:
    fuel = s.order(D(2026, 12, 4), "PHL", "JPN", "AFP-NFL",
                   [("pol", "Diesel fuel F-76", "8000", "L", "152.5")])
    s.accept(D(2026, 12, 4), fuel, "JPN", "JMSDF-ESF1")
    s.sync()
    s.do(D(2026, 12, 5), "PHL", ORDERING, orders.request_change, fuel, "amend",
         reason="two more patrol craft joined",
         changes=commands.term_changes(state_of(s, "PHL", fuel), quantities={1: "10000"}))
    s.sync()
    s.do(D(2026, 12, 6), "JPN", APPROVING, orders.respond, fuel, "1", True)
    s.sync()
    s.deliver(D(2026, 12, 12), fuel, "JPN", "7000")
    s.receive(D(2026, 12, 12), fuel, "PHL")
    s.do(D(2026, 12, 13), "JPN", APPROVING, orders.request_change, fuel, "close_short",
         reason="the tanker was recalled to Sasebo")
    s.sync()
    s.do(D(2026, 12, 14), "PHL", ORDERING, orders.respond, fuel, None, True)
    s.sync()
    s.do(D(2026, 12, 15), "PHL", ORDERING, orders.request_transfer, fuel, to="USA",
         lines=[(1, "1500")], reason="trilateral exercise: refuelling a USN landing craft")
    s.sync()
    s.do(D(2026, 12, 16), "JPN", APPROVING, orders.answer_transfer, fuel, None, True)
    s.sync()
    s.do(D(2026, 12, 17), "PHL", SUPPLY, orders.record_transfer, fuel, "1")
    s.sync()
    # Profile 2026.2: a small detachment's approving official lifts the separation of duties.
    s.do(D(2026, 12, 18), "PHL", APPROVING, duties.waive_duties, fuel,
         reason="Naval Forces Luzon detachment of four: one officer orders and receives")
    s.sync()
    relief(s, D(2026, 12, 21), settlement.issue_invoice, fuel)
    s.sync()


def cancellation(s: demo.Seeder) -> None:
    tents = s.order(D(2026, 12, 7), "JPN", "PHL", "JGSDF-1HB",
                    [("base_support", "Tent camp, 50 pax, Ormoc", "10", "DAY", "18000.00")],
                    **HADR)
    s.accept(D(2026, 12, 8), tents, "PHL", "AFP-1ID")
    s.sync()
    s.do(D(2026, 12, 9), "JPN", ORDERING, orders.cancel_order, tents,
         reason="the unit was redeployed to Leyte")
    s.sync()
    s.do(D(2026, 12, 10), "PHL", APPROVING, orders.respond, tents, None, True)
    s.sync()


def race(s: demo.Seeder) -> None:
    """PHL withdraws while JPN accepts: the withdrawal becomes a request JPN declines."""
    rations = s.order(D(2026, 12, 14), "PHL", "JPN", "AFP-1ID",
                      [("food", "Combat ration (Japanese type)", "800", "EA", "1200")], **HADR)
    s.accept(D(2026, 12, 15), rations, "JPN", "JGSDF-1HB")
    s.do(D(2026, 12, 15), "PHL", ORDERING, orders.withdraw, rations,
         reason="the WFP shipment arrived first")
    s.sync()
    s.do(D(2026, 12, 16), "JPN", APPROVING, orders.respond, rations, None, False)
    s.sync()
    s.deliver(D(2026, 12, 18), rations, "JPN", "800")
    # Profile 2026.2: a document for a step already taken, attached later.
    s.do(D(2026, 12, 19), "JPN", SUPPLY, attach_photo, rations)
    s.sync()


def attach_photo(uow: UnitOfWork, user: users.LocalUser, number: str, *,
                 on: date | None = None) -> Any:
    """The supply officer attaches a photo of the pallets handed over to the delivery."""
    photo = evidence.store_evidence(uow, "pallets-ormoc.jpg", b"JPEG: 40 pallets at Ormoc",
                                    "image/jpeg")
    return attachments.attach_evidence(uow, user, number, to="1", kind="photo",
                                       evidence=[photo], on=on)


def conversion(s: demo.Seeder) -> tuple[str, str]:
    """The seeded water JPN owes in kind, converted after its deadline and invoiced."""
    with UnitOfWork(s.jpn, write=False) as uow:
        owed = uow.conn.execute(
            select(T.orders.c.number, T.in_kind.c.due_on)
            .join(T.in_kind, T.in_kind.c.order_number == T.orders.c.number)
            .where(T.orders.c.requester == "JPN", T.in_kind.c.item == "Potable water, bulk")
        ).one()
    day = owed.due_on + timedelta(days=3)
    s.do(day, "PHL", FINANCE, settlement.convert_to_cash, owed.number, {1: "2.80"})
    invoice = s.do(day, "PHL", FINANCE, settlement.issue_invoice, owed.number,
                   kind="conversion")
    s.sync()
    return str(owed.number), str(invoice.envelope.data["total"])


def key_rotation(s: demo.Seeder) -> str:
    """JPN announces a new key (signed with the old one); PHL confirms it; JPN switches."""
    s.calendar.to(D(2027, 2, 25))
    with UnitOfWork(s.jpn) as uow:
        old, new = peers.rotate_key(uow, users.get_user(uow, user_id("JPN", Role.ADMINISTRATOR)))
        uow.commit()
    carry(s.jpn, s.phl, s.bundles)  # the announcement, in a bundle signed with the old key
    as_official(s.phl, Role.ADMINISTRATOR, peers.confirm_key, "JPN", new)
    peers.install_rotated_key(s.jpn)
    return old


def statements_and_revocation(s: demo.Seeder, old_key: str) -> None:
    s.calendar.to(D(2027, 3, 2))
    jpy = as_official(s.jpn, FINANCE, statements.sign_balance, agreement=AGREEMENT,
                      counterparty="PHL", currency="JPY", as_of=D(2027, 3, 1))
    php = as_official(s.phl, FINANCE, statements.sign_balance, agreement=AGREEMENT,
                      counterparty="JPN", currency="PHP", as_of=D(2027, 3, 1))
    s.sync()
    s.calendar.to(D(2027, 3, 3))
    as_official(s.phl, FINANCE, statements.answer_balance, jpy.hash[:16], agree=True)
    s.sync()
    s.calendar.to(D(2027, 3, 4))
    as_official(s.jpn, Role.ADMINISTRATOR, peers.revoke_key, old_key)
    as_official(s.jpn, FINANCE, statements.answer_balance, php.hash[:16], agree=False,
                reason="the conversion paid on 26 February is not shown")
    s.sync()


def consent_to_release(s: demo.Seeder, number: str) -> None:
    """Each party's security officer appointed; PHL asks to release ``number`` to the USA
    and both originators consent; a second request, to Australia, JPN refuses."""
    s.calendar.to(D(2027, 3, 5))
    for party in ("JPN", "PHL"):
        units = JPN_UNITS if party == "JPN" else None
        with UnitOfWork(s.node(party), write=False) as uow:
            officer = users.get_user(uow, user_id(party, Role.SECURITY_OFFICER))
        act_as(s, D(2027, 3, 5), party, user_id(party, Role.ADMINISTRATOR), admin.appoint,
               agreement=AGREEMENT, user_id=officer.id, name=officer.name,
               role=Role.SECURITY_OFFICER.value, units=units or sorted(officer.units),
               valid_from=D(2027, 3, 5))
    s.sync()
    usa = as_official(s.phl, Role.SECURITY_OFFICER, consent.request_consent, number,
                      recipient="USA", reason="trilateral exercise planning")
    aus = as_official(s.phl, Role.SECURITY_OFFICER, consent.request_consent, number,
                      recipient="AUS", reason="asked by a liaison officer")
    as_official(s.phl, Role.SECURITY_OFFICER, consent.grant_consent, usa.hash)
    s.sync()
    as_official(s.jpn, Role.SECURITY_OFFICER, consent.grant_consent, usa.hash)
    as_official(s.jpn, Role.SECURITY_OFFICER, consent.refuse_consent, aus.hash,
                reason="not a party to any agreement with Japan on this exercise")
    s.sync()
