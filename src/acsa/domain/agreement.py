"""Agreement profiles: the rules that vary by agreement, loaded from versioned TOML.

A profile is data, never code: parties, dates, eligible activity types and
categories, prohibited supply classes, settlement periods, pricing, ceilings
and the classification equivalence. Loading validates every field and names
the file, the key and the problem. The *digest* is SHA-256 over the
canonical JSON of the parsed document, so reformatting the TOML leaves it
unchanged while any change of content changes it.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from acsa.domain.errors import N_, InvalidValue, ProfileInvalid
from acsa.domain.money import MINOR_UNITS, Money
from acsa.domain.parties import ActivityType
from acsa.domain.rules import PERMISSIONS, Action

PROFILE_FORMAT = 1

CATEGORY_KINDS = ("supply", "service")
SIGNING_MODES = ("node", "paper")
PRICING_DATES = ("order", "delivery")
INVOICE_BASES = ("received", "delivered")
SETTLEMENT_METHODS = ("cash", "rik", "eve")
CEILING_DIRECTIONS = ("liabilities", "credits")
# What a ceiling counts (``scope``): the orders of its own agreement, or every order between
# its party and partner under any agreement the node holds with that partner (10 U.S.C. 2347).
CEILING_SCOPES = ("agreement", "country")
# What a recorded rate may be used for, and so what a source may be official for
# (``[[exchange_rates.sources]] official_for``): counting ceilings, valuing an equal-value
# exchange, netting an offset statement.
RATE_USES = ("ceilings", "exchange", "offset")
# What a deadline is for, and what each may count from (``[[deadlines]]``).
DEADLINE_ORIGINS: Mapping[str, tuple[str, ...]] = {
    "receive": ("delivery",),  # acknowledge a delivery
    "invoice": ("delivery", "receipt"),  # invoice what is owed in cash
    "pay": ("delivery", "receipt", "invoice"),  # pay an invoice
    "settle": ("delivery", "receipt"),  # settle the support: paid, returned or exchanged
}
STATUSES = ("negotiating", "signed", "in_force", "terminated")
# The kinds of document an evidence file may be named as (``kind`` on an evidence
# reference) and an evidence policy may ask for.
DOCUMENT_KINDS = ("delivery-ticket", "goods-received-note", "service-record", "signed-form",
                  "photo", "other")
# Which steps an evidence policy (``[[evidence]]``) may ask a document of, and which steps it
# may hold back until then: settlement steps only, never a delivery or a receipt.
EVIDENCE_STEPS = ("deliver", "receive")
EVIDENCE_BEFORE = ("invoice", "pay")


@dataclass(frozen=True)
class Remittance:
    """Where a party is paid, printed on the invoices it issues (``[parties.remittance]``).

    Only ``payee`` is required; a profile whose values are not yet the real ones lists
    ``parties.remittance`` under ``placeholders``, and the invoice says so.
    """

    payee: str  # the account holder, or the paying office to remit to
    office: str | None = None  # the finance office that receives the payment
    bank: str | None = None  # bank name and branch
    account_number: str | None = None
    swift_bic: str | None = None
    instructions: str | None = None  # e.g. "quote the invoice number"


@dataclass(frozen=True)
class PartyProfile:
    code: str
    name: str
    force: str
    currency: str
    fiscal_year_start_month: int
    fiscal_year_label: str  # "start": FY named by the year it starts; "end": by the year it ends
    time_zone: str
    fund_citation_required: bool
    classification_levels: tuple[str, ...]  # highest first
    unclassified_marking: str
    signs: str  # "node" or "paper"
    remittance: Remittance | None = None  # where to pay this party's invoices, when set
    # The national law or list this party's categories of support come from
    # (``categories_source``), shown beside the categories; None: not given.
    categories_source: str | None = None

    def fiscal_year(self, on: date) -> int:
        """The fiscal year that ``on`` falls in, as this party names it."""
        start_year = on.year if on.month >= self.fiscal_year_start_month else on.year - 1
        if self.fiscal_year_start_month == 1 or self.fiscal_year_label == "start":
            return start_year
        return start_year + 1

    def fiscal_year_bounds(self, year: int) -> tuple[date, date]:
        """First and last day of fiscal ``year``."""
        start_year = year
        if self.fiscal_year_start_month != 1 and self.fiscal_year_label == "end":
            start_year = year - 1
        first = date(start_year, self.fiscal_year_start_month, 1)
        next_first = (
            date(start_year + 1, self.fiscal_year_start_month, 1)
            if self.fiscal_year_start_month != 1
            else date(start_year + 1, 1, 1)
        )
        return first, date.fromordinal(next_first.toordinal() - 1)


@dataclass(frozen=True)
class CategoryRule:
    code: str
    name: str
    kind: str  # "supply" or "service"
    tolerance: Decimal  # e.g. 0.10 for ±10 %
    suppliers: frozenset[str]  # parties that may supply it
    activity_types: frozenset[str]  # empty: every eligible activity type
    # The settlement methods allowed for it (``methods``); empty: its kind's, as
    # ``[settlement.methods_by_kind]`` says, else every method of the agreement.
    methods: frozenset[str] = frozenset()
    # The parties whose national list of support names it (``listed_by``): both the
    # supplier's and the requester's must, for an order of it. Absent: every party's.
    listed_by: frozenset[str] = frozenset()

    def listed_for(self, party: str) -> bool:
        return not self.listed_by or party in self.listed_by


@dataclass(frozen=True)
class SettlementPeriods:
    methods: frozenset[str]
    cash_payment_days: int
    rik_return_days: int
    eve_window_days: int
    emergency_confirmation_days: int
    # The article of the agreement a claim for reimbursement rests on, printed on claim
    # notices (``settlement.legal_basis_article``); None: not set in the profile.
    legal_basis_article: str | None = None
    # The methods allowed per kind of category (``[settlement.methods_by_kind]``);
    # None: every category may be settled by every method of the agreement.
    methods_by_kind: Mapping[str, frozenset[str]] | None = None
    # ``[settlement.exchange]``: an equal-value exchange links support of one category,
    # the same each way (``same_kind = "category"``) …
    exchange_same_category: bool = False
    # … and closes as a whole: no linked order is settled while any of them is not.
    exchange_closes_as_whole: bool = False


@dataclass(frozen=True)
class Pricing:
    basis: str
    pricing_date: str  # which date prices a delivery: "order" or "delivery"
    invoice_basis: str  # "received" or "delivered" quantity
    invoice_currency: str  # "supplier", "requester" or an ISO 4217 code
    write_off_limits: Mapping[str, int]  # currency -> minor units


@dataclass(frozen=True)
class SubCap:
    group: str
    categories: frozenset[str]
    cap: Money


@dataclass(frozen=True)
class Ceiling:
    party: str  # whose cap it is
    partner: str  # the partner country it is counted against
    direction: str  # "liabilities" (what party owes) or "credits" (what partner owes)
    currency: str
    annual_cap: Money
    sub_caps: tuple[SubCap, ...]
    counted_on: str  # the event that places an order in a year
    suspended: bool
    # "agreement": the orders of this agreement; "country": every order between party and
    # partner under every agreement the node holds with the partner.
    scope: str = "agreement"


@dataclass(frozen=True)
class RateSource:
    """An official source of exchange rates a party publishes (``[[exchange_rates.sources]]``).

    A recorded rate names one by ``id``, or none (a rate an officer worked out). For each use
    in ``official_for`` only rates from sources of that party listing the use are used.
    """

    id: str  # e.g. "treasury-reporting"
    party: str
    name: str  # in English
    name_ja: str
    publisher: str
    official_for: frozenset[str] = frozenset()  # uses of RATE_USES


@dataclass(frozen=True)
class SeparationOfDuties:
    """Which actions one person may not both take on one order (``[separation_of_duties]``).

    Each pair names two actions of the permission table (``submit``, ``receive`` …) that
    one side takes; a person who took one of them on an order may not take the other on
    that order. With ``waivers`` an approving official of a side may lift the rule for
    that side on one order (a small detachment), giving the reason.
    """

    pairs: tuple[tuple[str, str], ...]
    waivers: bool

    def combined(self, action: str, done: str) -> bool:
        """Whether one person may not take ``action`` after taking ``done``."""
        return any({action, done} == set(pair) for pair in self.pairs)


@dataclass(frozen=True)
class Deadline:
    """One deadline (``[[deadlines]]``): ``step`` done within ``days`` or ``months`` of the
    date it ``counts_from``, for orders of ``methods`` and lines of ``categories`` (empty:
    every one). Every deadline that applies counts; the earliest date governs."""

    step: str  # a key of DEADLINE_ORIGINS
    counts_from: str  # "delivery", "receipt" or "invoice"
    days: int = 0
    months: int = 0  # calendar months: 12 from 2026-02-10 is 2027-02-10
    methods: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()

    def applies(self, method: str, categories: Iterable[str]) -> bool:
        """Whether it binds an order of ``method`` for lines of any of ``categories``."""
        if self.methods and method not in self.methods:
            return False
        return not self.categories or any(c in self.categories for c in categories)


@dataclass(frozen=True)
class EvidenceRule:
    """One rule of the evidence policy (``[[evidence]]``): each ``step`` (a delivery or a
    receipt) of an order needs a ``document`` of that kind before its ``before`` step (an
    invoice, a payment) may be taken."""

    step: str  # one of EVIDENCE_STEPS
    document: str  # one of DOCUMENT_KINDS
    before: str  # one of EVIDENCE_BEFORE


@dataclass(frozen=True)
class ClassificationEquivalence:
    """Rows of equivalent levels, highest first; a party may have no equivalent."""

    rows: tuple[Mapping[str, str | None], ...]


@dataclass(frozen=True)
class AgreementProfile:
    id: str
    short_id: str
    title: str
    version: str
    status: str
    signed_on: date
    in_force_on: date | None
    terminated_on: date | None
    term_years: int
    renews_automatically: bool
    parties: tuple[PartyProfile, ...]
    activity_types: frozenset[str]
    categories: Mapping[str, CategoryRule]
    prohibited_supply_classes: frozenset[str]
    settlement: SettlementPeriods
    pricing: Pricing
    ceilings: tuple[Ceiling, ...]
    classification: ClassificationEquivalence
    placeholders: tuple[str, ...]
    digest: str
    # The parsed document the digest covers, as it travels in the adoption event.
    document: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # Absent from a profile that declares none: nothing is refused for combining duties.
    separation: SeparationOfDuties | None = None
    # Absent (None) from a profile without ``[[deadlines]]``: the settlement periods alone
    # date what is due, and a delivery not yet acknowledged is no due item.
    deadlines: tuple[Deadline, ...] | None = None
    # ``[implementing_arrangements] register = true``: an order's implementing arrangement
    # cites one in effect in the signed register. False (free text) when absent.
    arrangement_register: bool = False
    # Absent (empty) from a profile without ``[[evidence]]``: no step waits for a document.
    evidence: tuple[EvidenceRule, ...] = ()
    # Where each fact comes from (``[sources]``: a dotted key such as
    # ``settlement.cash_payment_days`` and the citation), for placeholders above all.
    sources: Mapping[str, str] = field(default_factory=dict)
    # The instrument by which the agreement entered into force (an exchange of notes),
    # set by the signed profile update that records the entry into force.
    in_force_reference: str | None = None
    # ``[[exchange_rates.sources]]``: the official rate sources; empty: every rate is an
    # officer's own and any may be used for anything.
    rate_sources: tuple[RateSource, ...] = ()

    def party(self, code: str) -> PartyProfile:
        for p in self.parties:
            if p.code == code:
                return p
        raise InvalidValue(N_("%(party)s is not a party to %(agreement)s"), field="party",
                           party=code, agreement=self.id)

    @cached_property
    def party_codes(self) -> tuple[str, ...]:
        # Worked out once: a fold asks for it several times for every event.
        return tuple(p.code for p in self.parties)

    def other_party(self, code: str) -> str:
        others = [p.code for p in self.parties if p.code != code]
        if code not in self.party_codes or len(others) != 1:
            raise InvalidValue(N_("%(party)s is not a party to %(agreement)s"),
                               field="party", party=code, agreement=self.id)
        return others[0]

    def in_force(self, on: date) -> bool:
        if self.status not in ("in_force", "terminated") or self.in_force_on is None:
            return False
        if on < self.in_force_on:
            return False
        return self.terminated_on is None or on < self.terminated_on

    def invoice_currency(self, supplier: str, requester: str) -> str:
        rule = self.pricing.invoice_currency
        if rule == "supplier":
            return self.party(supplier).currency
        if rule == "requester":
            return self.party(requester).currency
        return rule

    @property
    def methods_per_category(self) -> bool:
        """Whether the profile says which settlement methods each category allows."""
        return self.settlement.methods_by_kind is not None or any(
            c.methods for c in self.categories.values())

    def category_methods(self, category: str) -> frozenset[str]:
        """The settlement methods that may settle support of ``category``."""
        rule = self.categories.get(category)
        if rule is None:
            return frozenset()
        if rule.methods:
            return rule.methods
        by_kind = self.settlement.methods_by_kind
        if by_kind is not None and rule.kind in by_kind:
            return by_kind[rule.kind]
        return self.settlement.methods

    def rate_source(self, source: str) -> RateSource | None:
        """The official source ``source`` names, if this profile declares it."""
        return next((s for s in self.rate_sources if s.id == source), None)

    def official_sources(self, use: str, party: str) -> tuple[RateSource, ...]:
        """The sources ``party`` must take its rates from for ``use`` (one of RATE_USES);
        empty: any recorded rate may be used, an officer's own included."""
        return tuple(s for s in self.rate_sources if s.party == party and use in s.official_for)

    def tolerance(self, category: str) -> Decimal:
        rule = self.categories.get(category)
        return rule.tolerance if rule else Decimal(0)

    def write_off_limit(self, currency: str) -> Money:
        return Money(currency, self.pricing.write_off_limits.get(currency, 0))

    def equivalent_marking(self, level: str, from_party: str, to_party: str) -> str | None:
        """The ``to_party`` marking equivalent to ``from_party``'s ``level``, if any."""
        for row in self.classification.rows:
            if row.get(from_party) == level:
                return row.get(to_party)
        return None


