"""The annual report: a fiscal year's cross-servicing per partner, category and method.

Legislatures and ministries receive, each fiscal year, the support their nation received
under its agreements (**acquisitions**) and provided (**transfers**), per partner, category
of logistic support, supplies and services, and settlement method. What the report counts,
as it says on every copy (:data:`DEFINITION`):

- **Which year.** An order counts in the fiscal year of the reader's nation that contains
  its *acceptance date* — the date the supplying party's approving official accepted it —
  under that nation's fiscal year in the order's agreement profile (Japan April–March, the
  Philippines January–December, the United States October–September). It is the rule that
  places an order against an annual ceiling: :func:`acsa.domain.ceilings.fiscal_year_of`.
  Orders never accepted (submitted, rejected, withdrawn) do not count, nor does an order
  cancelled after acceptance before anything was delivered.
- **Direction.** An acquisition when the reader's nation requested the support, a transfer
  when it supplied it; the partner is the other party.
- **Method.** The reimbursement method agreed on the order (cash, replacement in kind, equal
  value exchange); an obligation in kind later converted to cash stays under replacement in
  kind.
- **Agreed value.** Per line, quantity × unit price of the version both parties signed (with
  any amendment both accepted), rounded half-even to the currency's minor unit, summed per
  category: the value of the support, not what has been settled. A line closed short keeps
  its agreed value; what was actually provided is the next figure.
- **Value delivered and acknowledged.** Per line, the quantity the requesting party
  acknowledged receiving (after any dispute's resolution) × its unit price, as recorded on
  the day the report is made (its "as of" date).
- **Money.** Amounts are integers in the minor unit of the order's currency, never
  converted: each currency is a section of its own and no total mixes currencies.
- **Counts.** A category row counts the orders with a line in that category; a total counts
  each order once, so it may be less than the sum of the rows above it.

Only orders the reader may read count (need to know): the service hands this module those
orders alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from acsa.domain.ceilings import CountedOrder
from acsa.domain.errors import N_, InvalidValue
from acsa.domain.money import Money, line_total
from acsa.domain.order import OrderTerms

ACQUISITION, TRANSFER = "acquisition", "transfer"
DIRECTIONS = (ACQUISITION, TRANSFER)
METHODS = ("cash", "rik", "eve")

# What a row is: one category, or a total over the rows above it.
DETAIL, METHOD_TOTAL, PARTNER_TOTAL, DIRECTION_TOTAL = (
    "detail", "method_total", "partner_total", "direction_total")
ROW_KINDS = (DETAIL, METHOD_TOTAL, PARTNER_TOTAL, DIRECTION_TOTAL)

YEAR_MIN, YEAR_MAX = 1990, 2999

# The definition printed on the report, one sentence a message.
DEFINITION: tuple[str, ...] = (
    N_("An order counts in the fiscal year of the reader's nation that contains its "
       "acceptance date (the date that also places it against an annual ceiling); orders "
       "never accepted, and orders cancelled before anything was delivered, do not count."),
    N_("Acquisitions are support the reader's nation requested and received; transfers are "
       "support it supplied. The method is the one agreed on the order."),
    N_("Agreed value: quantity times unit price of the version both parties signed, per "
       "line, summed per category; it is not what has been settled."),
    N_("Value delivered and acknowledged: the quantities the requesting party acknowledged "
       "receiving, at the unit price, as recorded on the report's date."),
    N_("Amounts are in the order's currency, never converted; each currency has its own "
       "section and totals. A category row counts the orders with a line in it; a total "
       "counts each order once."),
    N_("Only the orders the reader may read are counted."),
)


@dataclass(frozen=True)
class AnnualOrder:
    """An accepted order as the annual report counts it."""

    counted: CountedOrder  # the order as a ceiling counts it: terms and acceptance date
    fiscal_year: int  # of the reader's nation (ceilings.fiscal_year_of)
    cancelled: bool  # cancelled after acceptance, nothing delivered
    received: Mapping[int, Decimal] = field(default_factory=dict)  # line no → acknowledged


@dataclass(frozen=True)
class AnnualRow:
    """One row: a category's figures, or a total (``partner``, ``method``, ``category``
    None where the total runs over them)."""

    row: str  # DETAIL, METHOD_TOTAL, PARTNER_TOTAL or DIRECTION_TOTAL
    currency: str
    direction: str
    partner: str | None
    method: str | None
    category: str | None
    orders: int
    value: Money
    received: Money


def parse_fiscal_year(text: object) -> int:
    """A fiscal year as people write it: ``FY2026``, ``fy2026`` or ``2026``."""
    raw = str(text).strip().upper()
    digits = raw[2:] if raw.startswith("FY") else raw
    if not (digits.isdigit() and len(digits) == 4 and YEAR_MIN <= int(digits) <= YEAR_MAX):
        raise InvalidValue(N_("'%(value)s' is not a fiscal year: write it as FY2026 or 2026"),
                           field="fiscal_year", value=str(text)[:20])
    return int(digits)


def direction_of(terms: OrderTerms, party: str) -> str | None:
    """Whether ``party`` acquired (requested) or transferred (supplied) the order's support."""
    if terms.requester == party:
        return ACQUISITION
    if terms.supplier == party:
        return TRANSFER
    return None


