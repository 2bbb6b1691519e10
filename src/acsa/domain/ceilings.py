"""Annual ceilings: caps on what one party may owe (or be owed) a partner in a fiscal year.

A ceiling belongs to a party (whose law sets it), counts against one partner
country, in one direction — *liabilities* (orders the party requests from
the partner) or *credits* (orders the party supplies to the partner) — in
one currency, per fiscal year of that party, with optional sub-caps by
category group. An order is placed in a year by its acceptance date and
counted at its value as accepted, before any offsetting, converted at the
dated rate on that date. A suspended ceiling (active hostilities) limits
nothing but is still reported.

A ceiling's *scope* says which orders count: those of its own agreement
(``agreement``), or every order between its party and partner under every
agreement the node holds with that partner (``country``: US law counts per
country, across all agreements with it). The rates that convert them are the
ones the profile allows for ceilings (official ones where it says so).

Ceilings are a national legal control: the acting node checks them when its
officials submit or accept an order, and both nodes report their use. They
do not decide whether a peer's event takes effect, because the figures
depend on rates and on orders under other agreements that the peer may not
hold.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from acsa.domain.agreement import AgreementProfile, Ceiling, PartyProfile
from acsa.domain.errors import N_, CeilingExceeded
from acsa.domain.money import Money, RateBook
from acsa.domain.order import OrderTerms


@dataclass(frozen=True)
class CountedOrder:
    """An order as a ceiling counts it."""

    number: str
    terms: OrderTerms
    accepted_on: date


@dataclass(frozen=True)
class CeilingUse:
    ceiling: Ceiling
    fiscal_year: int
    used: Money
    sub_caps_used: tuple[tuple[str, Money, Money], ...]  # group, used, cap
    agreements: tuple[str, ...] = ()  # whose orders count: the ceiling's own first

    @property
    def remaining(self) -> Money:
        return self.ceiling.annual_cap - self.used


def fiscal_year_of(party: PartyProfile, order: CountedOrder) -> int:
    """The fiscal year of ``party`` that an order counts in: the one containing its
    acceptance date (the rule of ceilings and of the annual report alike)."""
    return party.fiscal_year(order.accepted_on)


def scope_agreements(ceiling: Ceiling, profile: AgreementProfile,
                     held: Iterable[AgreementProfile] = ()) -> tuple[str, ...]:
    """The agreements whose orders count toward ``profile``'s ``ceiling``: its own and, for a
    ceiling counted per country, every other agreement in ``held`` (those the node holds)
    whose parties include the ceiling's party and partner."""
    if ceiling.scope != "country":
        return (profile.id,)
    pair = {ceiling.party, ceiling.partner}
    others = sorted({p.id for p in held if p.id != profile.id and pair <= set(p.party_codes)})
    return (profile.id, *others)


def ceiling_rates(rates: RateBook, profile: AgreementProfile, ceiling: Ceiling,
                  agreements: Collection[str]) -> RateBook:
    """The rates a ceiling is counted at: those recorded under the agreements it counts and,
    where the profile names official sources of the ceiling's party for ceilings, only
    rates taken from them."""
    book = rates.under(agreements)
    official = profile.official_sources("ceilings", ceiling.party)
    if official:
        book = book.official(tuple(s.id for s in official), "ceilings")
    return book


def counts_toward(ceiling: Ceiling, terms: OrderTerms) -> bool:
    if ceiling.direction == "liabilities":
        return terms.requester == ceiling.party and terms.supplier == ceiling.partner
    return terms.supplier == ceiling.party and terms.requester == ceiling.partner


def _value(
    terms: OrderTerms, categories: frozenset[str] | None, currency: str, rates: RateBook, on: date
) -> Money:
    total = Money.zero(terms.currency)
    for line in terms.lines:
        if categories is None or line.category in categories:
            total = total + line.total(terms.currency)
    return rates.convert(total, currency, on)


def ceiling_use(
    ceiling: Ceiling,
    profile: AgreementProfile,
    fiscal_year: int,
    orders: Iterable[CountedOrder],
    rates: RateBook,
    held: Sequence[AgreementProfile] = (),
) -> CeilingUse:
    """What the accepted orders of ``fiscal_year`` use of ``ceiling`` and its sub-caps: the
    orders of the agreements in its scope (:func:`scope_agreements`) among ``orders``."""
    party = profile.party(ceiling.party)
    agreements = scope_agreements(ceiling, profile, held)
    counted = [
        o
        for o in orders
        if o.terms.agreement in agreements and counts_toward(ceiling, o.terms)
        and fiscal_year_of(party, o) == fiscal_year
    ]
    rates = ceiling_rates(rates, profile, ceiling, agreements)
    used = Money.zero(ceiling.currency)
    for o in counted:
        used = used + _value(o.terms, None, ceiling.currency, rates, o.accepted_on)
    subs = []
    for sub in ceiling.sub_caps:
        sub_used = Money.zero(ceiling.currency)
        for o in counted:
            sub_used = sub_used + _value(
                o.terms, sub.categories, ceiling.currency, rates, o.accepted_on
            )
        subs.append((sub.group, sub_used, sub.cap))
    return CeilingUse(ceiling, fiscal_year, used, tuple(subs), agreements)


