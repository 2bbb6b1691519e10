"""Which inputs each order action's form shows, and turning a posted form into its body.

The bodies are the API's own request schemas and the calls its own action
table (:data:`acsa.web.api.orders.ACTIONS`): a page and a script doing the
same act run exactly the same code and the same checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import Field, ValidationError

from acsa.domain.agreement import DOCUMENT_KINDS
from acsa.domain.errors import DomainError
from acsa.services import settlement
from acsa.web.api import schemas as S
from acsa.web.api.orders import ACTIONS, ActionRoute
from acsa.web.ui.pages import FormErrors, environment, filled_rows


class ConfirmPaymentBody(S.PaymentConfirm):
    payment: str = Field(min_length=1, max_length=120)


class SignExchangeBody(S.Dated):
    exchange: str = Field(min_length=1, max_length=120)


def _rates(rates: list[S.Rate]) -> list[tuple[str, str, str]] | None:
    return [(r.base, r.quote, r.rate) for r in rates] or None


# Payments are acts over several orders in the API (``/payments``); on an order's page
# they are offered for that order's invoices.
PAGE_ACTIONS = (
    ActionRoute("pay", S.PaymentCreate, lambda u, who, n, b, p: settlement.record_payment(
        u, who, [(a.order, a.invoice, a.amount) for a in b.allocations],
        reference=b.reference, on=b.on), "Pay invoices of this order"),
    ActionRoute("confirm-payment", ConfirmPaymentBody,
                lambda u, who, n, b, p: settlement.confirm_payment(
                    u, who, b.payment, [(a.order, a.invoice, a.amount) for a in b.received],
                    on=b.on), "Confirm that a payment arrived"),
    ActionRoute("link-exchange", S.ExchangeCreate,
                lambda u, who, n, b, p: settlement.link_exchange(
                    u, who, b.orders, currency=b.currency, rates=_rates(b.rates), on=b.on),
                "Link this order with others in an equal-value exchange"),
    ActionRoute("sign-exchange", SignExchangeBody,
                lambda u, who, n, b, p: settlement.sign_exchange(u, who, b.exchange, on=b.on),
                "Sign the other side's exchange and its valuation"),
)
ACTION_ROUTES: dict[str, ActionRoute] = {a.name: a for a in (*ACTIONS, *PAGE_ACTIONS)}

# The inputs of each action's form, in order. Per-line inputs are named
# "<list>.<i>.<field>" so that one row per order line can be shown.
FIELDS: dict[str, tuple[str, ...]] = {
    "accept": ("supplying_unit", "on"),
    "reject": ("reason", "on"),
    "propose": ("quantities", "prices", "needed_by", "reason", "on"),
    "confirm": ("on",),
    "withdraw": ("reason", "on"),
    "confirm-emergency": ("on",),
    "deliver": ("lines", "evidence", "note", "on"),
    "receive": ("delivery", "received", "evidence", "note", "on"),
    "invoice": ("bill", "replaces", "on"),
    "void-invoice": ("invoice", "reason", "on"),
    "credit-note": ("invoice", "amount", "reason", "on"),
    "write-off": ("invoice", "amount", "reason", "on"),
    "return-in-kind": ("lines", "description", "evidence", "on"),
    "accept-return": ("return", "accept", "reason", "on"),
    "convert-to-cash": ("prices", "on"),
    "amend": ("quantities", "prices", "needed_by", "reason", "on"),
    "close-short": ("reason", "on"),
    "cancel": ("reason", "on"),
    "respond": ("request", "accept", "on"),
    "dispute": ("about", "reason", "on"),
    "resolve": ("dispute", "resolution", "proposal", "on"),
    "transfer-request": ("to", "lines", "reason", "on"),
    "transfer-consent": ("request", "consent", "on"),
    "transfer": ("request", "on"),
    "pay": ("allocations", "reference", "on"),
    "confirm-payment": ("payment", "on"),
    "link-exchange": ("exchange_orders", "currency", "on"),
    "sign-exchange": ("exchange", "on"),
    "waive-duties": ("reason", "on"),
    "attach-evidence": ("step", "kind", "evidence", "on"),
}

# Actions that change what is owed or end the order: the button is styled as such.
WEIGHTY = frozenset({"reject", "withdraw", "cancel", "void-invoice", "write-off", "close-short",
                     "waive-duties"})

# Actions that leave the order's main road: offered after the others.
LAST = ("dispute", "close-short", "cancel", "reject", "withdraw", "waive-duties",
        "attach-evidence")


def open_to_pay(order: Any, invoice: Any) -> Decimal:
    """What is still to pay on ``invoice``: its outstanding amount less the payments on
    their way to it (recorded, not yet confirmed as arrived)."""
    names = {invoice.id, invoice.number, str(invoice.position)}
    on_the_way = sum((Decimal(p.amount) for p in order.payments
                      if p.invoice in names and p.confirmed_on is None), Decimal(0))
    return Decimal(invoice.outstanding) - on_the_way


environment.globals["open_to_pay"] = open_to_pay


def _owed_in_kind(order: Any) -> bool:
    return order.terms.method == "rik" and Decimal(order.figures.in_kind or "0") > 0


def _pending(order: Any, side: str, billable: bool) -> dict[str, bool]:
    """What on the order waits for an answer or an act, seen from ``side``."""
    live = [i for i in order.invoices if i.live]
    short = {p.invoice for p in order.payments if p.confirmed_on is not None}
    return {
        "invoice": billable,
        "convert-to-cash": _owed_in_kind(order),
        "return-in-kind": _owed_in_kind(order),
        "respond": any(c.answer is None and c.side != side for c in order.changes),
        "transfer-consent": any(t.answer is None for t in order.transfers),
        "transfer": any(t.answer == "consented" and t.done_on is None for t in order.transfers),
        "accept-return": any(r.answer is None for r in order.returns),
        "resolve": any(d.open for d in order.disputes),
        "confirm-payment": any(p.confirmed_on is None for p in order.payments),
        "void-invoice": bool(live),
        "credit-note": bool(live),
        "write-off": any(Decimal(i.outstanding) > 0 and short & {i.id, i.number}
                         for i in live),
        "pay": any(open_to_pay(order, i) > 0 for i in live),
        "receive": any(not d.receipt for d in order.deliveries),
        "link-exchange": order.terms.method == "eve" and not order.exchanges,
        "sign-exchange": any(x.signed_on is None and x.proposed_by != side
                             for x in order.exchanges),
        "waive-duties": _waivable(order, side),
        "attach-evidence": bool(step_options(order, side)),
    }


def step_options(order: Any, side: str) -> list[tuple[str, str]]:
    """The steps ``side`` took on the order that it may attach documents to: the supplier's
    deliveries, the requester's receipts (``delivery:N``, ``receipt:N``)."""
    if side == "supplier":
        return [(f"delivery:{d.position}", f"{d.position} — {d.on or ''}")
                for d in order.deliveries]
    return [(f"receipt:{i}", f"{i} — {r.on or ''}") for i, r in enumerate(order.receipts, 1)]


