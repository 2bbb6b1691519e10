"""Markings as their readers see them, and as users give them.

An order is protected by the strongest of its events' markings (the fold
works it out; the ``orders`` projection keeps it). This module turns a
marking into what every entry point shows — the originator's level and each
other party's equivalent, from the agreement profile's equivalence table
(:class:`MarkingInfo`, :func:`text`) — finds the marking a page or a report
must carry (the strongest of the orders it shows: :func:`report_marking`),
and checks a marking typed at creation before anything is signed
(:func:`problems`, :func:`check_originator`).

Where a party's scheme has no equivalent, the text says so and names the
level that party protects it at, as :func:`acsa.domain.marking.display`
does: ``RESTRICTED / (no JPN equivalent: protect as 秘)``. The words of the
levels are the parties' own and are never translated; the phrase around them
is, by the ``translate`` function an entry point passes (its ``gettext`` in
the reader's language).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import or_, select

from acsa.domain.agreement import AgreementProfile
from acsa.domain.errors import InvalidValue
from acsa.domain.marking import (
    UNCLASSIFIED,
    Marking,
    clearance_rank,
    display,
    equivalent,
    marking_from_data,
    may_read,
    protection_level,
    required_rank,
    strongest,
)
from acsa.services import need_to_know
from acsa.services.recording import adopted_profile
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import LocalUser
from acsa.store import tables as T


def N_(message: str) -> str:
    """Mark ``message`` for translation; entry points translate it (services never do)."""
    return message


NO_EQUIVALENT = N_("(no %(party)s equivalent: protect as %(level)s)")
CAVEATS_MAX = 10
CAVEAT_LENGTH_MAX = 40
LEVEL_LENGTH_MAX = 40


@dataclass(frozen=True)
class Scheme:
    """One party's word for a marking."""

    party: str
    level: str | None  # the party's equivalent level; None when its scheme has none
    protect_as: str  # the level of its own scheme the party protects it at


@dataclass(frozen=True)
class MarkingInfo:
    """A marking with each party's term for it, the originator's first."""

    level: str  # a level of the originator's scheme, or UNCLASSIFIED
    originator: str
    rel: tuple[str, ...]
    caveats: tuple[str, ...]
    display: str  # acsa.domain.marking.display: both schemes, in the domain's words
    schemes: tuple[Scheme, ...] = field(default=())

    @property
    def classified(self) -> bool:
        return self.level != UNCLASSIFIED


class Shown(Protocol):
    """What :func:`text` reads: a :class:`MarkingInfo`, or the API's copy of one."""

    @property
    def schemes(self) -> Sequence[Any]: ...

    @property
    def caveats(self) -> Sequence[str]: ...


def describe(marking: Marking, profile: AgreementProfile) -> MarkingInfo:
    """``marking`` with every party's term for it under ``profile``."""
    others = [p for p in profile.party_codes if p != marking.originator]
    schemes = tuple(
        Scheme(party, equivalent(marking, profile, party),
               protection_level(marking, profile, party))
        for party in (marking.originator, *others))
    return MarkingInfo(marking.level, marking.originator, tuple(marking.rel),
                       tuple(marking.caveats), display(marking, profile), schemes)


def as_data(info: MarkingInfo) -> dict[str, Any]:
    """``info`` as the plain data of an order's record (the API's ``marking``)."""
    return {"level": info.level, "originator": info.originator, "rel": list(info.rel),
            "caveats": list(info.caveats), "display": info.display,
            "schemes": [{"party": s.party, "level": s.level, "protect_as": s.protect_as}
                        for s in info.schemes]}


def _same(message: str) -> str:
    return message


def text(info: Shown, translate: Callable[[str], str] = _same) -> str:
    """Both parties' markings side by side, then any caveats: ``SECRET / 極秘 // NOFORN``.

    ``translate`` gives the reader's words for the phrase of a level with no
    equivalent; the levels themselves stay the parties' own words.
    """
    shown: list[str] = []
    for scheme in info.schemes:
        party, level = _get(scheme, "party"), _get(scheme, "level")
        if level is None:
            shown.append(translate(NO_EQUIVALENT) % {
                "party": party, "level": _get(scheme, "protect_as")})
        elif level not in shown:
            shown.append(str(level))
    words = " / ".join(shown)
    return f"{words} // {', '.join(info.caveats)}" if info.caveats else words


def line(info: MarkingInfo | None, translate: Callable[[str], str] = _same) -> str | None:
    """:func:`text` of a report's or page's marking; None when it is unclassified."""
    if info is None or not info.classified:
        return None
    return text(info, translate)


def _get(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, Mapping) else getattr(item, name)


# describe() of a marking under a profile, by the profile's digest (a profile's content
# never changes under its digest). A list page describes every row's marking, most of
# them the same few; bounded, and emptied when full.
_DESCRIBED: dict[tuple[Marking, str], MarkingInfo] = {}
DESCRIBED_MAX = 4096