def _exceeded(use: CeilingUse, group: str | None, cap: Money, used: Money,
              figures: bool) -> CeilingExceeded:
    """The refusal for a ceiling (or its ``group`` sub-ceiling) ``used`` would break; without
    the total when ``figures`` is false (orders the actor may not read count toward it)."""
    ceiling, year = use.ceiling, use.fiscal_year
    params: dict[str, object] = {"party": ceiling.party, "partner": ceiling.partner,
                                 "direction": ceiling.direction, "year": year, "limit": cap}
    if ceiling.scope == "country":
        return _exceeded_per_country(use, group, cap, used, figures, params)
    if group:
        params["group"] = group
        message = (N_("the %(group)s sub-ceiling of %(limit)s for FY%(year)s would reach "
                      "%(total)s") if figures else
                   N_("the %(group)s sub-ceiling of %(limit)s for FY%(year)s would be "
                      "exceeded by this order"))
    else:
        message = (N_("%(party)s's %(direction)s ceiling toward %(partner)s for FY%(year)s "
                      "is %(limit)s; this order would bring it to %(total)s") if figures else
                   N_("%(party)s's %(direction)s ceiling toward %(partner)s for FY%(year)s "
                      "would be exceeded by this order (limit %(limit)s)"))
    if figures:
        params["total"] = used
    return CeilingExceeded(message, field="lines", **params)


def _exceeded_per_country(use: CeilingUse, group: str | None, cap: Money, used: Money,
                          figures: bool, params: dict[str, object]) -> CeilingExceeded:
    """The refusal for a ceiling counted per country: it names every agreement counted."""
    params["agreements"] = list(use.agreements)
    if group:
        params["group"] = group
        message = (N_("the %(group)s sub-ceiling of %(limit)s for FY%(year)s, counted across "
                      "%(agreements)s, would reach %(total)s") if figures else
                   N_("the %(group)s sub-ceiling of %(limit)s for FY%(year)s, counted across "
                      "%(agreements)s, would be exceeded by this order"))
    else:
        message = (N_("%(party)s's %(direction)s ceiling toward %(partner)s for FY%(year)s, "
                      "counted across %(agreements)s, is %(limit)s; this order would bring "
                      "it to %(total)s") if figures else
                   N_("%(party)s's %(direction)s ceiling toward %(partner)s for FY%(year)s, "
                      "counted across %(agreements)s, would be exceeded by this order "
                      "(limit %(limit)s)"))
    if figures:
        params["total"] = used
    return CeilingExceeded(message, field="lines", **params)


def check_ceilings(
    profile: AgreementProfile,
    new: CountedOrder,
    orders: Iterable[CountedOrder],
    rates: RateBook,
    *,
    hidden: Collection[str] = frozenset(),
    held: Sequence[AgreementProfile] = (),
) -> None:
    """Raise :class:`CeilingExceeded` if accepting ``new`` would break a ceiling in force.

    Every order counts, whoever acts: those of ``profile``'s agreement and, for a ceiling
    counted per country, those of every agreement in ``held`` with the same partner.
    ``hidden`` names the orders the acting user may not read: when one of them counts
    toward the ceiling broken, the refusal says that it would be exceeded and states no
    total, since that total is not the actor's to read.
    """
    existing = [o for o in orders if o.number != new.number]
    for ceiling in profile.ceilings:
        if ceiling.suspended or not counts_toward(ceiling, new.terms):
            continue
        party = profile.party(ceiling.party)
        year = fiscal_year_of(party, new)
        use = ceiling_use(ceiling, profile, year, [*existing, new], rates, held)
        figures = not any(o.number in hidden for o in existing
                          if o.terms.agreement in use.agreements
                          and counts_toward(ceiling, o.terms)
                          and fiscal_year_of(party, o) == year)
        if use.used.minor > ceiling.annual_cap.minor:
            raise _exceeded(use, None, ceiling.annual_cap, use.used, figures)
        for group, used, cap in use.sub_caps_used:
            if used.minor > cap.minor:
                raise _exceeded(use, group, cap, used, figures)
