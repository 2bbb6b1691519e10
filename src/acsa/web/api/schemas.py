"""What the REST API reads and writes: Pydantic schema families, never table classes.

Families follow one naming: ``XCreate`` (a request that makes one),
``XPublic`` (one, as shown), ``XsPublic`` (a list: ``data`` and ``count``).

**Money** is never a JSON number: every amount is a decimal string in major
units (``"1525.50"``), and the object carrying it names the currency —
an order's amounts are all in the order's ``currency``. Quantities and unit
prices are decimal strings too. Dates are ISO dates; recording times are UTC
instants like ``2026-02-03T03:00:00.000Z``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

Decimal = str  # a decimal written as a string, e.g. "10000" or "152.50"
Amount = str  # major units of the currency named beside it, e.g. "1525000.00"
LIST_ITEMS_MAX = 200
TEXT_MAX = 2000


def _iso_day(value: Any) -> Any:
    """A date as the API documents it (``format: date``): ``YYYY-MM-DD``, nothing else.

    Pydantic alone would also take a count of seconds (``0`` is 1970-01-01) or a
    date-time; a request that does not say a day in the documented form is refused."""
    if isinstance(value, date) or (isinstance(value, str) and _DAY.fullmatch(value)):
        return value
    raise ValueError("must be a date written YYYY-MM-DD")


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
Day = Annotated[date, BeforeValidator(_iso_day)]


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    if isinstance(value, list):
        for item in value:
            _no_nul(item)
    return value


class In(BaseModel):
    """A request body: unknown fields are refused, so a typo is not silently ignored, and
    no text may hold a NUL character (PostgreSQL cannot store one, and no form needs it)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _text_without_nul(cls, value: Any) -> Any:
        return _no_nul(value)


# -- reference data -------------------------------------------------------------------------------


class PartyPublic(Schema):
    code: str
    name: str
    force: str
    currency: str
    time_zone: str
    signs: str  # "node" or "paper"


class AgreementPublic(Schema):
    id: str
    short_id: str
    title: str
    version: str
    digest: str
    status: str
    parties: list[PartyPublic]
    activity_types: list[str]
    categories: list[str]
    in_force_on: date | None = Field(None, description="The day it entered into force.")
    in_force_reference: str | None = Field(
        None, description="The instrument that brought it into force.")
    adopted_by: list[str] = Field(
        default_factory=list, description="The parties that adopted this version: orders "
        "under it are accepted once every party that runs a node has.")


class EntryIntoForce(Schema):
    on: date = Field(description="The day the agreement enters into force.")
    reference: str = Field(min_length=1, max_length=300,
                           description="The instrument, e.g. the exchange of notes.")
    version: str | None = Field(None, min_length=1, max_length=20,
                                description="The in-force version's label; default: the "
                                "signed version's label + the date.")


class AgreementsPublic(Schema):
    data: list[AgreementPublic]
    count: int


class ActivityPublic(Schema):
    id: str
    agreement: str
    name: str
    type: str
    starts_on: date
    ends_on: date | None
    registered_by: str


class ActivitiesPublic(Schema):
    data: list[ActivityPublic]
    count: int


class UnitPublic(Schema):
    id: str
    party: str
    name: str
    parent: str | None


class UnitsPublic(Schema):
    data: list[UnitPublic]
    count: int


class AppointmentPublic(Schema):
    agreement: str
    role: str
    units: list[str]
    valid_from: date
    valid_to: date | None
    in_force: bool


class MePublic(Schema):
    id: str
    name: str
    party: str
    roles: list[str]
    units: list[str]
    activities: list[str]
    clearance: str | None
    locale: str
    time_zone: str
    appointments: list[AppointmentPublic]
    authenticated_by: Literal["session", "token"]
    scopes: list[str]
    csrf_token: str | None = Field(
        None, description="Send as X-CSRF-Token with every change made under the session cookie.")


class PasswordChange(In):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


# -- tokens and the access log --------------------------------------------------------------------


class TokenCreate(In):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[Literal["read", "act", "admin"]] = Field(default=["read"], min_length=1,
                                                          max_length=3)


class TokenPublic(Schema):
    id: int
    user_id: str
    name: str
    scopes: list[str]
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


class TokensPublic(Schema):
    data: list[TokenPublic]
    count: int


class TokenCreated(Schema):
    token: TokenPublic
    secret: str = Field(description="Shown once: send as `Authorization: Bearer <secret>`.")


class AccessEntryPublic(Schema):
    id: int
    at: str
    user_id: str
    action: str
    target: str
    address: str


