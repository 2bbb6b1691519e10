"""The names people read for the product's codes: statuses, roles, actions, accounts …

Codes (``in_delivery``, ``finance_officer``, ``close-short``) are the
product's stable words in events, URLs and exports; what a person reads is
the label here, in English as the source string and translated by the
catalogues. ``N_`` only marks a string for extraction; :func:`label`
translates it when it is shown.

Page builders call ``label("status", state.status, locale)``; templates use
the filter ``{{ order.status|label("status") }}`` (see
:func:`acsa.web.templating.install_jinja`).
"""

from __future__ import annotations

from collections.abc import Mapping

from acsa.i18n import N_, gettext

STATUS: Mapping[str, str] = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "proposed": N_("Proposed"),
    "accepted": N_("Accepted"),
    "in_delivery": N_("In delivery"),
    "delivered": N_("Delivered"),
    "received": N_("Received"),
    "settling": N_("Settling"),
    "settled": N_("Settled"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
    "disputed": N_("Disputed"),
}

ROLE: Mapping[str, str] = {
    "ordering_official": N_("Ordering official"),
    "approving_official": N_("Approving official"),
    "supply_officer": N_("Issuing / supply officer"),
    "receiving_official": N_("Receiving official"),
    "finance_officer": N_("Finance officer"),
    "security_officer": N_("Security officer"),
    "auditor": N_("Auditor"),
    "administrator": N_("Administrator"),
}

SIDE: Mapping[str, str] = {
    "requester": N_("Requesting party"),
    "supplier": N_("Supplying party"),
}

ACTION: Mapping[str, str] = {
    "submit": N_("Sign and submit"),
    "propose": N_("Propose changes"),
    "confirm": N_("Confirm proposal"),
    "withdraw": N_("Withdraw"),
    "accept": N_("Accept"),
    "reject": N_("Reject"),
    "emergency": N_("Record emergency order"),
    "confirm-emergency": N_("Confirm emergency order"),
    "deliver": N_("Record delivery"),
    "receive": N_("Acknowledge receipt"),
    "dispute": N_("Open dispute"),
    "resolve": N_("Resolve dispute"),
    "amend": N_("Request amendment"),
    "close-short": N_("Request close-short"),
    "cancel": N_("Cancel"),
    "respond": N_("Answer request"),
    "invoice": N_("Issue invoice"),
    "void-invoice": N_("Void invoice"),
    "credit-note": N_("Issue credit note"),
    "pay": N_("Record payment"),
    "confirm-payment": N_("Confirm payment received"),
    "write-off": N_("Write off difference"),
    "return-in-kind": N_("Return in kind"),
    "accept-return": N_("Accept or refuse the return in kind"),
    "convert-to-cash": N_("Convert to cash"),
    "link-exchange": N_("Link equal-value exchange"),
    "sign-exchange": N_("Sign exchange"),
    "offset": N_("Propose offset"),
    "sign-offset": N_("Sign offset"),
    "propose-arrangement": N_("Propose implementing arrangement"),
    "sign-arrangement": N_("Sign implementing arrangement"),
    "report-compromise": N_("Report a loss or compromise"),
    "acknowledge-compromise": N_("Acknowledge a loss or compromise report"),
    "assess-compromise": N_("Assess a loss or compromise report"),
    "close-compromise": N_("Close a loss or compromise report"),
    "request-consent": N_("Ask the originators' consent to release"),
    "grant-consent": N_("Consent to the release"),
    "refuse-consent": N_("Refuse the release"),
    "send-release": N_("Send the release package"),
    "transfer-request": N_("Request third-party transfer"),
    "transfer-consent": N_("Answer transfer request"),
    "transfer": N_("Record transfer"),
    "waive-duties": N_("Waive separation of duties"),
    "attach-evidence": N_("Attach a document to a step"),
}

