"""Reads for the API and the pages: lists, filters, keyset pages and what a user may do now.

Everything here reads the projections (and the node's local records) and
returns plain frozen values; nothing writes. The order list is filtered and
paged in the database — newest submission first, with a keyset cursor — so
that a page costs the same on the first page as on the thousandth.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select, union

from acsa.domain.errors import N_, Conflict, InvalidValue, UnknownReference
from acsa.domain.money import Money
from acsa.domain.parties import Role, Side
from acsa.domain.rules import Action, Status, actions_for
from acsa.domain.streams import stream_id
from acsa.services import markings, need_to_know, worklist
from acsa.services.markings import MarkingInfo
from acsa.services.recording import adopted_profile
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser, NotPermitted, today_of
from acsa.services.verify import VerifyReport, verify_node
from acsa.store import tables as T

PAGE_LIMIT_MAX = 200
SEARCH_LENGTH_MAX = 100
UNCLASSIFIED = "UNCLASSIFIED"


class BadCursor(InvalidValue):
    """A pagination cursor this node did not hand out."""

    code = "bad_cursor"


# -- reference data ------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementInfo:
    id: str
    short_id: str
    title: str
    version: str
    digest: str
    status: str
    parties: list[dict[str, Any]]
    activity_types: list[str]
    categories: list[str]
    in_force_on: date | None = None
    in_force_reference: str | None = None
    adopted_by: list[str] = field(default_factory=list)  # the parties that adopted this version


def list_agreements(uow: UnitOfWork) -> list[AgreementInfo]:
    """The agreement profiles this node adopted, newest version of each."""
    out: dict[str, AgreementInfo] = {}
    for row in uow.conn.execute(select(T.agreements).order_by(T.agreements.c.id)):
        if uow.node.party not in json.loads(row.adopted_by):
            continue
        profile = uow.context.profile(row.digest)
        known = out.get(profile.id)
        if known is not None and known.version >= profile.version:
            continue
        out[profile.id] = AgreementInfo(
            profile.id, profile.short_id, profile.title, profile.version, profile.digest,
            profile.status,
            [{"code": p.code, "name": p.name, "force": p.force, "currency": p.currency,
              "time_zone": p.time_zone, "signs": p.signs} for p in profile.parties],
            sorted(profile.activity_types), sorted(profile.categories),
            profile.in_force_on, profile.in_force_reference, json.loads(row.adopted_by),
        )
    return [out[k] for k in sorted(out)]


@dataclass(frozen=True)
class ActivityInfo:
    id: str
    agreement: str
    name: str
    type: str
    starts_on: date
    ends_on: date | None
    registered_by: str


def list_activities(uow: UnitOfWork, agreement: str | None = None) -> list[ActivityInfo]:
    query = select(T.activities).order_by(T.activities.c.starts_on.desc(), T.activities.c.id)
    if agreement:
        query = query.where(T.activities.c.agreement == agreement)
    return [ActivityInfo(r.id, r.agreement, r.name, r.type, r.starts_on, r.ends_on,
                         r.registered_by) for r in uow.conn.execute(query)]


@dataclass(frozen=True)
class UnitInfo:
    id: str
    party: str
    name: str
    parent: str | None


def list_units(uow: UnitOfWork, party: str | None = None) -> list[UnitInfo]:
    query = select(T.units).order_by(T.units.c.party, T.units.c.id)
    if party:
        query = query.where(T.units.c.party == party)
    return [UnitInfo(r.id, r.party, r.name, r.parent) for r in uow.conn.execute(query)]


@dataclass(frozen=True)
class AppointmentInfo:
    agreement: str
    role: str
    units: list[str]
    valid_from: date
    valid_to: date | None
    in_force: bool


def appointments_of(uow: UnitOfWork, user: LocalUser) -> list[AppointmentInfo]:
    """``user``'s appointments under every agreement this node adopted."""
    out = []
    for agreement in list_agreements(uow):
        profile = uow.context.profile(agreement.digest)
        on = uow.node.today(profile)
        roster = uow.context.roster(stream_id(agreement.id, uow.node.party))
        for a in sorted(roster.for_user(user.party, user.id), key=lambda a: a.granted_at):
            out.append(AppointmentInfo(agreement.id, a.role.value, sorted(a.units),
                                       a.valid_from, a.valid_to, a.in_force(on, None)))
    return out


