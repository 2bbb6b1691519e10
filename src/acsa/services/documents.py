"""Printed documents: what each one shows, and checking a paper copy against the record.

:func:`document_model` gathers, for one order and one signed event, what a
printed order form, invoice, delivery waybill or goods-received note shows:
both parties, the lines, the amounts, every signature with its node key's
fingerprint, both parties' markings, and the QR payload that lets a reader
check the paper against the record (:mod:`acsa.reports.qr`). It returns
plain values; :mod:`acsa.reports.documents` lays them out as PDF.

Which event a document prints:

======== ============================================================
order    the acceptance (the order binds); before acceptance, the
         submission (or the emergency record)
invoice  the issue of the invoice
waybill  the delivery (or performance) recorded by the supplier
grn      the receipt acknowledged by the requester
======== ============================================================

:func:`verify_document` checks a QR payload and returns every finding as
data, with what a good check proves.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from acsa.domain import facts as F
from acsa.domain.agreement import AgreementProfile, Remittance
from acsa.domain.errors import DomainError, InvalidValue, UnknownReference
from acsa.domain.figures import status
from acsa.domain.marking import is_unclassified, marking_from_data
from acsa.domain.money import Money
from acsa.domain.order import OrderTerms
from acsa.domain.state import Delivery, Evidence, Invoice, OrderState, Receipt
from acsa.domain.streams import stream_party
from acsa.events import PURPOSE_EVENT, BadSignature, Envelope, short_fingerprint, verify
from acsa.events.keys import SIGNATURE_SIZE, is_fingerprint
from acsa.services import arrangements, markings
from acsa.services.markings import MarkingInfo
from acsa.services.recording import order_state
from acsa.services.unit_of_work import UnitOfWork
from acsa.store import tables as T
from acsa.store.log import StoredEvent, orders_named, read_orders, stored

DOCUMENT_KINDS = ("order", "invoice", "waybill", "grn")
# Listed under a profile's ``placeholders`` when its remittance details are not yet real.
REMITTANCE_KEY = "parties.remittance"


class DocumentUnavailable(DomainError):
    """The order has no event of the kind this document prints (no delivery yet …)."""

    code = "document_unavailable"


# -- the QR payload (format documented in acsa.reports.qr) ------------------------------

PAYLOAD_PREFIX = "ACSA1"
SEPARATOR = "|"
# A payload is never longer than this; anything longer is not ours.
PAYLOAD_CHARS_MAX = 512

_HASH = re.compile(r"[0-9a-f]{64}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class PayloadInvalid(DomainError):
    """The text read from a document's QR code is not an ACSA document payload."""

    code = "document_payload_invalid"


@dataclass(frozen=True)
class DocumentPayload:
    order: str
    event_hash: str
    signature: str  # unpadded base64url, exactly as the events table stores it
    key: str  # fingerprint of the recording node's key

    def text(self) -> str:
        if SEPARATOR in self.order or not self.order.strip():
            raise PayloadInvalid(
                N_("an order number cannot be '%(order)s'"),
                field="order", order=self.order,
            )
        return SEPARATOR.join((PAYLOAD_PREFIX, self.order, self.event_hash, self.signature,
                               self.key))

    def signature_bytes(self) -> bytes:
        return decode_signature(self.signature)


def decode_signature(text: str) -> bytes:
    """The 64 signature bytes of unpadded base64url ``text`` (``PayloadInvalid`` otherwise)."""
    if not _BASE64URL.fullmatch(text):
        raise PayloadInvalid(N_("the signature is not base64url text"), field="signature")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise PayloadInvalid(N_("the signature is not base64url text"), field="signature") from None
    if len(raw) != SIGNATURE_SIZE:
        raise PayloadInvalid(N_("a signature is %(size)s bytes, this one %(count)s"),
                             field="signature", size=SIGNATURE_SIZE, count=len(raw))
    return raw


