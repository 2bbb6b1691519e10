"""Separation of duties: actions one person may not both take on one order.

The agreement profile says which pairs of actions one person may not combine
(``[separation_of_duties]``: the person who orders does not also receive, the
person who receives does not also pay …). The rule is judged like every
other, against the order at the event's parent and under the profile the
order's first event cites, so every node reaches the same verdict on a local
act and on a partner's event alike, and an order begun under a profile
without the rule is never judged by it.

A person is the event actor's party and user: a user id names one person
only within one party. A small detachment may have one official in several
roles: an approving official of that side records a waiver for one order,
with the reason, and the rule no longer applies to that side on that order.
"""

from __future__ import annotations

from acsa.domain.agreement import AgreementProfile
from acsa.domain.errors import N_, AlreadyRecorded, DutiesCombined, NotEligible
from acsa.domain.facts import Fact, data_text
from acsa.domain.parties import Side
from acsa.domain.rules import Action
from acsa.domain.state import Duty, OrderState, Waiver


def check_separation(fact: Fact, action: Action, side: Side, state: OrderState,
                     profile: AgreementProfile) -> None:
    """Refuse ``fact`` when its actor already took, on this order, an action the profile
    keeps apart from ``action`` — unless ``side`` waived the rule on this order."""
    rule = profile.separation
    if rule is None or state.waiver(side) is not None:
        return
    for duty in state.duties:
        if (duty.party, duty.user) != (fact.actor.party, fact.actor.user):
            continue
        if rule.combined(action.value, duty.action):
            raise DutiesCombined(
                N_("%(user)s already took '%(done)s' on this order: under %(agreement)s "
                   "%(version)s one person may not also take '%(action)s' (separation of "
                   "duties)"),
                field="actor.user", user=fact.actor.user, done=Action(duty.action),
                action=action, agreement=profile.id, version=profile.version,
            )


def remember(fact: Fact, action: Action, state: OrderState) -> OrderState:
    """``state`` with the note that ``fact``'s actor took ``action`` on it."""
    duty = Duty(fact.actor.party, fact.actor.user, action.value, fact.hash)
    return state.evolve(duties=(*state.duties, duty))


def judge_waiver(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side) -> None:
    """A waiver needs a rule to lift, one the profile lets be waived, not lifted already."""
    if profile.separation is None:
        raise NotEligible(
            N_("%(agreement)s %(version)s declares no separation of duties to waive"),
            field="type", agreement=profile.id, version=profile.version,
        )
    if not profile.separation.waivers:
        raise NotEligible(
            N_("%(agreement)s %(version)s allows no waiver of the separation of duties"),
            field="type", agreement=profile.id, version=profile.version,
        )
    if state.waiver(side) is not None:
        raise AlreadyRecorded(
            N_("the %(side)s already waived the separation of duties on this order"),
            field="type", side=side,
        )
    data_text(fact.data, "reason")


def apply_waiver(fact: Fact, state: OrderState, profile: AgreementProfile, side: Side
                 ) -> tuple[OrderState, str]:
    waiver = Waiver(fact.hash, side, fact.on, data_text(fact.data, "reason"), fact.actor.user,
                    fact.actor.name)
    return state.evolve(waivers=(*state.waivers, waiver)), ""
