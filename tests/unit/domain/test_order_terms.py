"""Order terms: required data elements, NSNs, eligibility under the profile, order numbers."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import acsa
from acsa.domain.agreement import AgreementProfile, load_profile_text
from acsa.domain.errors import (
    DomainError,
    InvalidValue,
    MissingField,
    NotEligible,
    ProhibitedItem,
    UnknownCurrency,
)
from acsa.domain.money import Money
from acsa.domain.order import (
    AMENDMENT_FIXED,
    REQUIRED_ELEMENTS,
    UNITS_OF_ISSUE,
    OrderTerms,
    check_amendable,
    check_eligibility,
    missing_elements,
    normalize_nsn,
    order_number,
    terms_from_data,
    terms_problems,
)
from in_force import JPN_PHL_IN_FORCE

PROFILES = Path(acsa.__file__).parent / "profiles"
JPN_PHL_TEXT = JPN_PHL_IN_FORCE
JPN_USA_TEXT = (PROFILES / "jpn-usa-acsa.toml").read_text(encoding="utf-8")
JPN_PHL = load_profile_text(JPN_PHL_TEXT, "jpn-phl-acsa-2026.toml")
JPN_USA = load_profile_text(JPN_USA_TEXT, "jpn-usa-acsa.toml")

ON = date(2026, 6, 1)  # the agreement is in force

# The AFP's 1st Air Division asks the JASDF for fuel, billeting and rations
# during a bilateral exercise at Clark; Japan supplies, so prices are in yen.
ORDER: dict[str, Any] = {
    "agreement": "JPN-PHL-ACSA",
    "activity": "KAMANDAG-2026",
    "activity_type": "bilateral_training",
    "requester": "PHL",
    "supplier": "JPN",
    "requesting_unit": "PAF-1AD",
    "supplying_unit": "JASDF-2AW",
    "method": "cash",
    "currency": "JPY",
    "needed_by": "2026-06-15",
    "deliver_to": "Clark Air Base, Pampanga",
    "poc": "Maj A. Cruz, 1st Air Division J4",
    "fund_citation": "PAF-2026-MOOE-4410",
    "lines": [
        {
            "category": "pol",
            "description": "JP-5 aviation turbine fuel",
            "nsn": "9130011234567",
            "quantity": "12000",
            "unit": "L",
            "unit_price": "142.5",
        },
        {
            "category": "billeting",
            "description": "Transient quarters",
            "quantity": "40",
            "unit": "NIGHT",
            "unit_price": "6500",
        },
        {
            "category": "food",
            "description": "Combat rations, 24-hour",
            "quantity": "85",
            "unit": "EA",
            "unit_price": "912.5",
        },
    ],
}


def order(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(ORDER)
    data.update(changes)
    return data


def with_line(index: int, **changes: Any) -> dict[str, Any]:
    data = order()
    data["lines"][index].update(changes)
    return data


def without(data: dict[str, Any], key: str) -> dict[str, Any]:
    data = copy.deepcopy(data)
    del data[key]
    return data


def terms(**changes: Any) -> OrderTerms:
    return terms_from_data(order(**changes), JPN_PHL)


# --- A complete order ------------------------------------------------------------


def test_a_complete_order_in_figures() -> None:
    t = terms_from_data(ORDER, JPN_PHL)
    assert (t.requester, t.supplier, t.method, t.currency) == ("PHL", "JPN", "cash", "JPY")
    assert t.needed_by == date(2026, 6, 15)
    assert t.fund_citation == "PAF-2026-MOOE-4410"
    fuel, billeting, rations = t.lines
    assert [line.no for line in t.lines] == [1, 2, 3]  # numbered in order when not given
    assert fuel.nsn == "9130-01-123-4567" and fuel.supply_class == "9130"
    assert billeting.nsn is None and billeting.supply_class is None
    assert fuel.total("JPY") == Money("JPY", 1_710_000)  # 12,000 L × 142.5
    assert billeting.total("JPY") == Money("JPY", 260_000)  # 40 nights × 6,500
    assert rations.total("JPY") == Money("JPY", 77_562)  # 85 × 912.5 = 77,562.5 → 77,562
    assert t.value() == Money("JPY", 2_047_562)
    assert t.line(3) is rations
    with pytest.raises(InvalidValue):
        t.line(4)
    check_eligibility(t, JPN_PHL, ON)


def test_terms_survive_their_own_data() -> None:
    t = terms_from_data(ORDER, JPN_PHL)
    data = t.as_data()
    assert data["lines"][0] == {
        "no": 1,
        "category": "pol",
        "description": "JP-5 aviation turbine fuel",
        "quantity": "12000",
        "unit": "L",
        "unit_price": "142.5",
        "nsn": "9130-01-123-4567",
    }
    assert terms_from_data(data, JPN_PHL) == t


# --- Required data elements -------------------------------------------------------


def test_every_missing_required_element_is_named() -> None:
    everything = [key for key, _ in REQUIRED_ELEMENTS]
    # The requester is known, and the Philippines requires a fund citation.
    assert missing_elements({"requester": "PHL"}, fund_citation_required=True) == [
        key for key in everything if key != "requester"
    ] + ["fund_citation"]
    assert missing_elements({}, fund_citation_required=False) == everything


def test_a_form_hears_every_problem_at_once() -> None:
    data = without(order(), "deliver_to")
    data["lines"][0].update(quantity="lots")
    data["lines"][1].update(unit="BARREL")
    assert [(p.field, p.message) for p in terms_problems(data, JPN_PHL)] == [
        ("deliver_to", "is required"),
        ("lines[0].quantity", "'lots' is not a plain decimal number"),
        ("lines[1].unit", "'BARREL' is not a unit of issue (" + ", ".join(UNITS_OF_ISSUE) + ")"),
    ]
    assert terms_problems(order(), JPN_PHL) == []


@pytest.mark.parametrize("key", [key for key, _ in REQUIRED_ELEMENTS])
def test_terms_from_data_names_a_missing_element(key: str) -> None:
    with pytest.raises(MissingField) as caught:
        terms_from_data(without(ORDER, key), JPN_PHL)
    assert caught.value.code == "missing_field"
    assert caught.value.field == key
    assert f"required data elements missing: {key}" in caught.value.message


@pytest.mark.parametrize("empty", [None, "", []])
def test_an_empty_element_counts_as_missing(empty: Any) -> None:
    assert missing_elements(order(deliver_to=empty), True) == ["deliver_to"]


def test_missing_line_elements_are_named_by_line_and_all_listed() -> None:
    data = without(order(), "fund_citation")
    del data["lines"][1]["unit_price"]
    data["lines"][0]["description"] = ""
    data["lines"][2]["quantity"] = None
    expected = [
        "fund_citation",
        "lines[0].description",
        "lines[1].unit_price",
        "lines[2].quantity",
    ]
    assert missing_elements(data, fund_citation_required=True) == expected
    with pytest.raises(MissingField) as caught:
        terms_from_data(data, JPN_PHL)
    assert caught.value.field == "fund_citation"
    assert caught.value.message == "required data elements missing: " + ", ".join(expected)


def test_a_line_that_is_not_an_object_is_named() -> None:
    assert missing_elements(order(lines=["fuel"]), True) == ["lines[0]"]


def test_fund_citation_is_required_by_the_requesters_profile() -> None:
    # Both parties require one under JPN-PHL; a profile where PHL does not:
    relaxed_text = JPN_PHL_TEXT.replace(
        'currency = "PHP"\nfiscal_year_start_month = 1\nfiscal_year_label = "start"\n'
        'time_zone = "Asia/Manila"\nfund_citation_required = true',
        'currency = "PHP"\nfiscal_year_start_month = 1\nfiscal_year_label = "start"\n'
        'time_zone = "Asia/Manila"\nfund_citation_required = false',
    )
    relaxed = load_profile_text(relaxed_text, "relaxed.toml")
    assert not relaxed.party("PHL").fund_citation_required
    t = terms_from_data(without(ORDER, "fund_citation"), relaxed)
    assert t.fund_citation is None
    assert "fund_citation" not in t.as_data()
    # Japan asking under the same profile still needs one.
    with pytest.raises(MissingField, match="fund_citation"):
        terms_from_data(without(order(requester="JPN", supplier="PHL"), "fund_citation"), relaxed)


@pytest.mark.parametrize(
    ("data", "error", "field"),
    [
        (with_line(0, quantity=12000.0), InvalidValue, "lines[0].quantity"),  # a float
        (with_line(0, quantity="0"), InvalidValue, "lines[0].quantity"),
        (with_line(0, quantity="-5"), InvalidValue, "lines[0].quantity"),
        (with_line(1, unit_price="6,500"), InvalidValue, "lines[1].unit_price"),
        (with_line(1, unit_price="-1"), InvalidValue, "lines[1].unit_price"),
        (with_line(0, unit="LITRE"), InvalidValue, "lines[0].unit"),
        (with_line(0, no=0), InvalidValue, "lines[0].no"),
        (with_line(0, nsn=9130011234567), InvalidValue, "lines[0].nsn"),
        (with_line(0, description="   "), MissingField, "lines[0].description"),
        (order(currency="YEN"), UnknownCurrency, "currency"),
        (order(method="barter"), InvalidValue, "method"),
        (order(needed_by="15/06/2026"), InvalidValue, "needed_by"),
        (order(lines="fuel"), InvalidValue, "lines"),
        (order(poc="   "), MissingField, "poc"),
        (order(remarks=5), InvalidValue, "remarks"),
    ],
)
def test_a_wrong_value_is_refused_naming_its_field(
    data: dict[str, Any], error: type[DomainError], field: str
) -> None:
    with pytest.raises(error) as caught:
        terms_from_data(data, JPN_PHL)
    assert caught.value.field == field


def test_line_numbers_must_be_unique() -> None:
    data = order()
    data["lines"][0]["no"] = 2
    with pytest.raises(InvalidValue, match="unique") as caught:
        terms_from_data(data, JPN_PHL)
    assert caught.value.field == "lines"


# --- NSNs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["9130011234567", "9130-01-123-4567", " 9130-01-123-4567 ", "9130-011234567"],
)
def test_an_nsn_is_normalised_to_4_2_3_4(text: str) -> None:
    assert normalize_nsn(text, field="nsn") == "9130-01-123-4567"
    assert terms_from_data(with_line(0, nsn=text), JPN_PHL).lines[0].nsn == "9130-01-123-4567"


@pytest.mark.parametrize(
    "text",
    [
        "913001123456",  # 12 digits
        "91300112345678",  # 14 digits
        "9130-01-123-456",
        "9130 01 123 4567",
        "9130-01-ABC-4567",
        "NSN 9130011234567",
    ],
)
def test_an_nsn_of_the_wrong_shape_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue, match="not a 13-digit NATO Stock Number") as caught:
        terms_from_data(with_line(0, nsn=text), JPN_PHL)
    assert caught.value.field == "lines[0].nsn"


def test_an_empty_nsn_means_none() -> None:
    assert terms_from_data(with_line(0, nsn=""), JPN_PHL).lines[0].nsn is None


# --- Eligibility ---------------------------------------------------------------------


def refused(t: OrderTerms, profile: AgreementProfile = JPN_PHL, on: date = ON) -> DomainError:
    with pytest.raises(DomainError) as caught:
        check_eligibility(t, profile, on)
    return caught.value


@pytest.mark.parametrize(
    "nsn",
    [
        "1005-01-234-5678",  # guns through 30 mm
        "1010012345678",  # guns over 30 mm up to 75 mm
        "1410-01-234-5678",  # guided missiles
    ],
)
def test_a_prohibited_supply_class_is_refused(nsn: str) -> None:
    t = terms_from_data(with_line(0, category="spare_parts", nsn=nsn, unit="EA"), JPN_PHL)
    error = refused(t)
    assert isinstance(error, ProhibitedItem)
    assert error.code == "prohibited_item"
    assert error.field == "lines[0].nsn"
    assert f"supply class {nsn[:4]} is prohibited" in error.message


def test_ammunition_by_nsn_class_1305_is_not_a_weapon() -> None:
    # Supply group 13 (ammunition) is not in the prohibited list; the category rule decides.
    t = terms_from_data(
        with_line(0, category="ammunition", nsn="1305-01-234-5678", unit="EA"), JPN_PHL
    )
    check_eligibility(t, JPN_PHL, ON)


def test_weapons_are_never_supplied() -> None:
    error = refused(terms_from_data(with_line(1, category="weapons"), JPN_PHL))
    assert isinstance(error, ProhibitedItem)
    assert error.field == "lines[1].category"


@pytest.mark.parametrize(
    ("on", "eligible"),
    [
        (date(2026, 1, 31), False),  # the day before entry into force
        (date(2026, 2, 1), True),
    ],
)
def test_the_agreement_must_be_in_force_on_the_date(on: date, eligible: bool) -> None:
    t = terms()
    if eligible:
        check_eligibility(t, JPN_PHL, on)
    else:
        error = refused(t, on=on)
        assert isinstance(error, NotEligible)
        assert error.code == "not_eligible"
        assert error.field == "agreement"
        assert "JPN-PHL-ACSA is not in force on 2026-01-31" in error.message


def test_an_activity_type_not_eligible_is_refused() -> None:
    # A profile that leaves out evacuation of nationals:
    narrow_text = JPN_PHL_TEXT.replace('  "neo",\n', "")
    narrow = load_profile_text(narrow_text, "narrow.toml")
    assert "neo" not in narrow.activity_types
    error = refused(terms(activity_type="neo"), narrow)
    assert isinstance(error, NotEligible)
    assert error.field == "activity_type"
    assert "neo is not an eligible activity type" in error.message
    error = refused(terms(activity_type="war"))
    assert error.field == "activity_type"


def test_a_category_not_eligible_is_refused() -> None:
    error = refused(terms_from_data(with_line(2, category="fireworks"), JPN_PHL))
    assert isinstance(error, NotEligible)
    assert error.field == "lines[2].category"
    assert "'fireworks' is not an eligible category" in error.message


def test_a_category_on_one_nations_list_only_is_refused() -> None:
    """Calibration is on the United States' statutory list, not Japan's: under the
    Japan–United States profile it is shown but cannot be ordered either way."""
    for requester, supplier, party in (("USA", "JPN", "JPN"), ("JPN", "USA", "JPN")):
        data = with_line(2, category="calibration", description="Torque wrench calibration")
        data.update(agreement="JPN-USA-ACSA", requester=requester, supplier=supplier,
                    currency="JPY" if supplier == "JPN" else "USD")
        error = refused(terms_from_data(data, JPN_USA), JPN_USA)
        assert isinstance(error, NotEligible)
        assert error.field == "lines[2].category"
        assert error.message == (f"Calibration services is not on {party}'s list of support "
                                 "under JPN-USA-ACSA (listed by USA only)")
    assert "calibration" not in JPN_PHL.categories  # Japan's list


def test_ammunition_is_refused_for_disaster_relief_under_jpn_phl() -> None:
    ammunition = with_line(2, category="ammunition", description="5.56 mm ball")
    check_eligibility(terms_from_data(ammunition, JPN_PHL), JPN_PHL, ON)  # training: allowed
    for activity_type in ("hadr", "neo"):
        data = copy.deepcopy(ammunition)
        data["activity_type"] = activity_type
        error = refused(terms_from_data(data, JPN_PHL))
        assert isinstance(error, NotEligible)
        assert error.field == "lines[2].category"
        assert f"Ammunition is not provided for {activity_type}" in error.message
    # Fuel for disaster relief is fine.
    check_eligibility(terms(activity_type="hadr"), JPN_PHL, ON)


def test_a_category_a_supplier_may_not_supply_is_refused() -> None:
    # No shipped profile restricts a category to one direction; this one lets
    # only Japan supply ammunition.
    one_way_text = JPN_PHL_TEXT.replace(
        'code = "ammunition"\n', 'code = "ammunition"\nsuppliers = ["JPN"]\n'
    )
    one_way = load_profile_text(one_way_text, "one-way.toml")
    assert one_way.categories["ammunition"].suppliers == {"JPN"}
    ammunition = with_line(2, category="ammunition", description="5.56 mm ball")
    check_eligibility(terms_from_data(ammunition, one_way), one_way, ON)  # JPN supplies
    reverse = copy.deepcopy(ammunition)
    reverse.update(requester="JPN", supplier="PHL", currency="PHP")
    error = refused(terms_from_data(reverse, one_way), one_way)
    assert isinstance(error, NotEligible)
    assert error.field == "lines[2].category"
    assert "PHL may not supply Ammunition" in error.message


def test_replacement_in_kind_is_refused_for_a_service_line() -> None:
    error = refused(terms(method="rik"))  # line 2 is billeting
    assert isinstance(error, NotEligible)
    assert error.field == "lines[1].category"
    assert "Billeting cannot be returned" in error.message
    supplies_only = order(method="rik")
    del supplies_only["lines"][1]
    check_eligibility(terms_from_data(supplies_only, JPN_PHL), JPN_PHL, ON)


def test_the_wrong_currency_is_refused() -> None:
    # Japan supplies: invoices are in the supplier's currency, yen.
    error = refused(terms(currency="PHP"))
    assert isinstance(error, NotEligible)
    assert error.field == "currency"
    assert "priced in JPY, not PHP" in error.message
    check_eligibility(terms(requester="JPN", supplier="PHL", currency="PHP"), JPN_PHL, ON)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"agreement": "JPN-USA-ACSA"}, "agreement"),
        ({"supplier": "USA"}, "supplier"),
        ({"requester": "USA"}, "requester"),
        ({"supplier": "PHL"}, "supplier"),  # a party cannot supply itself
    ],
)
def test_the_order_must_name_this_agreement_and_its_two_parties(
    changes: dict[str, str], field: str
) -> None:
    error = refused(terms(**changes))
    assert isinstance(error, NotEligible)
    assert error.field == field


# --- Order numbers across fiscal-year edges ----------------------------------------


@pytest.mark.parametrize(
    ("profile", "party", "on", "sequence", "emergency", "number"),
    [
        # The Philippines numbers by calendar year.
        (JPN_PHL, "PHL", date(2026, 12, 31), 42, False, "JP-PH/PHL/FY2026/00042"),
        (JPN_PHL, "PHL", date(2027, 1, 1), 1, False, "JP-PH/PHL/FY2027/00001"),
        # Japan from April.
        (JPN_PHL, "JPN", date(2026, 3, 31), 99999, False, "JP-PH/JPN/FY2025/99999"),
        (JPN_PHL, "JPN", date(2026, 4, 1), 100000, False, "JP-PH/JPN/FY2026/100000"),
        # An emergency order is numbered by the supplier in its own range.
        (JPN_PHL, "JPN", date(2026, 3, 31), 7, True, "JP-PH/JPN/FY2025/E00007"),
        (JPN_PHL, "JPN", date(2026, 4, 1), 7, True, "JP-PH/JPN/FY2026/E00007"),
        (JPN_PHL, "PHL", date(2027, 1, 1), 3, True, "JP-PH/PHL/FY2027/E00003"),
        # The United States from October, named by the year it ends.
        (JPN_USA, "USA", date(2026, 9, 30), 12, False, "JP-US/USA/FY2026/00012"),
        (JPN_USA, "USA", date(2026, 10, 1), 1, False, "JP-US/USA/FY2027/00001"),
        (JPN_USA, "USA", date(2026, 10, 1), 1, True, "JP-US/USA/FY2027/E00001"),
    ],
)
def test_order_number(
    profile: AgreementProfile,
    party: str,
    on: date,
    sequence: int,
    emergency: bool,
    number: str,
) -> None:
    assert order_number(profile, party, on, sequence, emergency=emergency) == number


def test_order_sequences_start_at_one_and_belong_to_a_party() -> None:
    with pytest.raises(InvalidValue) as caught:
        order_number(JPN_PHL, "PHL", ON, 0, emergency=False)
    assert caught.value.field == "sequence"
    with pytest.raises(InvalidValue):
        order_number(JPN_PHL, "USA", ON, 1, emergency=False)


def test_quantities_keep_their_decimals() -> None:
    t = terms_from_data(with_line(0, quantity="12000.125"), JPN_PHL)
    assert t.lines[0].quantity == Decimal("12000.125")
    # 12,000.125 × 142.5 = 1,710,017.8125 → JPY 1,710,018
    assert t.lines[0].total("JPY") == Money("JPY", 1_710_018)


# --- Blank text is missing -----------------------------------------------------------


@pytest.mark.parametrize("blank", [" ", "   ", "\t", " \n "])
def test_whitespace_only_text_counts_as_missing(blank: str) -> None:
    assert missing_elements(order(deliver_to=blank), True) == ["deliver_to"]
    assert missing_elements(order(fund_citation=blank), True) == ["fund_citation"]
    assert missing_elements(with_line(2, unit=blank), True) == ["lines[2].unit"]
    with pytest.raises(MissingField) as caught:
        terms_from_data(order(poc=blank, activity=blank), JPN_PHL)
    assert caught.value.field == "activity"
    assert caught.value.message == "required data elements missing: activity, poc"


def test_text_around_a_value_is_not_blank() -> None:
    assert missing_elements(order(deliver_to="  Pier 3 "), True) == []
    assert terms_from_data(order(deliver_to="  Pier 3 "), JPN_PHL).deliver_to == "Pier 3"


# --- Fund citation when the requester is not yet known -------------------------------


def test_fund_citation_is_named_when_the_requester_is_missing_and_every_party_requires_one(
) -> None:
    # Under JPN-PHL both Japan and the Philippines require a fund citation, so an order
    # that names no requester lacks one whichever party turns out to ask.
    data = without(without(ORDER, "requester"), "fund_citation")
    with pytest.raises(MissingField) as caught:
        terms_from_data(data, JPN_PHL)
    assert caught.value.field == "requester"
    assert caught.value.message == "required data elements missing: requester, fund_citation"


def test_fund_citation_is_not_named_when_some_party_does_not_require_one() -> None:
    relaxed = load_profile_text(
        JPN_PHL_TEXT.replace(
            'time_zone = "Asia/Manila"\nfund_citation_required = true',
            'time_zone = "Asia/Manila"\nfund_citation_required = false',
        ),
        "relaxed.toml",
    )
    assert [p.fund_citation_required for p in relaxed.parties] == [True, False]
    data = without(without(ORDER, "requester"), "fund_citation")
    with pytest.raises(MissingField) as caught:
        terms_from_data(data, relaxed)
    assert caught.value.message == "required data elements missing: requester"


# --- What an amendment may change ------------------------------------------------------


def test_an_amendment_may_change_dates_places_quantities_prices_and_remarks() -> None:
    old = terms()
    fuel, billeting, rations = old.lines
    new = dataclasses.replace(
        old,
        needed_by=date(2026, 6, 20),
        deliver_to="Basa Air Base, Floridablanca",
        remarks="second sortie added",
        lines=(
            dataclasses.replace(fuel, quantity=Decimal(15000), unit_price=Decimal("145")),
            billeting,
            dataclasses.replace(rations, quantity=Decimal(120)),
        ),
    )
    check_amendable(old, new)
    assert new.value() == Money("JPY", 2_175_000 + 260_000 + 109_500)


def test_an_amendment_may_add_a_line() -> None:
    old = terms()
    water = dataclasses.replace(old.lines[2], no=4, category="water", description="Water",
                                unit="L", quantity=Decimal(5000), unit_price=Decimal(30))
    check_amendable(old, dataclasses.replace(old, lines=(*old.lines, water)))


def test_an_amendment_may_not_remove_a_line() -> None:
    old = terms()
    with pytest.raises(InvalidValue, match="line 2 cannot be removed") as caught:
        check_amendable(old, dataclasses.replace(old, lines=(old.lines[0], old.lines[2])))
    assert caught.value.field == "lines"


def test_an_amendment_may_not_change_the_requesting_unit() -> None:
    old = terms()
    with pytest.raises(InvalidValue, match="requesting_unit cannot be changed") as caught:
        check_amendable(old, dataclasses.replace(old, requesting_unit="PAF-2AD"))
    assert caught.value.field == "requesting_unit"


@pytest.mark.parametrize("key", AMENDMENT_FIXED)
def test_an_amendment_may_not_change_a_fixed_element(key: str) -> None:
    old = terms()
    with pytest.raises(InvalidValue) as caught:
        check_amendable(old, dataclasses.replace(old, **{key: "CHANGED"}))
    assert caught.value.field == key
    assert caught.value.message == f"{key} cannot be changed once submitted"


@pytest.mark.parametrize(
    "change",
    [{"category": "water"}, {"description": "JP-8"}, {"nsn": "9130-01-999-9999"},
     {"unit": "GAL"}],
)
def test_an_amendment_may_not_change_what_a_line_is(change: dict[str, str]) -> None:
    old = terms()
    fuel = dataclasses.replace(old.lines[0], **change)
    with pytest.raises(InvalidValue, match="add a line instead") as caught:
        check_amendable(old, dataclasses.replace(old, lines=(fuel, *old.lines[1:])))
    assert caught.value.field == "lines[0]"
