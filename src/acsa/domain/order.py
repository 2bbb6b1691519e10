"""Orders: the terms both parties sign, their required data elements and eligibility.

The *terms* of an order are what the ordering and approving officials sign:
the agreement, activity, the two parties and units, the settlement method,
the lines and where and when support is needed. Every required data element
must be present before an order can be submitted; the list is
:data:`REQUIRED_ELEMENTS`, plus a fund citation where the requesting party's
profile demands one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from acsa.domain.agreement import AgreementProfile
from acsa.domain.errors import (
    N_,
    DomainError,
    InvalidValue,
    MissingField,
    NotEligible,
    ProhibitedItem,
)
from acsa.domain.money import Money, decimal_text, line_total, minor_units, parse_decimal, sum_money

SETTLEMENT_METHODS = ("cash", "rik", "eve")
UNITS_OF_ISSUE = (
    "EA",
    "L",
    "KL",
    "GAL",
    "KG",
    "T",
    "BX",
    "PK",
    "CS",
    "DZ",
    "M",
    "M3",
    "NIGHT",
    "DAY",
    "HR",
    "KM",
    "TRIP",
    "PAX",
    "LOT",
    "SE",
)
_NSN = re.compile(r"([0-9]{4})-?([0-9]{2})-?([0-9]{3})-?([0-9]{4})")

# The data elements an order must carry before it can be signed, and where
# each sits in the terms. The audits' finding was that no sampled order
# carried all of them; here an order without them cannot be submitted.
REQUIRED_ELEMENTS: tuple[tuple[str, str], ...] = (
    ("agreement", "the agreement the order is placed under"),
    ("activity", "the exercise or operation it supports"),
    ("activity_type", "the type of that activity"),
    ("requester", "the requesting party"),
    ("supplier", "the supplying party"),
    ("requesting_unit", "the unit that asks and will receive"),
    ("method", "the reimbursement method: cash, rik or eve"),
    ("currency", "the currency of prices and invoices"),
    ("needed_by", "the date support is needed"),
    ("deliver_to", "where support is to be delivered or performed"),
    ("poc", "a point of contact for the requesting unit"),
    ("lines", "at least one line"),
)
LINE_ELEMENTS: tuple[tuple[str, str], ...] = (
    ("category", "the LSSS category"),
    ("description", "what is asked for"),
    ("quantity", "how much"),
    ("unit", "the unit of issue"),
    ("unit_price", "the unit price"),
)


@dataclass(frozen=True)
class OrderLine:
    no: int
    category: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    nsn: str | None = None

    def total(self, currency: str) -> Money:
        return line_total(self.quantity, self.unit_price, currency)

    @property
    def supply_class(self) -> str | None:
        return self.nsn[:4] if self.nsn else None

    def as_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "no": self.no,
            "category": self.category,
            "description": self.description,
            "quantity": decimal_text(self.quantity),
            "unit": self.unit,
            "unit_price": decimal_text(self.unit_price),
        }
        if self.nsn:
            out["nsn"] = self.nsn
        return out


@dataclass(frozen=True)
class OrderTerms:
    """What both parties sign."""

    agreement: str
    activity: str
    activity_type: str
    requester: str
    supplier: str
    requesting_unit: str
    method: str
    currency: str
    needed_by: date
    deliver_to: str
    poc: str
    lines: tuple[OrderLine, ...]
    supplying_unit: str | None = None
    fund_citation: str | None = None
    implementing_arrangement: str | None = None
    remarks: str = ""

    def value(self) -> Money:
        """The order's value: each line's total, summed (worked out once: terms never
        change)."""
        held: Money | None = self.__dict__.get("_value")
        if held is None:
            held = sum_money([line.total(self.currency) for line in self.lines], self.currency)
            object.__setattr__(self, "_value", held)
        return held

    def line(self, no: int) -> OrderLine:
        for line in self.lines:
            if line.no == no:
                return line
        raise InvalidValue(N_("the order has no line %(no)s"), field="lines", no=no)

    def as_data(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "agreement": self.agreement,
            "activity": self.activity,
            "activity_type": self.activity_type,
            "requester": self.requester,
            "supplier": self.supplier,
            "requesting_unit": self.requesting_unit,
            "method": self.method,
            "currency": self.currency,
            "needed_by": self.needed_by.isoformat(),
            "deliver_to": self.deliver_to,
            "poc": self.poc,
            "lines": [line.as_data() for line in self.lines],
            "remarks": self.remarks,
        }
        for key in ("supplying_unit", "fund_citation", "implementing_arrangement"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out


def normalize_nsn(text: str, *, field: str) -> str:
    """An NSN as 4-2-3-4 digits, e.g. ``9130-01-123-4567``."""
    match = _NSN.fullmatch(text.strip())
    if not match:
        raise InvalidValue(
            N_("'%(text)s' is not a 13-digit NATO Stock Number"),
            field=field, text=text,
        )
    return "-".join(match.groups())


def _absent(value: Any) -> bool:
    """Whether a data element counts as missing: none, an empty list, or blank text."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list) and not value