EVENT: Mapping[str, str] = {
    "order.submitted": N_("Order signed and submitted"),
    "order.emergency_recorded": N_("Emergency order recorded"),
    "order.emergency_confirmed": N_("Emergency order confirmed in writing"),
    "order.proposed": N_("Changes proposed"),
    "order.confirmed": N_("Proposal confirmed"),
    "order.withdrawn": N_("Order withdrawn"),
    "order.accepted": N_("Order accepted"),
    "order.rejected": N_("Order rejected"),
    "delivery.recorded": N_("Delivery recorded"),
    "receipt.recorded": N_("Receipt acknowledged"),
    "dispute.opened": N_("Dispute opened"),
    "dispute.resolution_proposed": N_("Resolution proposed"),
    "dispute.resolved": N_("Dispute resolved"),
    "change.requested": N_("Change requested"),
    "change.answered": N_("Change request answered"),
    "invoice.issued": N_("Invoice issued"),
    "invoice.voided": N_("Invoice voided"),
    "credit_note.issued": N_("Credit note issued"),
    "payment.recorded": N_("Payment recorded"),
    "payment.confirmed": N_("Payment confirmed"),
    "write_off.recorded": N_("Difference written off"),
    "return.recorded": N_("Return in kind recorded"),
    "return.accepted": N_("Return answered"),
    "rik.converted": N_("Obligation in kind converted to cash"),
    "exchange.proposed": N_("Exchange proposed"),
    "exchange.signed": N_("Exchange signed"),
    "offset.proposed": N_("Offset proposed"),
    "offset.signed": N_("Offset signed"),
    "transfer.requested": N_("Third-party transfer requested"),
    "transfer.answered": N_("Third-party transfer answered"),
    "transfer.recorded": N_("Third-party transfer recorded"),
    "duties.waived": N_("Separation of duties waived for this order"),
    "evidence.attached": N_("Document attached to an earlier step"),
    "agreement.adopted": N_("Agreement profile adopted"),
    "appointment.granted": N_("Appointment granted"),
    "appointment.revoked": N_("Appointment revoked"),
    "unit.registered": N_("Unit registered"),
    "activity.registered": N_("Activity registered"),
    "rate.recorded": N_("Exchange rate recorded"),
    "catalogue.price_set": N_("Catalogue price set"),
    "key.rotation_announced": N_("Key rotation announced"),
    "key.revoked": N_("Key revoked"),
    "balance.signed": N_("Balance statement signed"),
    "balance.answered": N_("Balance statement answered"),
    "arrangement.proposed": N_("Implementing arrangement proposed"),
    "arrangement.signed": N_("Implementing arrangement signed"),
    "compromise.reported": N_("Loss or compromise reported"),
    "compromise.acknowledged": N_("Loss or compromise report acknowledged"),
    "compromise.assessed": N_("Loss or compromise report assessed"),
    "compromise.closed": N_("Loss or compromise report closed"),
    "consent.requested": N_("Consent to release requested"),
    "consent.granted": N_("Consent to release granted"),
    "consent.refused": N_("Consent to release refused"),
}

ACCOUNT: Mapping[str, str] = {
    "control": N_("Control"),
    "commitment": N_("Committed"),
    "receivable": N_("Receivable (not yet invoiced)"),
    "in_kind": N_("Owed in kind"),
    "invoiced": N_("Invoiced, unpaid"),
    "settled": N_("Settled"),
    "written_off": N_("Written off"),
    "outstanding": N_("Outstanding"),
}

METHOD: Mapping[str, str] = {
    "cash": N_("Reimbursement in cash"),
    "rik": N_("Replacement in kind"),
    "eve": N_("Equal value exchange"),
}

ACTIVITY_TYPE: Mapping[str, str] = {
    "bilateral_training": N_("Bilateral training"),
    "multilateral_exercise": N_("Multilateral exercise"),
    "un_peacekeeping": N_("UN peacekeeping"),
    "international_operation": N_("Internationally coordinated operation"),
    "hadr": N_("Humanitarian assistance and disaster relief"),
    "neo": N_("Evacuation of nationals"),
    "liaison_routine": N_("Liaison and routine activities"),
    "other_agreed": N_("Other agreed activity"),
}

CATEGORY: Mapping[str, str] = {
    "food": N_("Food"),
    "water": N_("Water"),
    "billeting": N_("Billeting"),
    "transportation": N_("Transportation (including airlift)"),
    "pol": N_("Petroleum, oils and lubricants"),
    "clothing": N_("Clothing"),
    "communications": N_("Communications"),
    "medical_services": N_("Medical services"),
    "base_support": N_("Base support"),
    "storage": N_("Storage"),
    "use_of_facilities": N_("Use of facilities"),
    "training_services": N_("Training services"),
    "spare_parts": N_("Spare parts and components"),
    "repair_maintenance": N_("Repair and maintenance"),
    "calibration": N_("Calibration services"),
    "airport_seaport_services": N_("Airport and seaport services"),
    "ammunition": N_("Ammunition"),
}