class AccessLogPublic(Schema):
    data: list[AccessEntryPublic]
    count: int
    next: int | None = Field(None, description="Pass as `after` for the next page.")


# -- orders: requests -----------------------------------------------------------------------------


class OrderLineCreate(In):
    no: int | None = Field(None, ge=1, le=9999)
    category: str = Field(max_length=40)
    description: str = Field(max_length=TEXT_MAX)
    nsn: str | None = Field(None, max_length=20)
    quantity: Decimal = Field(max_length=40)
    unit: str = Field(max_length=10)
    unit_price: Decimal = Field(max_length=40)


Caveat = Annotated[str, Field(min_length=1, max_length=40)]


class MarkingCreate(In):
    """How the record is classified, in the acting party's own scheme. It is released to
    every party of the agreement; a level the scheme does not have is refused
    (field ``marking.level``, with the levels allowed)."""

    level: str = Field(min_length=1, max_length=40,
                       description="A level of your party's scheme, e.g. SECRET or 極秘.")
    caveats: list[Caveat] = Field(default=[], max_length=10,
                                  description="Handling words, e.g. NOFORN.")

    def data(self) -> dict[str, Any]:
        return self.model_dump(exclude_defaults=True) | {"level": self.level}


class OrderCreate(In):
    """An order's terms. Every field is checked by the agreement's rules on submission;
    a draft (``?draft=true``) may leave any of them out."""

    agreement: str = Field(max_length=40)
    activity: str | None = Field(None, max_length=80)
    activity_type: str | None = Field(None, max_length=40)
    supplier: str | None = Field(None, max_length=3)
    requesting_unit: str | None = Field(None, max_length=80)
    supplying_unit: str | None = Field(None, max_length=80)
    method: Literal["cash", "rik", "eve"] | None = None
    currency: str | None = Field(None, max_length=3)
    needed_by: Day | None = None
    deliver_to: str | None = Field(None, max_length=TEXT_MAX)
    poc: str | None = Field(None, max_length=TEXT_MAX)
    fund_citation: str | None = Field(None, max_length=200)
    implementing_arrangement: str | None = Field(None, max_length=200)
    remarks: str | None = Field(None, max_length=TEXT_MAX)
    lines: list[OrderLineCreate] = Field(default=[], max_length=LIST_ITEMS_MAX)
    note: str = Field("", max_length=TEXT_MAX,
                      description="Internal note on a draft: never leaves this node.")
    on: Day | None = Field(None, description="Business date (default: today where you are).")
    marking: MarkingCreate | None = Field(
        None, description="Classify the order (default: unclassified); a draft keeps it.")

    def marking_data(self) -> dict[str, Any] | None:
        return self.marking.data() if self.marking else None

    def terms(self) -> dict[str, Any]:
        data = self.model_dump(exclude={"note", "on", "marking"}, exclude_none=True,
                               mode="json")
        data["lines"] = [
            {**line, "no": line.get("no") or i + 1} for i, line in enumerate(data["lines"])
        ]
        return data


class EmergencyCreate(OrderCreate):
    """An oral or radio request, recorded at once by the supplier."""

    requester: str = Field(max_length=3)
    requested_by: str = Field(max_length=TEXT_MAX, description="Who asked, and how.")

    def terms(self) -> dict[str, Any]:
        data = super().terms()
        data.pop("requested_by", None)
        return data


class Dated(In):
    on: Day | None = Field(None, description="Business date (default: today where you are).")


class Reasoned(Dated):
    reason: str = Field(min_length=1, max_length=TEXT_MAX)


class AcceptBody(Dated):
    supplying_unit: str | None = Field(None, max_length=80)


class LineQuantity(In):
    line: int = Field(ge=1, le=9999)
    quantity: Decimal = Field(max_length=40)


class LinePrice(In):
    line: int = Field(ge=1, le=9999)
    unit_price: Decimal = Field(max_length=40)


class ReceivedLine(In):
    line: int = Field(ge=1, le=9999)
    quantity: Decimal = Field(max_length=40)
    damaged: Decimal = Field("0", max_length=40)


DocumentKind = Literal["delivery-ticket", "goods-received-note", "service-record",
                      "signed-form", "photo", "other"]


class EvidenceRef(In):
    """A file already uploaded (``POST /evidence``), fixed by its hash in the signed record."""

    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    name: str = Field(max_length=200)
    media_type: str = Field(max_length=100)
    size: int = Field(ge=0, le=2**40)
    kind: DocumentKind | None = Field(
        None, description="What document it is; an agreement's evidence policy may ask a "
        "step for one kind (a delivery ticket before the invoice).")