def canonical_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a parsed document: sorted keys, no spaces.

    The documents hashed here hold strings, integers, booleans, lists and
    tables only (floats are refused on load), for which this serialisation
    is identical to RFC 8785.
    """
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_profile_text(text: str, source: str) -> AgreementProfile:
    """Parse and validate a profile; ``source`` names the file in every error."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileInvalid(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ProfileInvalid(f"{source}: nested more than {PROFILE_DEPTH_MAX} levels "
                             "deep") from None
    except ValueError:  # an integer of more digits than Python converts
        raise ProfileInvalid(f"{source}: not valid TOML: an integer of too many "
                             "digits") from None
    return profile_from_document(_plain(document, source, ""), source)


# A profile nests four tables deep; a document nested deeper is refused, not walked.
PROFILE_DEPTH_MAX = 16
# An adopted profile travels in an event, whose JSON carries integers up to 2^53 - 1.
PROFILE_INTEGER_MAX = 2**53 - 1


def _plain(value: Any, source: str, path: str, depth: int = 0) -> Any:
    """Turn TOML values into JSON-able ones: dates become ISO text, floats are refused,
    and so are text holding U+0000 and tables nested too deep."""
    if depth > PROFILE_DEPTH_MAX:
        raise ProfileInvalid(f"{source}: {path.rstrip('.')}: nested more than "
                             f"{PROFILE_DEPTH_MAX} levels deep", field=path.rstrip("."))
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not key.isascii() or "\x00" in key:
                raise ProfileInvalid(f"{source}: {path}{key!r}: keys must be ASCII, "
                                     "without U+0000")
            out[key] = _plain(item, source, f"{path}{key}.", depth + 1)
        return out
    where = path.rstrip(".")
    if isinstance(value, list):
        # The index goes into the path so an error names the very entry,
        # e.g. categories[4].tolerance rather than any category's.
        return [_plain(item, source, f"{where}[{i}].", depth + 1)
                for i, item in enumerate(value)]
    return _scalar(value, source, where)


