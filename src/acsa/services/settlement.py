"""Settlement use cases: invoices, payments, write-offs, returns in kind, exchanges, offsets.

Each function is one use case in the caller's transaction. The figures of
an invoice, a conversion, an exchange or an offset are computed by
:mod:`acsa.domain.commands` from the order exactly as interpretation will
check them, and :func:`~acsa.services.recording.record` judges the act as
the peer will before anything is appended, so a refused act writes nothing.

Payments, exchanges and offsets act on several orders at once: they are
recorded with :func:`record` directly, their subject a number in this
node's own series (``PAY/PHL/00001``, ``EVE/JPN/00001``, ``OFS/PHL/00001``)
and their data naming each order (``orders: [{order, …}]``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, or_, select, update

from acsa.domain import commands, interpret, references
from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile
from acsa.domain.errors import (
    N_,
    CurrencyMismatch,
    InvalidValue,
    MissingField,
    NotAuthorized,
    RateMissing,
    UnknownReference,
)
from acsa.domain.figures import owed_in_kind
from acsa.domain.money import OFFICIAL_RATE_MISSING, Money, minor_units, parse_decimal
from acsa.domain.parties import Side
from acsa.domain.rules import Action
from acsa.domain.state import OrderState
from acsa.services import need_to_know
from acsa.services import rates as recorded_rates
from acsa.services.orders import act_on_order, catalogue_price, role_for, side_of
from acsa.services.recording import ANY_PARENT, Act, order_state, record
from acsa.services.statements import require_every_order
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser
from acsa.store import tables as T
from acsa.store.log import StoredEvent, stored

Rate = tuple[str, str, str]  # base, quote, rate as text: one base buys ``rate`` of quote

# At most this many orders or invoices in one payment, exchange or offset:
# each is re-folded with every order it links, inside one transaction.
MULTI_ORDER_PARTS_MAX = 200


# -- numbering -------------------------------------------------------------------------------


def next_in_series(uow: UnitOfWork, key: str) -> int:
    """The next number of a node-local series kept in ``node_info`` (safe with several writers).

    The counter row is created if absent without a race (an insert that does
    nothing when another writer created it first), then locked for this
    transaction; SQLite's writer already holds the database lock.
    """
    if uow.conn.dialect.name == "postgresql":
        # Imported here: the PostgreSQL dialect is loaded only where it is the engine's.
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        uow.conn.execute(pg_insert(T.node_info).values(key=key, value="0")
                         .on_conflict_do_nothing())
    else:
        uow.conn.execute(insert(T.node_info).values(key=key, value="0").prefix_with("OR IGNORE"))
    query = select(T.node_info.c.value).where(T.node_info.c.key == key)
    if uow.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    sequence = int(uow.conn.execute(query).scalar_one()) + 1
    uow.conn.execute(update(T.node_info).where(T.node_info.c.key == key)
                     .values(value=str(sequence)))
    return sequence


def next_invoice_number(uow: UnitOfWork, profile: AgreementProfile, on: date) -> str:
    """``INV/JPN/FY2026/00001``: this node's invoices, by its party's fiscal year."""
    party = uow.node.party
    fy = profile.party(party).fiscal_year(on)
    return f"INV/{party}/FY{fy}/{next_in_series(uow, f'invoice:{party}/FY{fy}'):05d}"


def _next_subject(uow: UnitOfWork, series: str) -> str:
    party = uow.node.party
    return f"{series}/{party}/{next_in_series(uow, f'{series.lower()}:{party}'):05d}"


# -- cash: invoices --------------------------------------------------------------------------


def _reference(state: OrderState, kind: str, ref: str | None) -> str | None:
    """What a conversion, residual or difference invoice bills, by position or hash prefix.

    Without a reference: the latest conversion, or the latest signed exchange
    with a residual on this order, not yet invoiced.
    """
    billed = {i.reference for i in state.invoices if i.live and i.kind == kind}
    if kind == "conversion":
        ids = [c.id for c in state.conversions]
    elif kind == "residual":
        ids = [x.exchange for x in state.exchanges if x.signed and x.to_cash > 0]
    elif kind == "difference":
        if ref is None:
            raise MissingField(
                N_("name the invoice whose short remainder is billed"),
                field="reference",
            )
        return references.find_invoice(state, ref, field="reference")
    else:
        if ref is not None:
            raise InvalidValue(
                N_("a %(kind)s invoice names no reference"),
                field="reference", kind=kind,
            )
        return None
    if ref is None:
        open_ = [i for i in ids if i not in billed]
        if not open_:
            raise UnknownReference(
                N_("nothing of %(number)s awaits a %(kind)s invoice"),
                field="reference", number=state.number, kind=kind,
            )
        return open_[-1]
    ref = ref.strip().lower()
    if ref.isdigit() and 0 < int(ref) <= len(ids):
        return ids[int(ref) - 1]
    matches = [i for i in ids if i.startswith(ref)]
    if len(matches) != 1:
        raise UnknownReference(
            N_("no %(kind)s '%(ref)s' on %(number)s"),
            field="reference", kind=kind, ref=ref, number=state.number,
        )
    return matches[0]


@use_case
def issue_invoice(uow: UnitOfWork, user: LocalUser, number: str, *, kind: str = "goods",
                  reference: str | None = None, replaces: str | None = None,
                  on: date | None = None, expected_parent: object = ANY_PARENT) -> StoredEvent:
    """The supplier invoices everything due of ``kind``, numbered in its own series."""
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    on = on or uow.node.today(profile)
    ref = _reference(state, kind, reference)
    old = references.find_invoice(state, replaces, field="replaces") if replaces else None
    if side_of(state, user) is not Side.SUPPLIER:
        raise NotAuthorized(
            N_("%(supplier)s, the supplier, invoices %(number)s"),
            field="order", supplier=state.supplier, number=number,
        )
    invoice_number = next_invoice_number(uow, profile, on)
    data = commands.invoice_data(state, profile, on=on, number=invoice_number, kind=kind,
                                 reference=ref, replaces=old)
    return act_on_order(uow, user, number, Action.INVOICE, F.INVOICE_ISSUED, data, on=on,
                        expected_parent=expected_parent)


@use_case
def void_invoice(uow: UnitOfWork, user: LocalUser, number: str, invoice_ref: str, *,
                 reason: str, on: date | None = None,
                 expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Void an invoice nothing stands against; it may then be reissued (``replaces``)."""
    state = order_state(uow, number)
    invoice = references.find_invoice(state, invoice_ref)
    return act_on_order(uow, user, number, Action.VOID_INVOICE, F.INVOICE_VOIDED,
                        {"invoice": invoice, "reason": reason}, on=on,
                        expected_parent=expected_parent)