class AttachBody(Dated):
    """Documents for a delivery or receipt already recorded, all of one kind."""

    to: str = Field(min_length=1, max_length=80, description="The step: a delivery's "
                    "position, delivery:N, receipt:N or a prefix of its event's hash.")
    kind: DocumentKind
    evidence: list[EvidenceRef] = Field(default=[], max_length=50, description="Files "
                                        "uploaded with POST /evidence (at least one).")


class TermChanges(In):
    """What a proposal or an amendment changes; nothing else of the terms can change."""

    quantities: list[LineQuantity] = Field(default=[], max_length=LIST_ITEMS_MAX)
    prices: list[LinePrice] = Field(default=[], max_length=LIST_ITEMS_MAX)
    needed_by: Day | None = None
    deliver_to: str | None = Field(None, max_length=TEXT_MAX)
    remarks: str | None = Field(None, max_length=TEXT_MAX)
    add_lines: list[OrderLineCreate] = Field(default=[], max_length=LIST_ITEMS_MAX)


class ProposeBody(TermChanges, Reasoned):
    pass


class AmendBody(TermChanges, Reasoned):
    pass


class DeliverBody(Dated):
    lines: list[LineQuantity] = Field(min_length=1, max_length=LIST_ITEMS_MAX)
    evidence: list[EvidenceRef] = Field(default=[], max_length=50)
    note: str = Field("", max_length=TEXT_MAX)
    marking: MarkingCreate | None = Field(
        None, description="Classify the delivery (its note, its evidence) above its order.")

    def marking_data(self) -> dict[str, Any] | None:
        return self.marking.data() if self.marking else None


class ReceiveBody(Dated):
    delivery: str = Field(min_length=1, max_length=64,
                          description="The delivery's position on the order or a hash prefix.")
    lines: list[ReceivedLine] | None = Field(
        None, max_length=LIST_ITEMS_MAX, description="Leave out to receive it all in good order.")
    evidence: list[EvidenceRef] = Field(default=[], max_length=50)
    note: str = Field("", max_length=TEXT_MAX)


class InvoiceBody(Dated):
    kind: Literal["goods", "conversion", "residual", "difference"] = "goods"
    reference: str | None = Field(None, max_length=64)
    replaces: str | None = Field(None, max_length=64,
                                 description="The voided invoice this one reissues.")


class InvoiceRefBody(Reasoned):
    invoice: str = Field(min_length=1, max_length=64,
                         description="Invoice number, position on the order, or hash prefix.")


class InvoiceAmountBody(InvoiceRefBody):
    amount: Amount = Field(max_length=40, description="Major units of the order's currency.")


class ReturnBody(Dated):
    lines: list[LineQuantity] = Field(min_length=1, max_length=LIST_ITEMS_MAX)
    description: str = Field(min_length=1, max_length=TEXT_MAX)
    evidence: list[EvidenceRef] = Field(default=[], max_length=50)


class AnswerReturnBody(Dated):
    return_: str | None = Field(None, alias="return", max_length=64)
    accept: bool = True
    reason: str = Field("", max_length=TEXT_MAX)


class ConvertBody(Dated):
    prices: list[LinePrice] = Field(default=[], max_length=LIST_ITEMS_MAX)


class RespondBody(Dated):
    request: str | None = Field(None, max_length=64,
                                description="The request's position or hash prefix; "
                                "leave out when only one is pending.")
    accept: bool


class DisputeBody(Reasoned):
    about: str | None = Field(None, max_length=80,
                              description="delivery:REF, invoice:REF or an invoice number.")


class Adjustment(In):
    delivery: str = Field(max_length=64)
    line: int = Field(ge=1, le=9999)
    quantity: Decimal = Field(max_length=40)


class ResolveBody(Dated):
    """Propose a resolution (give ``resolution``), or sign the other side's (leave it out)."""

    dispute: str | None = Field(None, max_length=64)
    resolution: str | None = Field(None, min_length=1, max_length=TEXT_MAX)
    adjustments: list[Adjustment] = Field(default=[], max_length=LIST_ITEMS_MAX)
    proposal: str | None = Field(None, max_length=64)


class TransferRequestBody(Reasoned):
    to: str = Field(max_length=3, description="The third party (ISO 3166 alpha-3).")
    lines: list[LineQuantity] = Field(min_length=1, max_length=LIST_ITEMS_MAX)


class TransferConsentBody(Dated):
    request: str | None = Field(None, max_length=64)
    consent: bool


class TransferBody(Dated):
    request: str | None = Field(None, max_length=64)


# -- multi-order acts -----------------------------------------------------------------------------


