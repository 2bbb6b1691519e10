"""What the new-order form offers: only what the agreement allows, with what it fixes shown.

The form is built so that the errors the rules would refuse cannot be typed:
the only partner who can supply (or, for an emergency request, who can ask)
comes preselected; the currency is the agreement's invoice currency for that
supplier and requester, shown and not typed; the settlement methods are the
agreement's; the fund citation is marked required where the requesting
party's profile demands one; and the items suggested for a line are only the
supplier's, in that currency. With JavaScript the page follows another choice
of agreement or partner (``static/app.js``); without it, the preview step
shows the same from the server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from acsa.domain.errors import DomainError
from acsa.domain.order import UNITS_OF_ISSUE
from acsa.domain.parties import Side
from acsa.domain.rules import Action
from acsa.i18n.labels import label
from acsa.services import arrangements, order_form, queries, users
from acsa.services.recording import adopted_profile
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.web.ui.pages import may_take

METHODS = ("cash", "rik", "eve")


def choices(uow: UnitOfWork, user: LocalUser, values: Mapping[str, str], *,
            emergency: bool, locale: str) -> dict[str, Any]:
    """The form's options and what the agreement fixes for the choice in ``values`` (else
    for the first agreement and the only partner): the page's context."""
    party = user.party
    terms = order_form.partner_terms(uow, user, emergency=emergency)
    agreements = [a for a in queries.list_agreements(uow)
                  if any(t.agreement == a.id for t in terms)]
    ids = {a.id for a in agreements}
    partners = sorted({t.partner for t in terms})
    agreement = values.get("agreement") or (agreements[0].id if agreements else "")
    partner = values.get("requester" if emergency else "supplier") or (
        partners[0] if len(partners) == 1 else "")
    pair = next((t for t in terms if t.agreement == agreement and t.partner == partner), None)
    under = [t for t in terms if t.agreement == agreement] or terms
    methods = pair.methods if pair else tuple(m for m in METHODS
                                              if any(m in t.methods for t in under))
    return {
        "options": {
            "agreements": [(a.id, f"{a.short_id} — {a.title}") for a in agreements],
            "activities": [(a.id, f"{a.name} ({a.id})") for a in queries.list_activities(uow)
                           if a.agreement in ids],
            "suppliers": [(p, p) for p in partners],
            "units": _units(uow, *partners) if emergency else _units(uow, party),
            "my_units": _units(uow, party),
            "categories": sorted({c for a in agreements for c in a.categories}),
            "methods": [(m, label("method", m, locale)) for m in methods],
            "units_of_issue": UNITS_OF_ISSUE,
        },
        "defaults": {"agreement": agreement,
                     ("requester" if emergency else "supplier"): partner},
        "currency": pair.currency if pair else "",
        "fund_required": pair.fund_citation_required if pair else all(
            t.fund_citation_required for t in under),
        "partner_terms": json.dumps({f"{t.agreement}|{t.partner}": {
            "currency": t.currency, "fund": t.fund_citation_required} for t in terms},
            sort_keys=True),
        "catalogue": _catalogue(uow, user, under, pair, emergency=emergency),
        "emergency": emergency,
        "marking_options": [(level, level) for level in users.clearance_levels(uow)],
        **_arrangements(uow, user, agreement, values.get("implementing_arrangement", "")),
        "may_sign": may_take(user, Action.EMERGENCY if emergency else Action.SUBMIT,
                             Side.SUPPLIER if emergency else Side.REQUESTER),
        "may_record_emergency": may_take(user, Action.EMERGENCY, Side.SUPPLIER),
    }


def _arrangements(uow: UnitOfWork, user: LocalUser, agreement: str, typed: str
                  ) -> dict[str, Any]:
    """Under a profile that keeps a register, the arrangements in effect today (a select);
    otherwise the field stays free text."""
    if not agreement:
        return {"arrangement_register": False, "arrangement_options": []}
    try:
        profile = adopted_profile(uow, agreement)
    except DomainError:
        return {"arrangement_register": False, "arrangement_options": []}
    found = arrangements.in_effect(uow, agreement, users.today_of(uow, user))
    options = [(a.identifier, f"{a.identifier} — {a.terms.title}") for a in found]
    if typed and typed not in {value for value, _ in options}:
        options.append((typed, typed))  # a draft's reference, refused on signing if stale
    return {"arrangement_register": profile.arrangement_register,
            "arrangement_options": options}


def _units(uow: UnitOfWork, *parties: str) -> list[tuple[str, str]]:
    return [(u.id, f"{u.name} ({u.id})") for p in parties for u in queries.list_units(uow, p)]


def _catalogue(uow: UnitOfWork, user: LocalUser, under: list[order_form.PartnerTerms],
               pair: order_form.PartnerTerms | None, *, emergency: bool
               ) -> list[queries.CatalogueItem]:
    """The items to suggest for a line: the supplier's, priced in the currency the
    agreement gives the order — never the requester's own, nor another currency's."""
    if emergency:  # this node's party supplies
        wanted = {(user.party, t.currency) for t in ([pair] if pair else under)}
    else:
        wanted = {(t.partner, t.currency) for t in ([pair] if pair else under)}
    return [c for c in queries.price_catalogue(uow, user)
            if (c.supplier, c.currency) in wanted]
