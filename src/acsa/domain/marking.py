"""Classification markings: equivalence, display, releasability and the access rule.

A :class:`Marking` says how sensitive a record is *in its originator's own
scheme*, who originated it and to which parties the originator has released
it. The agreement profile carries each party's levels (highest first) and the
equivalence table of the Security of Information Agreement; nothing here
names a level.

Three rules of the agreement are enforced here:

- **Equivalence.** Information received is protected at the receiving
  party's equivalent level and shown with both markings
  (:func:`display`, :func:`protection_level`).
- **Originator control.** It may go only to the parties the originator
  released it to (:func:`may_release`); anything else needs the
  originator's prior written consent, which is a new marking, not a flag.
- **Clearance and need to know.** A person reads it only with a clearance at
  or above the protecting level of their own party's scheme and an
  assignment to the activity it belongs to (:func:`may_read`).

**A level with no equivalent** (the Philippines' RESTRICTED under the
Japan–Philippines profile) is protected at the *next higher* level of the
receiving party's scheme: the equivalence table is read as one scale, highest
row first, and the receiver's level in the nearest row above is taken (so
PHL RESTRICTED is protected as JPN 秘, the CONFIDENTIAL equivalent). Never the
nearest lower level and never as unclassified: the agreement requires at
least the protection the originator gave it, and over-protecting costs only
convenience while under-protecting is a compromise. When no higher row has a
receiver's level (an unmatched top level, or a level the table does not list
at all), the receiver's highest level is taken, for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from acsa.domain.agreement import AgreementProfile
from acsa.domain.errors import N_, InvalidValue

UNCLASSIFIED = "UNCLASSIFIED"


@dataclass(frozen=True)
class Marking:
    """How a record is protected.

    ``level`` is a level of the ``originator``'s own scheme, or
    :data:`UNCLASSIFIED`. ``rel`` lists the parties the originator released
    it to, sorted; the originator itself always holds its own information.
    """

    level: str
    originator: str
    rel: tuple[str, ...]
    caveats: tuple[str, ...] = ()  # the originator's handling words, e.g. "NOFORN"

    def as_data(self) -> dict[str, Any]:
        """The ``marking`` object of an event envelope (``caveats`` only when there are any,
        so that an unclassified event's envelope stays as it always was)."""
        data: dict[str, Any] = {"level": self.level, "originator": self.originator,
                                "rel": list(self.rel)}
        if self.caveats:
            data["caveats"] = list(self.caveats)
        return data


def is_unclassified(marking: Marking) -> bool:
    return marking.level == UNCLASSIFIED


# Markings already read, by profile and content: a fold reads each event's twice, and most
# events carry one of a few markings.
_READ: dict[tuple[int, Any], tuple[AgreementProfile, Marking]] = {}


def marking_from_data(data: object, profile: AgreementProfile) -> Marking:
    """Read and check an envelope's ``marking`` object against ``profile``.

    The originator's unclassified marking (the profile's
    ``unclassified_marking``) is read as :data:`UNCLASSIFIED`, so equal
    markings compare equal whichever word the originator uses.
    """
    key: Any = None
    if isinstance(data, Mapping):
        rel, caveats = data.get("rel"), data.get("caveats", ())
        if isinstance(rel, list | tuple) and isinstance(caveats, list | tuple):
            key = (id(profile), (data.get("level"), data.get("originator"), tuple(rel),
                                 tuple(caveats)))
            try:
                held = _READ.get(key)
            except TypeError:  # not plain text: read (and refused) below
                held, key = None, None
            if held is not None and held[0] is profile:
                return held[1]
    marking = _marking_from_data(data, profile)
    if key is not None:
        if len(_READ) >= 256:
            _READ.clear()
        _READ[key] = (profile, marking)
    return marking


def _marking_from_data(data: object, profile: AgreementProfile) -> Marking:
    if not isinstance(data, Mapping):
        raise InvalidValue(N_("must be an object with level, originator and rel"), field="marking")
    originator = data.get("originator")
    if not isinstance(originator, str) or originator not in profile.party_codes:
        raise InvalidValue(
            N_("'%(originator)s' is not a party to %(agreement)s"),
            field="marking.originator", originator=originator, agreement=profile.id,
        )
    party = profile.party(originator)
    level = data.get("level")
    if level in (UNCLASSIFIED, party.unclassified_marking):
        level = UNCLASSIFIED
    elif not isinstance(level, str) or level not in party.classification_levels:
        known = ", ".join((*party.classification_levels, party.unclassified_marking))
        raise InvalidValue(
            N_("'%(level)s' is not one of %(originator)s's levels (%(known)s)"),
            field="marking.level", level=level, originator=originator, known=known,
        )
    rel = data.get("rel")
    if not isinstance(rel, list | tuple):
        raise InvalidValue(N_("must be a list of party codes"), field="marking.rel")
    for i, code in enumerate(rel):
        if not isinstance(code, str) or code not in profile.party_codes:
            raise InvalidValue(
                N_("'%(code)s' is not a party to %(agreement)s"),
                field=f"marking.rel[{i}]", code=code, agreement=profile.id,
            )
    if len(set(rel)) != len(rel):
        raise InvalidValue(N_("must not repeat a party"), field="marking.rel")
    caveats = data.get("caveats", ())
    if not isinstance(caveats, list | tuple) or not all(
            isinstance(c, str) and c.strip() for c in caveats):
        raise InvalidValue(N_("must be a list of words"), field="marking.caveats")
    return Marking(level=level, originator=originator, rel=tuple(sorted(rel)),
                   caveats=tuple(caveats))


def rank(profile: AgreementProfile, party: str, level: str) -> int:
    """How sensitive ``level`` is in ``party``'s scheme: 0 unclassified, higher more sensitive."""
    scheme = profile.party(party)
    if level in (UNCLASSIFIED, scheme.unclassified_marking):
        return 0
    if level not in scheme.classification_levels:
        raise InvalidValue(
            N_("'%(level)s' is not one of %(party)s's levels"),
            field="level", level=level, party=party,
        )
    # Profiles list levels highest first: the last one ranks 1.
    return len(scheme.classification_levels) - scheme.classification_levels.index(level)


def equivalent(marking: Marking, profile: AgreementProfile, party: str) -> str | None:
    """``party``'s marking equivalent to ``marking``, or None when its scheme has none."""
    scheme = profile.party(party)
    if is_unclassified(marking):
        return scheme.unclassified_marking
    if party == marking.originator:
        return marking.level
    return profile.equivalent_marking(marking.level, marking.originator, party)


def protection_level(marking: Marking, profile: AgreementProfile, party: str) -> str:
    """The level of ``party``'s scheme at which ``party`` protects ``marking``.

    The equivalent level where there is one; otherwise the next higher level
    of ``party``'s scheme (see the module docstring for why).
    """
    same = equivalent(marking, profile, party)
    if same is not None:
        return same
    highest = profile.party(party).classification_levels[0]
    rows = profile.classification.rows
    at = next(
        (i for i, row in enumerate(rows) if row.get(marking.originator) == marking.level), None
    )
    if at is None:
        return highest
    for row in reversed(rows[:at]):
        higher = row.get(party)
        if higher is not None:
            return higher
    return highest


def display(marking: Marking, profile: AgreementProfile) -> str:
    """Both parties' markings, the originator's first: ``"SECRET / 極秘"``.

    Where the other party has no equivalent the text says so and names the
    level it is protected at: ``"RESTRICTED / (no JPN equivalent: protect as 秘)"``.
    """
    shown = [
        marking.level
        if not is_unclassified(marking)
        else profile.party(marking.originator).unclassified_marking
    ]
    for party in profile.party_codes:
        if party == marking.originator:
            continue
        same = equivalent(marking, profile, party)
        if same is None:
            protect = protection_level(marking, profile, party)
            shown.append(f"(no {party} equivalent: protect as {protect})")
        elif same not in shown:
            shown.append(same)
    return " / ".join(shown)


def may_release(marking: Marking, to_party: str) -> bool:
    """Whether ``to_party`` may receive it without asking the originator first.

    Only the parties in ``rel`` (and the originator, whose information it
    is); a third party, a contractor, or any party left out of ``rel`` needs
    the originator's prior written consent, recorded as a new marking.
    """
    return to_party == marking.originator or to_party in marking.rel


@dataclass(frozen=True)
class Reader:
    """Who asks to read: what the access rule looks at, and nothing else."""

    party: str  # the reader's nation: their node's party
    clearance: str | None  # a level of the reader's own scheme, or none
    activities: frozenset[str]  # the activities the reader is assigned to (need to know)
    # An agreement-wide role (an auditor, a security officer) has a need to know
    # across every activity; it never stands in for the clearance.
    agreement_wide: bool = False


def clearance_rank(profile: AgreementProfile, reader: Reader) -> int:
    """How high the reader is cleared in their own scheme: 0 when not at all.

    A clearance that is not a level of the reader's scheme counts as none:
    it is refused rather than guessed.
    """
    scheme = profile.party(reader.party)
    if reader.clearance is None or reader.clearance not in scheme.classification_levels:
        return 0
    return rank(profile, reader.party, reader.clearance)


def required_rank(marking: Marking, profile: AgreementProfile, party: str) -> int:
    """The clearance rank a reader of ``party`` needs for ``marking``: 0 when unclassified."""
    if is_unclassified(marking):
        return 0
    return rank(profile, party, protection_level(marking, profile, party))


def may_read(marking: Marking, profile: AgreementProfile, reader: Reader,
             activity: str | None) -> bool:
    """Whether ``reader`` may read a record with ``marking`` that belongs to ``activity``.

    The record must have been released to the reader's party. Unclassified
    records are then readable by every user of that party. A classified one
    needs both a clearance (a level of the reader's own scheme) at or above
    :func:`protection_level`, and a need to know: assignment to ``activity``,
    or an agreement-wide role. A classified record tied to no activity gives
    an assigned reader no need to know, and a clearance that is not a level
    of the reader's scheme reads nothing: both are refused rather than guessed.
    """
    if reader.party not in profile.party_codes or not may_release(marking, reader.party):
        return False
    if is_unclassified(marking):
        return True
    need_to_know = reader.agreement_wide or (activity is not None
                                             and activity in reader.activities)
    return need_to_know and 0 < required_rank(marking, profile, reader.party) <= \
        clearance_rank(profile, reader)


def check_event_marking(data: object, profile: AgreementProfile) -> Marking:
    """An event's marking, valid for ``profile`` and released to every party of it.

    A stream carries each event to every party of its agreement: an event
    not released to one of them could be neither sent nor kept whole.
    """
    marking = marking_from_data(data, profile)
    missing = [p for p in profile.party_codes if p not in marking.rel]
    if missing:
        raise InvalidValue(N_("must release the record to every party of %(agreement)s; "
                              "missing %(missing)s"), field="marking.rel",
                           missing=missing, agreement=profile.id)
    return marking


def strongest(markings: Iterable[Marking | None], profile: AgreementProfile,
              party: str) -> Marking | None:
    """Of ``markings``, the one ``party`` must protect most (the first on a tie)."""
    best: Marking | None = None
    best_rank = -1
    for m in markings:
        if m is None:
            continue
        r = required_rank(m, profile, party)
        if r > best_rank:
            best, best_rank = m, r
    return best


__all__ = [
    "UNCLASSIFIED",
    "Marking",
    "Reader",
    "check_event_marking",
    "clearance_rank",
    "display",
    "equivalent",
    "is_unclassified",
    "marking_from_data",
    "may_read",
    "may_release",
    "protection_level",
    "rank",
    "required_rank",
    "strongest",
]
