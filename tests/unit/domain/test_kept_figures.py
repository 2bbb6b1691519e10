"""What a state keeps of its figures: equal to a new version made by ``replace``, dropped
where a field the figure reads changes, kept where none does, never read by another
profile."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from acsa.devtools.world import in_force_profile
from acsa.domain import figures
from acsa.domain.order import OrderLine, OrderTerms
from acsa.domain.state import MEMO, Delivery, DeliveryLine, Duty, OrderState, Verdict

TERMS = OrderTerms(
    agreement="JPN-PHL-ACSA", activity="exercise", activity_type="exercise", requester="JPN",
    supplier="PHL", requesting_unit="1st Bde", method="cash", currency="JPY",
    needed_by=date(2026, 12, 1), deliver_to="Camp", poc="Sato",
    lines=(OrderLine(no=1, category="pol", description="Diesel", quantity=Decimal(100),
                     unit="L", unit_price=Decimal("150")),),
)


def _state() -> OrderState:
    return OrderState(number="JP-PH/JPN/FY2026/00001", terms=TERMS, version=1,
                      submitted_on=date(2026, 11, 1))


def _delivery(quantity: str) -> Delivery:
    return Delivery(id="d" + quantity, on=date(2026, 11, 2),
                    lines=(DeliveryLine(1, Decimal(quantity), Decimal("150")),))


def test_evolve_is_replace() -> None:
    state = _state()
    assert state.evolve(version=2, submitted_by="u") == replace(state, version=2,
                                                               submitted_by="u")
    with pytest.raises(TypeError):
        state.evolve(no_such_field=1)


@pytest.mark.parametrize(("change", "kept", "sums_kept"), [
    # (a change, whether delivery_complete is kept across it, whether the delivered sums are)
    ({"duties": (Duty("JPN", "u", "submit", "e"),)}, True, True),
    ({"version": 2}, True, True),
    ({"deliveries": (_delivery("100"),)}, False, False),
    ({"terms": replace(TERMS, lines=(replace(TERMS.lines[0], quantity=Decimal(50)),))},
     False, True),
    ({"closed_short_on": date(2026, 11, 3)}, False, True),
])
def test_kept_where_no_field_read_changed(change: dict[str, object], kept: bool,
                                          sums_kept: bool) -> None:
    profile = in_force_profile("JPN-PHL-ACSA")
    state = _state().evolve(deliveries=(_delivery("50"),))
    assert not figures.delivery_complete(state, profile)
    assert figures.delivered(state, 1) == Decimal(50)
    after = state.evolve(**change)
    held = after.__dict__.get(MEMO) or {}
    assert (("delivery_complete", id(profile)) in held) is kept
    assert (("delivered", 0) in held) is sums_kept
    fresh = replace(after)
    assert figures.delivery_complete(after, profile) == figures.delivery_complete(fresh, profile)
    assert figures.delivered(after, 1) == figures.delivered(fresh, 1)
    assert figures.status(after, profile) == figures.status(fresh, profile)
    assert figures.accounts(after, profile) == figures.accounts(fresh, profile)


def test_judged_shares_what_is_kept() -> None:
    profile = in_force_profile("JPN-PHL-ACSA")
    state = _state()
    judged = state.judged((Verdict("e", "order.submitted", 1, "s", True),), None)
    a = figures.accounts(judged, profile)
    assert state.__dict__[MEMO] is judged.__dict__[MEMO]
    assert figures.accounts(state, profile) is a
    assert judged == replace(state, verdicts=judged.verdicts)


def test_another_profile_never_reads_a_kept_figure() -> None:
    profile = in_force_profile("JPN-PHL-ACSA")
    other = replace(profile, pricing=replace(profile.pricing, invoice_basis="delivered"))
    state = _state().evolve(deliveries=(_delivery("100"),))
    assert figures.basis_value(state, profile) == 0  # nothing received
    assert figures.basis_value(state, other) == 15_000  # delivered basis


def test_a_pickled_state_keeps_nothing() -> None:
    import pickle

    profile = in_force_profile("JPN-PHL-ACSA")
    state = _state()
    figures.accounts(state, profile)
    copy = pickle.loads(pickle.dumps(state))
    assert copy == state and MEMO not in copy.__dict__
