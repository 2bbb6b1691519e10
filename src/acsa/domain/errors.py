"""Domain errors: each names a condition and carries a stable code.

Entry points turn a :class:`DomainError` into a problem document, an exit
code or a message on a page; the domain never knows which.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse. ``code`` is stable; ``field`` names the input at fault."""

    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

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


class PartIneffective(DomainError):
    """An event acting on several orders is invalid on another of them, so on none."""

    code = "part_ineffective"


class Conflict(DomainError):
    """The order changed since the actor last saw it (a stale ``parent``)."""

    code = "conflict"


class InvariantBroken(Exception):
    """A rule that must always hold does not: stop, commit nothing.

    Not a :class:`DomainError`: this is a defect, never a refusal of input.
    """
