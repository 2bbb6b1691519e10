"""The roster of appointments: who may sign what, for which units, up to what amount, when."""

from __future__ import annotations

from datetime import date

import pytest

from acsa.domain.errors import DomainError, LimitExceeded, NotAppointed
from acsa.domain.money import Money
from acsa.domain.parties import Role
from acsa.domain.roster import Appointment, Roster

# Lt Col Santos of the AFP may order for the 1st Air Division and 505th SRG
# from 1 February to 31 December 2026, up to PHP 2,500,000.00 an order. The
# appointment was granted by event 12 of PHL's stream and revoked by event 40.
SANTOS = Appointment(
    id="sha256:santos-ordering",
    party="PHL",
    user="santos",
    name="Lt Col M. Santos",
    role=Role.ORDERING_OFFICIAL,
    valid_from=date(2026, 2, 1),
    valid_to=date(2026, 12, 31),
    units=frozenset({"PAF-1AD", "PAF-505SRG"}),
    limits={"PHP": 250_000_000},
    granted_at=12,
    revoked_at=40,
)
# Capt Tanaka of the JASDF may approve for any JASDF unit, up to JPY
# 50,000,000 or USD 350,000.00, from 15 January 2026 with no end date.
TANAKA = Appointment(
    id="sha256:tanaka-approving",
    party="JPN",
    user="tanaka",
    name="Capt K. Tanaka",
    role=Role.APPROVING_OFFICIAL,
    valid_from=date(2026, 1, 15),
    limits={"JPY": 50_000_000, "USD": 35_000_000},
    granted_at=3,
)
# Maj Reyes, finance officer, without any limit.
REYES = Appointment(
    id="sha256:reyes-finance",
    party="PHL",
    user="reyes",
    name="Maj A. Reyes",
    role=Role.FINANCE_OFFICER,
    valid_from=date(2026, 1, 1),
    granted_at=5,
)
ROSTER = Roster.of([SANTOS, TANAKA, REYES])

IN_TERM = date(2026, 6, 1)


def santos_orders(
    *,
    appointment: str | None = SANTOS.id,
    party: str = "PHL",
    user: str = "santos",
    role: Role = Role.ORDERING_OFFICIAL,
    unit: str | None = "PAF-1AD",
    on: date = IN_TERM,
    amount: Money | None = None,
    position: int | None = 20,
) -> Appointment:
    return ROSTER.authorize(
        appointment,
        party=party,
        user=user,
        role=role,
        unit=unit,
        on=on,
        amount=amount,
        position=position,
    )


def refused(error: type[DomainError], code: str, **changes: object) -> DomainError:
    with pytest.raises(error) as caught:
        santos_orders(**changes)  # type: ignore[arg-type]
    assert caught.value.code == code
    return caught.value


# --- What an appointment authorises -------------------------------------------


def test_an_appointment_authorises_its_user_role_unit_dates_and_limit() -> None:
    assert santos_orders(amount=Money.parse("1250000.00", "PHP")) is SANTOS
    assert santos_orders(unit="PAF-505SRG") is SANTOS


def test_an_appointment_for_every_unit_covers_any_unit() -> None:
    tanaka = ROSTER.authorize(
        TANAKA.id,
        party="JPN",
        user="tanaka",
        role=Role.APPROVING_OFFICIAL,
        unit="JASDF-2AW",
        on=date(2030, 1, 1),  # no end date
        amount=Money("JPY", 50_000_000),
    )
    assert tanaka is TANAKA


def test_an_appointment_without_limits_has_no_limit() -> None:
    reyes = ROSTER.authorize(
        REYES.id,
        party="PHL",
        user="reyes",
        role=Role.FINANCE_OFFICER,
        unit=None,
        on=IN_TERM,
        amount=Money.parse("999999999.99", "PHP"),
    )
    assert reyes is REYES
    assert REYES.limit_for("USD") is None


# --- Who -----------------------------------------------------------------------


def test_an_unknown_appointment_is_refused() -> None:
    error = refused(NotAppointed, "not_appointed", appointment="sha256:nobody")
    assert error.field == "actor"
    assert "cites no known appointment" in error.message
    refused(NotAppointed, "not_appointed", appointment=None)


def test_someone_elses_appointment_is_refused() -> None:
    error = refused(NotAppointed, "not_appointed", user="reyes")
    assert "is not reyes (PHL)'s" in error.message
    # The same user name in the other nation is another person.
    refused(NotAppointed, "not_appointed", party="JPN")


@pytest.mark.parametrize(
    "role", [Role.APPROVING_OFFICIAL, Role.FINANCE_OFFICER, Role.RECEIVING_OFFICIAL]
)
def test_the_wrong_role_is_refused(role: Role) -> None:
    error = refused(NotAppointed, "not_appointed", role=role)
    assert f"appointed as ordering_official, not {role}" in error.message


# --- When: each edge of the term, the day before, the day, the day after -----


