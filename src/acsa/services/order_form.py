"""What the new-order form offers, and what an order would be before it is signed.

The form asks only what the agreement leaves open: the currency is the
agreement's invoice currency for the supplier and the requester (never
typed), the settlement methods are the agreement's, and a fund citation is
marked required where the requesting party's profile demands one. A preview
runs every check that signing runs — the required elements, each line, the
agreement's eligibility rules — and shows each line's value, the order's
value and the dates the agreement counts from it; only the signature and the
annual ceilings (which count the other orders when the order is accepted) wait
for signing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from acsa.domain.money import Money
from acsa.domain.order import check_eligibility, terms_from_data
from acsa.services.orders import complete_terms
from acsa.services.queries import list_agreements
from acsa.services.recording import adopted_profile
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser


@dataclass(frozen=True)
class PartnerTerms:
    """What an agreement fixes for an order with one partner."""

    agreement: str
    partner: str  # the supplier of an order, the requester of an emergency request
    currency: str  # the agreement's invoice currency for this supplier and requester
    fund_citation_required: bool  # by the requesting party's profile
    methods: tuple[str, ...]  # the agreement's settlement methods


def partner_terms(uow: UnitOfWork, user: LocalUser, *, emergency: bool) -> list[PartnerTerms]:
    """For each adopted agreement of ``user``'s party and each other party to it, what the
    agreement fixes for an order between them (``emergency``: the partner requests)."""
    party = user.party
    out = []
    for info in list_agreements(uow):
        profile = adopted_profile(uow, info.id)
        if party not in profile.party_codes:
            continue
        for partner in (p for p in profile.party_codes if p != party):
            requester, supplier = (partner, party) if emergency else (party, partner)
            out.append(PartnerTerms(
                info.id, partner, profile.invoice_currency(supplier, requester),
                profile.party(requester).fund_citation_required,
                tuple(m for m in ("cash", "rik", "eve") if m in profile.settlement.methods)))
    return out


@dataclass(frozen=True)
class LinePreview:
    no: int
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    total: Money


@dataclass(frozen=True)
class OrderPreview:
    """An order as it would be signed on ``on``: its lines' values, its value, and the
    periods the agreement counts for its settlement."""

    on: date
    currency: str
    method: str
    needed_by: date
    lines: tuple[LinePreview, ...]
    value: Money
    payment_days: int  # an invoice falls due this many days after its date (cash)
    return_days: int  # returns in kind are due this many days after the first delivery
    exchange_days: int  # an equal-value exchange closes within this many days of it
    confirm_by: date | None  # an emergency request: the partner confirms in writing by then


def preview_order(uow: UnitOfWork, user: LocalUser, terms: Mapping[str, Any], *,
                  emergency: bool = False, on: date | None = None) -> OrderPreview:
    """What ``terms`` would sign: every check signing makes before the signature (each
    refusal a :class:`~acsa.domain.errors.DomainError` naming its field), then the figures."""
    data = complete_terms(uow, user, terms, emergency=emergency)
    profile = adopted_profile(uow, str(data.get("agreement")))
    on = on or uow.node.today(profile)
    parsed = terms_from_data(data, profile)
    check_eligibility(parsed, profile, on)
    periods = profile.settlement
    return OrderPreview(
        on=on, currency=parsed.currency, method=parsed.method, needed_by=parsed.needed_by,
        lines=tuple(LinePreview(line.no, line.description, line.quantity, line.unit,
                                line.unit_price, line.total(parsed.currency))
                    for line in parsed.lines),
        value=parsed.value(), payment_days=periods.cash_payment_days,
        return_days=periods.rik_return_days, exchange_days=periods.eve_window_days,
        confirm_by=on + timedelta(days=periods.emergency_confirmation_days) if emergency
        else None)