def missing_elements(data: Mapping[str, Any], fund_citation_required: bool) -> list[str]:
    """Every required data element absent from ``data``, by name (``lines[2].unit_price``).

    An element is absent when it is missing, ``None``, an empty list, or text
    that is empty or only whitespace.
    """
    missing = [key for key, _ in REQUIRED_ELEMENTS if _absent(data.get(key))]
    if fund_citation_required and _absent(data.get("fund_citation")):
        missing.append("fund_citation")
    lines = data.get("lines")
    if isinstance(lines, list):
        for i, line in enumerate(lines):
            if not isinstance(line, Mapping):
                missing.append(f"lines[{i}]")
                continue
            missing.extend(
                f"lines[{i}].{key}" for key, _ in LINE_ELEMENTS if _absent(line.get(key))
            )
    return missing


def _line(data: Mapping[str, Any], index: int) -> OrderLine:
    where = f"lines[{index}]"
    no = data.get("no", index + 1)
    if not isinstance(no, int) or isinstance(no, bool) or no < 1:
        raise InvalidValue(N_("line numbers are positive integers"), field=f"{where}.no")
    quantity = parse_decimal(data.get("quantity"), field=f"{where}.quantity")
    if quantity <= 0:
        raise InvalidValue(N_("must be more than zero"), field=f"{where}.quantity")
    unit = data.get("unit")
    if unit not in UNITS_OF_ISSUE:
        raise InvalidValue(
            N_("'%(unit)s' is not a unit of issue (%(units)s)"), field=f"{where}.unit",
            unit=unit, units=UNITS_OF_ISSUE,
        )
    nsn = data.get("nsn") or None
    if nsn is not None:
        if not isinstance(nsn, str):
            raise InvalidValue(N_("must be text"), field=f"{where}.nsn")
        nsn = normalize_nsn(nsn, field=f"{where}.nsn")
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        raise MissingField(N_("is required"), field=f"{where}.description")
    category = data.get("category")
    if not isinstance(category, str) or not category:
        raise MissingField(N_("is required"), field=f"{where}.category")
    return OrderLine(
        no=no,
        category=category,
        description=description.strip(),
        quantity=quantity,
        unit=unit,
        unit_price=parse_decimal(data.get("unit_price"), field=f"{where}.unit_price"),
        nsn=nsn,
    )


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise MissingField(N_("is required"), field=key)
    return value.strip()


def _optional_text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidValue(N_("must be text"), field=key)
    return value.strip() or None


def terms_problems(data: Mapping[str, Any], profile: AgreementProfile) -> list[DomainError]:
    """Every problem with ``data``'s terms that can be seen at once, each a refusal naming
    its field: each missing element, and the first problem of each line. A form shows them
    all, where :func:`terms_from_data` stops at the first."""
    missing = missing_elements(data, fund_citation_required=_fund_citation_required(data, profile))
    problems: list[DomainError] = [MissingField(N_("is required"), field=name)
                                   for name in missing]
    seen = set(missing)
    lines = data.get("lines")
    for i, line in enumerate(lines if isinstance(lines, list) else []):
        if not isinstance(line, Mapping):
            continue
        try:
            _line(line, i)
        except DomainError as exc:
            exc.field = exc.field or f"lines[{i}]"
            if exc.field not in seen:
                problems.append(exc)
    return problems