class Allocation(In):
    order: str = Field(max_length=120)
    invoice: str = Field(max_length=64)
    amount: Amount = Field(max_length=40)


class PaymentCreate(Dated):
    allocations: list[Allocation] = Field(min_length=1, max_length=LIST_ITEMS_MAX)
    reference: str = Field(min_length=1, max_length=200)


class PaymentConfirm(Dated):
    received: list[Allocation] = Field(
        default=[], max_length=LIST_ITEMS_MAX,
        description="What arrived per invoice; leave out when everything arrived in full.")


class Rate(In):
    base: str = Field(max_length=3)
    quote: str = Field(max_length=3)
    rate: Decimal = Field(max_length=40, description="One base buys this much quote.")


class ExchangeCreate(Dated):
    orders: list[str] = Field(min_length=2, max_length=LIST_ITEMS_MAX)
    currency: str = Field(max_length=3)
    rates: list[Rate] = Field(default=[], max_length=20)


class InvoiceRef(In):
    order: str = Field(max_length=120)
    invoice: str = Field(max_length=64)


class OffsetCreate(Dated):
    invoices: list[InvoiceRef] = Field(min_length=2, max_length=LIST_ITEMS_MAX)
    currency: str = Field(max_length=3)
    rates: list[Rate] = Field(default=[], max_length=20)


class OffsetInvoicePublic(Schema):
    """One invoice an offset statement nets, and how much of it."""

    order: str
    invoice: str = Field(description="The hash of the event that issued the invoice.")
    invoice_number: str
    debtor: str = Field(description="The party that owes the invoice.")
    currency: str = Field(description="The invoice's currency, of `amount`.")
    amount: Amount
    valued: Amount | None = Field(None, description="`amount` in the statement's currency.")


class OffsetPublic(Schema):
    """An offset statement: proposed (one signature), signed (both: in effect) or
    ineffective (ruled so when it arrived)."""

    subject: str = Field(description="Its number, e.g. OFS/PHL/00001.")
    hash: str
    proposed_by: str
    on: date | None = Field(description="The date as of which it nets.")
    currency: str
    net: Amount = Field(description="What is netted each way, in `currency`.")
    state: Literal["proposed", "signed", "ineffective"]
    signed_by: str | None
    signed_on: date | None
    orders: list[OffsetInvoicePublic]


class OffsetsPublic(Schema):
    data: list[OffsetPublic]
    count: int


class OffsetPreviewPublic(Schema):
    """What a proposal would sign, neither signed nor numbered yet."""

    currency: str
    net: Amount
    rates: list[Rate]
    orders: list[OffsetInvoicePublic]


class ActPublic(Schema):
    """A recorded multi-order act: payment, exchange or offset."""

    event: str
    type: str
    subject: str
    seq: int
    at: str
    orders: list[str]


# -- orders: responses ----------------------------------------------------------------------------


class SchemePublic(Schema):
    party: str
    level: str | None = Field(description="The party's equivalent level; null when its "
                              "scheme has none.")
    protect_as: str = Field(description="The level of its own scheme the party protects "
                            "it at.")


class MarkingPublic(Schema):
    """How a record is protected: a level of the originator's scheme, the parties it is
    released to, caveats, and ``display``, both parties' markings side by side (the
    originator's first, e.g. ``SECRET / 極秘``)."""

    level: str
    originator: str
    rel: list[str]
    caveats: list[str]
    display: str
    schemes: list[SchemePublic] = Field(description="Each party's term, the originator's "
                                        "first.")


class OrderSummaryPublic(Schema):
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
    value: Amount
    status: str
    version: int
    emergency: bool
    submitted_on: date | None
    accepted_on: date | None
    needed_by: date | None
    head: str = Field(description="The order's ETag (without quotes).")
    ineffective: int
    marking: MarkingPublic


class OrdersPublic(Schema):
    data: list[OrderSummaryPublic]
    count: int = Field(description="Every order the filters match.")
    next: str | None = Field(None, description="Pass as `after` for the next page.")


class LinePublic(Schema):
    no: int
    category: str
    description: str
    nsn: str | None = None
    quantity: Decimal
    unit: str
    unit_price: Decimal


class TermsPublic(Schema):
    agreement: str
    activity: str
    activity_type: str
    requester: str
    supplier: str
    requesting_unit: str
    supplying_unit: str | None = None
    method: str
    currency: str
    needed_by: date
    deliver_to: str
    poc: str
    fund_citation: str | None = None
    implementing_arrangement: str | None = None
    remarks: str = ""
    lines: list[LinePublic]


class SubmittedPublic(Schema):
    on: date | None
    by: str