def _scalar(value: Any, source: str, where: str) -> Any:
    """A TOML scalar as a JSON-able one, or a refusal naming ``where``."""
    if isinstance(value, str) and "\x00" in value:
        raise ProfileInvalid(f"{source}: {where}: text may not hold U+0000", field=where)
    if isinstance(value, int) and not isinstance(value, bool) and \
            abs(value) > PROFILE_INTEGER_MAX:
        raise ProfileInvalid(f"{source}: {where}: beyond ±{PROFILE_INTEGER_MAX}", field=where)
    if isinstance(value, float):
        raise ProfileInvalid(
            f"{source}: {where}: write decimals as strings (\"0.10\"), not floats", field=where
        )
    if isinstance(value, time):
        raise ProfileInvalid(f"{source}: {where}: a time of day is not a value here", field=where)
    if isinstance(value, date):
        return value.isoformat()
    return value


class _Reader:
    """Reads typed values out of a table, naming file and key in every error."""

    def __init__(
        self,
        source: str,
        table: Mapping[str, Any],
        path: str = "",
        readers: list[_Reader] | None = None,
    ) -> None:
        self.source = source
        self.table = table
        self.path = path
        # Every reader made from the root, and the keys each one read, so
        # that a key nobody reads (a misspelt ``activity_types`` would make
        # ammunition eligible everywhere) is refused instead of ignored.
        self.read: set[str] = set()
        self.readers = [] if readers is None else readers
        self.readers.append(self)

    def _child(self, table: Mapping[str, Any], path: str) -> _Reader:
        return _Reader(self.source, table, path, self.readers)

    def refuse_unread(self) -> None:
        """Raise on the first key of any table read from this root that nothing read."""
        for reader in self.readers:
            for key in reader.table:
                if key not in reader.read:
                    raise reader.fail(key, "unknown key (misspelt, or not in this format)")

    def fail(self, key: str, problem: str) -> ProfileInvalid:
        where = (self.path + key).rstrip(".")
        return ProfileInvalid(f"{self.source}: {where}: {problem}", field=where)

    def sub(self, key: str) -> _Reader:
        self.read.add(key)
        value = self.table.get(key)
        if not isinstance(value, dict):
            raise self.fail(key, "missing table" if value is None else "must be a table")
        return self._child(value, f"{self.path}{key}.")

    def tables(self, key: str, *, required: bool = True) -> list[_Reader]:
        self.read.add(key)
        value = self.table.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            problem = "missing array of tables" if value is None else "must be [[tables]]"
            raise self.fail(key, problem)
        return [self._child(v, f"{self.path}{key}[{i}].") for i, v in enumerate(value)]

    def _get(self, key: str, kind: type | tuple[type, ...], what: str, required: bool) -> Any:
        self.read.add(key)
        if key not in self.table:
            if required:
                raise self.fail(key, "missing")
            return None
        value = self.table[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(key, f"must be {what}, got {value!r}")
        return value

    def text(self, key: str, *, required: bool = True, choices: tuple[str, ...] = ()) -> str:
        value = self._get(key, str, "a string", required)
        if value is not None and not value.strip():
            raise self.fail(key, "must not be empty")
        if value is not None and choices and value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}, got {value!r}")
        return value  # type: ignore[no-any-return]

    def integer(self, key: str, *, minimum: int = 0, maximum: int | None = None) -> int:
        value: int = self._get(key, int, "an integer", True)
        if value < minimum or (maximum is not None and value > maximum):
            upper = f" and at most {maximum}" if maximum is not None else ""
            raise self.fail(key, f"must be at least {minimum}{upper}, got {value}")
        return value

    def boolean(self, key: str) -> bool:
        value: bool = self._get(key, bool, "true or false", True)
        return value

    def day(self, key: str, *, required: bool = True) -> date | None:
        value = self._get(key, str, "a date", required)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.fail(key, f"must be a date (YYYY-MM-DD), got {value!r}") from None

    def decimal(self, key: str, *, minimum: Decimal = Decimal(0)) -> Decimal:
        value = self._get(key, str, 'a decimal written as a string ("0.10")', True)
        try:
            number = Decimal(value)
        except ArithmeticError:
            raise self.fail(key, f"{value!r} is not a decimal number") from None
        if not number.is_finite() or number < minimum:
            raise self.fail(key, f"must be a number of at least {minimum}, got {value}")
        return number

    def strings(self, key: str, *, required: bool = True) -> list[str]:
        value = self._get(key, list, "a list of strings", required)
        if value is None:
            return []
        if not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "must be a list of non-empty strings")
        if len(set(value)) != len(value):
            raise self.fail(key, "must not repeat an entry")
        return list(value)

    def currency(self, key: str) -> str:
        value = self.text(key)
        if value not in MINOR_UNITS:
            raise self.fail(key, f"unknown ISO 4217 currency {value!r}")
        return value

    def money(self, key: str, currency: str) -> Money:
        text = self._get(key, str, 'an amount written as a string ("1000.00")', True)
        try:
            amount = Money.parse(text, currency, field=key)
        except InvalidValue as exc:
            raise self.fail(key, exc.message) from None
        if amount.minor < 0:
            raise self.fail(key, "must not be negative")
        return amount