def of_row(uow: UnitOfWork, row: Any) -> MarkingInfo:
    """The marking an ``orders`` row is protected by, with both parties' terms."""
    marking = need_to_know.marking_of(row)
    key = (marking, str(row.profile))
    found = _DESCRIBED.get(key)
    if found is None:
        if len(_DESCRIBED) >= DESCRIBED_MAX:
            _DESCRIBED.clear()
        found = _DESCRIBED[key] = describe(marking, uow.context.profile(row.profile))
    return found


def of_event(data: object, profile: AgreementProfile) -> MarkingInfo | None:
    """An event's marking (its envelope's ``marking``); None if the profile cannot read it
    (such an event is ineffective, and its marking protects nothing)."""
    try:
        return describe(marking_from_data(data, profile), profile)
    except InvalidValue:
        return None


def unclassified(profile: AgreementProfile, requester: str, supplier: str) -> MarkingInfo:
    """The marking of an order no event of which is classified."""
    return describe(Marking(UNCLASSIFIED, requester, tuple(sorted((requester, supplier)))),
                    profile)


# -- what a page or a report carries --------------------------------------------------------


def _classified_rows(uow: UnitOfWork) -> list[Any]:
    o = T.orders.c
    # Two ranges rather than "!=", which no engine reads from an index.
    return list(uow.conn.execute(
        select(T.orders).where(or_(o.marking < UNCLASSIFIED, o.marking > UNCLASSIFIED))).all())


def _strongest(uow: UnitOfWork, rows: Iterable[Any]) -> MarkingInfo | None:
    """Of the markings of ``rows``, the one this node's party must protect most.

    Orders of several agreements are ranked each under its own profile, by the
    level this node's party protects it at; ties go to the first.
    """
    party = uow.node.party
    by_profile: dict[str, list[Marking]] = {}
    for row in rows:
        by_profile.setdefault(row.profile, []).append(need_to_know.marking_of(row))
    best: tuple[int, MarkingInfo] | None = None
    for digest, found in by_profile.items():
        profile = uow.context.profile(digest)
        top = strongest(found, profile, party)
        if top is None:
            continue
        rank = required_rank(top, profile, party)
        if rank > 0 and (best is None or rank > best[0]):
            best = (rank, describe(top, profile))
    return best[1] if best else None


def order_marking(uow: UnitOfWork, number: str) -> MarkingInfo | None:
    """The marking order ``number`` is shown with; None when it is unclassified."""
    return report_marking(uow, [number])


def report_marking(uow: UnitOfWork, numbers: Iterable[str]) -> MarkingInfo | None:
    """The marking a page or report that shows orders ``numbers`` carries at top and bottom:
    the strongest of theirs; None when every one of them is unclassified."""
    wanted = {str(n) for n in numbers}
    if not wanted:
        return None
    return _strongest(uow, (r for r in _classified_rows(uow) if r.number in wanted))


def readable_marking(uow: UnitOfWork, user: LocalUser) -> MarkingInfo | None:
    """The marking of a report that sums every order ``user`` may read (balances, ceilings,
    totals per activity): the strongest of theirs; None when all are unclassified."""
    hidden = need_to_know.unreadable(uow, user)
    return _strongest(uow, (r for r in _classified_rows(uow)
                            if user.party in (r.requester, r.supplier)
                            and str(r.number) not in hidden))


def all_orders_marking(uow: UnitOfWork) -> MarkingInfo | None:
    """The marking of a report over every order of this node (a command-line export)."""
    return _strongest(uow, _classified_rows(uow))


# -- classifying ---------------------------------------------------------------------------------


def given(level: str | None, caveats: Iterable[str] = ()) -> dict[str, Any] | None:
    """A marking as a user gives it (a level and caveats); None when no level is given and
    no caveat either (the record is unclassified)."""
    words = [c.strip() for c in caveats if c and c.strip()]
    level = (level or "").strip()
    if not level and not words:
        return None
    return {"level": level, "caveats": words} if words else {"level": level}


@dataclass(frozen=True)
class MarkingProblem:
    """Why a marking typed at creation is refused: ``message`` is an English msgid whose
    placeholders ``params`` fills; an entry point shows it in the reader's language."""

    field: str  # "marking.level" or "marking.caveats"
    message: str
    params: dict[str, str]

    def english(self) -> str:
        return self.message % self.params

    def error(self) -> InvalidValue:
        return InvalidValue(self.message, field=self.field, **self.params)