class ProposalPublic(Schema):
    id: str
    on: date | None
    reason: str
    terms: TermsPublic


class AcceptedPublic(Schema):
    id: str
    on: date | None
    supplying_unit: str | None


class RejectedPublic(Schema):
    on: date | None
    reason: str


class EmergencyPublic(Schema):
    due_on: date | None
    confirmed_on: date | None


class LineFigures(Schema):
    line: int
    ordered: Decimal
    delivered: Decimal
    received: Decimal
    owed_in_kind: Decimal


class FiguresPublic(Schema):
    currency: str
    value: Amount
    commitment: Amount
    receivable: Amount
    in_kind: Amount
    invoiced: Amount
    settled: Amount
    written_off: Amount
    outstanding: Amount
    in_kind_due_on: date | None
    lines: list[LineFigures]


class EvidenceStored(Schema):
    """A file as ``POST /evidence`` kept it: what a step's ``evidence`` cites (with a ``kind``
    where the step's document is of one)."""

    sha256: str
    name: str
    media_type: str
    size: int


class EvidencePublic(EvidenceStored):
    kind: str | None = Field(None, description="What document it is (delivery-ticket …); "
                             "absent when not named.")


class PricedQuantity(Schema):
    line: int
    quantity: Decimal
    unit_price: Decimal


class DeliveryPublic(Schema):
    position: int
    id: str
    on: date | None
    note: str
    lines: list[PricedQuantity]
    evidence: list[EvidencePublic]
    receipt: str | None


class ReceiptLinePublic(Schema):
    line: int
    quantity: Decimal
    damaged: Decimal


class ReceiptPublic(Schema):
    id: str
    delivery: str
    on: date | None
    note: str
    lines: list[ReceiptLinePublic]
    evidence: list[EvidencePublic]


class InvoiceLinePublic(Schema):
    delivery: str
    line: int
    quantity: Decimal
    unit_price: Decimal
    amount: Amount


class InvoicePublic(Schema):
    position: int
    id: str
    number: str
    kind: str
    on: date | None
    due_on: date | None
    total: Amount
    outstanding: Amount
    credited: Amount
    paid: Amount
    written_off: Amount
    offset: Amount
    moved: Amount
    live: bool
    voided_on: date | None
    reference: str | None
    replaces: str | None
    lines: list[InvoiceLinePublic]


class PaymentPartPublic(Schema):
    payment: str
    invoice: str
    amount: Amount
    on: date | None
    reference: str
    received: Amount | None
    confirmed_on: date | None


class QuantityPublic(Schema):
    line: int
    quantity: Decimal


class ReturnPublic(Schema):
    position: int
    id: str
    on: date | None
    description: str
    lines: list[QuantityPublic]
    answer: str | None
    answered_on: date | None
    evidence: list[EvidencePublic]


class ConversionLinePublic(Schema):
    line: int
    quantity: Decimal
    unit_price: Decimal
    amount: Amount


class ConversionPublic(Schema):
    position: int
    id: str
    on: date | None
    amount: Amount
    in_kind_value: Amount
    lines: list[ConversionLinePublic]


class ExchangePartPublic(Schema):
    exchange: str
    proposed_by: str
    proposed_on: date | None
    value: Amount
    to_cash: Amount
    signed_on: date | None


class OffsetPartPublic(Schema):
    offset: str
    invoice: str
    amount: Amount
    proposed_by: str
    as_of: date | None
    signed_on: date | None


class ChangePublic(Schema):
    position: int
    id: str
    kind: str
    side: str
    on: date | None
    reason: str
    terms: TermsPublic | None
    answer: str | None
    answered_on: date | None
    from_withdrawal: bool


class AdjustmentPublic(Schema):
    delivery: str
    line: int
    quantity: Decimal


class ResolutionPublic(Schema):
    position: int
    id: str
    side: str
    on: date | None
    resolution: str
    adjustments: list[AdjustmentPublic]


class DisputePublic(Schema):
    position: int
    id: str
    side: str
    on: date | None
    reason: str
    about: str | None
    open: bool
    resolved_by: str | None
    resolved_on: date | None
    proposals: list[ResolutionPublic]


class TransferPublic(Schema):
    position: int
    id: str
    to: str
    on: date | None
    reason: str
    lines: list[QuantityPublic]
    answer: str | None
    answered_on: date | None
    done_on: date | None


class WaiverPublic(Schema):
    side: str = Field(description="requester or supplier: the side whose rule it lifts.")
    party: str
    on: date | None
    reason: str
    by: str = Field(description="The approving official who signed it (user id).")
    name: str
    event: str