def _party(r: _Reader) -> PartyProfile:
    code = r.text("code")
    if len(code) != 3 or not code.isascii() or not code.isalpha() or not code.isupper():
        raise r.fail("code", f"must be an ISO 3166 alpha-3 code, got {code!r}")
    zone = r.text("time_zone")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail("time_zone", f"unknown time zone {zone!r}") from None
    levels = r.strings("classification_levels")
    return PartyProfile(
        code=code,
        name=r.text("name"),
        force=r.text("force"),
        currency=r.currency("currency"),
        fiscal_year_start_month=r.integer("fiscal_year_start_month", minimum=1, maximum=12),
        fiscal_year_label=r.text("fiscal_year_label", choices=("start", "end")),
        time_zone=zone,
        fund_citation_required=r.boolean("fund_citation_required"),
        classification_levels=tuple(levels),
        unclassified_marking=r.text("unclassified_marking"),
        signs=r.text("signs", choices=SIGNING_MODES),
        remittance=_remittance(r),
        categories_source=r.text("categories_source", required=False),
    )


def _remittance(r: _Reader) -> Remittance | None:
    """The party's optional ``remittance`` table."""
    r.read.add("remittance")
    if r.table.get("remittance") is None:
        return None
    t = r.sub("remittance")
    return Remittance(
        payee=t.text("payee"),
        office=t.text("office", required=False),
        bank=t.text("bank", required=False),
        account_number=t.text("account_number", required=False),
        swift_bic=t.text("swift_bic", required=False),
        instructions=t.text("instructions", required=False),
    )