def counts_in(order: AnnualOrder, party: str, year: int) -> bool:
    """Whether ``order`` counts in ``party``'s fiscal ``year``."""
    return (order.fiscal_year == year and not order.cancelled
            and direction_of(order.counted.terms, party) is not None)


@dataclass
class _Sum:
    orders: set[str] = field(default_factory=set)
    value: int = 0
    received: int = 0

    def add(self, other: _Sum) -> None:
        self.orders |= other.orders
        self.value += other.value
        self.received += other.received


Key = tuple[str, str, str, str, str]  # currency, direction, partner, method, category


def _details(orders: Iterable[AnnualOrder], party: str, year: int) -> dict[Key, _Sum]:
    sums: dict[Key, _Sum] = {}
    for order in orders:
        if not counts_in(order, party, year):
            continue
        terms = order.counted.terms
        direction = direction_of(terms, party)
        assert direction is not None  # counts_in checked it
        partner = terms.supplier if direction == ACQUISITION else terms.requester
        for line in terms.lines:
            key = (terms.currency, direction, partner, terms.method, line.category)
            s = sums.setdefault(key, _Sum())
            s.orders.add(order.counted.number)
            s.value += line.total(terms.currency).minor
            got = order.received.get(line.no, Decimal(0))
            s.received += line_total(got, line.unit_price, terms.currency).minor
    return sums


_LAST = "\uffff"  # sorts a total after the rows it sums
# A row's currency, direction, partner, method and category; None where a total runs over them.
Group = tuple[str, str, str | None, str | None, str | None]


def _sort_key(key: Group) -> tuple[str, int, str, int, str]:
    currency, direction, partner, method, category = key
    method_rank = METHODS.index(method) if method in METHODS else (
        len(METHODS) if method is not None else len(METHODS) + 1)
    return (currency, DIRECTIONS.index(direction), partner or _LAST, method_rank,
            category or _LAST)


def annual_rows(orders: Iterable[AnnualOrder], party: str, year: int) -> list[AnnualRow]:
    """The rows of ``party``'s fiscal ``year``: per currency, direction, partner, method and
    category, each method, partner and direction followed by its total."""
    details = _details(orders, party, year)
    grouped: dict[tuple[str, Group], _Sum] = {}
    for (cur, direction, partner, method, category), s in details.items():
        keys: tuple[tuple[str, Group], ...] = (
            (DETAIL, (cur, direction, partner, method, category)),
            (METHOD_TOTAL, (cur, direction, partner, method, None)),
            (PARTNER_TOTAL, (cur, direction, partner, None, None)),
            (DIRECTION_TOTAL, (cur, direction, None, None, None)),
        )
        for row, key in keys:
            grouped.setdefault((row, key), _Sum()).add(s)
    out = []
    for (row, group), total in sorted(grouped.items(), key=lambda kv: _sort_key(kv[0][1])):
        currency = group[0]
        out.append(AnnualRow(row, currency, *group[1:], len(total.orders),
                             Money(currency, total.value), Money(currency, total.received)))
    return out