def parse_payload(text: str) -> DocumentPayload:
    """Read a payload strictly; the error names the field at fault."""
    if not isinstance(text, str):
        raise PayloadInvalid(N_("a payload is text"), field="payload")
    text = text.strip()
    if len(text) > PAYLOAD_CHARS_MAX:
        raise PayloadInvalid(
            N_("longer than %(limit)s characters"),
            field="payload", limit=PAYLOAD_CHARS_MAX,
        )
    fields = text.split(SEPARATOR)
    if fields[0] != PAYLOAD_PREFIX:
        raise PayloadInvalid(
            N_("does not start with %(prefix)s%(separator)s"),
            field="payload", prefix=PAYLOAD_PREFIX, separator=SEPARATOR,
        )
    if len(fields) != 5:
        raise PayloadInvalid(N_("has %(count)s fields separated by %(separator)s, not 5"),
                             field="payload", count=len(fields), separator=SEPARATOR)
    _, order, event_hash, signature, key = fields
    if not order.strip():
        raise PayloadInvalid(N_("the order number is empty"), field="order")
    if not _HASH.fullmatch(event_hash):
        raise PayloadInvalid(N_("the event hash is not 64 lowercase hex digits"), field="hash")
    decode_signature(signature)
    if not is_fingerprint(key):
        raise PayloadInvalid(
            N_("the key is not a fingerprint (ed25519: and 64 hex digits)"),
            field="key",
        )
    return DocumentPayload(order, event_hash, signature, key)


# -- the model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PartyBlock:
    code: str
    name: str
    force: str
    unit: str | None
    unit_name: str | None


@dataclass(frozen=True)
class SignatureBlock:
    """One signed act shown on the document, and the node key that signed its record."""

    event: str
    event_type: str
    at: str  # recording time, UTC, as the event carries it
    on: date | None  # the business date of the act
    party: str  # whose node recorded it
    role: str
    name: str
    user: str
    unit: str | None
    key: str  # fingerprint of the recording node's key
    paper: bool  # signed on paper and recorded by the other party


@dataclass(frozen=True)
class DocumentLine:
    no: int
    category: str
    description: str
    unit: str
    nsn: str | None = None
    on: date | None = None  # the delivery date, on invoice lines
    ordered: Decimal | None = None
    quantity: Decimal | None = None  # ordered (order form), delivered, invoiced, received
    delivered: Decimal | None = None  # on a goods-received note: what the waybill said
    damaged: Decimal | None = None
    unit_price: Decimal | None = None
    amount: Money | None = None


@dataclass(frozen=True)
class PrintedEvent:
    hash: str
    type: str
    at: str
    stream: str
    seq: int
    signer: str
    key: str
    signature: str  # unpadded base64url


@dataclass(frozen=True)
class DocumentModel:
    kind: str  # one of DOCUMENT_KINDS
    order: str
    agreement: str
    agreement_title: str
    requester: PartyBlock
    supplier: PartyBlock
    status: str
    version: int
    emergency: bool
    activity: str
    activity_name: str
    activity_type: str
    method: str
    currency: str
    needed_by: date | None
    deliver_to: str
    poc: str
    fund_citation: str | None
    implementing_arrangement: str | None
    remarks: str
    reference: str  # invoice number, "delivery 2", …
    issued_on: date | None
    due_on: date | None
    lines: tuple[DocumentLine, ...]
    totals: tuple[tuple[str, Money], ...]  # (account-like key, amount): total, paid …
    signatures: tuple[SignatureBlock, ...]
    marking: str  # both parties' markings, the originator's first
    event: PrintedEvent
    payload: str
    printed_at: datetime
    printed_by: str
    note: str = ""
    evidence: tuple[Evidence, ...] = ()
    # Codes: "not_binding" (order not accepted), "void" (invoice voided on voided_on),
    # "partial_delivery" (more is to come on this order).
    warnings: tuple[str, ...] = field(default=())
    voided_on: date | None = None
    # The marking ``marking`` shows, with each party's term (for the reader's words).
    marking_info: MarkingInfo | None = None
    # On an invoice: where to pay the supplier, from the agreement profile (None: not set
    # there, and the invoice says so), and whether the profile lists it as a placeholder.
    remittance: Remittance | None = None
    remittance_placeholder: bool = False
    # The countersigned implementing arrangement the order cites (its title, the supplier's
    # service branch): its payment office comes first, the profile's after it.
    arrangement_title: str | None = None
    arrangement_branch: str | None = None