AGING_BUCKET: Mapping[str, str] = {
    "current": N_("Not yet due"),
    "1-30": N_("1–30 days overdue"),
    "31-60": N_("31–60 days overdue"),
    "61-90": N_("61–90 days overdue"),
    "over 90": N_("Over 90 days overdue"),
}

DUE_KIND: Mapping[str, str] = {
    "invoice": N_("Invoice unpaid"),
    "uninvoiced": N_("Received, not invoiced"),
    "unacknowledged": N_("Delivered, not acknowledged"),
    "in_kind": N_("Owed in kind"),
    "emergency_confirmation": N_("Emergency order awaiting written confirmation"),
}

INVOICE_KIND: Mapping[str, str] = {
    "goods": N_("Supplies and services"),
    "conversion": N_("Conversion of obligation in kind"),
    "residual": N_("Exchange residual"),
    "difference": N_("Short-payment difference"),
}

REPORT: Mapping[str, str] = {
    "statement": N_("Statement of account"),
    "open-orders": N_("Open orders register"),
    "invoices": N_("Invoice register"),
    "aging": N_("Aging of open items"),
    "obligations": N_("Obligations in kind"),
    "ceilings": N_("Ceilings"),
    "activities": N_("Totals per activity"),
    "year-end": N_("Year-end cut-off"),
    "balances": N_("Balances by counterpart and currency"),
    "annual": N_("Annual report of cross-servicing"),
    "missing-evidence": N_("Orders lacking supporting documents"),
}

# The annual report's directions, from the reporting nation's side.
DIRECTION: Mapping[str, str] = {
    "acquisition": N_("Acquisitions (support received)"),
    "transfer": N_("Transfers (support provided)"),
}

# What a row of the annual report is: one category's figures, or a total.
ANNUAL_ROW: Mapping[str, str] = {
    "detail": N_("Detail"),
    "method_total": N_("Total for the method"),
    "partner_total": N_("Total with the partner"),
    "direction_total": N_("Total for the direction"),
}

# An agreement's status, as its profile states it.
AGREEMENT_STATUS: Mapping[str, str] = {
    "negotiating": N_("under negotiation"),
    "signed": N_("signed, not yet in force"),
    "in_force": N_("in force"),
    "terminated": N_("terminated"),
}

DOCUMENT: Mapping[str, str] = {
    "order": N_("Order for logistic support, supplies and services"),
    "invoice": N_("Invoice"),
    "waybill": N_("Delivery waybill"),
    "grn": N_("Goods received note"),
}

# The kinds of document an evidence file may be named as (acsa.domain.agreement.DOCUMENT_KINDS).
EVIDENCE_KIND: Mapping[str, str] = {
    "delivery-ticket": N_("Delivery ticket"),
    "goods-received-note": N_("Goods received note"),
    "service-record": N_("Record of services performed"),
    "signed-form": N_("Signed form"),
    "photo": N_("Photo"),
    "other": N_("Other document"),
}