class SeparationPublic(Schema):
    incompatible: list[list[str]] = Field(
        description="Pairs of actions one person may not both take on this order.")
    waivers_allowed: bool
    waivers: list[WaiverPublic] = Field(
        description="Each side's waiver for this order (a small detachment).")


class ActorPublic(Schema):
    user: str
    name: str
    role: str
    party: str
    unit: str | None
    paper: bool


class VerdictPublic(Schema):
    effective: bool
    code: str
    reason: str
    note: str


class TimelineEntry(Schema):
    """One signed event on the order: who, in which role and unit, when, with which key."""

    hash: str
    type: str
    subject: str
    at: str
    on: str | None
    seq: int
    stream: str
    parent: str | None
    origin: str
    actor: ActorPublic
    signer: str
    key: str = Field(description="Fingerprint of the node key that signed the event.")
    verdict: VerdictPublic
    marking: MarkingPublic | None = Field(description="The event's own marking (null if "
                                          "the agreement cannot read it).")


class OrderPublic(Schema):
    """One order: its terms, status, figures, every part, the signed timeline, and the
    actions the requesting user may take now. All amounts are in ``currency``."""

    number: str
    agreement: str
    profile: str
    status: str
    version: int
    emergency: bool
    head: str | None = Field(description="The order's ETag (without quotes).")
    currency: str
    terms: TermsPublic
    submitted: SubmittedPublic
    proposal: ProposalPublic | None
    accepted: AcceptedPublic | None
    rejected: RejectedPublic | None
    withdrawn_on: date | None
    cancelled_on: date | None
    closed_short_on: date | None
    emergency_confirmation: EmergencyPublic | None
    marking: MarkingPublic = Field(description="What the order is protected by: the "
                                   "strongest of its events' markings.")
    figures: FiguresPublic
    deliveries: list[DeliveryPublic]
    receipts: list[ReceiptPublic]
    invoices: list[InvoicePublic]
    payments: list[PaymentPartPublic]
    returns: list[ReturnPublic]
    conversions: list[ConversionPublic]
    exchanges: list[ExchangePartPublic]
    offsets: list[OffsetPartPublic]
    changes: list[ChangePublic]
    disputes: list[DisputePublic]
    transfers: list[TransferPublic]
    separation_of_duties: SeparationPublic | None = Field(
        None, description="The separation of duties the order's profile declares (none "
        "under a profile without it), and its waivers.")
    timeline: list[TimelineEntry]
    actions: list[str] = Field(description="What you may do now, by the permission table "
                               "and your appointments (multi-order acts included).")


class DraftPublic(Schema):
    id: int
    agreement: str
    created_by: str
    terms: dict[str, Any]
    note: str
    created_at: str
    updated_at: str
    submitted_as: str | None


class DraftsPublic(Schema):
    data: list[DraftPublic]
    count: int


# -- reports --------------------------------------------------------------------------------------


class BalancePublic(Schema):
    debtor: str
    creditor: str
    currency: str
    accounts: dict[str, Amount]
    outstanding: Amount


class TaskPublic(Schema):
    task: str = Field(description="The task's code: `GET /orders?todo=` takes it.")
    label: str = Field(description="What the task is called, in the caller's language.")
    count: int = Field(description="Orders on which it is the caller's turn to do it: "
                                   "exactly those `GET /orders?todo=` lists.")
    overdue: int = Field(description="Of them, past the agreed date.")


class WorklistPublic(Schema):
    data: list[TaskPublic]
    emergencies_awaiting_partner: int = Field(
        description="Emergency orders of the caller's nation the partner has yet to "
                    "confirm in writing (`GET /orders?todo=emergency&partner=true`).")


class BalancesPublic(Schema):
    data: list[BalancePublic]
    count: int
    marking: MarkingPublic | None = Field(None, description=(
        "The strongest marking of the orders the report includes, for its banner; "
        "absent when all are unclassified."))


class AgingRowPublic(Schema):
    order: str
    kind: str
    reference: str
    debtor: str
    creditor: str
    due_on: date | None
    days: int
    bucket: str
    currency: str | None
    amount: Amount | None


class AgingSummaryPublic(Schema):
    debtor: str
    creditor: str
    currency: str
    buckets: dict[str, Amount]


class AgingPublic(Schema):
    data: list[AgingRowPublic]
    count: int
    marking: MarkingPublic | None = Field(None, description=(
        "The strongest marking of the orders the report includes, for its banner; "
        "absent when all are unclassified."))
    summary: list[AgingSummaryPublic]


class ObligationPublic(Schema):
    order: str
    line: int
    item: str
    unit: str
    owed: Decimal
    due_on: date | None
    debtor: str
    creditor: str


