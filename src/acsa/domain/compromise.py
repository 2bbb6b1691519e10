"""Loss or compromise reports: a partner's information lost or exposed, reported to it.

Under the Security of Information Agreement the originator of information
has the last word on it, and a loss or compromise is reported to the
originator promptly. A report moves through four steps, each a signed event
of the agreement's streams, each by a security officer appointed in the
shared roster:

====================  ===================  ==========================================
step                  who                  what it carries
====================  ===================  ==========================================
``reported``          the party that held  the originator, the orders or events
                      the information      involved, what happened, when it was
                                           discovered, the highest marking involved
``acknowledged``      the originator       that the originator has the report
``assessed``          either party         the assessment of what was lost and its harm
``closed``            the originator       (optional note) the originator's last word
====================  ===================  ==========================================

Every step after the report names the step it follows (``data.follows``, the
hash of the report's latest step when it was signed), so the steps form a
chain whatever the nodes' clocks say. The verdict is a fold of the events,
the same on every node that holds them: a step that follows the report's
latest step and is next in the table above, by the right party, takes
effect; among two that follow the same step the first in recording order
(time, stream, sequence) wins; anything else is kept, ineffective, with its
reason. A step whose predecessor this node does not hold yet waits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from acsa.domain import facts as F
from acsa.domain.errors import N_, InvalidValue, MissingField

REPORTED = "reported"
ACKNOWLEDGED = "acknowledged"
ASSESSED = "assessed"
CLOSED = "closed"
STATUSES = (REPORTED, ACKNOWLEDGED, ASSESSED, CLOSED)
TEXT_MAX = 4000
REFERENCES_MAX = 100
SUBJECT_PREFIX = "LC/"

# The step each event type takes, the status it needs, and who may take it.
ORIGINATOR = "originator"
EITHER = "either"
STEPS: dict[str, tuple[str, str, str]] = {
    F.COMPROMISE_ACKNOWLEDGED: (REPORTED, ACKNOWLEDGED, ORIGINATOR),
    F.COMPROMISE_ASSESSED: (ACKNOWLEDGED, ASSESSED, EITHER),
    F.COMPROMISE_CLOSED: (ASSESSED, CLOSED, ORIGINATOR),
}
TYPES = (F.COMPROMISE_REPORTED, *STEPS)
# The step a report in each status waits for, and whose it is.
NEXT: dict[str, tuple[str, str]] = {before: (t, who) for t, (before, _, who) in STEPS.items()}


def _text(data: Mapping[str, Any], key: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise MissingField(N_("is required"), field=key)
        return ""
    if not isinstance(value, str):
        raise InvalidValue(N_("must be text, got '%(value)s'"), field=key, value=value)
    if len(value) > TEXT_MAX:
        raise InvalidValue(N_("must be at most %(limit)s characters"), field=key,
                           limit=TEXT_MAX)
    return value.strip()


def _texts(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip()
                                              for v in value):
        raise InvalidValue(N_("must be a list of references"), field=key)
    if len(value) > REFERENCES_MAX:
        raise InvalidValue(N_("must list at most %(limit)s"), field=key, limit=REFERENCES_MAX)
    return tuple(v.strip() for v in value)


@dataclass(frozen=True)
class ReportTerms:
    """What the reporting party signs."""

    originator: str
    orders: tuple[str, ...]
    events: tuple[str, ...]
    what_happened: str
    discovered_on: date
    highest_marking: str  # a level of the originator's scheme

    def as_data(self) -> dict[str, Any]:
        return {"originator": self.originator, "orders": list(self.orders),
                "events": list(self.events), "what_happened": self.what_happened,
                "discovered_on": self.discovered_on.isoformat(),
                "highest_marking": self.highest_marking}


def terms_from_data(data: Mapping[str, Any]) -> ReportTerms:
    """A report's terms, each problem naming its field as the form labels it."""
    originator = _text(data, "originator")
    orders = _texts(data, "orders")
    events = _texts(data, "events")
    if not orders and not events:
        raise MissingField(N_("name at least one order or event involved"), field="orders")
    discovered = data.get("discovered_on")
    if not isinstance(discovered, str | date) or not discovered:
        raise MissingField(N_("a date (YYYY-MM-DD) is required"), field="discovered_on")
    try:
        day = discovered if isinstance(discovered, date) else date.fromisoformat(discovered)
    except ValueError:
        raise InvalidValue(N_("'%(value)s' is not a date (YYYY-MM-DD)"), field="discovered_on",
                           value=discovered) from None
    return ReportTerms(originator=originator, orders=orders, events=events,
                       what_happened=_text(data, "what_happened"), discovered_on=day,
                       highest_marking=_text(data, "highest_marking"))


def check_compromise_data(type_: str, data: Mapping[str, Any]) -> None:
    """Refuse report events whose data the fold could not read."""
    if type_ == F.COMPROMISE_REPORTED:
        terms_from_data(data)
        return
    if not isinstance(data.get("follows"), str):
        raise InvalidValue(N_("must be the hash of the step it follows"), field="follows")
    if type_ == F.COMPROMISE_ASSESSED:
        _text(data, "assessment")
    elif type_ == F.COMPROMISE_CLOSED:
        _text(data, "note", required=False)