def problems(profile: AgreementProfile, party: str,
             marking: Mapping[str, Any] | None) -> list[MarkingProblem]:
    """Every problem of a marking ``party`` gives under ``profile``: a level that is not
    one of its own scheme's, caveats without a level, too many or too long caveats."""
    if not marking:
        return []
    out = []
    scheme = profile.party(party)
    level = marking.get("level")
    caveats = marking.get("caveats") or []
    unclassified_word = level in (None, "", UNCLASSIFIED, scheme.unclassified_marking)
    if not unclassified_word and level not in scheme.classification_levels:
        out.append(MarkingProblem("marking.level", N_(
            "%(level)s is not a classification level of %(party)s: choose one of "
            "%(levels)s, or none"), {"level": repr(level)[:LEVEL_LENGTH_MAX + 2],
                                      "party": party,
                                      "levels": ", ".join(scheme.classification_levels)}))
    if not isinstance(caveats, list | tuple) or not all(isinstance(c, str) for c in caveats):
        out.append(MarkingProblem("marking.caveats", N_("must be a list of words"), {}))
    elif caveats and unclassified_word:
        out.append(MarkingProblem("marking.caveats", N_(
            "caveats go with a classification level: choose one, or leave them out"), {}))
    elif len(caveats) > CAVEATS_MAX or any(
            not c.strip() or len(c) > CAVEAT_LENGTH_MAX for c in caveats):
        out.append(MarkingProblem("marking.caveats", N_(
            "at most %(count)s caveats, each a word or a few of at most %(length)s "
            "characters"), {"count": str(CAVEATS_MAX), "length": str(CAVEAT_LENGTH_MAX)}))
    return out


def reader_problem(profile: AgreementProfile, user: LocalUser, activity: str | None,
                   marking: Mapping[str, Any] | None) -> MarkingProblem | None:
    """Whether ``user`` could read what they classify with ``marking``: an act they sign but
    could not read back is refused (a clearance below the level, or no assignment to the
    activity), rather than recorded and hidden from them at once."""
    if not marking or problems(profile, user.party, marking):
        return None
    level = str(marking.get("level") or UNCLASSIFIED)
    if level in (UNCLASSIFIED, profile.party(user.party).unclassified_marking):
        return None
    mine = Marking(level, user.party, tuple(sorted(profile.party_codes)))
    reader = need_to_know.reader_of(user)
    if may_read(mine, profile, reader, activity):
        return None
    if required_rank(mine, profile, user.party) > clearance_rank(profile, reader):
        return MarkingProblem("marking.level", N_(
            "your clearance (%(clearance)s) is below %(level)s: you could not read the "
            "record yourself"), {"clearance": user.clearance or "—", "level": level})
    return MarkingProblem("marking.level", N_(
        "you are not assigned to activity %(activity)s: you could not read the record "
        "yourself"), {"activity": activity or "—", "level": level})


def all_problems(profile: AgreementProfile, user: LocalUser, activity: str | None,
                 marking: Mapping[str, Any] | None) -> list[MarkingProblem]:
    """The problems of a marking given at creation, including whether its author could
    read it back; empty when it may be recorded."""
    found = problems(profile, user.party, marking)
    if found:
        return found
    problem = reader_problem(profile, user, activity, marking)
    return [problem] if problem else []


def problems_of(uow: UnitOfWork, party: str, agreement: object,
                marking: Mapping[str, Any] | None) -> list[MarkingProblem]:
    """:func:`problems` of a marking ``party`` gives under ``agreement`` (a draft's: who
    may read it is asked when it is submitted)."""
    if not marking or not isinstance(agreement, str) or not agreement:
        return []
    return problems(adopted_profile(uow, agreement), party, marking)


def originator_problems(uow: UnitOfWork, user: LocalUser, agreement: object,
                        activity: object, marking: Mapping[str, Any] | None
                        ) -> list[MarkingProblem]:
    """The problems of a marking ``user`` gives a new record of ``activity`` under
    ``agreement`` (:func:`all_problems`); none for an unclassified one, or when the
    agreement is not named (the terms' own check says so)."""
    if not marking or not isinstance(agreement, str) or not agreement:
        return []
    profile = adopted_profile(uow, agreement)
    return all_problems(profile, user, activity if isinstance(activity, str) else None,
                        marking)


def check_originator(uow: UnitOfWork, user: LocalUser, agreement: object, activity: object,
                     marking: Mapping[str, Any] | None) -> None:
    """Refuse (``InvalidValue`` naming the field) a marking ``user`` may not give to a record
    of ``activity`` under ``agreement``; nothing for an unclassified one."""
    found = originator_problems(uow, user, agreement, activity, marking)
    if found:
        raise found[0].error()


def order_problems(uow: UnitOfWork, user: LocalUser, number: str,
                   marking: Mapping[str, Any] | None) -> list[MarkingProblem]:
    """:func:`originator_problems` for an act on order ``number`` (a delivery classified
    above its order)."""
    if not marking:
        return []
    row = uow.conn.execute(select(T.orders.c.agreement, T.orders.c.activity)
                           .where(T.orders.c.number == number)).first()
    if row is None:
        return []
    return originator_problems(uow, user, row.agreement, row.activity, marking)


def check_for_order(uow: UnitOfWork, user: LocalUser, number: str,
                    marking: Mapping[str, Any] | None) -> None:
    """Refuse a marking ``user`` may not give to an act on order ``number``."""
    found = order_problems(uow, user, number, marking)
    if found:
        raise found[0].error()
