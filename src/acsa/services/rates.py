"""Exchange rates as the node holds them: who recorded each, under which agreement, and
whether it was taken from an official source the agreement's profile names.

A rate names its source by id (``treasury-reporting``) or names none: then it is a
rate a finance officer worked out. Where a profile says a use (``ceilings``,
``exchange``, ``offset``) needs an official rate, only rates from that party's
official sources serve it (:meth:`acsa.domain.money.RateBook.official`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from acsa.domain.agreement import AgreementProfile, RateSource
from acsa.domain.money import ExchangeRate, RateBook
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.projections import parse_profile


def held_profiles(uow: UnitOfWork) -> list[AgreementProfile]:
    """Every agreement this node adopted, in the newest version it adopted, by id."""
    newest: dict[str, Any] = {}
    for row in uow.conn.execute(select(T.agreements)):
        if uow.node.party not in json.loads(row.adopted_by):
            continue
        if row.id not in newest or row.version > newest[row.id].version:
            newest[row.id] = row
    return [parse_profile(newest[k].document, k) for k in sorted(newest)]


def rate_book(uow: UnitOfWork, agreements: list[str] | None = None) -> RateBook:
    """The rates recorded under ``agreements`` (every agreement: None), each with its source
    and agreement."""
    query = select(T.rates)
    if agreements is not None:
        query = query.where(T.rates.c.agreement.in_(agreements))
    return RateBook(tuple(
        ExchangeRate(r.on, r.base, r.quote, Decimal(r.rate), r.source, r.agreement)
        for r in uow.conn.execute(query)))


@dataclass(frozen=True)
class SourceShown:
    """A rate's source as every list of rates shows it."""

    id: str | None  # None: a rate an officer worked out
    official: bool  # a source the agreement's profile names
    name: str | None = None
    name_ja: str | None = None
    publisher: str | None = None


def source_of(profile: AgreementProfile | None, source: str | None) -> SourceShown:
    """What ``source`` (a recorded rate's) is under ``profile``: an official source it names,
    or an officer's own rate (no source, or one the profile does not name)."""
    found: RateSource | None = profile.rate_source(source) if profile and source else None
    if found is None:
        return SourceShown(source, False)
    return SourceShown(found.id, True, found.name, found.name_ja, found.publisher)


def list_rates(uow: UnitOfWork, agreement: str | None = None) -> list[dict[str, Any]]:
    """Every rate recorded by either party, oldest first, each with its source: official
    (named by the agreement's profile, with its name and publisher) or an officer's own."""
    profiles = {p.id: p for p in held_profiles(uow)}
    query = select(T.rates).order_by(T.rates.c.on, T.rates.c.base, T.rates.c.quote,
                                     T.rates.c.event_hash)
    if agreement:
        query = query.where(T.rates.c.agreement == agreement)
    out = []
    for r in uow.conn.execute(query):
        shown = source_of(profiles.get(r.agreement), r.source)
        out.append({"agreement": r.agreement, "on": r.on.isoformat(), "base": r.base,
                    "quote": r.quote, "rate": r.rate, "recorded_by": r.party,
                    "event": r.event_hash, "source": shown.id, "official": shown.official,
                    "source_name": shown.name, "source_name_ja": shown.name_ja,
                    "publisher": shown.publisher})
    return out


def official_sources(profile: AgreementProfile, use: str, party: str) -> tuple[str, ...]:
    """The ids of the sources ``party``'s rates for ``use`` must come from (empty: any)."""
    return tuple(s.id for s in profile.official_sources(use, party))