@dataclass(frozen=True)
class Step:
    """One effective step after the report."""

    type: str
    event: str
    party: str
    user: str
    name: str
    on: date
    text: str = ""


@dataclass(frozen=True)
class Report:
    """One report as the fold has it."""

    id: str  # the subject, e.g. LC/PHL/00001
    stream: str
    terms: ReportTerms
    event: str  # hash of the compromise.reported event
    reporter: str  # party
    reporter_user: str
    reporter_name: str
    reported_on: date
    status: str = REPORTED
    head: str = ""  # hash of the latest effective step (the report itself at first)
    steps: tuple[Step, ...] = ()
    waiting: tuple[str, ...] = ()  # steps whose predecessor this node does not hold yet
    ineffective: tuple[tuple[str, str], ...] = field(default=())  # (event, reason)

    @property
    def is_open(self) -> bool:
        return self.status != CLOSED

    def awaits(self) -> tuple[str, str] | None:
        """The next step and the party whose it is, or None once closed."""
        nxt = NEXT.get(self.status)
        if nxt is None:
            return None
        step, who = nxt
        return step, self.terms.originator if who == ORIGINATOR else EITHER

    def may_take(self, type_: str, party: str) -> str | None:
        """Why ``party`` may not take step ``type_`` now (None when it may)."""
        before, _, who = STEPS[type_]
        if self.status != before:
            return (f"the report is {self.status}: {type_.split('.')[1]} needs a report "
                    f"that is {before}")
        if who == ORIGINATOR and party != self.terms.originator:
            return f"only the originator ({self.terms.originator}) takes this step"
        if party not in (self.reporter, self.terms.originator):
            return f"{party} is neither the reporting party nor the originator"
        return None


Authorize = Callable[[F.Fact], str | None]  # a reason the actor may not sign, or None


def _order_key(f: F.Fact) -> tuple[str, str, int]:
    return (f.at, f.stream, f.seq)


def fold_reports(facts: Iterable[F.Fact], authorize: Authorize) -> dict[str, Report]:
    """Every report, by id, from its events (rules in the module's docstring)."""
    ordered = sorted(facts, key=_order_key)
    reports: dict[str, Report] = {}
    rejected: dict[str, list[tuple[str, str]]] = {}
    for f in ordered:
        if f.type == F.COMPROMISE_REPORTED:
            problem = _report_problem(f, reports) or authorize(f)
            if problem:
                rejected.setdefault(f.subject, []).append((f.hash, problem))
                continue
            reports[f.subject] = Report(
                id=f.subject, stream=f.stream, terms=terms_from_data(f.data), event=f.hash,
                reporter=f.signer, reporter_user=f.actor.user, reporter_name=f.actor.name,
                reported_on=f.on, head=f.hash)
    for subject, report in list(reports.items()):
        steps = [f for f in ordered if f.subject == subject and f.type in STEPS]
        reports[subject] = _chain(report, steps, authorize, rejected.pop(subject, []))
    return reports


def _report_problem(f: F.Fact, reports: Mapping[str, Report]) -> str | None:
    if f.actor.party != f.signer or f.actor.paper:
        return f"an act of {f.actor.party} signed by {f.signer}'s node"
    if not f.subject.startswith(SUBJECT_PREFIX + f.signer + "/"):
        return f"a report of {f.signer} is numbered {SUBJECT_PREFIX}{f.signer}/…"
    if f.subject in reports:
        return "this report number is already taken"
    try:
        terms = terms_from_data(f.data)
    except (InvalidValue, MissingField) as exc:
        return str(exc)
    if terms.originator == f.signer:
        return "a party reports a loss or compromise of another party's information"
    return None


def _chain(report: Report, steps: list[F.Fact], authorize: Authorize,
           ineffective: list[tuple[str, str]]) -> Report:
    """Take the steps that follow the chain's head, one at a time, first in order first."""
    pending = list(steps)
    while True:
        nxt = next((s for s in pending if s.data.get("follows") == report.head), None)
        if nxt is None:
            break
        pending.remove(nxt)
        problem = _step_problem(report, nxt) or authorize(nxt)
        if problem:
            ineffective.append((nxt.hash, problem))
            continue
        _, status, _ = STEPS[nxt.type]
        text = str(nxt.data.get("assessment") or nxt.data.get("note") or "")
        report = replace(report, status=status, head=nxt.hash, steps=(*report.steps, Step(
            nxt.type, nxt.hash, nxt.signer, nxt.actor.user, nxt.actor.name, nxt.on, text)))
    known = {report.event, *(s.hash for s in steps)}
    waiting = []
    for s in pending:
        if s.data.get("follows") in known:
            ineffective.append((s.hash, "follows a step that is no longer the report's latest"))
        else:
            waiting.append(s.hash)
    return replace(report, waiting=tuple(waiting), ineffective=tuple(ineffective))


def _step_problem(report: Report, f: F.Fact) -> str | None:
    if f.actor.party != f.signer or f.actor.paper:
        return f"an act of {f.actor.party} signed by {f.signer}'s node"
    return report.may_take(f.type, f.signer)
