"""Domain errors: each names a condition and carries a stable code.

Entry points turn a :class:`DomainError` into a problem document, an exit
code or a message on a page; the domain never knows which.

A refusal's message is an English sentence with named placeholders, marked
with :func:`N_` so that the catalogues hold it (``"%(user)s is not appointed as
%(role)s on %(date)s"``), and its values are the error's ``params``. The
domain knows no language: an entry point translates the sentence and formats
each value for its reader (:mod:`acsa.i18n.refusals`); ``message`` is the
English sentence filled in, for logs, the command line and API clients.
"""

from __future__ import annotations

from collections.abc import Mapping


def N_(message: str) -> str:
    """Mark a refusal's English sentence for the catalogues (translated at the edge)."""
    return message


def fill(template: str, params: Mapping[str, object]) -> str:
    """``template`` with its ``%(name)s`` placeholders filled from ``params`` as an f-string
    would write them (a list as its items separated by commas); the template itself when it
    names a value ``params`` lacks."""
    for name, value in params.items():
        if not isinstance(value, str):  # quoted as repr() would quote it: strings only
            template = template.replace(f"'%({name})s'", f"%({name})s")
    try:
        return template % {name: _text(value) for name, value in params.items()}
    except (KeyError, ValueError, TypeError):
        return template


def _text(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(format(item, "") for item in value)
    if isinstance(value, (set, frozenset)):
        return ", ".join(sorted(format(item, "") for item in value))
    return format(value, "")


class DomainError(Exception):
    """A request the rules refuse. ``code`` is stable; ``field`` names the input at fault.

    ``params`` holds the values the message names — ``limit``, ``date``,
    ``total``, ``role``, ``unit`` … — as domain values (money, dates,
    decimals), so that a page or the command line can phrase and translate
    the refusal; :func:`acsa.domain.params.plain_params` gives them as JSON values.

    Only subclasses are raised, each named for its condition with its own
    ``code``: the base class's code never reaches a user.
    """

    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        text = fill(message, params)
        super().__init__(text)
        self.template = message  # the sentence the catalogues translate
        self.message = text
        self.field = field
        self.params: dict[str, object] = params

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class InvalidValue(DomainError):
    code = "invalid_value"


class MissingField(DomainError):
    code = "missing_field"


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"


class UnknownCurrency(DomainError):
    code = "unknown_currency"


class RateMissing(DomainError):
    code = "rate_missing"


class ProfileInvalid(DomainError):
    """A profile file is wrong; the message already names the file and key."""

    code = "profile_invalid"

    def __str__(self) -> str:
        return self.message


class NotEligible(DomainError):
    code = "not_eligible"


class ProhibitedItem(DomainError):
    code = "prohibited_item"


class TransitionNotAllowed(DomainError):
    """The permission table forbids this action to this role of this side in this status.

    Only :mod:`acsa.domain.rules` raises it, so that a refusal with this code always
    matches the actions the table offers; a step refusing for a reason in the order's
    records uses another error (e.g. :class:`AlreadyRecorded`).
    """

    code = "transition_not_allowed"


class NothingDue(DomainError):
    """The step has nothing to act on: nothing to invoice, to return or to offset."""

    code = "nothing_due"


class AlreadyRecorded(DomainError):
    """What the event would record is already on record: answered, confirmed, invoiced …"""

    code = "already_recorded"


class StepOutOfOrder(DomainError):
    """A step of a record that moves through fixed steps (a loss or compromise report:
    reported, acknowledged, assessed, closed) comes before its turn or after its end."""

    code = "step_out_of_order"


class NotAuthorized(DomainError):
    code = "not_authorized"


class NotAppointed(DomainError):
    code = "not_appointed"


class LimitExceeded(DomainError):
    code = "limit_exceeded"


class CeilingExceeded(DomainError):
    code = "ceiling_exceeded"


class ToleranceExceeded(DomainError):
    code = "tolerance_exceeded"


class DeadlineNotReached(DomainError):
    code = "deadline_not_reached"


class DeadlinePassed(DomainError):
    code = "deadline_passed"


class AmountExceedsOutstanding(DomainError):
    code = "amount_exceeds_outstanding"


class UnknownReference(DomainError):
    code = "unknown_reference"


class ConsentMissing(DomainError):
    code = "consent_missing"


class DutiesCombined(DomainError):
    """One person would take two actions on one order that the agreement's separation of
    duties keeps apart (the order's side has not waived it)."""

    code = "duties_combined"


class EvidenceMissing(DomainError):
    """A settlement step the agreement's evidence policy holds back until an earlier step
    of the order carries the document it needs (a delivery ticket before the invoice)."""

    code = "evidence_missing"


class PartIneffective(DomainError):
    """An event acting on several orders is invalid on another of them, so on none."""

    code = "part_ineffective"


class Conflict(DomainError):
    """The order changed since the actor last saw it (a stale ``parent``)."""

    code = "conflict"


class NodeAlreadyInitialized(DomainError):
    """The data directory already holds a node: a second one is never created over it."""

    code = "node_already_initialized"


class NodeMismatch(DomainError):
    """The data directory holds another party's node than the one configured."""

    code = "node_mismatch"


class StreamBehind(DomainError):
    """This node's own stream holds fewer events than have left it (a restored backup, or a
    partner holds more of it): signing the next event would give a second, different event
    at a position its partners already hold. Refused on that stream only, until the missing
    events are fetched back."""

    code = "stream_behind"


class NodeHistoryMissing(DomainError):
    """The data directory shows that this node recorded events, but its database holds
    none: it is the wrong database, or one to restore from a backup."""

    code = "node_history_missing"


class ReportTooLarge(DomainError):
    """A report would hold more rows than one report may: narrow it.

    Not a :class:`LimitExceeded`, which is the rules' limit on an act (403):
    this is the size of a request (422).
    """

    code = "report_too_large"


class NeedToKnow(DomainError):
    """An act covers orders its actor may not read: a balance or offset statement signed
    without the clearance and need to know for every order it covers (403). The refusal
    names none of those orders."""

    code = "clearance_required"


class InvariantBroken(Exception):
    """A rule that must always hold does not: stop, commit nothing.

    Not a :class:`DomainError`: this is a defect, never a refusal of input.
    """