def _parties_named(r: _Reader, key: str, parties: tuple[str, ...], absent: str) -> list[str]:
    """An optional list of parties of this agreement. Absent means ``absent``; an empty list
    would read as "nobody" but act as the opposite, so it is refused."""
    if r.table.get(key) == []:
        raise r.fail(key, f"must not be empty (leave it out for {absent})")
    named = r.strings(key, required=False)
    for p in named:
        if p not in parties:
            raise r.fail(key, f"{p} is not a party to this agreement")
    return named


def _category(r: _Reader, parties: tuple[str, ...], activities: frozenset[str]) -> CategoryRule:
    suppliers = _parties_named(r, "suppliers", parties, "no restriction") or list(parties)
    if r.table.get("activity_types") == []:
        raise r.fail("activity_types", "must not be empty (leave it out for no restriction)")
    kinds = r.strings("activity_types", required=False)
    for k in kinds:
        if k not in activities:
            raise r.fail("activity_types", f"{k} is not an eligible activity type")
    tolerance = r.decimal("tolerance")
    if tolerance >= 1:
        raise r.fail("tolerance", f"must be below 1 (a fraction), got {tolerance}")
    if r.table.get("methods") == []:
        raise r.fail("methods", "must not be empty (leave it out for its kind's methods)")
    kind = r.text("kind", choices=CATEGORY_KINDS)
    listed_by = _parties_named(r, "listed_by", parties, "every party's list")
    return CategoryRule(
        code=r.text("code"),
        name=r.text("name"),
        kind=kind,
        tolerance=tolerance,
        suppliers=frozenset(suppliers),
        activity_types=frozenset(kinds),
        methods=frozenset(_kind_methods(r, "methods", kind)),
        listed_by=frozenset(listed_by),
    )


def _kind_methods(r: _Reader, key: str, kind: str) -> list[str]:
    """Settlement methods listed for one kind of support: known ones, in kind only for
    supplies (a billeting night cannot be returned)."""
    methods = r.strings(key, required=False)
    for m in methods:
        if m not in SETTLEMENT_METHODS:
            raise r.fail(key, f"unknown settlement method {m!r}")
        if m == "rik" and kind != "supply":
            raise r.fail(key, "replacement in kind is for supplies only")
    return methods