class ObligationsPublic(Schema):
    data: list[ObligationPublic]
    count: int
    marking: MarkingPublic | None = Field(None, description=(
        "The strongest marking of the orders the report includes, for its banner; "
        "absent when all are unclassified."))


class MissingEvidenceRowPublic(Schema):
    order: str
    status: str
    step: str = Field(description="The step that lacks its document: deliver or receive.")
    step_on: date
    event: str = Field(description="The event that recorded the step: attach the document "
                       "to it (POST /orders/{number}/attach-evidence).")
    document: str = Field(description="The kind of document missing.")
    before: str = Field(description="The settlement step it holds back: invoice or pay.")
    party: str = Field(description="The party that took the step and attaches the document.")
    agreement: str
    version: str = Field(description="The profile version the order is judged under.")


class MissingEvidencePublic(Schema):
    data: list[MissingEvidenceRowPublic]
    count: int
    marking: MarkingPublic | None = Field(None, description=(
        "The strongest marking of the orders the report names; absent when all are "
        "unclassified."))


class SubCapPublic(Schema):
    group: str
    cap: Amount
    used: Amount


class CeilingPublic(Schema):
    agreement: str
    party: str
    partner: str
    direction: str
    fiscal_year: int
    currency: str
    cap: Amount
    used: Amount
    suspended: bool
    sub_caps: list[SubCapPublic]
    scope: str = Field(description="`agreement`: the orders of this agreement count; "
                                   "`country`: those of every agreement with the partner.")
    agreements: list[str] = Field(description="The agreements whose orders count.")
    missing_rate: str | None = Field(None, description=(
        "Why nothing could be counted: no rate the profile allows (e.g. no official one)."))


class CeilingsPublic(Schema):
    data: list[CeilingPublic]
    count: int
    marking: MarkingPublic | None = Field(None, description=(
        "The strongest marking of the orders the report includes, for its banner; "
        "absent when all are unclassified."))


class ActivityTotalPublic(Schema):
    agreement: str
    activity: str
    activity_type: str
    currency: str
    orders: int
    value: Amount
    by_status: dict[str, int]


class ActivityTotalsPublic(Schema):
    data: list[ActivityTotalPublic]
    count: int
    marking: MarkingPublic | None = Field(None, description=(
        "The strongest marking of the orders the report includes, for its banner; "
        "absent when all are unclassified."))


class FindingPublic(Schema):
    kind: str
    where: str
    message: str


class VerifyPublic(Schema):
    ok: bool
    events: int
    streams: int
    orders: int
    findings: list[FindingPublic]


# -- users: clearance and need to know ------------------------------------------------------------

ACTIVITY_ID_MAX = 80


class UserPublic(Schema):
    id: str
    name: str
    party: str
    roles: list[str]
    units: list[str]
    clearance: str | None = Field(
        description="A level of the node's party's own classification scheme; null: none.")
    activities: list[str] = Field(description="The activities the user needs to know.")
    locale: str
    time_zone: str
    active: bool
    has_password: bool
    has_totp: bool
    created_at: str


class UsersPublic(Schema):
    data: list[UserPublic]
    count: int
    clearance_levels: list[str] = Field(
        description="The levels a clearance may take on this node, highest first.")


class ClearanceSet(In):
    clearance: str | None = Field(
        max_length=40, description="A level of the node's party's own scheme (see "
        "`clearance_levels` of GET /users); null or \"none\" clears it.")


class ActivitiesSet(In):
    activities: list[str] = Field(
        max_length=LIST_ITEMS_MAX, description="Every activity the user needs to know, "
        "each registered on this node; the user is taken off any other.")

    @field_validator("activities")
    @classmethod
    def _short_ids(cls, value: list[str]) -> list[str]:
        if any(len(a) > ACTIVITY_ID_MAX for a in value):
            raise ValueError(f"an activity id has at most {ACTIVITY_ID_MAX} characters")
        return value


class RolesSet(In):
    roles: list[Annotated[str, Field(max_length=40)]] = Field(
        min_length=1, max_length=20, description="Every role the user holds from now on "
        "(`ordering_official`, `finance_officer`, `administrator` …).")


class UnitsSet(In):
    units: list[str] = Field(
        max_length=LIST_ITEMS_MAX, description="Every unit of this node's party the user "
        "serves from now on; an empty list takes them all.")

    @field_validator("units")
    @classmethod
    def _short_ids(cls, value: list[str]) -> list[str]:
        if any(len(u) > ACTIVITY_ID_MAX for u in value):
            raise ValueError(f"a unit id has at most {ACTIVITY_ID_MAX} characters")
        return value