def _amount(state: OrderState, text: str, field: str = "amount") -> str:
    """An amount in the order's currency, checked and written with its digits."""
    amount = Money.parse(text.strip(), state.currency, field=field)
    if amount.minor <= 0:
        raise InvalidValue(N_("must be more than zero"), field=field)
    return amount.text()


@use_case
def issue_credit_note(uow: UnitOfWork, user: LocalUser, number: str, invoice_ref: str,
                      amount: str, *, reason: str, on: date | None = None,
                      expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Reduce what an invoice bills; an invoice is never edited."""
    state = order_state(uow, number)
    invoice = references.find_invoice(state, invoice_ref)
    return act_on_order(uow, user, number, Action.CREDIT_NOTE, F.CREDIT_NOTE_ISSUED,
                        {"invoice": invoice, "amount": _amount(state, amount),
                         "reason": reason}, on=on, expected_parent=expected_parent)


@use_case
def write_off(uow: UnitOfWork, user: LocalUser, number: str, invoice_ref: str, amount: str, *,
              reason: str, on: date | None = None,
              expected_parent: object = ANY_PARENT) -> StoredEvent:
    """Write off what a payment left short, within the agreement's limit."""
    state = order_state(uow, number)
    invoice = references.find_invoice(state, invoice_ref)
    return act_on_order(uow, user, number, Action.WRITE_OFF, F.WRITE_OFF_RECORDED,
                        {"invoice": invoice, "amount": _amount(state, amount),
                         "reason": reason}, on=on, expected_parent=expected_parent)


# -- cash: payments --------------------------------------------------------------------------


def _states(uow: UnitOfWork, user: LocalUser, numbers: Sequence[str],
            field: str) -> list[OrderState]:
    """The orders a multi-order act names, all under one agreement (one stream records it),
    each one ``user`` may read: another is not admitted to exist (need to know)."""
    need_to_know.require_readable(uow, user, numbers, field=field)
    if not numbers:
        raise MissingField(N_("name at least one order"), field=field)
    if len(numbers) > MULTI_ORDER_PARTS_MAX:
        raise InvalidValue(
            N_("at most %(limit)s in one act"),
            field=field, limit=MULTI_ORDER_PARTS_MAX,
        )
    states = [order_state(uow, n) for n in dict.fromkeys(numbers)]
    profiles = {s.profile for s in states}
    agreements = {uow.context.profile(p).id for p in profiles}
    if len(agreements) != 1:
        raise InvalidValue(N_("the orders fall under different agreements: record one act per "
                              "agreement (%(agreements)s)"), field=field,
                           agreements=sorted(agreements))
    return states


def _multi_act(uow: UnitOfWork, user: LocalUser, states: Sequence[OrderState], action: Action,
               type: str, subject: str, data: Mapping[str, Any], on: date | None) -> StoredEvent:
    """Record a payment, exchange or offset act in the role the table gives the user's side."""
    first = states[0]
    profile = uow.context.profile(first.profile)
    on = on or uow.node.today(profile)
    side = side_of(first, user)
    unit = interpret.acting_unit(first, side)
    role = role_for(uow, user, action, side, agreement=profile.id, unit=unit, on=on)
    return record(uow, user, Act(agreement=profile.id, type=type, subject=subject, data=data,
                                 role=role, on=on, unit=unit))


@use_case
def record_payment(uow: UnitOfWork, user: LocalUser,
                   allocations: Sequence[tuple[str, str, str]], *, reference: str,
                   on: date | None = None) -> StoredEvent:
    """The requester pays: ``allocations`` as (order, invoice, amount), one currency."""
    states = _states(uow, user, [o for o, _, _ in allocations], "allocations")
    by_number = {s.number: s for s in states}
    currency = states[0].currency
    parts: list[tuple[str, str, int]] = []
    seen: set[tuple[str, str]] = set()
    for i, (number, invoice_ref, amount) in enumerate(allocations):
        state = by_number[number]
        where = f"allocations[{i}]"
        if side_of(state, user) is not Side.REQUESTER:
            raise NotAuthorized(
                N_("%(requester)s, the requester, pays for %(number)s"),
                field=f"{where}.order", requester=state.requester, number=number,
            )
        if state.currency != currency:
            raise CurrencyMismatch(N_("%(number)s is invoiced in %(currency)s, not %(other)s: "
                                      "pay each currency separately"), field=f"{where}.order",
                                   number=number, currency=state.currency, other=currency)
        invoice = references.find_invoice(state, invoice_ref, field=f"{where}.invoice")
        if (number, invoice) in seen:
            raise InvalidValue(
                N_("that invoice is already allocated in this payment"),
                field=f"{where}.invoice",
            )
        seen.add((number, invoice))
        minor = Money.parse(amount.strip(), currency, field=f"{where}.amount").minor
        if minor <= 0:
            raise InvalidValue(N_("must be more than zero"), field=f"{where}.amount")
        parts.append((number, invoice, minor))
    if not reference.strip():
        raise MissingField(N_("the bank's or the paying office's reference"), field="reference")
    data = commands.payment_data(currency=currency, allocations=parts, reference=reference)
    return _multi_act(uow, user, states, Action.PAY, F.PAYMENT_RECORDED,
                      _next_subject(uow, "PAY"), data, on)


def find_multi_event(uow: UnitOfWork, type: str, ref: str, *, field: str) -> StoredEvent:
    """A payment, exchange or offset event by its subject or a prefix of its hash."""
    ref = ref.strip()
    if not ref:
        raise MissingField(N_("is required"), field=field)
    e = T.events.c
    rows = uow.conn.execute(
        select(T.events).where(e.type == type, or_(
            e.subject == ref, e.hash.startswith(ref.lower(), autoescape=True)))
    ).all()
    if len(rows) != 1:
        raise UnknownReference(
            N_("no %(what)s '%(ref)s' on this node (several match)") if rows else
            N_("no %(what)s '%(ref)s' on this node"),
            field=field, what=type.split(".")[0], ref=ref,
        )
    return stored(rows[0])


@use_case
def confirm_payment(uow: UnitOfWork, user: LocalUser, payment: str,
                    received: Sequence[tuple[str, str, str]] = (), *,
                    on: date | None = None) -> StoredEvent:
    """The supplier confirms what arrived: ``received`` as (order, invoice, amount received).

    Without ``received``, every allocation of the payment not yet confirmed
    is confirmed as arrived in full.
    """
    event = find_multi_event(uow, F.PAYMENT_RECORDED, payment, field="payment")
    allocated = [p for p in event.envelope.data.get("orders", ()) if isinstance(p, Mapping)]
    if not received:
        numbers = [str(p["order"]) for p in allocated]
        states = {s.number: s for s in _states(uow, user, numbers, "received")}
        parts = []
        for p in allocated:
            state = states[str(p["order"])]
            done = any(x.payment == event.hash and x.invoice == p["invoice"] and x.confirmed
                       for x in state.payments)
            if not done:
                parts.append({"order": state.number, "invoice": p["invoice"],
                              "received": p["amount"]})
        if not parts:
            raise MissingField(
                N_("every allocation of that payment is already confirmed"),
                field="received",
            )
    else:
        states = {s.number: s for s in _states(uow, user, [o for o, _, _ in received], "received")}
        parts = []
        for i, (number, invoice_ref, amount) in enumerate(received):
            state = states[number]
            where = f"received[{i}]"
            invoice = references.find_invoice(state, invoice_ref, field=f"{where}.invoice")
            money = Money.parse(amount.strip(), state.currency, field=f"{where}.amount")
            if money.minor < 0:
                raise InvalidValue(N_("must not be negative"), field=f"{where}.amount")
            parts.append({"order": number, "invoice": invoice, "received": money.text()})
    ordered = [states[str(p["order"])] for p in parts]
    for s in ordered:
        if side_of(s, user) is not Side.SUPPLIER:
            raise NotAuthorized(
                N_("%(supplier)s, the supplier, confirms payments on %(number)s"),
                field="received", supplier=s.supplier, number=s.number,
            )
    return _multi_act(uow, user, ordered, Action.CONFIRM_PAYMENT, F.PAYMENT_CONFIRMED,
                      event.envelope.subject, {"payment": event.hash, "orders": parts}, on)


# -- in kind ------------------------------------------------------------------------------------


@use_case
def return_in_kind(uow: UnitOfWork, user: LocalUser, number: str,
                   lines: Sequence[tuple[int, str]], *, description: str,
                   evidence: Sequence[Mapping[str, Any]] = (), on: date | None = None,
                   expected_parent: object = ANY_PARENT) -> StoredEvent:
    """The requester returns supplies of the same type, quality and quantity."""
    if not lines:
        raise MissingField(N_("a return has at least one line"), field="lines")
    return act_on_order(uow, user, number, Action.RETURN_IN_KIND, F.RETURN_RECORDED,
                        {"lines": [{"line": n, "quantity": q} for n, q in lines],
                         "description": description, "evidence": list(evidence)},
                        on=on, expected_parent=expected_parent)


@use_case
def answer_return(uow: UnitOfWork, user: LocalUser, number: str, return_ref: str | None,
                  accept: bool, *, reason: str = "", on: date | None = None,
                  expected_parent: object = ANY_PARENT) -> StoredEvent:
    """The supplier accepts a return (it settles that much) or rejects it, saying why."""
    state = order_state(uow, number)
    ref = references.find_return(state, return_ref)
    if not accept and not reason.strip():
        raise MissingField(N_("say why the return is rejected"), field="reason")
    data: dict[str, Any] = {"return": ref, "answer": "accepted" if accept else "rejected"}
    if reason:
        data["reason"] = reason
    return act_on_order(uow, user, number, Action.ACCEPT_RETURN, F.RETURN_ACCEPTED, data,
                        on=on, expected_parent=expected_parent)


@use_case
def convert_to_cash(uow: UnitOfWork, user: LocalUser, number: str,
                    prices: Mapping[int, str] | None = None, *, on: date | None = None,
                    expected_parent: object = ANY_PARENT) -> StoredEvent:
    """After the deadline, turn what is still owed in kind into cash.

    Each line is priced as given in ``prices``; otherwise at the supplier's
    catalogue price on the conversion date, else at the order's price.
    """
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    on = on or uow.node.today(profile)
    assert state.terms is not None
    given = dict(prices or {})
    chosen: dict[int, Decimal] = {}
    for line in state.terms.lines:
        if line.no in given:
            price = parse_decimal(given.pop(line.no), field=f"prices[{line.no}]")
            if price <= 0:
                raise InvalidValue(N_("must be more than zero"), field=f"prices[{line.no}]")
            chosen[line.no] = price
        elif owed_in_kind(state, line.no, profile) > 0:
            listed = catalogue_price(uow, profile.id, state.supplier, line.category,
                                     line.description, line.unit, on)
            if listed is not None:
                chosen[line.no] = Decimal(listed)
    if given:
        raise InvalidValue(N_("%(number)s has no line %(line)s"), field="prices", number=number,
                           line=sorted(given)[0])
    data = commands.conversion_data(state, profile, chosen)
    return act_on_order(uow, user, number, Action.CONVERT_TO_CASH, F.RIK_CONVERTED, data,
                        on=on, expected_parent=expected_parent)


# -- exchange and offset ---------------------------------------------------------------------


def _check_rates(rates: Sequence[Rate]) -> list[Rate]:
    out = []
    for i, (base, quote, rate) in enumerate(rates):
        where = f"rates[{i}]"
        minor_units(base)
        minor_units(quote)
        if base == quote:
            raise InvalidValue(
                N_("%(base)s/%(quote)s is no exchange"),
                field=where, base=base, quote=quote,
            )
        value = parse_decimal(rate.strip(), field=f"{where}.rate")
        if value <= 0:
            raise InvalidValue(N_("must be positive"), field=f"{where}.rate")
        out.append((base, quote, rate.strip()))
    return out


def recorded_rate(uow: UnitOfWork, agreement: str, base: str, quote: str, on: date,
                  official: tuple[str, ...] = (), use: str = "") -> Rate:
    """The rate the parties recorded for ``base``/``quote`` (or its inverse), latest on ``on``;
    with ``official`` (source ids), only a rate taken from one of them.

    Like :class:`~acsa.domain.money.RateBook`, the most recent date wins and a
    direct rate wins over an inverse one of the same date.
    """
    r = T.rates.c
    query = select(T.rates).where(
        r.agreement == agreement, r.on <= on,
        or_((r.base == base) & (r.quote == quote), (r.base == quote) & (r.quote == base)),
    )
    if official:
        query = query.where(r.source.in_(official))
    rows = uow.conn.execute(query).all()
    if not rows and official:
        raise RateMissing(OFFICIAL_RATE_MISSING[use], field="rates", base=base, quote=quote,
                          on=on, sources=list(official))
    if not rows:
        raise RateMissing(
            N_("no %(base)s/%(quote)s rate recorded on or before %(on)s: record one (`acsa rate "
               "add`) or give --rate"),
            field="rates", base=base, quote=quote, on=on,
        )
    best = max(rows, key=lambda row: (row.on, row.base == base, row.event_hash))
    return (best.base, best.quote, best.rate)


# A rate typed on the act itself, where the profile wants official rates for the use.
TYPED_RATE_REFUSED = {
    "exchange": N_("under %(agreement)s %(version)s an equal-value exchange is valued at "
                   "official rates only (%(sources)s): leave the rate out to use the one "
                   "recorded from it"),
    "offset": N_("under %(agreement)s %(version)s an offset is netted at official rates only "
                 "(%(sources)s): leave the rate out to use the one recorded from it"),
}


def _rates_for(uow: UnitOfWork, user: LocalUser, profile: AgreementProfile, use: str,
               currencies: set[str], currency: str, given: Sequence[Rate] | None,
               on: date) -> list[Rate]:
    """The rates an exchange or offset is valued at: those given, else those recorded for
    the date. Where the profile wants official rates of ``user``'s party for ``use``, a rate
    given on the act is refused and only recorded official ones are taken."""
    official = recorded_rates.official_sources(profile, use, user.party)
    if given and official:
        raise InvalidValue(TYPED_RATE_REFUSED[use], field="rates", agreement=profile.id,
                           version=profile.version, sources=list(official))
    if given:
        return _check_rates(given)
    return [recorded_rate(uow, profile.id, c, currency, on, official, use)
            for c in sorted(currencies - {currency})]


@use_case
def link_exchange(uow: UnitOfWork, user: LocalUser, numbers: Sequence[str], *, currency: str,
                  rates: Sequence[Rate] | None = None, on: date | None = None) -> StoredEvent:
    """Link orders each way in an equal-value exchange valued in ``currency``.

    Without ``rates``, the rates recorded for the date are used.
    """
    minor_units(currency)
    states = _states(uow, user, numbers, "orders")
    profile = uow.context.profile(states[0].profile)
    on = on or uow.node.today(profile)
    chosen = _rates_for(uow, user, profile, "exchange", {s.currency for s in states},
                        currency, rates, on)
    data = commands.exchange_data([(s, uow.context.profile(s.profile)) for s in states],
                                  on=on, currency=currency, rates=chosen)
    return _multi_act(uow, user, states, Action.LINK_EXCHANGE, F.EXCHANGE_PROPOSED,
                      _next_subject(uow, "EVE"), data, on)


def _sign(uow: UnitOfWork, user: LocalUser, proposal: StoredEvent, key: str, action: Action,
          type: str, on: date | None) -> StoredEvent:
    numbers = list(dict.fromkeys(
        str(p["order"]) for p in proposal.envelope.data.get("orders", ())
        if isinstance(p, Mapping) and "order" in p
    ))
    states = _states(uow, user, numbers, key)
    return _multi_act(uow, user, states, action, type, proposal.envelope.subject,
                      {key: proposal.hash, "orders": [{"order": n} for n in numbers]}, on)


@use_case
def sign_exchange(uow: UnitOfWork, user: LocalUser, exchange: str, *,
                  on: date | None = None) -> StoredEvent:
    """The other party's finance officer signs the exchange and its valuation."""
    proposal = find_multi_event(uow, F.EXCHANGE_PROPOSED, exchange, field="exchange")
    return _sign(uow, user, proposal, "exchange", Action.SIGN_EXCHANGE, F.EXCHANGE_SIGNED, on)


def _offset_data(uow: UnitOfWork, user: LocalUser, invoices: Sequence[tuple[str, str]],
                 currency: str, rates: Sequence[Rate] | None,
                 on: date | None) -> tuple[list[OrderState], dict[str, Any], date]:
    """The orders an offset nets and its data, computed as interpretation will check it."""
    minor_units(currency)
    hidden = need_to_know.unreadable(uow, user)
    for i, (number, _) in enumerate(invoices):
        if number in hidden:
            raise UnknownReference(
                N_("no order %(number)s on this node"),
                field=f"invoices[{i}].order", number=number,
            )
    states = _states(uow, user, [o for o, _ in invoices], "invoices")
    by_number = {s.number: s for s in states}
    profile = uow.context.profile(states[0].profile)
    on = on or uow.node.today(profile)
    chosen_invoices = []
    for i, (number, ref) in enumerate(invoices):
        state = by_number[number]
        chosen_invoices.append((state, references.find_invoice(state, ref, field=f"invoices[{i}]")))
    chosen = _rates_for(uow, user, profile, "offset", {s.currency for s in states},
                        currency, rates, on)
    data = commands.offset_data(chosen_invoices, on=on, currency=currency, rates=chosen)
    return states, data, on


@use_case
def propose_offset(uow: UnitOfWork, user: LocalUser, invoices: Sequence[tuple[str, str]], *,
                   currency: str, rates: Sequence[Rate] | None = None,
                   on: date | None = None) -> StoredEvent:
    """Propose a statement netting invoices each way in ``currency`` as of ``on``.

    Every order named must be one ``user`` may read: another is not admitted to exist
    (``unknown_reference``), as everywhere an order is named.
    """
    states, data, on = _offset_data(uow, user, invoices, currency, rates, on)
    return _multi_act(uow, user, states, Action.OFFSET, F.OFFSET_PROPOSED,
                      _next_subject(uow, "OFS"), data, on)


def preview_offset(uow: UnitOfWork, user: LocalUser, invoices: Sequence[tuple[str, str]], *,
                   currency: str, rates: Sequence[Rate] | None = None,
                   on: date | None = None) -> dict[str, Any]:
    """What :func:`propose_offset` would sign, without signing or numbering it: the net,
    each invoice's part, the rates. Refused as the proposal would be, the acting
    officer's role and appointment included."""
    states, data, on = _offset_data(uow, user, invoices, currency, rates, on)
    first = states[0]
    profile = uow.context.profile(first.profile)
    side = side_of(first, user)
    role_for(uow, user, Action.OFFSET, side, agreement=profile.id,
             unit=interpret.acting_unit(first, side), on=on)
    return data


@use_case
def sign_offset(uow: UnitOfWork, user: LocalUser, offset: str, *,
                on: date | None = None) -> StoredEvent:
    """The other party's finance officer signs the offset statement: it takes effect.

    Only an officer who may read every order it nets signs it (``clearance_required``).
    """
    proposal = find_multi_event(uow, F.OFFSET_PROPOSED, offset, field="offset")
    require_every_order(uow, user, (str(p["order"]) for p in proposal.envelope.data.get(
        "orders", ()) if isinstance(p, Mapping) and "order" in p), "the offset", "offset")
    return _sign(uow, user, proposal, "offset", Action.SIGN_OFFSET, F.OFFSET_SIGNED, on)


def list_offsets(uow: UnitOfWork, user: LocalUser) -> list[dict[str, Any]]:
    """Every offset statement on this node that nets only orders ``user`` may read, with
    whether each took effect and was signed."""
    hidden = need_to_know.unreadable(uow, user)
    return [o for o in _all_offsets(uow)
            if not any(str(p.get("order")) in hidden for p in o["orders"])]


def _all_offsets(uow: UnitOfWork) -> list[dict[str, Any]]:
    e = T.events.c
    rows = uow.conn.execute(
        select(T.events).where(e.type.in_([F.OFFSET_PROPOSED, F.OFFSET_SIGNED])).order_by(e.id)
    ).all()
    effective = _effective(uow, [r.hash for r in rows])
    signatures: dict[str, list[Any]] = {}
    proposals = []
    for row in rows:
        data = json.loads(row.envelope)["data"]
        if row.type == F.OFFSET_SIGNED:
            signatures.setdefault(str(data.get("offset")), []).append(row)
        else:
            proposals.append((row, data))
    out = []
    for row, data in proposals:
        signed = [s for s in signatures.get(row.hash, []) if effective.get(s.hash)]
        state = ("signed" if signed else "proposed") if effective.get(row.hash) else "ineffective"
        out.append({
            "subject": row.subject, "hash": row.hash, "proposed_by": row.signer,
            "on": data.get("on"), "currency": data.get("currency"), "net": data.get("net"),
            "state": state, "signed_by": signed[0].signer if signed else None,
            "signed_on": json.loads(signed[0].envelope)["data"].get("on") if signed else None,
            "orders": [{k: v for k, v in p.items() if k != "parent"}
                       for p in data.get("orders", [])],
        })
    return out


def _effective(uow: UnitOfWork, hashes: Sequence[str]) -> dict[str, bool]:
    """Whether each event took effect on every order it names (no verdict: not effective)."""
    if not hashes:
        return {}
    v = T.verdicts.c
    out: dict[str, bool] = {}
    for row in uow.conn.execute(
        select(v.event_hash, v.effective).where(v.event_hash.in_(list(hashes)))
    ):
        out[row.event_hash] = out.get(row.event_hash, True) and bool(row.effective)
    return out