def terms_from_data(data: Mapping[str, Any], profile: AgreementProfile) -> OrderTerms:
    """Parse and check order terms; raises a :class:`DomainError` naming the field."""
    missing = missing_elements(
        data,
        fund_citation_required=_fund_citation_required(data, profile),
    )
    if missing:
        raise MissingField(
            N_("required data elements missing: %(missing)s"), field=missing[0], missing=missing
        )
    raw_lines = data.get("lines")
    if not isinstance(raw_lines, list):
        raise InvalidValue(N_("must be a list"), field="lines")
    lines = tuple(_line(line, i) for i, line in enumerate(raw_lines))
    numbers = [line.no for line in lines]
    if len(set(numbers)) != len(numbers):
        raise InvalidValue(N_("line numbers must be unique"), field="lines")
    currency = _text(data, "currency")
    minor_units(currency)
    method = _text(data, "method")
    if method not in SETTLEMENT_METHODS:
        raise InvalidValue(
            N_("'%(method)s' is not one of cash, rik, eve"),
            field="method", method=method,
        )
    try:
        needed_by = date.fromisoformat(_text(data, "needed_by"))
    except ValueError:
        raise InvalidValue(N_("must be a date (YYYY-MM-DD)"), field="needed_by") from None
    return OrderTerms(
        agreement=_text(data, "agreement"),
        activity=_text(data, "activity"),
        activity_type=_text(data, "activity_type"),
        requester=_text(data, "requester"),
        supplier=_text(data, "supplier"),
        requesting_unit=_text(data, "requesting_unit"),
        supplying_unit=_optional_text(data, "supplying_unit"),
        method=method,
        currency=currency,
        needed_by=needed_by,
        deliver_to=_text(data, "deliver_to"),
        poc=_text(data, "poc"),
        fund_citation=_optional_text(data, "fund_citation"),
        implementing_arrangement=_optional_text(data, "implementing_arrangement"),
        remarks=_optional_text(data, "remarks") or "",
        lines=lines,
    )


def _fund_citation_required(data: Mapping[str, Any], profile: AgreementProfile) -> bool:
    """Whether the requesting party's profile demands a fund citation.

    When the requester is missing (or not a party), a citation is required if
    every party of the profile requires one, whichever turns out to request.
    """
    requester = data.get("requester")
    if isinstance(requester, str) and requester in profile.party_codes:
        return profile.party(requester).fund_citation_required
    return all(p.fund_citation_required for p in profile.parties)


def check_eligibility(terms: OrderTerms, profile: AgreementProfile, on: date) -> None:
    """Raise unless the agreement allows these terms on ``on``.

    Checks, in order: the agreement and the two parties; the agreement in
    force; the activity type; each line's category (eligible, for this
    direction, for this activity type); each NSN's supply class; the
    settlement method (in kind only for supplies); the invoice currency.
    """
    if terms.agreement != profile.id:
        raise NotEligible(
            N_("the order names %(named)s, not %(agreement)s"),
            field="agreement", named=terms.agreement, agreement=profile.id,
        )
    for key, party in (("requester", terms.requester), ("supplier", terms.supplier)):
        if party not in profile.party_codes:
            raise NotEligible(
                N_("%(party)s is not a party to %(agreement)s"),
                field=key, party=party, agreement=profile.id,
            )
    if terms.requester == terms.supplier:
        raise NotEligible(N_("a party cannot supply itself"), field="supplier")
    if not profile.in_force(on):
        raise NotEligible(N_("%(agreement)s is not in force on %(date)s"), field="agreement",
                          agreement=profile.id, date=on)
    if terms.activity_type not in profile.activity_types:
        raise NotEligible(
            N_("%(activity_type)s is not an eligible activity type under %(agreement)s"),
            field="activity_type", activity_type=terms.activity_type, agreement=profile.id,
        )
    for i, line in enumerate(terms.lines):
        _check_line(f"lines[{i}]", line, terms, profile)
    if terms.method not in profile.settlement.methods:
        raise NotEligible(
            N_("%(method)s is not a settlement method of %(agreement)s"),
            field="method", method=terms.method, agreement=profile.id,
        )
    if terms.method == "rik":
        for i, line in enumerate(terms.lines):
            if profile.categories[line.category].kind != "supply":
                raise NotEligible(
                    N_("replacement in kind is for supplies only; %(name)s cannot be returned"),
                    field=f"lines[{i}].category", name=profile.categories[line.category].name,
                    category=line.category,
                )
    _check_method_per_category(terms, profile)
    expected = profile.invoice_currency(terms.supplier, terms.requester)
    if terms.currency != expected:
        raise NotEligible(
            N_("orders under %(agreement)s are priced in %(expected)s, not %(currency)s"),
            field="currency", agreement=profile.id, expected=expected, currency=terms.currency,
        )


def _check_method_per_category(terms: OrderTerms, profile: AgreementProfile) -> None:
    """Each line's category allows the order's method, where the profile says which methods
    each category allows (Japan's rule: supplies in kind or cash, services in cash or by an
    equal-value exchange). The refusal names the field ``method``."""
    if not profile.methods_per_category:
        return
    for line in terms.lines:
        allowed = profile.category_methods(line.category)
        if terms.method not in allowed:
            rule = profile.categories[line.category]
            raise NotEligible(
                N_("%(name)s may not be settled by %(method)s under %(agreement)s "
                   "%(version)s: only by %(allowed)s"),
                field="method", name=rule.name, category=line.category, method=terms.method,
                agreement=profile.id, version=profile.version,
                allowed=", ".join(m for m in SETTLEMENT_METHODS if m in allowed),
            )