environment.globals["step_options"] = step_options
environment.globals["document_kinds"] = DOCUMENT_KINDS
# What the files a step's form attaches are, unless the officer says otherwise: the
# documents an evidence policy asks of that step.
EVIDENCE_KIND_DEFAULT = {"deliver": "delivery-ticket", "receive": "goods-received-note",
                         "return-in-kind": ""}
environment.globals["evidence_kind_default"] = EVIDENCE_KIND_DEFAULT


def _waivable(order: Any, side: str) -> bool:
    """Whether the order's profile lets a side waive its separation of duties and ``side``
    has not yet."""
    duties = order.separation_of_duties
    return bool(duties and duties.waivers_allowed
                and not any(w.side == side for w in duties.waivers))


def form_actions(allowed: list[str], order: Any, side: str, *, billable: bool = False
                 ) -> list[str]:
    """The actions of ``allowed`` (by the permission table and the user's appointments)
    that have a form here and something to act on: an answer is offered only while a
    request waits for one, a payment only while an invoice is open and no payment is on
    its way for it, an invoice only while something is ``billable``, a conversion to cash
    only while something is owed in kind. Disputes, cancellations and refusals come last."""
    pending = _pending(order, side, billable)
    offered = [a for a in allowed if a in FIELDS and pending.get(a, True)]
    return sorted(offered, key=lambda a: a in LAST)


# Inputs a row carries hidden (which line, order or invoice it is about): a row with
# nothing else in it was left blank.
HIDDEN_ROW_KEYS = frozenset({"line", "order", "invoice"})


def _rename(action: str, out: dict[str, Any]) -> None:
    """Inputs named otherwise on a form than in the body: the step a document is attached
    to is ``step`` there (``to`` names a third party on the transfer form)."""
    if action == "attach-evidence" and "step" in out:
        out["to"] = out.pop("step")


def body_data(action: str, data: dict[str, Any]) -> dict[str, Any]:
    """The action's request body from the nested form data of :func:`pages.nested`.

    Per-line rows carry their line number in a hidden input: a row whose
    other inputs are all blank was not filled in and is dropped.
    """
    fields = FIELDS[action]
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name in ("head", "action"):
            continue
        if name == "received":
            name = "lines"
        if isinstance(value, list):
            value = [row for row in value
                     if not (isinstance(row, dict) and set(row) <= HIDDEN_ROW_KEYS)]
            if not value:
                continue  # no row filled in: the field is left out (and required ones say so)
        out[name] = value
    for key in ("accept", "consent"):
        if key in out and key in fields:
            out[key] = out[key] == "true"
    _rename(action, out)
    if "bill" in out:  # the invoice form's choice: "kind:reference"
        kind, _, reference = str(out.pop("bill")).partition(":")
        out["kind"] = kind
        if reference:
            out["reference"] = reference
    return out


def form_rows(action: str, form: Mapping[str, str]) -> dict[str, list[int]]:
    """Per list of the body, the form rows that were filled in (see ``pages.form_field``)."""
    return {"lines": filled_rows(form, "received" if action == "receive" else "lines"),
            "quantities": filled_rows(form, "quantities"), "prices": filled_rows(form, "prices")}


def form_inputs(action: str) -> set[str]:
    """The keys a refusal of ``action`` may name that its form shows an input for."""
    inputs = {"lines" if name == "received" else name for name in FIELDS[action]}
    if "bill" in inputs:
        inputs |= {"kind", "reference"}
    if "exchange_orders" in inputs:
        inputs.add("orders")
    return inputs | {"marking.level", "marking.caveats"}


def form_errors(action: str, form: Mapping[str, str],
                exc: DomainError | ValidationError, locale: str | None = None) -> FormErrors:
    """A refusal of an action's form, each problem named by the input it concerns; one
    about the act itself (the user's appointment, the order's status) above the form."""
    rows = form_rows(action, form)
    found = (FormErrors.of_validation(exc, rows, locale) if isinstance(exc, ValidationError)
             else FormErrors.of_domain(exc, rows, locale, form_inputs(action)))
    if action == "receive":
        found.fields = {("received" + k[5:] if k.startswith("lines.") else k): v
                        for k, v in found.fields.items()}
    if action == "invoice":
        found.fields = {("bill" if k in ("kind", "reference") else k): v
                        for k, v in found.fields.items()}
    if action == "attach-evidence":
        found.fields = {("step" if k == "to" else k): v for k, v in found.fields.items()}
    return found