@pytest.mark.parametrize(
    ("on", "allowed"),
    [
        (date(2026, 1, 31), False),  # the day before valid_from
        (date(2026, 2, 1), True),  # valid_from
        (date(2026, 2, 2), True),
        (date(2026, 12, 30), True),
        (date(2026, 12, 31), True),  # valid_to: the last day included
        (date(2027, 1, 1), False),  # the day after valid_to
    ],
)
def test_the_term_of_an_appointment(on: date, allowed: bool) -> None:
    if allowed:
        assert santos_orders(on=on) is SANTOS
    else:
        error = refused(NotAppointed, "not_appointed", on=on)
        assert f"not in force on {on.isoformat()}" in error.message
    assert SANTOS.in_force(on, 20) is allowed


# --- Which unit ------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["PAF-2AD", ""])
def test_a_unit_not_covered_is_refused(unit: str | None) -> None:
    error = refused(NotAppointed, "not_appointed", unit=unit)
    assert error.field == "unit"


def test_an_act_for_no_unit_in_particular_is_covered() -> None:
    # A dated exchange rate or a catalogue price concerns no unit: an official
    # appointed for some units may still sign it in the role appointed.
    assert SANTOS.covers_unit(None)


# --- How much ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "allowed"),
    [
        ("2499999.99", True),
        ("2500000.00", True),  # exactly the limit
        ("2500000.01", False),  # one centavo more
        ("9999999.00", False),
    ],
)
def test_the_limit(amount: str, allowed: bool) -> None:
    money = Money.parse(amount, "PHP")
    if allowed:
        assert santos_orders(amount=money) is SANTOS
    else:
        error = refused(LimitExceeded, "limit_exceeded", amount=money)
        assert error.field == "amount"
        assert "above santos (PHL)'s limit of 2500000.00 PHP" in error.message


def test_the_limit_in_yen_one_yen_more_is_refused() -> None:
    def approve(minor: int) -> Appointment:
        return ROSTER.authorize(
            TANAKA.id,
            party="JPN",
            user="tanaka",
            role=Role.APPROVING_OFFICIAL,
            unit="JMSDF-ISE",
            on=IN_TERM,
            amount=Money("JPY", minor),
        )

    assert approve(50_000_000) is TANAKA  # JPY 50,000,000: exactly the limit
    with pytest.raises(LimitExceeded):
        approve(50_000_001)  # one yen more


def test_no_limit_stated_in_that_currency_is_refused() -> None:
    # Santos has a PHP limit only: a JPY order is beyond his authority, whatever the rate.
    error = refused(LimitExceeded, "limit_exceeded", amount=Money("JPY", 1))
    assert "states no limit in JPY" in error.message
    assert error.field == "amount"


# --- Revocation by position in the party's stream -------------------------------


@pytest.mark.parametrize(
    ("position", "allowed"),
    [
        (13, True),  # just after the grant
        (39, True),  # the event before the revocation
        (41, False),  # the event after it
        (500, False),
        (None, False),  # a local action not yet recorded comes after everything known
    ],
)
def test_revocation_takes_effect_by_position(position: int | None, allowed: bool) -> None:
    if allowed:
        assert santos_orders(position=position) is SANTOS
    else:
        error = refused(NotAppointed, "not_appointed", position=position)
        assert "has been revoked" in error.message


def test_an_unrevoked_appointment_holds_at_any_position() -> None:
    assert REYES.in_force(IN_TERM, None)
    assert REYES.in_force(IN_TERM, 10_000)


# --- Finding the appointment a local action cites -------------------------------


def test_find_the_appointment_in_force() -> None:
    found = ROSTER.find(
        party="PHL", user="santos", role=Role.ORDERING_OFFICIAL, unit="PAF-1AD", on=IN_TERM,
        position=20,
    )
    assert found is SANTOS
    # None: the wrong role, a unit not covered, a date outside the term, or after revocation.
    assert ROSTER.find(
        party="PHL", user="santos", role=Role.FINANCE_OFFICER, unit="PAF-1AD", on=IN_TERM
    ) is None
    assert ROSTER.find(
        party="PHL", user="santos", role=Role.ORDERING_OFFICIAL, unit="PAF-2AD", on=IN_TERM,
        position=20,
    ) is None
    assert ROSTER.find(
        party="PHL", user="santos", role=Role.ORDERING_OFFICIAL, unit="PAF-1AD",
        on=date(2027, 1, 1), position=20,
    ) is None
    assert ROSTER.find(
        party="PHL", user="santos", role=Role.ORDERING_OFFICIAL, unit="PAF-1AD", on=IN_TERM
    ) is None


def test_find_prefers_the_earliest_granted() -> None:
    later = Appointment(
        id="sha256:santos-ordering-2",
        party="PHL",
        user="santos",
        name="Lt Col M. Santos",
        role=Role.ORDERING_OFFICIAL,
        valid_from=date(2026, 1, 1),
        granted_at=30,
    )
    roster = Roster.of([later, SANTOS])
    found = roster.find(
        party="PHL", user="santos", role=Role.ORDERING_OFFICIAL, unit="PAF-1AD", on=IN_TERM,
        position=35,
    )
    assert found is SANTOS
    assert roster.for_user("PHL", "santos") == [later, SANTOS]
    assert roster.for_user("JPN", "santos") == []