def _check_line(where: str, line: OrderLine, terms: OrderTerms,
                profile: AgreementProfile) -> None:
    """One line's category (eligible, for this direction and activity type) and supply class.
    A refusal names the category by its code (``category``) beside the profile's name."""
    if line.category == "weapons":
        raise ProhibitedItem(N_("weapons are never supplied"), field=f"{where}.category")
    rule = profile.categories.get(line.category)
    if rule is None:
        raise NotEligible(
            N_("'%(category)s' is not an eligible category under %(agreement)s"),
            field=f"{where}.category", category=line.category, agreement=profile.id,
        )
    if terms.supplier not in rule.suppliers:
        raise NotEligible(
            N_("%(supplier)s may not supply %(name)s under %(agreement)s"),
            field=f"{where}.category", supplier=terms.supplier, name=rule.name,
            category=line.category, agreement=profile.id,
        )
    for party in (terms.supplier, terms.requester):
        if not rule.listed_for(party):
            raise NotEligible(
                N_("%(name)s is not on %(party)s's list of support under %(agreement)s "
                   "(listed by %(listed_by)s only)"),
                field=f"{where}.category", name=rule.name, category=line.category,
                party=party, agreement=profile.id, listed_by=", ".join(sorted(rule.listed_by)),
            )
    if rule.activity_types and terms.activity_type not in rule.activity_types:
        raise NotEligible(
            N_("%(name)s is not provided for %(activity_type)s"),
            field=f"{where}.category", name=rule.name, category=line.category,
            activity_type=terms.activity_type,
        )
    if line.supply_class and line.supply_class in profile.prohibited_supply_classes:
        raise ProhibitedItem(
            N_("supply class %(supply_class)s is prohibited under %(agreement)s"),
            field=f"{where}.nsn", supply_class=line.supply_class, agreement=profile.id,
        )


# What a proposal or an amendment may never change, once the order is submitted.
AMENDMENT_FIXED = (
    "agreement",
    "activity",
    "activity_type",
    "requester",
    "supplier",
    "requesting_unit",
    "supplying_unit",
    "method",
    "currency",
    "poc",
    "fund_citation",
    "implementing_arrangement",
)


def check_amendable(old: OrderTerms, new: OrderTerms) -> None:
    """Refuse a proposal or amendment that changes more than it may.

    Exactly these may change:

    - ``needed_by`` (the date support is needed);
    - ``deliver_to`` (the place it is delivered or performed);
    - ``remarks``;
    - each line's ``quantity`` and ``unit_price``;
    - lines may be added (each is checked for eligibility like any line).

    Everything else is fixed once submitted: the fields in
    :data:`AMENDMENT_FIXED` (agreement, activity and its type, both parties,
    the requesting and supplying units, method, currency, point of contact,
    fund citation, implementing arrangement); and every line stays, with its
    category, description, NSN and unit of issue. A line is never removed:
    close the order short, or amend its quantity, instead.
    """
    for key in AMENDMENT_FIXED:
        if getattr(old, key) != getattr(new, key):
            raise InvalidValue(N_("%(element)s cannot be changed once submitted"), field=key,
                               element=key)
    new_lines = {line.no: (i, line) for i, line in enumerate(new.lines)}
    for before in old.lines:
        if before.no not in new_lines:
            raise InvalidValue(
                N_("line %(no)s cannot be removed; amend its quantity or close the order short "
                   "instead"),
                field="lines", no=before.no,
            )
        i, line = new_lines[before.no]
        if (before.category, before.description, before.nsn, before.unit) != (
            line.category,
            line.description,
            line.nsn,
            line.unit,
        ):
            raise InvalidValue(
                N_("a line's category, description, NSN and unit of issue cannot change; add a "
                   "line instead"),
                field=f"lines[{i}]",
            )


def order_number(
    profile: AgreementProfile, numbering_party: str, on: date, sequence: int, *, emergency: bool
) -> str:
    """``JP-PH/PHL/FY2026/00042``; an emergency order ``JP-PH/JPN/FY2026/E00007``."""
    if sequence < 1:
        raise InvalidValue(N_("order sequences start at 1"), field="sequence")
    fiscal_year = profile.party(numbering_party).fiscal_year(on)
    mark = "E" if emergency else ""
    return f"{profile.short_id}/{numbering_party}/FY{fiscal_year}/{mark}{sequence:05d}"


__all__ = [
    "AMENDMENT_FIXED",
    "LINE_ELEMENTS",
    "REQUIRED_ELEMENTS",
    "DomainError",
    "OrderLine",
    "OrderTerms",
    "check_amendable",
    "check_eligibility",
    "missing_elements",
    "normalize_nsn",
    "order_number",
    "terms_from_data",
    "terms_problems",
]