# -- the order list --------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilter:
    status: str | None = None
    agreement: str | None = None
    activity: str | None = None
    counterpart: str | None = None
    overdue: bool | None = None
    q: str | None = None
    todo: str | None = None  # a task of the user's worklist (domain.worklist.TASKS)
    partner: bool = False  # with todo: the orders on which it is the partner's turn
    after: str | None = None  # the cursor of the last page's last order
    limit: int = 50


@dataclass(frozen=True)
class OrderSummary:
    number: str
    agreement: str
    activity: str
    activity_type: str
    requester: str
    supplier: str
    requesting_unit: str
    supplying_unit: str | None
    method: str
    currency: str
    value: str  # major units of ``currency``
    status: str
    version: int
    emergency: bool
    submitted_on: date | None
    accepted_on: date | None
    needed_by: date | None
    head: str
    ineffective: int
    marking: MarkingInfo  # the marking the order is protected by, in both schemes


@dataclass(frozen=True)
class OrderPage:
    data: list[OrderSummary]
    count: int  # every order the filters match
    next: str | None  # the cursor for the page after this one


def encode_cursor(submitted_on: date | None, number: str) -> str:
    raw = json.dumps([submitted_on.isoformat() if submitted_on else "", number])
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[date | None, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        day, number = json.loads(raw)
        if not isinstance(day, str) or not isinstance(number, str):
            raise ValueError(cursor)
        return (date.fromisoformat(day) if day else None), number
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadCursor(N_("is not a cursor this node handed out"), field="after") from None


def visible_to(uow: UnitOfWork, user: LocalUser) -> Any:
    """The orders ``user`` may read, as a condition (:mod:`acsa.services.need_to_know`)."""
    return need_to_know.readable(uow, user)


def _count(uow: UnitOfWork, conditions: list[Any]) -> int:
    return int(uow.conn.execute(
        select(func.count()).select_from(T.orders).where(*conditions)).scalar_one())


COUNTS_MAX = 512


def log_heads(uow: UnitOfWork) -> tuple[tuple[str, int], ...]:
    """Every stream's head sequence: which events the log holds (each stream is gapless),
    and so — the projections being derived from them alone — the state of the orders."""
    s = T.streams.c
    return tuple((str(r.stream), int(r.head_seq)) for r in uow.conn.execute(
        select(s.stream, s.head_seq).order_by(s.stream)))


def _count_matches(uow: UnitOfWork, user: LocalUser, wanted: OrderFilter,
                   conditions: list[Any]) -> int:
    """How many orders match ``conditions`` (the list's filters and ``user``'s need to know).

    Counting reads every match, which at a million orders is the whole list page's cost
    many times over; a count is kept on the node with the log's heads it was taken at, and
    served again while no event has been recorded or received since. The key holds every
    input of the conditions: the reader's party and the reader classes hidden from them
    (the log's heads fix which orders those are), each
    filter, and the day where the reader is for the overdue filter (a worklist task,
    which depends on more of the user, is always counted)."""
    if wanted.todo:
        return _count(uow, conditions)
    key = (user.party, need_to_know.refused_classes(uow, user), wanted.status, wanted.agreement,
           wanted.activity, wanted.counterpart, wanted.overdue, wanted.q,
           today_of(uow, user) if wanted.overdue is not None else None)
    heads = log_heads(uow)
    cache = uow.node.count_cache
    found = cache.get(key)
    if found is not None and found[0] == heads:
        return found[1]
    count = _count(uow, conditions)
    if len(cache) >= COUNTS_MAX:
        cache.clear()
    cache[key] = (heads, count)
    return count


def _late(on: date) -> Any:
    """Numbers of orders with something past due on ``on``: a due item, or an emergency
    order not confirmed in time. Both come from an index, never a scan of every order."""
    d, e = T.due_items.c, T.orders.alias("late_emergency").c
    return union(
        select(d.order_number).where(d.due_on < on),
        select(e.number).where(e.emergency_due < on, e.emergency_confirmed_on.is_(None),
                               e.emergency.is_(True)),
    )


def _filters(uow: UnitOfWork, user: LocalUser, wanted: OrderFilter) -> list[Any]:
    """The conditions ``wanted`` sets on the order list, before need to know and paging."""
    o = T.orders.c
    conditions: list[Any] = []
    if wanted.status:
        known = {s.value for s in Status}
        if wanted.status not in known:
            raise InvalidValue(N_("'%(status)s' is not a status (%(allowed)s)"), field="status",
                               status=wanted.status, allowed=sorted(known))
        conditions.append(o.status == wanted.status)
    if wanted.agreement:
        conditions.append(o.agreement == wanted.agreement)
    if wanted.activity:
        conditions.append(o.activity == wanted.activity)
    if wanted.counterpart:
        conditions.append(or_(o.requester == wanted.counterpart,
                              o.supplier == wanted.counterpart))
    if wanted.overdue is not None:
        late = _late(today_of(uow, user))
        conditions.append(o.number.in_(late) if wanted.overdue else o.number.not_in(late))
    if wanted.todo:
        conditions.append(worklist.task_condition(user, wanted.todo, today=today_of(uow, user),
                                                   partner=wanted.partner))
    if wanted.q:
        text = wanted.q.strip().lower()[:SEARCH_LENGTH_MAX]
        if text:
            conditions.append(o.search_text.contains(text, autoescape=True))
    return conditions


def list_orders(uow: UnitOfWork, user: LocalUser, wanted: OrderFilter) -> OrderPage:
    """One page of the orders ``user`` may see, newest submission first."""
    if not 0 < wanted.limit <= PAGE_LIMIT_MAX:
        raise InvalidValue(
            N_("must be between 1 and %(limit)s"),
            field="limit", limit=PAGE_LIMIT_MAX,
        )
    o = T.orders.c
    conditions = _filters(uow, user, wanted)
    page = [*conditions, visible_to(uow, user)]
    count = _count_matches(uow, user, wanted, page)
    if wanted.after:
        day, number = decode_cursor(wanted.after)
        day = day or date.min
        page.append(or_(o.submitted_on < day, and_(o.submitted_on == day, o.number < number)))
    rows = uow.conn.execute(
        select(T.orders).where(*page)
        .order_by(o.submitted_on.desc(), o.number.desc()).limit(wanted.limit + 1)
    ).all()
    more = len(rows) > wanted.limit
    rows = rows[: wanted.limit]
    data = [_summary(uow, r) for r in rows]
    last = rows[-1] if rows and more else None
    return OrderPage(data, int(count),
                     encode_cursor(last.submitted_on, last.number) if last else None)


def _summary(uow: UnitOfWork, row: Any) -> OrderSummary:
    return OrderSummary(
        row.number, row.agreement, row.activity, row.activity_type, row.requester,
        row.supplier, row.requesting_unit, row.supplying_unit, row.method, row.currency,
        Money(row.currency, int(row.value_minor)).text(), row.status, row.version,
        bool(row.emergency), row.submitted_on, row.accepted_on, row.needed_by, row.head,
        row.ineffective, markings.of_row(uow, row),
    )


def order_row(uow: UnitOfWork, user: LocalUser, number: str) -> Any:
    """An order's projection row, if ``user`` may see it (``UnknownReference`` otherwise:
    an order hidden by need to know is not admitted to exist)."""
    row = uow.conn.execute(
        select(T.orders).where(T.orders.c.number == number, visible_to(uow, user))
    ).first()
    if row is None:
        raise UnknownReference(N_("no order %(number)s on this node"), field="order", number=number)
    return row


def order_head(uow: UnitOfWork, user: LocalUser, number: str) -> str:
    """The order's head: the ETag a client sends back in ``If-Match``."""
    return str(order_row(uow, user, number).head)


def check_head(uow: UnitOfWork, user: LocalUser, number: str, expected: str | None) -> None:
    """Refuse an act on a version of the order the user no longer sees, before any other
    check, so that a stale screen always learns that first. (Recording checks it again
    under the order's lock.)"""
    if order_head(uow, user, number) != expected:
        raise Conflict(
            N_("%(number)s changed since you saw it: reload and try again"),
            field="parent", number=number,
        )


# -- what a user may do now ---------------------------------------------------------------------

ACTION_ORDER = {a: i for i, a in enumerate(Action)}


def actions_now(uow: UnitOfWork, user: LocalUser, number: str, *, row: Any = None
                ) -> list[str]:
    """The actions the permission table offers ``user`` on the order in its status now,
    in the roles their appointments (in force today, for the acting unit) give them.
    ``row`` is the order's row as :func:`order_row` read it for ``user`` in this
    transaction, when the caller has it."""
    if row is None:
        row = order_row(uow, user, number)
    side = Side.REQUESTER if user.party == row.requester else Side.SUPPLIER
    unit = row.requesting_unit if side is Side.REQUESTER else row.supplying_unit
    profile = uow.context.profile(row.profile)
    on = uow.node.today(profile)
    roster = uow.context.roster(stream_id(row.agreement, uow.node.party))
    held = {
        a.role for a in roster.for_user(user.party, user.id)
        if a.in_force(on, None) and (unit is None or a.covers_unit(unit))
    }
    found: set[Action] = set()
    for role in held:
        found.update(actions_for(side, role, Status(row.status)))
    return [a.value for a in sorted(found, key=ACTION_ORDER.__getitem__)]


# -- drafts ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DraftInfo:
    id: int
    agreement: str
    created_by: str
    terms: dict[str, Any]
    note: str
    created_at: str
    updated_at: str
    submitted_as: str | None


def _draft_of(row: Any) -> DraftInfo:
    return DraftInfo(row.id, row.agreement, row.created_by, json.loads(row.terms), row.note,
                     row.created_at, row.updated_at, row.submitted_as)


def _draft_readable(uow: UnitOfWork, user: LocalUser, draft: DraftInfo) -> bool:
    try:
        profile = adopted_profile(uow, draft.agreement)
    except UnknownReference:
        profile = None
    return need_to_know.may_read_draft(uow, user, profile, draft.terms)


def list_drafts(uow: UnitOfWork, user: LocalUser) -> list[DraftInfo]:
    """Drafts never leave the node: their author's not yet submitted, or every one for an
    auditor — of them, those whose marking the reader may read."""
    query = select(T.drafts).order_by(T.drafts.c.updated_at.desc(), T.drafts.c.id.desc())
    if Role.AUDITOR not in user.roles:
        query = query.where(T.drafts.c.created_by == user.id,
                            T.drafts.c.submitted_as.is_(None))
    found = (_draft_of(r) for r in uow.conn.execute(query.limit(PAGE_LIMIT_MAX)))
    return [d for d in found if _draft_readable(uow, user, d)]


def get_draft(uow: UnitOfWork, user: LocalUser, draft_id: int) -> DraftInfo:
    row = uow.conn.execute(select(T.drafts).where(T.drafts.c.id == draft_id)).first()
    if row is None or (row.created_by != user.id and Role.AUDITOR not in user.roles) \
            or not _draft_readable(uow, user, _draft_of(row)):
        raise UnknownReference(N_("no draft %(draft_id)s"), field="draft", draft_id=draft_id)
    return _draft_of(row)


# -- per-activity totals ------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityTotal:
    agreement: str
    activity: str
    activity_type: str
    currency: str
    orders: int
    value: str  # major units of ``currency``
    by_status: dict[str, int]


def activity_totals(uow: UnitOfWork, user: LocalUser) -> list[ActivityTotal]:
    """Orders and their value per activity (exercise, HADR operation) and currency."""
    o = T.orders.c
    rows = uow.conn.execute(
        select(o.agreement, o.activity, o.activity_type, o.currency, o.status,
               func.count().label("n"), func.sum(o.value_minor).label("minor"))
        .where(visible_to(uow, user))
        .group_by(o.agreement, o.activity, o.activity_type, o.currency, o.status)
    ).all()
    grouped: dict[tuple[str, str, str, str], dict[str, Any]] = defaultdict(
        lambda: {"n": 0, "minor": 0, "by_status": {}})
    for r in rows:
        g = grouped[(r.agreement, r.activity, r.activity_type, r.currency)]
        g["n"] += r.n
        g["minor"] += int(r.minor or 0)
        g["by_status"][r.status] = r.n
    return [
        ActivityTotal(a, act, kind, cur, g["n"], Money(cur, g["minor"]).text(),
                      dict(sorted(g["by_status"].items())))
        for (a, act, kind, cur), g in sorted(grouped.items())
    ]


# -- verification ---------------------------------------------------------------------------------


def verify_ledger(uow: UnitOfWork, user: LocalUser) -> VerifyReport:
    """``acsa verify`` for an auditor or administrator (in a transaction rolled back after)."""
    if not user.roles & {Role.AUDITOR, Role.ADMINISTRATOR}:
        raise NotPermitted(
            N_("only an auditor or an administrator verifies the ledger"),
            field="user",
        )
    return verify_node(uow)



# -- price catalogue ------------------------------------------------------------------------------

CATALOGUE_ITEMS_MAX = 300


@dataclass(frozen=True)
class CatalogueItem:
    """A price a supplier charged before: the new-order form offers it as a prefill."""

    supplier: str
    category: str
    description: str
    nsn: str | None
    unit: str
    unit_price: str
    currency: str
    since: date | None  # in force from (a catalogue price), or last ordered on


def price_catalogue(uow: UnitOfWork, user: LocalUser) -> list[CatalogueItem]:
    """Prices to prefill a new order with: first each supplier's signed catalogue prices in
    force today, then the latest price of each other item on orders ``user`` may see.

    The supplier may still propose another price before accepting; these are
    only a starting point for the requester.
    """
    on = today_of(uow, user)
    c = T.catalogue.c
    out: list[CatalogueItem] = []
    seen: set[tuple[str, str, str, str]] = set()

    def add(item: CatalogueItem) -> None:
        key = (item.supplier, item.description.strip().lower(), item.unit, item.currency)
        if key not in seen and len(out) < CATALOGUE_ITEMS_MAX:
            seen.add(key)
            out.append(item)

    for r in uow.conn.execute(
        select(T.catalogue).where(c.valid_from <= on, or_(c.valid_to.is_(None), c.valid_to >= on))
        .order_by(c.party, c.category, c.item, c.valid_from.desc()).limit(CATALOGUE_ITEMS_MAX)
    ):
        add(CatalogueItem(r.party, r.category, r.item, None, r.unit, r.unit_price, r.currency,
                          r.valid_from))
    o, line = T.orders.c, T.order_lines.c
    for r in uow.conn.execute(
        select(o.supplier, o.currency, o.submitted_on, line.category, line.description,
               line.nsn, line.unit, line.unit_price)
        .join(T.order_lines, line.order_number == o.number)
        .where(visible_to(uow, user), o.status.not_in([Status.REJECTED.value]))
        .order_by(o.submitted_on.desc(), o.number.desc(), line.no)
        .limit(CATALOGUE_ITEMS_MAX * 4)
    ):
        add(CatalogueItem(r.supplier, r.category, r.description, r.nsn, r.unit, r.unit_price,
                          r.currency, r.submitted_on))
    return out


# -- equal-value exchange candidates ------------------------------------------------------------

EXCHANGE_CANDIDATES_MAX = 100


def exchange_candidates(uow: UnitOfWork, user: LocalUser, number: str) -> list[OrderSummary]:
    """Orders that may join ``number`` in an equal-value exchange: settled by EVE, under the
    same agreement, received and not settled yet, and visible to ``user``."""
    row = order_row(uow, user, number)
    o = T.orders.c
    rows = uow.conn.execute(
        select(T.orders).where(
            o.agreement == row.agreement, o.method == "eve", o.number != number,
            o.status.in_([Status.RECEIVED.value, Status.SETTLING.value]), visible_to(uow, user))
        .order_by(o.submitted_on, o.number).limit(EXCHANGE_CANDIDATES_MAX))
    return [_summary(uow, r) for r in rows]


def notes_on(uow: UnitOfWork, event_hash: str) -> list[str]:
    """What a rule decided about an event, on any order it acts on (a race, a conversion …)."""
    return sorted(set(uow.conn.execute(select(T.verdicts.c.note).where(
        T.verdicts.c.event_hash == event_hash, T.verdicts.c.note != "")).scalars()))


@dataclass(frozen=True)
class PostingLine:
    on: date
    debit: str
    credit: str
    amount: Money
    debtor: str
    creditor: str


def order_postings(uow: UnitOfWork, number: str) -> list[PostingLine]:
    """An order's postings in the order they were written."""
    rows = uow.conn.execute(select(T.postings).where(T.postings.c.order_number == number)
                            .order_by(T.postings.c.id))
    return [PostingLine(r.on, r.debit, r.credit, Money(r.currency, r.amount_minor), r.debtor,
                        r.creditor) for r in rows]