ERROR: Mapping[str, str] = {
    "domain_error": N_("Request refused"),
    "invalid_value": N_("Invalid value"),
    "missing_field": N_("Required field missing"),
    "currency_mismatch": N_("Currencies do not match"),
    "unknown_currency": N_("Unknown currency"),
    "rate_missing": N_("Exchange rate missing"),
    "profile_invalid": N_("Agreement profile invalid"),
    "not_eligible": N_("Not eligible under the agreement"),
    "prohibited_item": N_("Prohibited item"),
    "transition_not_allowed": N_("Not allowed in this status"),
    "already_recorded": N_("Already recorded"),
    "nothing_due": N_("Nothing due"),
    "not_authorized": N_("Not authorised"),
    "not_appointed": N_("No appointment for this act"),
    "limit_exceeded": N_("Limit exceeded"),
    "ceiling_exceeded": N_("Annual ceiling exceeded"),
    "tolerance_exceeded": N_("Delivery tolerance exceeded"),
    "deadline_not_reached": N_("Deadline not yet reached"),
    "deadline_passed": N_("Deadline passed"),
    "amount_exceeds_outstanding": N_("Amount exceeds what is outstanding"),
    "unknown_reference": N_("Not found"),
    "consent_missing": N_("Prior written consent missing"),
    "duties_combined": N_("Duties one person may not combine"),
    "evidence_missing": N_("Supporting document missing"),
    "part_ineffective": N_("Part of the act takes no effect"),
    "conflict": N_("Changed meanwhile: reload and try again"),
    "envelope_invalid": N_("Invalid event"),
    "bad_signature": N_("Signature does not verify"),
    "key_file_error": N_("Node key problem"),
    "node_not_initialized": N_("Node not initialised"),
    "document_payload_invalid": N_("Not a document check code"),
    "document_unavailable": N_("Document not available yet"),
    "font_missing": N_("Japanese font missing"),
    "node_already_initialized": N_("Node already set up in this directory"),
    "node_mismatch": N_("Another party's node"),
    "report_too_large": N_("Report too large: narrow it"),
    "clearance_required": N_("Clearance for every order it covers required"),
    "password_rejected": N_("Password not accepted"),
    "key_revoked": N_("Signed with a revoked key"),
    "stream_behind": N_("Signing paused: this node's record is behind what it sent"),
    "node_history_missing": N_("The database holds none of this node's history"),
    "unreadable": N_("File not readable"),
    "not_permitted": N_("Not permitted"),
    "step_out_of_order": N_("Step out of order"),
    "not_authenticated": N_("Not logged in"),
    "session_expired": N_("Session ended"),
    "login_failed": N_("Login failed"),
    "second_factor_required": N_("One-time code needed"),
    "login_throttled": N_("Too many failed logins"),
    "csrf_rejected": N_("Security token missing"),
    "scope_missing": N_("Token scope missing"),
    "backup_refused": N_("Backup refused"),
    "move_refused": N_("Move refused"),
    "not_served": N_("Not served to this node"),
    "not_a_party": N_("Not a party to the agreement"),
    "not_released": N_("Not released to this party"),
    "not_held": N_("Not held on this node"),
    "bad_cursor": N_("Page link not valid"),
    "not_yours": N_("Not this node's record"),
    "peer_in_alarm": N_("Partner under alarm"),
    "precondition_required": N_("If-Match required"),
    "bad_request": N_("Request not readable"),
    "qr_unreadable": N_("Code not readable"),
}

ACCESS_ACTION: Mapping[str, str] = {
    "login": N_("Logged in"),
    "login.password": N_("Password accepted, code awaited"),
    "login.failed": N_("Login failed"),
    "login.throttled": N_("Login refused: too many failures"),
    "logout": N_("Logged out"),
    "session.expired": N_("Session expired"),
    "token.created": N_("API token created"),
    "token.revoked": N_("API token revoked"),
    "token.used": N_("API token used"),
    "user.added": N_("User added"),
    "user.activated": N_("User activated"),
    "user.deactivated": N_("User deactivated"),
    "user.clearance": N_("Clearance changed"),
    "user.assigned": N_("Assigned to an activity"),
    "user.unassigned": N_("Unassigned from an activity"),
    "user.roles": N_("Roles changed"),
    "user.units": N_("Units changed"),
    "order.read": N_("Order opened"),
    "document.read": N_("Document printed"),
    "claim.sent": N_("Claim notice marked sent"),
    "evidence.read": N_("Evidence file opened"),
    "report.export": N_("Exported"),
}

FINDING: Mapping[str, str] = {
    "malformed": N_("Not an ACSA document code"),
    "unknown_key": N_("Signed with an unknown key"),
    "key_not_learnt": N_("Signer's key not yet learnt"),
    "bad_signature": N_("Signature does not verify"),
    "unknown_event": N_("Event not in this node's record"),
    "record_altered": N_("This node's copy of the event is altered"),
    "key_mismatch": N_("Signed with another key"),
    "signature_mismatch": N_("Signature differs from the record"),
    "order_mismatch": N_("Event belongs to another order"),
}