def _party(profile: AgreementProfile, code: str, unit: str | None,
           units: Mapping[str, str]) -> PartyBlock:
    p = profile.party(code)
    return PartyBlock(code, p.name, p.force, unit, units.get(unit or ""))


def _signature(event: StoredEvent) -> SignatureBlock:
    env = event.envelope
    actor = env.actor
    on = env.data.get("on")
    return SignatureBlock(
        event=event.hash, event_type=env.type, at=env.at,
        on=date.fromisoformat(on) if isinstance(on, str) else None,
        party=stream_party(env.stream), role=str(actor["role"]), name=str(actor["name"]),
        user=str(actor["user"]), unit=actor.get("unit"), key=event.signed.key,
        paper=bool(actor.get("paper", False)),
    )


def _printed(event: StoredEvent) -> PrintedEvent:
    env = event.envelope
    wire = event.signed.to_wire()
    return PrintedEvent(event.hash, env.type, env.at, env.stream, env.seq,
                        stream_party(env.stream), event.signed.key, str(wire["sig"]))


def _names(uow: UnitOfWork, table: Any) -> dict[str, str]:
    return {r.id: r.name for r in uow.conn.execute(select(table.c.id, table.c.name))}


def _pick_invoice(state: OrderState, ref: str | None) -> Invoice:
    if not state.invoices:
        raise DocumentUnavailable(
            N_("%(number)s has no invoice yet"),
            field="invoice", number=state.number,
        )
    if ref is None:
        live = [i for i in state.invoices if i.live]
        return (live or list(state.invoices))[-1]
    found = [i for i in state.invoices if i.number == ref or i.id.startswith(ref)]
    if len(found) != 1:
        raise UnknownReference(
            N_("no invoice '%(ref)s' on %(number)s"),
            field="invoice", ref=ref, number=state.number,
        )
    return found[0]


def _pick_delivery_index(state: OrderState, ref: str | None, *, received: bool) -> int:
    """The 0-based position of the delivery named by ``ref`` (1-based or a hash prefix)."""
    candidates = [i for i, d in enumerate(state.deliveries)
                  if not received or state.receipt_for(d.id) is not None]
    if not candidates:
        what = "receipt" if received else "delivery"
        raise DocumentUnavailable(
            N_("%(number)s has no %(what)s yet"),
            field="delivery", number=state.number, what=what,
        )
    if ref is None:
        return candidates[-1]
    if ref.isdigit() and 0 < int(ref) <= len(state.deliveries):
        index = int(ref) - 1
    else:
        matches = [i for i, d in enumerate(state.deliveries) if d.id.startswith(ref)]
        if len(matches) != 1:
            raise UnknownReference(
                N_("no delivery '%(ref)s' on %(number)s"),
                field="delivery", ref=ref, number=state.number,
            )
        index = matches[0]
    if index not in candidates:
        raise DocumentUnavailable(N_("delivery %(delivery)s of %(number)s is not received yet"),
                                  field="delivery", delivery=index + 1, number=state.number)
    return index