def _ceiling(r: _Reader, parties: tuple[str, ...], categories: Mapping[str, Any]) -> Ceiling:
    currency = r.currency("currency")
    sub_caps = []
    for s in r.tables("sub_caps", required=False):
        cats = s.strings("categories")
        for c in cats:
            if c not in categories:
                raise s.fail("categories", f"{c} is not a category of this agreement")
        sub_caps.append(SubCap(s.text("group"), frozenset(cats), s.money("cap", currency)))
    party, partner = r.text("party"), r.text("partner")
    for key, code in (("party", party), ("partner", partner)):
        if code not in parties:
            raise r.fail(key, f"{code} is not a party to this agreement")
    return Ceiling(
        party=party,
        partner=partner,
        direction=r.text("direction", choices=CEILING_DIRECTIONS),
        currency=currency,
        annual_cap=r.money("annual_cap", currency),
        sub_caps=tuple(sub_caps),
        counted_on=r.text("counted_on", choices=("acceptance",)),
        suspended=r.boolean("suspended"),
        scope=r.text("scope", required=False, choices=CEILING_SCOPES) or "agreement",
    )


def _rate_source(s: _Reader, parties: tuple[str, ...]) -> RateSource:
    party = s.text("party")
    if party not in parties:
        raise s.fail("party", f"{party} is not a party to this agreement")
    source = s.text("id")
    if not all(c.isascii() and (c.isalnum() or c in "-_.") for c in source) or len(source) > 40:
        raise s.fail("id", "use at most 40 letters, digits, '-', '_' or '.'")
    uses = s.strings("official_for", required=False)
    for use in uses:
        if use not in RATE_USES:
            raise s.fail("official_for", f"must name uses among {', '.join(RATE_USES)}, "
                         f"got {use!r}")
    return RateSource(id=source, party=party, name=s.text("name"), name_ja=s.text("name_ja"),
                      publisher=s.text("publisher"), official_for=frozenset(uses))


def _rate_sources(r: _Reader, parties: tuple[str, ...]) -> tuple[RateSource, ...]:
    """The optional ``[exchange_rates]`` table and its ``[[exchange_rates.sources]]``."""
    r.read.add("exchange_rates")
    if r.table.get("exchange_rates") is None:
        return ()
    t = r.sub("exchange_rates")
    sources: list[RateSource] = []
    for s in t.tables("sources"):
        source = _rate_source(s, parties)
        if any(known.id == source.id for known in sources):
            raise s.fail("id", f"source {source.id!r} defined twice")
        sources.append(source)
    if not sources:
        raise t.fail("sources", "names no source (leave the table out for none)")
    return tuple(sources)


def _parties(r: _Reader) -> tuple[PartyProfile, ...]:
    parties = tuple(_party(p) for p in r.tables("parties"))
    if len(parties) != 2 or parties[0].code == parties[1].code:
        raise r.fail("parties", "an agreement has exactly two different parties")
    return parties


def _eligible_activity_types(activity: _Reader) -> frozenset[str]:
    activity_types = activity.strings("eligible")
    known = {t.value for t in ActivityType}
    for t in activity_types:
        if t not in known:
            raise activity.fail("eligible", f"unknown activity type {t!r}")
    return frozenset(activity_types)


def _categories(r: _Reader, parties: tuple[str, ...],
                eligible: frozenset[str]) -> dict[str, CategoryRule]:
    categories: dict[str, CategoryRule] = {}
    for c in r.tables("categories"):
        rule = _category(c, parties, eligible)
        if rule.code in categories:
            raise c.fail("code", f"category {rule.code!r} defined twice")
        categories[rule.code] = rule
    if "weapons" in categories:
        raise r.fail("categories", "weapons are never supplied under a cross-servicing agreement")
    return categories


def _prohibited_supply_classes(r: _Reader) -> list[str]:
    prohibited = r.strings("prohibited_supply_classes")
    for cls in prohibited:
        if len(cls) != 4 or not cls.isdigit():
            raise r.fail("prohibited_supply_classes", f"{cls!r} is not a 4-digit supply class")
    return prohibited


def _settlement(s: _Reader) -> SettlementPeriods:
    methods = s.strings("methods")
    for m in methods:
        if m not in SETTLEMENT_METHODS:
            raise s.fail("methods", f"unknown settlement method {m!r}")
    same_category, as_whole = _exchange_rules(s)
    return SettlementPeriods(
        methods=frozenset(methods),
        cash_payment_days=s.integer("cash_payment_days", minimum=1),
        rik_return_days=s.integer("rik_return_days", minimum=1),
        eve_window_days=s.integer("eve_window_days", minimum=1),
        emergency_confirmation_days=s.integer("emergency_confirmation_days", minimum=1),
        legal_basis_article=s.text("legal_basis_article", required=False),
        methods_by_kind=_methods_by_kind(s, frozenset(methods)),
        exchange_same_category=same_category,
        exchange_closes_as_whole=as_whole,
    )


def _methods_by_kind(s: _Reader, methods: frozenset[str]) -> dict[str, frozenset[str]] | None:
    """The optional ``[settlement.methods_by_kind]``: the methods each kind of category
    allows (a kind left out: every method of the agreement)."""
    s.read.add("methods_by_kind")
    if s.table.get("methods_by_kind") is None:
        return None
    t = s.sub("methods_by_kind")
    out: dict[str, frozenset[str]] = {}
    for kind in CATEGORY_KINDS:
        if t.table.get(kind) == []:
            raise t.fail(kind, "must not be empty (leave it out for every method)")
        listed = _kind_methods(t, kind, kind)
        for m in listed:
            if m not in methods:
                raise t.fail(kind, f"{m!r} is not a settlement method of this agreement")
        if listed:
            out[kind] = frozenset(listed)
    if not out:
        raise s.fail("methods_by_kind", "names no kind (leave the table out for no rule)")
    return out