# -- catalogue prices -----------------------------------------------------------------------------


class CataloguePriceCreate(In):
    agreement: str = Field(max_length=40)
    category: str = Field(max_length=40, description="An LSSS category of the agreement.")
    item: str = Field(min_length=1, max_length=200,
                      description="The item as order lines describe it.")
    unit: str = Field(max_length=10, description="Unit of issue, e.g. L, EA, NIGHT.")
    unit_price: Decimal = Field(max_length=40, description="In this node's party's currency "
                                "under the agreement, in major units, e.g. \"152.5\".")
    valid_from: Day
    valid_to: Day | None = None


class CataloguePricePublic(Schema):
    agreement: str
    party: str = Field(description="The supplier whose price it is.")
    category: str
    item: str
    unit: str
    unit_price: Decimal
    currency: str
    valid_from: date
    valid_to: date | None
    event: str


class CataloguePricesPublic(Schema):
    data: list[CataloguePricePublic]
    count: int


# -- exchange rates ---------------------------------------------------------------------------


class RateCreate(In):
    agreement: str = Field(max_length=40)
    on: Day = Field(description="The date the rate is for.")
    base: str = Field(min_length=3, max_length=3, description="One unit of this currency …")
    quote: str = Field(min_length=3, max_length=3, description="… buys `rate` of this one.")
    rate: Decimal = Field(max_length=40, description="e.g. \"0.0062\".")
    source: str | None = Field(None, max_length=40, description=(
        "The official source it is taken from: an id the agreement's profile names under "
        "`exchange_rates.sources` (e.g. `treasury-reporting`). Leave out for a rate the "
        "officer worked out."))


class RatePublic(Schema):
    agreement: str
    on: date
    base: str
    quote: str
    rate: Decimal
    recorded_by: str = Field(description="The party whose finance officer signed it.")
    official: bool = Field(description="Taken from an official source the profile names.")
    source: str | None = Field(description="The source's id; null: an officer's own rate.")
    source_name: str | None = None
    source_name_ja: str | None = None
    publisher: str | None = None
    event: str


class RatesPublic(Schema):
    data: list[RatePublic]
    count: int


class RateSourcePublic(Schema):
    agreement: str
    id: str
    party: str
    name: str
    name_ja: str
    publisher: str
    official_for: list[str] = Field(description="Uses that take only this party's official "
                                                "rates: ceilings, exchange, offset.")


# -- implementing arrangements ------------------------------------------------------------------

ArrangementText = Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]


class ArrangementRemittance(In):
    payee: ArrangementText = Field(description="The account holder, or the office to remit to.")
    office: ArrangementText | None = Field(None, description="The payment office.")
    bank: ArrangementText | None = None
    account_number: ArrangementText | None = None
    swift_bic: ArrangementText | None = None
    instructions: ArrangementText | None = None


class ArrangementParty(In):
    party: str = Field(max_length=3, description="The party (ISO 3166 alpha-3).")
    service_branch: ArrangementText = Field(description="e.g. Japan Maritime Self-Defense "
                                                        "Force.")
    contacts: list[ArrangementText] = Field(min_length=1, max_length=20,
                                            description="Points of contact.")
    remittance: ArrangementRemittance | None = Field(
        None, description="Where this party is paid: printed on the invoices it issues.")


class ArrangementCreate(In):
    agreement: str = Field(max_length=40)
    identifier: str = Field(min_length=1, max_length=64, pattern=r"^\S+$",
                            description="e.g. JP-PH/IA-01")
    title: ArrangementText
    pricing_basis: ArrangementText
    valid_from: Day
    valid_to: Day | None = None
    parties: list[ArrangementParty] = Field(min_length=2, max_length=2)


class ArrangementPartyPublic(Schema):
    party: str
    service_branch: str
    contacts: list[str]
    remittance: dict[str, str] | None = None


class ArrangementIneffective(Schema):
    event: str
    reason: str


class ArrangementPublic(Schema):
    agreement: str
    identifier: str
    title: str
    pricing_basis: str
    valid_from: date
    valid_to: date | None
    parties: list[ArrangementPartyPublic]
    status: Literal["proposed", "signed"]
    in_effect: bool | None = Field(None, description="Signed by both and valid on the node's "
                                                     "today under the agreement.")
    proposal: str
    proposed_by: str
    proposer_name: str
    proposed_on: date
    signed_by: str | None
    signer_name: str | None
    signed_on: date | None
    signature: str | None
    ineffective: list[ArrangementIneffective]


class ArrangementsPublic(Schema):
    data: list[ArrangementPublic]
    count: int
