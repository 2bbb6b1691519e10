"""Loss or compromise reports: report, acknowledge, assess, close, read.

A security officer of the party that held a partner's information reports
its suspected loss or compromise; the report is a signed event of the
reporting party's stream of the agreement, so it reaches the originator's
node by the ordinary sync. The originator's security officer acknowledges
it, a security officer of either party records the assessment, and the
originator's closes it (:mod:`acsa.domain.compromise` holds the rules, the
same on every node). Every step is refused here, naming the field, when it
is not the report's next step or not this party's to take.

Security officers act, appointed in the shared roster (``acsa user appoint
--role security_officer``), so the partner's node checks that whoever signed
was appointed to. Only security officers of either party read the reports,
and the officer who filed one reads their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select

from acsa.domain import facts as F
from acsa.domain.compromise import (
    CLOSED,
    EITHER,
    ORIGINATOR,
    STATUSES,
    STEPS,
    SUBJECT_PREFIX,
    TYPES,
    Report,
    Step,
    fold_reports,
    terms_from_data,
)
from acsa.domain.errors import (
    N_,
    InvalidValue,
    InvariantBroken,
    NotAppointed,
    StepOutOfOrder,
    UnknownReference,
)
from acsa.domain.parties import Role
from acsa.domain.streams import stream_agreement, stream_id
from acsa.services.finance_records import facts_of, officer_check
from acsa.services.recording import Act, adopted_profile, record
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser, NotPermitted
from acsa.store import tables as T
from acsa.store.log import StoredEvent

READERS = frozenset({Role.SECURITY_OFFICER})
REPORT_FIELD = "report"


def reports(uow: UnitOfWork) -> dict[str, Report]:
    """Every report this node holds, by id."""
    return fold_reports(facts_of(uow, TYPES), officer_check(uow, Role.SECURITY_OFFICER))


def _may_see(user: LocalUser, report: Report) -> bool:
    return bool(user.roles & READERS) or (
        report.reporter == user.party and report.reporter_user == user.id)


def _refused() -> NotPermitted:
    return NotPermitted(N_("only security officers read loss or compromise reports"),
                        field="user", role="security_officer")


def visible_reports(uow: UnitOfWork, user: LocalUser) -> list[Report]:
    """The reports ``user`` may read, newest first; refused to anyone who may read none."""
    found = [r for r in reports(uow).values() if _may_see(user, r)]
    if not found and not user.roles & READERS:
        raise _refused()
    return sorted(found, key=lambda r: (r.reported_on, r.id), reverse=True)


def get_report(uow: UnitOfWork, user: LocalUser, report_id: str) -> Report:
    found = reports(uow).get(report_id)
    if found is not None and not _may_see(user, found):
        raise _refused()
    if found is None:
        if not user.roles & READERS:
            raise _refused()
        raise UnknownReference(N_("no loss or compromise report %(reference)s on this node"),
                               field=REPORT_FIELD, reference=report_id)
    return found


def _unit(uow: UnitOfWork, user: LocalUser, agreement: str, on: date) -> str | None:
    roster = uow.context.roster(stream_id(agreement, uow.node.party))
    for a in sorted(roster.for_user(user.party, user.id), key=lambda a: a.granted_at):
        if a.role is Role.SECURITY_OFFICER and a.in_force(on, None):
            return min(a.units) if a.units else None
    raise NotAppointed(
        N_("%(user)s is not appointed as security officer under %(agreement)s"),
        field="user", user=user.id, role="security_officer", agreement=agreement)


def _agreement(uow: UnitOfWork, agreement: str | None, orders: Sequence[str],
               events: Sequence[str]) -> str:
    """The agreement named, or else the one agreement of the orders and events involved."""
    if agreement:
        return agreement
    found = set(uow.conn.execute(select(T.orders.c.agreement).where(
        T.orders.c.number.in_(list(orders)))).scalars())
    found |= {stream_agreement(s) for s in uow.conn.execute(select(T.events.c.stream).where(
        T.events.c.hash.in_(list(events)))).scalars()}
    if len(found) != 1:
        raise InvalidValue(N_("is required"), field="agreement")
    return str(found.pop())


def _check_references(uow: UnitOfWork, agreement: str, orders: Sequence[str],
                      events: Sequence[str]) -> None:
    for i, number in enumerate(orders):
        held = uow.conn.execute(select(T.orders.c.agreement).where(
            T.orders.c.number == number)).scalar_one_or_none()
        if held != agreement:
            raise UnknownReference(N_("no order %(number)s under %(agreement)s on this node"),
                                   field=f"orders[{i}]", number=number, agreement=agreement)
    for i, event in enumerate(events):
        stream = uow.conn.execute(select(T.events.c.stream).where(
            T.events.c.hash == event)).scalar_one_or_none()
        if stream is None or stream_agreement(stream) != agreement:
            raise UnknownReference(N_("no event %(number)s under %(agreement)s on this node"),
                                   field=f"events[{i}]", number=event, agreement=agreement)


def _next_id(uow: UnitOfWork) -> str:
    count = uow.conn.execute(select(func.count()).select_from(T.events).where(
        T.events.c.type == F.COMPROMISE_REPORTED,
        T.events.c.subject.like(f"{SUBJECT_PREFIX}{uow.node.party}/%"))).scalar_one()
    return f"{SUBJECT_PREFIX}{uow.node.party}/{int(count) + 1:05d}"


@use_case
def report_compromise(uow: UnitOfWork, user: LocalUser, report: Mapping[str, Any]
                      ) -> StoredEvent:
    """A security officer reports a suspected loss or compromise of the originator's
    information to it. ``report`` holds ``orders`` and ``events`` involved (at least one),
    ``what_happened``, ``discovered_on``, ``highest_marking`` (a level of the originator's
    scheme) and, optionally, ``agreement`` (default: the one of the orders and events
    involved) and ``originator`` (default: the agreement's other party)."""
    orders = [str(o).strip() for o in report.get("orders") or () if str(o).strip()]
    events = [str(e).strip() for e in report.get("events") or () if str(e).strip()]
    agreement = _agreement(uow, report.get("agreement") or None, orders, events)
    originator = report.get("originator")
    what_happened = report.get("what_happened")
    discovered_on = report.get("discovered_on")
    highest_marking = report.get("highest_marking")
    profile = adopted_profile(uow, agreement)
    others = [p for p in profile.party_codes if p != uow.node.party]
    originator = str(originator or (others[0] if len(others) == 1 else "")).strip().upper()
    if originator not in others:
        raise InvalidValue(N_("must be the other party of %(agreement)s: %(parties)s"),
                           field="originator", agreement=agreement, parties=", ".join(others))
    terms = terms_from_data({
        "originator": originator, "orders": orders, "events": events,
        "what_happened": what_happened, "discovered_on": discovered_on,
        "highest_marking": highest_marking})
    scheme = profile.party(originator)
    levels = (*scheme.classification_levels, scheme.unclassified_marking)
    if terms.highest_marking not in levels:
        raise InvalidValue(N_("'%(level)s' is not one of %(originator)s's levels (%(known)s)"),
                           field="highest_marking", level=terms.highest_marking,
                           originator=originator, known=", ".join(levels))
    on = uow.node.today(profile)
    if terms.discovered_on > on:
        raise InvalidValue(N_("cannot be after today (%(date)s)"), field="discovered_on",
                           date=on)
    _check_references(uow, agreement, terms.orders, terms.events)
    unit = _unit(uow, user, agreement, on)
    report_id = _next_id(uow)
    event = record(uow, user, Act(
        agreement=agreement, type=F.COMPROMISE_REPORTED, subject=report_id,
        data=terms.as_data(), role=Role.SECURITY_OFFICER, on=on, unit=unit))
    _check_effective(uow, report_id, event.hash)
    return event


def _step(uow: UnitOfWork, user: LocalUser, report_id: str, type_: str,
          extra: dict[str, Any]) -> StoredEvent:
    found = get_report(uow, user, report_id)
    if found.may_take(type_, uow.node.party):
        raise _out_of_order(found, report_id, type_, uow.node.party)
    agreement = stream_agreement(found.stream)
    profile = adopted_profile(uow, agreement)
    on = uow.node.today(profile)
    unit = _unit(uow, user, agreement, on)
    event = record(uow, user, Act(
        agreement=agreement, type=type_, subject=report_id,
        data={"follows": found.head, **extra}, role=Role.SECURITY_OFFICER, on=on, unit=unit))
    _check_effective(uow, report_id, event.hash)
    return event


def _out_of_order(found: Report, report_id: str, type_: str, party: str) -> StepOutOfOrder:
    """Why this node may not take step ``type_`` on the report now, as its officer reads it:
    the step already taken, one not yet due, or a step that is the originator's alone."""
    before, step, who = STEPS[type_]
    params: dict[str, Any] = {"field": REPORT_FIELD, "reference": report_id,
                              "report_status": found.status, "step": step,
                              "party": found.terms.originator}
    if STATUSES.index(found.status) >= STATUSES.index(step):
        return StepOutOfOrder(N_("report %(reference)s is already %(report_status)s: "
                                 "%(step)s is recorded once"), **params)
    if who == ORIGINATOR and party != found.terms.originator:
        return StepOutOfOrder(N_("only the originator (%(party)s) takes this step on report "
                                 "%(reference)s: %(step)s"), **params)
    return StepOutOfOrder(N_("report %(reference)s is %(report_status)s: %(step)s comes once "
                             "it is %(needed_status)s"), needed_status=before, **params)


def _check_effective(uow: UnitOfWork, report_id: str, event: str) -> None:
    """The paired check: what was just recorded takes effect in the fold."""
    found = reports(uow).get(report_id)
    if found is None or event not in {found.event, found.head}:
        raise InvariantBroken(f"{event[:12]} recorded on {report_id} but not effective")


@use_case
def acknowledge_report(uow: UnitOfWork, user: LocalUser, report_id: str) -> StoredEvent:
    """The originator's security officer acknowledges the report."""
    return _step(uow, user, report_id, F.COMPROMISE_ACKNOWLEDGED, {})


@use_case
def assess_report(uow: UnitOfWork, user: LocalUser, report_id: str,
                  assessment: str) -> StoredEvent:
    """A security officer of either party records the assessment."""
    if not assessment or not assessment.strip():
        raise InvalidValue(N_("is required"), field="assessment")
    return _step(uow, user, report_id, F.COMPROMISE_ASSESSED,
                 {"assessment": assessment.strip()})


@use_case
def close_report(uow: UnitOfWork, user: LocalUser, report_id: str,
                 note: str = "") -> StoredEvent:
    """The originator's security officer closes the assessed report."""
    return _step(uow, user, report_id, F.COMPROMISE_CLOSED,
                 {"note": note.strip()} if note and note.strip() else {})


def _step_view(s: Step) -> dict[str, Any]:
    return {"step": s.type.split(".")[1], "event": s.event, "party": s.party, "user": s.user,
            "name": s.name, "on": s.on.isoformat(), "text": s.text}


def as_view(r: Report, party: str | None = None) -> dict[str, Any]:
    """A report as the CLI, the API and the pages show it: references and markings only."""
    awaits = r.awaits()
    return {
        "id": r.id, "agreement": stream_agreement(r.stream), "status": r.status,
        "reporter": r.reporter, "reporter_name": r.reporter_name,
        "reported_on": r.reported_on.isoformat(), "event": r.event,
        **{k: v for k, v in r.terms.as_data().items()},
        "steps": [_step_view(s) for s in r.steps],
        "next_step": awaits[0].split(".")[1] if awaits else None,
        "next_by": awaits[1] if awaits else None,
        "ours_next": bool(awaits and party is not None and awaits[1] in (party, EITHER)),
        "waiting": list(r.waiting),
        "ineffective": [{"event": e, "reason": why} for e, why in r.ineffective],
    }


def list_views(uow: UnitOfWork, user: LocalUser, *, open_only: bool = False
               ) -> list[dict[str, Any]]:
    return [as_view(r, uow.node.party) for r in visible_reports(uow, user)
            if not open_only or r.status != CLOSED]


def show_view(uow: UnitOfWork, user: LocalUser, report_id: str) -> dict[str, Any]:
    return as_view(get_report(uow, user, report_id), uow.node.party)


def awaiting(uow: UnitOfWork, user: LocalUser) -> list[dict[str, Any]]:
    """Open reports whose next step this node's security officers may take."""
    if Role.SECURITY_OFFICER not in user.roles:
        return []
    return [v for v in list_views(uow, user, open_only=True) if v["ours_next"]]