def _exchange_rules(s: _Reader) -> tuple[bool, bool]:
    """The optional ``[settlement.exchange]``: what an equal-value exchange links
    (``same_kind = "category"``) and whether it closes as a whole."""
    s.read.add("exchange")
    if s.table.get("exchange") is None:
        return False, False
    t = s.sub("exchange")
    same = t.text("same_kind", required=False, choices=("category",))
    return same == "category", t.boolean("closes_as_whole")


def _pricing(p: _Reader) -> Pricing:
    invoice_currency = p.text("invoice_currency")
    if invoice_currency not in ("supplier", "requester") and invoice_currency not in MINOR_UNITS:
        raise p.fail("invoice_currency", "must be supplier, requester or an ISO 4217 code")
    limits_reader = p.sub("write_off_limits")
    limits = {}
    for cur in limits_reader.table:
        if cur not in MINOR_UNITS:
            raise limits_reader.fail(cur, "unknown ISO 4217 currency")
        limits[cur] = limits_reader.money(cur, cur).minor
    return Pricing(
        basis=p.text("basis", choices=("reciprocal",)),
        pricing_date=p.text("pricing_date", choices=PRICING_DATES),
        invoice_basis=p.text("invoice_basis", choices=INVOICE_BASES),
        invoice_currency=invoice_currency,
        write_off_limits=limits,
    )


def _equivalence_row(row: _Reader, parties: tuple[PartyProfile, ...]) -> dict[str, str | None]:
    codes = tuple(p.code for p in parties)
    entry: dict[str, str | None] = {}
    for key in row.table:
        if key not in codes:
            raise row.fail(key, f"{key} is not a party to this agreement")
        row.read.add(key)
    for party in parties:
        level = row.table.get(party.code)
        if level is not None and level not in party.classification_levels:
            raise row.fail(party.code, f"{level!r} is not one of {party.code}'s levels")
        if level is not None and not isinstance(level, str):
            raise row.fail(party.code, "must be a string")
        entry[party.code] = level
    if all(v is None for v in entry.values()):
        raise row.fail("", "an equivalence row names at least one level")
    return entry


def _classification(cl: _Reader, parties: tuple[PartyProfile, ...]) -> ClassificationEquivalence:
    return ClassificationEquivalence(
        tuple(_equivalence_row(row, parties) for row in cl.tables("equivalence")))


def _separation(r: _Reader) -> SeparationOfDuties | None:
    """The optional ``[separation_of_duties]`` table: pairs of actions of one side."""
    r.read.add("separation_of_duties")
    if r.table.get("separation_of_duties") is None:
        return None
    s = r.sub("separation_of_duties")
    value = s._get("incompatible", list, "a list of pairs of actions", True)
    known = {a.value for a in Action}
    pairs: list[tuple[str, str]] = []
    for pair in value:
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(a, str) for a in pair) and pair[0] != pair[1]):
            raise s.fail("incompatible", f"{pair!r} is not a pair of two different actions")
        for a in pair:
            if a not in known:
                raise s.fail("incompatible", f"unknown action {a!r}")
        sides = [{p.side for p in PERMISSIONS if p.action.value == a} for a in pair]
        if not sides[0] & sides[1]:
            raise s.fail("incompatible", f"{pair[0]} and {pair[1]} are never taken by one "
                          "side, so never by one person")
        if {*pair} in [{*p} for p in pairs]:
            raise s.fail("incompatible", f"{pair!r} is listed twice")
        pairs.append((pair[0], pair[1]))
    if not pairs:
        raise s.fail("incompatible", "names no pair (leave the table out for no rule)")
    return SeparationOfDuties(pairs=tuple(pairs), waivers=s.boolean("waivers"))


def _deadline(d: _Reader, methods: frozenset[str], categories: Mapping[str, Any]) -> Deadline:
    step = d.text("step", choices=tuple(DEADLINE_ORIGINS))
    counts_from = d.text("from", choices=DEADLINE_ORIGINS[step])
    if ("days" in d.table) == ("months" in d.table):
        raise d.fail("days", "give either days or months")
    period = "days" if "days" in d.table else "months"
    length = d.integer(period, minimum=1, maximum=36500 if period == "days" else 1200)
    for key in ("methods", "categories"):
        if d.table.get(key) == []:
            raise d.fail(key, "must not be empty (leave it out for every one)")
    chosen = d.strings("methods", required=False)
    for m in chosen:
        if m not in methods:
            raise d.fail("methods", f"{m!r} is not a settlement method of this agreement")
    codes = d.strings("categories", required=False)
    for c in codes:
        if c not in categories:
            raise d.fail("categories", f"{c} is not a category of this agreement")
    return Deadline(step, counts_from, days=length if period == "days" else 0,
                    months=length if period == "months" else 0,
                    methods=frozenset(chosen), categories=frozenset(codes))