@dataclass
class _Printout:
    """What one kind of document prints of an order: its event, lines, figures and dates."""

    printed: StoredEvent  # the signed event whose hash and signature the QR code carries
    reference: str
    issued_on: date | None
    signatures: list[SignatureBlock] = field(default_factory=list)  # besides the order's own
    lines: list[DocumentLine] = field(default_factory=list)
    totals: list[tuple[str, Money]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    due_on: date | None = None
    note: str = ""
    evidence: tuple[Evidence, ...] = ()
    voided_on: date | None = None


def _order_form(state: OrderState, terms: OrderTerms, events: Mapping[str, StoredEvent],
                root: StoredEvent) -> _Printout:
    """The order form prints the acceptance, or the submission before it is accepted."""
    out = _Printout(
        printed=events[state.accepted.id] if state.accepted else root,
        reference=f"version {state.version}",
        issued_on=state.accepted.on if state.accepted else state.submitted_on,
    )
    for ln in terms.lines:
        out.lines.append(DocumentLine(ln.no, ln.category, ln.description, ln.unit, ln.nsn,
                                      quantity=ln.quantity, unit_price=ln.unit_price,
                                      amount=ln.total(terms.currency)))
    out.totals.append(("total", terms.value()))
    if state.accepted is None:
        out.warnings.append("not_binding")
    return out


def _invoice(state: OrderState, terms: OrderTerms, events: Mapping[str, StoredEvent],
             ref: str | None) -> _Printout:
    invoice = _pick_invoice(state, ref)
    printed = events[invoice.id]
    cur = terms.currency
    out = _Printout(printed=printed, reference=invoice.number, issued_on=invoice.on,
                    due_on=invoice.due_on, signatures=[_signature(printed)])
    for il in invoice.lines:
        ln = terms.line(il.line)
        d = state.delivery(il.delivery)
        out.lines.append(DocumentLine(il.line, ln.category, ln.description, ln.unit, ln.nsn,
                                      on=d.on if d else None, quantity=il.quantity,
                                      unit_price=il.unit_price, amount=Money(cur, il.amount)))
    out.totals.append(("total", Money(cur, invoice.total)))
    for key, minor in (("credited", invoice.credited), ("paid", invoice.paid),
                       ("written_off", invoice.written_off), ("offset", invoice.offset)):
        if minor:
            out.totals.append((key, Money(cur, minor)))
    out.totals.append(("outstanding", Money(cur, invoice.outstanding)))
    if not invoice.live:
        out.warnings.append("void")
        out.voided_on = invoice.voided_on
    return out


def _waybill(terms: OrderTerms, events: Mapping[str, StoredEvent], d: Delivery,
             reference: str) -> _Printout:
    printed = events[d.id]
    out = _Printout(printed=printed, reference=reference, issued_on=d.on, note=d.note,
                    evidence=d.evidence, signatures=[_signature(printed)])
    for dl in d.lines:
        ln = terms.line(dl.line)
        out.lines.append(DocumentLine(dl.line, ln.category, ln.description, ln.unit, ln.nsn,
                                      ordered=ln.quantity, quantity=dl.quantity,
                                      unit_price=dl.unit_price))
    return out


def _goods_received(state: OrderState, terms: OrderTerms, events: Mapping[str, StoredEvent],
                    d: Delivery, reference: str) -> _Printout:
    receipt: Receipt | None = state.receipt_for(d.id)
    assert receipt is not None  # _pick_delivery_index chose a received delivery
    printed = events[receipt.id]
    out = _Printout(printed=printed, reference=reference, issued_on=receipt.on,
                    note=receipt.note, evidence=receipt.evidence,
                    signatures=[_signature(events[d.id]), _signature(printed)])
    for dl in d.lines:
        ln = terms.line(dl.line)
        got = next((r for r in receipt.lines if r.line == dl.line), None)
        out.lines.append(DocumentLine(
            dl.line, ln.category, ln.description, ln.unit, ln.nsn, ordered=ln.quantity,
            delivered=dl.quantity, quantity=got.quantity if got else Decimal(0),
            damaged=got.damaged if got else Decimal(0)))
    return out


def _delivery_document(kind: str, state: OrderState, terms: OrderTerms,
                       events: Mapping[str, StoredEvent], ref: str | None) -> _Printout:
    """The waybill of a delivery, or the goods-received note of its receipt."""
    index = _pick_delivery_index(state, ref, received=kind == "grn")
    d = state.deliveries[index]
    reference = f"delivery {index + 1}"
    if kind == "waybill":
        out = _waybill(terms, events, d, reference)
    else:
        out = _goods_received(state, terms, events, d, reference)
    # Partial if, with this delivery, less than ordered had been delivered.
    so_far = state.deliveries[:index + 1]
    if any(sum((x.quantity(ln.no) for x in so_far), Decimal(0)) < ln.quantity
           for ln in terms.lines):
        out.warnings.append("partial_delivery")
    return out


def _printout(kind: str, state: OrderState, terms: OrderTerms,
              events: Mapping[str, StoredEvent], root: StoredEvent,
              ref: str | None) -> _Printout:
    if kind == "order":
        return _order_form(state, terms, events, root)
    if kind == "invoice":
        return _invoice(state, terms, events, ref)
    return _delivery_document(kind, state, terms, events, ref)


def _parties_of(profile: AgreementProfile, state: OrderState, terms: OrderTerms,
                units: Mapping[str, str]) -> tuple[PartyBlock, PartyBlock]:
    """The requesting and the supplying party, each with its unit."""
    supplying_unit = (state.accepted.supplying_unit if state.accepted else None) \
        or terms.supplying_unit
    return (_party(profile, terms.requester, terms.requesting_unit, units),
            _party(profile, terms.supplier, supplying_unit, units))


def document_model(uow: UnitOfWork, kind: str, number: str, *, ref: str | None = None
                   ) -> DocumentModel:
    """What the ``kind`` document of order ``number`` shows.

    ``ref`` picks the invoice (its number or a hash prefix) or the delivery
    (1-based position or a hash prefix) to print; by default the latest.
    """
    if kind not in DOCUMENT_KINDS:
        raise InvalidValue(N_("'%(kind)s' is not one of %(allowed)s"), field="kind", kind=kind,
                           allowed=DOCUMENT_KINDS)
    state = order_state(uow, number)
    profile = uow.context.profile(state.profile)
    terms = state.terms
    assert terms is not None  # order_state refuses an order without terms
    events = {e.hash: e for e in read_orders(uow.conn, [number])}
    units = _names(uow, T.units)
    activities = _names(uow, T.activities)
    root = next(e for e in events.values() if e.envelope.type in F.ORDER_ROOT_TYPES)
    signatures = [_signature(root)]
    if state.accepted is not None and state.accepted.id in events:
        signatures.append(_signature(events[state.accepted.id]))
    out = _printout(kind, state, terms, events, root, ref)
    marking = _document_marking(state, out.printed, profile)
    requester, supplier = _parties_of(profile, state, terms, units)
    wire = _printed(out.printed)
    return DocumentModel(
        kind=kind, order=number, agreement=profile.id, agreement_title=profile.title,
        requester=requester, supplier=supplier,
        status=_shown_status(uow, number, state, profile), version=state.version,
        emergency=state.emergency,
        activity=terms.activity, activity_name=activities.get(terms.activity, terms.activity),
        activity_type=terms.activity_type, method=terms.method, currency=terms.currency,
        needed_by=terms.needed_by, deliver_to=terms.deliver_to, poc=terms.poc,
        fund_citation=terms.fund_citation,
        implementing_arrangement=terms.implementing_arrangement, remarks=terms.remarks,
        reference=out.reference, issued_on=out.issued_on, due_on=out.due_on,
        lines=tuple(out.lines), totals=tuple(out.totals),
        signatures=_unique(signatures + out.signatures), marking=markings.text(marking),
        event=wire, payload=DocumentPayload(number, wire.hash, wire.signature, wire.key).text(),
        printed_at=uow.node.clock(), printed_by=uow.node.party, note=out.note,
        evidence=out.evidence, warnings=tuple(out.warnings), voided_on=out.voided_on,
        marking_info=marking,
        **_remittance_of(uow, profile, terms.supplier, terms.implementing_arrangement, kind),
    )


def _remittance_of(uow: UnitOfWork, profile: AgreementProfile, supplier: str,
                   reference: str | None, kind: str) -> dict[str, Any]:
    """Where an invoice asks to be paid: the supplier's payment office in the countersigned
    arrangement the order cites, else the profile's ``[parties.remittance]``."""
    found = arrangements.for_order(uow, profile.id, reference)
    part = found.terms.party(supplier) if found is not None else None
    out: dict[str, Any] = {
        "arrangement_title": found.terms.title if found is not None else None,
        "arrangement_branch": part.service_branch if part is not None else None,
        "remittance": None, "remittance_placeholder": False}
    if kind != "invoice":
        return out
    if part is not None and part.remittance is not None:
        out["remittance"] = part.remittance
    else:
        out["remittance"] = profile.party(supplier).remittance
        out["remittance_placeholder"] = REMITTANCE_KEY in profile.placeholders
    return out


def _document_marking(state: OrderState, printed: StoredEvent,
                      profile: AgreementProfile) -> MarkingInfo:
    """What a document of the order is marked with: the order's marking (the strongest of
    its events') when it is classified; otherwise the printed event's own."""
    if state.marking is not None and not is_unclassified(state.marking):
        return markings.describe(state.marking, profile)
    return markings.describe(marking_from_data(printed.envelope.marking, profile), profile)


def _unique(signatures: Sequence[SignatureBlock]) -> tuple[SignatureBlock, ...]:
    seen: set[str] = set()
    out = []
    for s in signatures:
        if s.event not in seen:
            seen.add(s.event)
            out.append(s)
    return tuple(out)


# -- checking a paper copy ---------------------------------------------------------------

# Finding codes, stable for the API and the UI.
MALFORMED = "malformed"
UNKNOWN_KEY = "unknown_key"
KEY_NOT_LEARNT = "key_not_learnt"
BAD_SIGNATURE = "bad_signature"
UNKNOWN_EVENT = "unknown_event"
RECORD_ALTERED = "record_altered"
KEY_MISMATCH = "key_mismatch"
SIGNATURE_MISMATCH = "signature_mismatch"
ORDER_MISMATCH = "order_mismatch"


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues; :mod:`acsa.i18n` translates it when shown."""
    return message


PROVES_SIGNED = N_("The %(signer)s node (key %(key)s) signed this event: the signature on "
                   "the paper verifies over the printed hash.")
PROVES_HELD = N_("This node holds that event (%(type)s, recorded %(at)s UTC) on order "
                 "%(order)s, with exactly this hash and signature.")
PROVES_ACTOR = N_("It records the act of %(name)s (%(role)s, unit %(unit)s).")
PROVES_NOT_FIGURES = N_("It does not prove the figures printed on the paper: compare them with "
                        "the record's figures shown here.")
PROVES_LATER = N_("%(later)s later event(s) were recorded on this order since; its status now "
                  "is %(status)s.")
PROVES_INEFFECTIVE = N_("Warning: the event was judged ineffective: %(reason)s")


@dataclass(frozen=True)
class Finding:
    code: str
    message: str


@dataclass(frozen=True)
class DocumentCheck:
    """The outcome of checking one QR payload: every finding, and what the record says."""

    payload_text: str
    payload: DocumentPayload | None
    findings: tuple[Finding, ...]
    signer: str | None = None  # party whose node key the payload names
    signature_valid: bool = False  # the printed signature verifies over the printed hash
    event_known: bool = False
    event_type: str | None = None
    at: str | None = None
    actor_name: str | None = None
    actor_role: str | None = None
    actor_unit: str | None = None
    order_status: str | None = None
    effective: bool | None = None
    ineffective_reason: str = ""
    later_events: int = 0
    summary: tuple[tuple[str, str], ...] = ()  # (what, value) of the event, to compare

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)

    def proves(self) -> tuple[tuple[str, dict[str, str]], ...]:
        """What a good check establishes: (English template, parameters) pairs.

        The templates are catalogue msgids; :func:`acsa.reports.documents.describe_check`
        translates them, :meth:`proves_text` gives the English.
        """
        if not self.ok or self.payload is None:
            return ()
        params = {
            "signer": self.signer or "", "key": short_fingerprint(self.payload.key),
            "type": self.event_type or "", "at": self.at or "", "order": self.payload.order,
            "name": self.actor_name or "", "role": self.actor_role or "",
            "unit": self.actor_unit or "-", "later": str(self.later_events),
            "status": self.order_status or "", "reason": self.ineffective_reason,
        }
        out = [PROVES_SIGNED, PROVES_HELD, PROVES_ACTOR, PROVES_NOT_FIGURES]
        if self.later_events:
            out.append(PROVES_LATER)
        if self.effective is False:
            out.append(PROVES_INEFFECTIVE)
        return tuple((template, params) for template in out)

    def proves_text(self) -> tuple[str, ...]:
        return tuple(template % params for template, params in self.proves())


def _key_of(uow: UnitOfWork, fingerprint: str) -> tuple[str | None, bytes | None]:
    """The party whose node holds key ``fingerprint``, and its public key if known here."""
    if fingerprint == uow.node.key.fingerprint:
        return uow.node.party, uow.node.key.public_key
    row = uow.conn.execute(select(T.peers).where(T.peers.c.fingerprint == fingerprint)).first()
    if row is None:
        return None, None
    return row.party, bytes.fromhex(row.public_key) if row.public_key else None


def _check_signature(uow: UnitOfWork, parsed: DocumentPayload
                     ) -> tuple[str | None, bool, list[Finding]]:
    """Whose key the payload names, whether the signature verifies under it, and what is wrong."""
    party, public_key = _key_of(uow, parsed.key)
    if party is None:
        return None, False, [Finding(UNKNOWN_KEY, f"signed with key "
                                     f"{short_fingerprint(parsed.key)}, which is neither this "
                                     "node's nor a registered peer's")]
    if public_key is None:
        return party, False, [Finding(KEY_NOT_LEARNT, f"{party}'s public key is not known here "
                                      "yet (it is learnt from the first bundle or request): "
                                      "sync first")]
    try:
        verify(public_key, PURPOSE_EVENT, bytes.fromhex(parsed.event_hash),
               parsed.signature_bytes())
    except BadSignature:
        return party, False, [Finding(BAD_SIGNATURE, f"the signature does not verify over the "
                                      f"printed hash under {party}'s key: the hash or the "
                                      "signature was altered, or the document is forged")]
    return party, True, []


def _check_record(row: Any, env: Envelope, parsed: DocumentPayload,
                  named: Sequence[str]) -> list[Finding]:
    """How this node's record of the event differs from itself and from the paper."""
    findings: list[Finding] = []
    if env.hash() != row.hash:
        findings.append(Finding(RECORD_ALTERED, "this node's copy of the event no longer hashes "
                                "to its hash: run `acsa verify`"))
    if row.key != parsed.key:
        findings.append(Finding(KEY_MISMATCH, f"the record was signed with key "
                                f"{short_fingerprint(row.key)}, not the printed "
                                f"{short_fingerprint(parsed.key)}"))
    if row.signature != parsed.signature:
        findings.append(Finding(SIGNATURE_MISMATCH, "the printed signature is not the one in "
                                "the record"))
    if parsed.order not in named:
        concerns = ", ".join(named) or "no order"
        findings.append(Finding(ORDER_MISMATCH, f"the event concerns {concerns}, not "
                                f"{parsed.order}"))
    return findings


@dataclass(frozen=True)
class _Standing:
    """Where the printed event stands on its order in this node's record."""

    order_status: str | None = None
    effective: bool | None = None
    reason: str = ""
    later: int = 0
    summary: tuple[tuple[str, str], ...] = ()


def _standing(uow: UnitOfWork, row: Any, env: Envelope, parsed: DocumentPayload) -> _Standing:
    order = parsed.order
    order_status = uow.conn.execute(
        select(T.orders.c.status).where(T.orders.c.number == order)
    ).scalar_one_or_none()
    verdict = uow.conn.execute(select(T.verdicts).where(
        T.verdicts.c.order_number == order,
        T.verdicts.c.event_hash == parsed.event_hash)).first()
    later = int(uow.conn.execute(
        select(func.count()).select_from(T.event_orders)
        .where(T.event_orders.c.order_number == order,
               T.event_orders.c.event_id > row.id)
    ).scalar_one())
    return _Standing(
        order_status=order_status,
        effective=bool(verdict.effective) if verdict is not None else None,
        reason=verdict.reason if verdict is not None else "",
        later=later,
        summary=_summary(env.type, env.data, order),
    )


def verify_document(uow: UnitOfWork, payload: str) -> DocumentCheck:
    """Check a document's QR payload against this node's record; report every finding.

    A good check means: the payload names a key this node knows (its own or a
    registered peer's); the signature verifies over the hash under that key
    for the event purpose; this node holds an event with that hash, whose
    stored content still hashes to it, signed with that very key and
    signature; and the event concerns the order printed.
    """
    try:
        parsed = parse_payload(payload)
    except PayloadInvalid as exc:
        return DocumentCheck(payload, None, (Finding(MALFORMED, f"{exc.field}: {exc}"),))
    party, signature_valid, findings = _check_signature(uow, parsed)
    row = uow.conn.execute(select(T.events).where(T.events.c.hash == parsed.event_hash)).first()
    if row is None:
        findings.append(Finding(UNKNOWN_EVENT, "this node holds no event with the printed hash: "
                                "the document is altered or forged, or the event has not reached "
                                "this node yet (sync, then check again)"))
        return DocumentCheck(payload, parsed, tuple(findings), party, signature_valid)
    env = stored(row).envelope
    named = orders_named(env)
    findings += _check_record(row, env, parsed, named)
    standing = _standing(uow, row, env, parsed) if parsed.order in named else _Standing()
    actor = env.actor
    return DocumentCheck(
        payload, parsed, tuple(findings), party, signature_valid, event_known=True,
        event_type=env.type, at=env.at, actor_name=str(actor["name"]),
        actor_role=str(actor["role"]), actor_unit=actor.get("unit"),
        order_status=standing.order_status, effective=standing.effective,
        ineffective_reason=standing.reason, later_events=standing.later,
        summary=standing.summary,
    )


def _summary(type: str, data: Mapping[str, Any], order: str) -> tuple[tuple[str, str], ...]:
    """The figures of the event a reader compares with the paper."""
    out: list[tuple[str, str]] = [("order", order)]
    if type in (F.ORDER_SUBMITTED, F.ORDER_EMERGENCY_RECORDED, F.ORDER_PROPOSED):
        terms = data.get("terms", {})
        out += [("currency", str(terms.get("currency", "")))]
        for ln in terms.get("lines", ()):
            out.append((f"line {ln.get('no')}", f"{ln.get('quantity')} {ln.get('unit')} × "
                        f"{ln.get('unit_price')}"))
    elif type == F.ORDER_ACCEPTED:
        out += [("version", str(data.get("version"))),
                ("supplying unit", str(data.get("supplying_unit")))]
    elif type == F.INVOICE_ISSUED:
        out += [("invoice", str(data.get("number"))),
                ("total", f"{data.get('total')} {data.get('currency')}"),
                ("due on", str(data.get("due_on")))]
    elif type in (F.DELIVERY_RECORDED, F.RECEIPT_RECORDED):
        for ln in data.get("lines", ()):
            damaged = ln.get("damaged")
            extra = f", damaged {damaged}" if damaged not in (None, "0") else ""
            out.append((f"line {ln.get('line')}", f"{ln.get('quantity')}{extra}"))
    if "on" in data:
        out.append(("on", str(data["on"])))
    return tuple(out)


def check_as_data(check: DocumentCheck) -> dict[str, Any]:
    """The check as JSON-able data, for ``--json`` and the API."""
    return {
        "ok": check.ok,
        "findings": [{"code": f.code, "message": f.message} for f in check.findings],
        "order": check.payload.order if check.payload else None,
        "event": check.payload.event_hash if check.payload else None,
        "key": check.payload.key if check.payload else None,
        "signer": check.signer,
        "signature_valid": check.signature_valid,
        "event_known": check.event_known,
        "event_type": check.event_type,
        "at": check.at,
        "actor": {"name": check.actor_name, "role": check.actor_role, "unit": check.actor_unit},
        "order_status": check.order_status,
        "effective": check.effective,
        "later_events": check.later_events,
        "summary": dict(check.summary),
        "proves": list(check.proves_text()),
    }


def payload_of_event(uow: UnitOfWork, order: str, event_hash: str) -> str:
    """The QR payload for an event already in the log (for the UI's scan-friendly page)."""
    row = uow.conn.execute(select(T.events).where(T.events.c.hash == event_hash)).first()
    if row is None:
        raise UnknownReference(
            N_("no event %(event_hash)s on this node"),
            field="event", event_hash=event_hash[:12],
        )
    if order not in orders_named(stored(row).envelope):
        raise InvalidValue(
            N_("event %(event_hash)s does not concern %(order)s"),
            field="order", event_hash=event_hash[:12], order=order,
        )
    return DocumentPayload(order, row.hash, row.signature, row.key).text()


def _shown_status(uow: UnitOfWork, number: str, state: OrderState,
                  profile: AgreementProfile) -> str:
    """The status the projection shows (completed across the order's exchanges)."""
    found = uow.conn.execute(
        select(T.orders.c.status).where(T.orders.c.number == number)
    ).scalar_one_or_none()
    return str(found) if found is not None else status(state, profile).value