# The tasks of a worklist (domain.worklist.TASKS), as its tiles name them.
TASK: Mapping[str, str] = {
    "accept": N_("Orders to accept"),
    "confirm": N_("Orders with a proposal to confirm"),
    "emergency": N_("Emergency orders to confirm in writing"),
    "deliver": N_("Orders to deliver"),
    "receive": N_("Orders with a delivery to acknowledge"),
    "invoice": N_("Orders to invoice"),
    "pay": N_("Orders with an invoice to pay"),
    "confirm_payment": N_("Orders with a payment to confirm"),
    "return": N_("Orders to settle by return in kind"),
    "accept_return": N_("Orders with a return in kind to accept or refuse"),
    "convert": N_("Orders past their in-kind deadline (may be converted to cash)"),
    "sign_exchange": N_("Orders with an exchange to sign"),
    "sign_offset": N_("Orders with an offset to sign"),
    "resolve": N_("Orders with a dispute to resolve"),
    "answer": N_("Orders with a request to answer"),
    "transfer": N_("Orders with a transfer request to answer"),
}

# What a rate may be used for, where a profile asks for official rates (``official_for``).
RATE_USE: Mapping[str, str] = {
    "ceilings": N_("Annual ceilings"),
    "exchange": N_("Equal-value exchanges"),
    "offset": N_("Offsets"),
}

# What a ceiling caps (its ``direction``).
CEILING_DIRECTION: Mapping[str, str] = {
    "liabilities": N_("Liabilities (support received)"),
    "credits": N_("Credits (support provided)"),
}

# Which orders a ceiling counts (its ``scope``).
CEILING_SCOPE: Mapping[str, str] = {
    "agreement": N_("This agreement's orders"),
    "country": N_("Every agreement with the partner"),
}

# How a transmission left this node (``transmissions.channel``).
CHANNEL: Mapping[str, str] = {
    "sync": N_("Online sync"),
    "bundle": N_("Bundle file"),
    "release": N_("Release package"),
    "document": N_("Document export"),
}

# The words of a profile's pricing and ceiling terms (``pricing.*``, ``ceilings.counted_on``),
# by the keys the profile writes.
PROFILE_TERM: Mapping[str, str] = {
    "reciprocal": N_("Reciprocal (each party's own prices)"),
    "order": N_("the order"),
    "delivery": N_("the delivery"),
    "received": N_("the quantity received"),
    "delivered": N_("the quantity delivered"),
    "acceptance": N_("the order's acceptance"),
}

COMPROMISE_STATUS: Mapping[str, str] = {
    "reported": N_("Reported"),
    "acknowledged": N_("Acknowledged"),
    "assessed": N_("Assessed"),
    "closed": N_("Closed"),
}

COMPROMISE_STEP: Mapping[str, str] = {
    "acknowledged": N_("Acknowledgement by the originator"),
    "assessed": N_("Assessment"),
    "closed": N_("Closing by the originator"),
}

KINDS: Mapping[str, Mapping[str, str]] = {
    "channel": CHANNEL,
    "compromise_status": COMPROMISE_STATUS,
    "profile_term": PROFILE_TERM,
    "compromise_step": COMPROMISE_STEP,
    "task": TASK,
    "rate_use": RATE_USE,
    "ceiling_scope": CEILING_SCOPE,
    "ceiling_direction": CEILING_DIRECTION,
    "status": STATUS,
    "role": ROLE,
    "side": SIDE,
    "action": ACTION,
    "event": EVENT,
    "account": ACCOUNT,
    "method": METHOD,
    "activity_type": ACTIVITY_TYPE,
    "category": CATEGORY,
    "aging_bucket": AGING_BUCKET,
    "due_kind": DUE_KIND,
    "invoice_kind": INVOICE_KIND,
    "report": REPORT,
    "direction": DIRECTION,
    "annual_row": ANNUAL_ROW,
    "agreement_status": AGREEMENT_STATUS,
    "document": DOCUMENT,
    "evidence_kind": EVIDENCE_KIND,
    "error": ERROR,
    "access_action": ACCESS_ACTION,
    "finding": FINDING,
}


def label(kind: str, value: str, locale: str | None = None) -> str:
    """What a person reads for code ``value`` of ``kind``; the code itself when unlabelled."""
    table = KINDS.get(kind)
    if table is None:
        raise KeyError(f"no labels of kind {kind!r}; known: {', '.join(sorted(KINDS))}")
    source = table.get(str(value))
    return gettext(source, locale) if source is not None else str(value)


def source_label(kind: str, value: str) -> str:
    """The English source label (untranslated), for tests and exports."""
    return KINDS[kind].get(value, value)