def _deadlines(r: _Reader, methods: frozenset[str],
               categories: Mapping[str, Any]) -> tuple[Deadline, ...] | None:
    """The optional ``[[deadlines]]``: what must be done by when, counted from what."""
    if r.table.get("deadlines") is None:
        r.read.add("deadlines")
        return None
    rules = tuple(_deadline(d, methods, categories) for d in r.tables("deadlines"))
    if not rules:
        raise r.fail("deadlines", "names no deadline (leave it out for none)")
    return rules


def _arrangement_register(r: _Reader) -> bool:
    """The optional ``[implementing_arrangements]`` table: whether orders cite the register."""
    r.read.add("implementing_arrangements")
    if r.table.get("implementing_arrangements") is None:
        return False
    return r.sub("implementing_arrangements").boolean("register")


def _evidence(r: _Reader) -> tuple[EvidenceRule, ...]:
    """The optional ``[[evidence]]``: which step needs which document before which later one."""
    if r.table.get("evidence") is None:
        r.read.add("evidence")
        return ()
    rules: list[EvidenceRule] = []
    for e in r.tables("evidence"):
        rule = EvidenceRule(step=e.text("step", choices=EVIDENCE_STEPS),
                            document=e.text("document", choices=DOCUMENT_KINDS),
                            before=e.text("before", choices=EVIDENCE_BEFORE))
        if rule in rules:
            raise e.fail("step", "the same rule is listed twice")
        rules.append(rule)
    if not rules:
        raise r.fail("evidence", "names no rule (leave it out for none)")
    return tuple(rules)


def _status_and_dates(r: _Reader) -> tuple[str, date | None, date | None, date | None]:
    """The agreement's status and its signing, entry-into-force and termination dates."""
    status = r.text("status", choices=STATUSES)
    signed_on = r.day("signed_on")
    in_force_on = r.day("in_force_on", required=False)
    terminated_on = r.day("terminated_on", required=False)
    if status in ("in_force", "terminated") and in_force_on is None:
        raise r.fail("in_force_on", f"an agreement with status {status} needs this date")
    if in_force_on and signed_on and in_force_on < signed_on:
        raise r.fail("in_force_on", "cannot be before signed_on")
    if status == "terminated" and terminated_on is None:
        raise r.fail("terminated_on", "a terminated agreement needs this date")
    if terminated_on and in_force_on and terminated_on < in_force_on:
        raise r.fail("terminated_on", "cannot be before in_force_on")
    return status, signed_on, in_force_on, terminated_on


def _sources(r: _Reader) -> dict[str, str]:
    """``[sources]``: a citation per fact, each a non-empty string."""
    r.read.add("sources")
    if r.table.get("sources") is None:
        return {}
    t = r.sub("sources")
    return {key: t.text(key) for key in sorted(t.table)}


def profile_from_document(document: Mapping[str, Any], source: str) -> AgreementProfile:
    """Validate a parsed profile document (dates already ISO text)."""
    r = _Reader(source, document)
    if r.integer("format", minimum=1) != PROFILE_FORMAT:
        raise r.fail("format", f"this release reads profile format {PROFILE_FORMAT}")
    parties = _parties(r)
    codes = tuple(p.code for p in parties)
    eligible = _eligible_activity_types(r.sub("activities"))
    categories = _categories(r, codes, eligible)
    prohibited = _prohibited_supply_classes(r)
    settlement = _settlement(r.sub("settlement"))
    pricing = _pricing(r.sub("pricing"))
    ceilings = tuple(_ceiling(c, codes, categories) for c in r.tables("ceilings", required=False))
    classification = _classification(r.sub("classification"), parties)
    status, signed_on, in_force_on, terminated_on = _status_and_dates(r)
    placeholders = r.strings("placeholders", required=False)
    separation = _separation(r)
    deadlines = _deadlines(r, settlement.methods, categories)
    for i, rule in enumerate(categories.values()):
        for m in sorted(rule.methods - settlement.methods):
            raise r.fail(f"categories[{i}].methods",
                         f"{m!r} is not a settlement method of this agreement")
    evidence = _evidence(r)
    rate_sources = _rate_sources(r, codes)
    profile = AgreementProfile(
        id=r.text("id"),
        short_id=r.text("short_id"),
        title=r.text("title"),
        version=r.text("version"),
        status=status,
        signed_on=signed_on or date.min,
        in_force_on=in_force_on,
        terminated_on=terminated_on,
        term_years=r.integer("term_years", minimum=1),
        renews_automatically=r.boolean("renews_automatically"),
        parties=parties,
        activity_types=eligible,
        categories=categories,
        prohibited_supply_classes=frozenset(prohibited),
        settlement=settlement,
        pricing=pricing,
        ceilings=ceilings,
        classification=classification,
        placeholders=tuple(placeholders),
        digest=canonical_digest(document),
        document=document,
        separation=separation,
        deadlines=deadlines,
        arrangement_register=_arrangement_register(r),
        evidence=evidence,
        sources=_sources(r),
        in_force_reference=r.text("in_force_reference", required=False),
        rate_sources=rate_sources,
    )
    r.refuse_unread()
    return profile
