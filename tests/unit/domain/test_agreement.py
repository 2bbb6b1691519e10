"""Agreement profiles: the shipped files load, the digest, every validation error, dates."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import acsa
from acsa.domain.agreement import AgreementProfile, canonical_digest, load_profile_text
from acsa.domain.errors import InvalidValue, ProfileInvalid
from acsa.domain.money import Money
from in_force import JPN_PHL_IN_FORCE

PROFILES = Path(acsa.__file__).parent / "profiles"
SHIPPED = ("jpn-phl-acsa-2026.toml", "jpn-usa-acsa.toml", "usa-phl-mlsa.toml")
JPN_PHL = "jpn-phl-acsa-2026.toml"
JPN_USA = "jpn-usa-acsa.toml"


def text_of(name: str) -> str:
    """A shipped profile's TOML; the Japan–Philippines one as in force (the file says it is
    signed only, and the tests record its entry into force as the demonstration does)."""
    return JPN_PHL_IN_FORCE if name == JPN_PHL else (PROFILES / name).read_text(encoding="utf-8")


def raw(name: str) -> dict[str, Any]:
    """A shipped profile as tomllib parses it (dates are date objects)."""
    return tomllib.loads(text_of(name))


def shipped(name: str) -> AgreementProfile:
    return load_profile_text(text_of(name), name)


# --- A small TOML writer, to re-serialise a document differently ------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON escapes are TOML escapes
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[  " + " ,\n   ".join(_inline(v) for v in value) + "  ]"
    if isinstance(value, dict):
        items = reversed(list(value.items()))
        return "{ " + " , ".join(f"{_key(k)}   =   {_inline(v)}" for k, v in items) + " }"
    raise TypeError(value)


def to_toml(document: dict[str, Any]) -> str:
    """Every key in reverse order, every table inline, odd spacing, no comments."""
    keys = sorted(document, reverse=True)
    return "\n\n".join(f"  {_key(k)}={_inline(document[k])}" for k in keys) + "\n"


def load(document: dict[str, Any], source: str = JPN_PHL) -> AgreementProfile:
    return load_profile_text(to_toml(document), source)


# --- Paths like "parties[0].code" -------------------------------------------

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    return [int(i) if i else key for key, i in _STEP.findall(path)]


def _parent(document: Any, path: str) -> tuple[Any, str | int]:
    steps = _steps(path)
    node = document
    for step in steps[:-1]:
        node = node[step]
    return node, steps[-1]


def with_value(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    node, last = _parent(changed, path)
    node[last] = value
    return changed


def without(document: dict[str, Any], path: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    node, last = _parent(changed, path)
    del node[last]
    return changed


def refused(document: dict[str, Any], source: str = JPN_PHL) -> ProfileInvalid:
    with pytest.raises(ProfileInvalid) as caught:
        load(document, source)
    assert caught.value.code == "profile_invalid"
    return caught.value


def assert_names(error: ProfileInvalid, source: str, path: str, problem: str) -> None:
    """The message names the file, the key path and the problem; ``field`` is the path."""
    text = str(error)
    assert text.startswith(f"{source}: {path}: "), text
    assert problem in text, text
    assert error.field == path


# --- The shipped profiles ----------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_profile_loads(name: str) -> None:
    profile = shipped(name)
    assert len(profile.parties) == 2
    assert profile.digest.startswith("sha256:") and len(profile.digest) == 7 + 64
    assert "weapons" not in profile.categories
    assert {"1005", "1410"} <= profile.prohibited_supply_classes  # guns, guided missiles
    assert profile.in_force(date(2026, 6, 1))


def test_the_japan_philippines_profile_in_figures() -> None:
    profile = shipped(JPN_PHL)
    assert (profile.id, profile.short_id, profile.party_codes) == (
        "JPN-PHL-ACSA",
        "JP-PH",
        ("JPN", "PHL"),
    )
    assert profile.signed_on == date(2026, 1, 15)
    assert profile.other_party("JPN") == "PHL"
    assert profile.party("PHL").classification_levels == (
        "TOP SECRET",
        "SECRET",
        "CONFIDENTIAL",
        "RESTRICTED",
    )
    assert profile.invoice_currency(supplier="JPN", requester="PHL") == "JPY"
    assert profile.invoice_currency(supplier="PHL", requester="JPN") == "PHP"
    assert profile.tolerance("pol") == Decimal("0.10")
    assert profile.tolerance("billeting") == 0
    assert profile.tolerance("no-such-category") == 0
    assert profile.write_off_limit("JPY") == Money("JPY", 10000)
    assert profile.write_off_limit("PHP") == Money("PHP", 500000)  # PHP 5,000.00
    assert profile.write_off_limit("USD") == Money("USD", 0)  # none stated
    assert profile.categories["ammunition"].activity_types.isdisjoint({"hadr", "neo"})
    assert profile.settlement.cash_payment_days == 30
    assert profile.ceilings == ()
    assert profile.equivalent_marking("SECRET", "PHL", "JPN") == "極秘"
    assert profile.equivalent_marking("極秘", "JPN", "PHL") == "SECRET"
    assert profile.equivalent_marking("RESTRICTED", "PHL", "JPN") is None


def test_the_us_ceilings_in_figures() -> None:
    profile = shipped(JPN_USA)
    liabilities, credits = profile.ceilings
    assert (liabilities.party, liabilities.partner, liabilities.direction) == (
        "USA",
        "JPN",
        "liabilities",
    )
    assert liabilities.annual_cap == Money("USD", 6_000_000_000)  # USD 60,000,000.00
    (supplies,) = liabilities.sub_caps
    assert supplies.cap == Money("USD", 2_000_000_000)  # USD 20,000,000.00
    assert "pol" not in supplies.categories
    assert credits.direction == "credits" and credits.sub_caps == ()


def test_party_and_other_party_refuse_a_stranger() -> None:
    profile = shipped(JPN_PHL)
    with pytest.raises(InvalidValue, match="USA is not a party to JPN-PHL-ACSA"):
        profile.party("USA")
    with pytest.raises(InvalidValue):
        profile.other_party("USA")


# --- The digest ----------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("name", SHIPPED)
def test_digest_is_stable_under_reformatting(name: str) -> None:
    original = shipped(name)
    text = to_toml(raw(name))
    assert text != text_of(name)
    assert tomllib.loads(text) == raw(name)  # the writer kept the content
    assert load_profile_text(text, name).digest == original.digest
    # The digest is the canonical JSON of the parsed document, dates as ISO text.
    assert original.digest == canonical_digest(_plain(raw(name)))


def test_digest_ignores_comments_and_blank_lines() -> None:
    text = text_of(JPN_PHL)
    stripped = "\n".join(
        line for line in text.splitlines() if line.strip() and not line.startswith("#")
    )
    assert load_profile_text(stripped, JPN_PHL).digest == shipped(JPN_PHL).digest


def _leaves(value: Any, path: str = "") -> list[str]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}[{i}]")]
    return [path]


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, date):
        return value + timedelta(days=1)
    return value + "!"


@pytest.mark.parametrize("name", SHIPPED)
def test_digest_changes_when_any_value_changes(name: str) -> None:
    document = raw(name)
    base = canonical_digest(_plain(document))
    # ``[sources]`` keys are dotted paths themselves: each citation is changed on its own.
    sources = document.pop("sources", {})
    for key, citation in sources.items():
        changed = {**document, "sources": {**sources, key: citation + "!"}}
        assert canonical_digest(_plain(changed)) != base, key
    document["sources"] = {}
    leaves = _leaves(document)
    assert len(leaves) > 100
    digests = {base}
    for path in leaves:
        if path == "sources":
            continue
        node, last = _parent(document, path)
        digests.add(canonical_digest(_plain(with_value(document, path, _changed(node[last])))))
    assert len(digests) == len([p for p in leaves if p != "sources"]) + 1  # every change: new


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("settlement.cash_payment_days", 31),
        ("categories[4].tolerance", "0.11"),
        ("title", "Another title"),
        ("in_force_on", date(2026, 1, 16)),
        ("renews_automatically", False),
        ("parties[1].classification_levels", ["TOP SECRET", "SECRET", "CONFIDENTIAL"]),
    ],
)
def test_a_loaded_profile_digest_changes_with_its_content(path: str, value: Any) -> None:
    document = raw(JPN_PHL)
    if path == "parties[1].classification_levels":
        # RESTRICTED leaves PHL's scheme, and so the equivalence table too.
        document["classification"]["equivalence"].pop()
    assert load(with_value(document, path, value)).digest != shipped(JPN_PHL).digest


def test_digest_is_of_content_also_in_key_order() -> None:
    assert canonical_digest({"a": 1, "b": [1, 2]}) == canonical_digest({"b": [1, 2], "a": 1})
    assert canonical_digest({"a": 1, "b": [1, 2]}) != canonical_digest({"a": 1, "b": [2, 1]})


# --- Every validation error names the file, the key and the problem ----------

REQUIRED_KEYS = [
    "format",
    "id",
    "short_id",
    "title",
    "version",
    "status",
    "signed_on",
    "in_force_on",  # required by status = "in_force"
    "term_years",
    "renews_automatically",
    "prohibited_supply_classes",
    "parties",
    "parties[0].code",
    "parties[0].name",
    "parties[0].force",
    "parties[0].currency",
    "parties[0].fiscal_year_start_month",
    "parties[0].fiscal_year_label",
    "parties[0].time_zone",
    "parties[0].fund_citation_required",
    "parties[0].classification_levels",
    "parties[0].unclassified_marking",
    "parties[1].signs",
    "activities",
    "activities.eligible",
    "categories",
    "categories[0].code",
    "categories[0].name",
    "categories[0].kind",
    "categories[15].tolerance",
    "settlement",
    "settlement.methods",
    "settlement.cash_payment_days",
    "settlement.rik_return_days",
    "settlement.eve_window_days",
    "settlement.emergency_confirmation_days",
    "pricing",
    "pricing.basis",
    "pricing.pricing_date",
    "pricing.invoice_basis",
    "pricing.invoice_currency",
    "pricing.write_off_limits",
    "classification",
    "classification.equivalence",
]
CEILING_KEYS = [
    "ceilings[0].party",
    "ceilings[0].partner",
    "ceilings[0].direction",
    "ceilings[0].currency",
    "ceilings[0].annual_cap",
    "ceilings[0].counted_on",
    "ceilings[1].suspended",
    "ceilings[0].sub_caps[0].group",
    "ceilings[0].sub_caps[0].categories",
    "ceilings[0].sub_caps[0].cap",
]


@pytest.mark.parametrize("path", REQUIRED_KEYS)
def test_a_missing_required_key_is_named_with_the_file(path: str) -> None:
    error = refused(without(raw(JPN_PHL), path))
    assert_names(error, JPN_PHL, path, "")
    assert re.search(r"missing|needs this date", str(error)), str(error)


@pytest.mark.parametrize("path", CEILING_KEYS)
def test_a_missing_ceiling_key_is_named_with_the_file(path: str) -> None:
    error = refused(without(raw(JPN_USA), path), JPN_USA)
    assert_names(error, JPN_USA, path, "missing")


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("format", 2, "this release reads profile format 1"),
        ("format", "1", "must be an integer, got '1'"),
        ("term_years", "10", "must be an integer, got '10'"),
        ("term_years", 0, "must be at least 1, got 0"),
        ("term_years", True, "must be an integer, got True"),
        ("renews_automatically", "yes", "must be true or false, got 'yes'"),
        ("title", 5, "must be a string, got 5"),
        ("title", "   ", "must not be empty"),
        ("status", "active", "must be one of negotiating, signed, in_force, terminated"),
        ("signed_on", "15 January 2026", "must be a date (YYYY-MM-DD)"),
        ("signed_on", 20260115, "must be a date"),
        ("parties", "JPN", "must be [[tables]]"),
        ("settlement", "30 days", "must be a table"),
        ("activities.eligible", "hadr", "must be a list of strings"),
        ("activities.eligible", ["war"], "unknown activity type 'war'"),
        ("activities.eligible", ["hadr", "hadr"], "must not repeat an entry"),
        ("prohibited_supply_classes", [1005], "must be a list of non-empty strings"),
        ("prohibited_supply_classes", ["10"], "'10' is not a 4-digit supply class"),
        ("parties[0].fiscal_year_start_month", 13, "must be at least 1 and at most 12, got 13"),
        ("parties[0].fiscal_year_start_month", 0, "must be at least 1 and at most 12, got 0"),
        ("parties[0].fiscal_year_label", "middle", "must be one of start, end"),
        ("parties[0].fund_citation_required", 1, "must be true or false"),
        ("parties[1].classification_levels", ["SECRET", "SECRET"], "must not repeat"),
        ("parties[0].signs", "fax", "must be one of node, paper"),
        ("categories[0].kind", "goods", "must be one of supply, service"),
        ("categories[0].tolerance", "ten percent", "'ten percent' is not a decimal number"),
        ("categories[0].tolerance", "-0.1", "must be a number of at least 0"),
        ("categories[0].tolerance", "NaN", "must be a number of at least 0"),
        ("settlement.methods", ["barter"], "unknown settlement method 'barter'"),
        ("settlement.cash_payment_days", 0, "must be at least 1"),
        ("pricing.basis", "cost", "must be one of reciprocal"),
        ("pricing.invoice_currency", "EURO", "must be supplier, requester or an ISO 4217 code"),
        ("pricing.write_off_limits.JPY", 10000, 'an amount written as a string ("1000.00")'),
        ("pricing.write_off_limits.JPY", "100.5", "more decimal places than JPY allows (0)"),
        ("pricing.write_off_limits.JPY", "-1", "must not be negative"),
        ("pricing.write_off_limits.XYZ", "1", "unknown ISO 4217 currency"),
        ("classification.equivalence", {"JPN": "秘"}, "must be [[tables]]"),
        ("placeholders", "in_force_on", "must be a list of strings"),
    ],
)
def test_a_wrong_value_is_named_with_the_file_key_and_problem(
    path: str, value: Any, problem: str
) -> None:
    assert_names(refused(with_value(raw(JPN_PHL), path, value)), JPN_PHL, path, problem)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("categories[4].tolerance", 0.10),
        ("pricing.write_off_limits.PHP", 5000.0),
        ("settlement.cash_payment_days", 30.0),
    ],
)
def test_a_float_instead_of_a_string_decimal_is_refused(path: str, value: float) -> None:
    error = refused(with_value(raw(JPN_PHL), path, value))
    assert_names(error, JPN_PHL, path, 'write decimals as strings ("0.10"), not floats')


@pytest.mark.parametrize("currency", ["PESO", "php", "XYZ", ""])
def test_an_unknown_currency_is_refused(currency: str) -> None:
    error = refused(with_value(raw(JPN_PHL), "parties[1].currency", currency))
    assert_names(error, JPN_PHL, "parties[1].currency", "")
    assert "unknown ISO 4217 currency" in str(error) or "must not be empty" in str(error)


@pytest.mark.parametrize("code", ["JP", "jpn", "JPN1", "J-N", "ÉPN", "日本国"])
def test_a_bad_party_code_is_refused(code: str) -> None:
    document = raw(JPN_PHL)
    error = refused(with_value(document, "parties[0].code", code))
    assert_names(error, JPN_PHL, "parties[0].code", "must be an ISO 3166 alpha-3 code")


def test_a_party_code_of_another_type_is_refused() -> None:
    error = refused(with_value(raw(JPN_PHL), "parties[0].code", 392))
    assert_names(error, JPN_PHL, "parties[0].code", "must be a string, got 392")


def test_two_parties_exactly() -> None:
    document = raw(JPN_PHL)
    one = with_value(document, "parties", document["parties"][:1])
    assert_names(refused(one), JPN_PHL, "parties", "exactly two different parties")
    same = with_value(document, "parties[1]", document["parties"][0])
    assert_names(refused(same), JPN_PHL, "parties", "exactly two different parties")


@pytest.mark.parametrize("zone", ["Asia/Tokio", "JST+9", "../../etc/passwd", "Asia/"])
def test_an_unknown_time_zone_is_refused(zone: str) -> None:
    error = refused(with_value(raw(JPN_PHL), "parties[0].time_zone", zone))
    assert_names(error, JPN_PHL, "parties[0].time_zone", f"unknown time zone {zone!r}")


@pytest.mark.parametrize("tolerance", ["1", "1.0", "1.5", "10"])
def test_a_tolerance_of_one_or_more_is_refused(tolerance: str) -> None:
    error = refused(with_value(raw(JPN_PHL), "categories[4].tolerance", tolerance))
    assert_names(error, JPN_PHL, "categories[4].tolerance", "must be below 1 (a fraction)")


def test_a_tolerance_just_below_one_is_accepted() -> None:
    profile = load(with_value(raw(JPN_PHL), "categories[4].tolerance", "0.99"))
    assert profile.tolerance("pol") == Decimal("0.99")


def test_a_category_supplier_must_be_a_party() -> None:
    document = with_value(raw(JPN_PHL), "categories[15].suppliers", ["JPN", "USA"])
    error = refused(document)
    assert_names(error, JPN_PHL, "categories[15].suppliers", "USA is not a party")


def test_a_category_may_be_supplied_one_way() -> None:
    profile = load(with_value(raw(JPN_PHL), "categories[15].suppliers", ["JPN"]))
    assert profile.categories["ammunition"].suppliers == {"JPN"}
    assert profile.categories["food"].suppliers == {"JPN", "PHL"}  # absent: both ways


@pytest.mark.parametrize("key", ["suppliers", "activity_types"])
def test_an_empty_restriction_list_is_refused_rather_than_read_as_none(key: str) -> None:
    # An empty list would read as "nobody" / "never" but act as "no restriction".
    error = refused(with_value(raw(JPN_PHL), f"categories[15].{key}", []))
    assert_names(error, JPN_PHL, f"categories[15].{key}", "must not be empty")


def test_a_category_activity_type_must_be_eligible() -> None:
    document = raw(JPN_PHL)
    document["activities"]["eligible"].remove("un_peacekeeping")
    error = refused(document)
    assert_names(
        error, JPN_PHL, "categories[15].activity_types", "un_peacekeeping is not an eligible"
    )


def test_a_category_defined_twice_is_named_at_its_second_definition() -> None:
    document = with_value(raw(JPN_PHL), "categories[0].code", "pol")  # pol is categories[4]
    assert_names(refused(document), JPN_PHL, "categories[4].code", "category 'pol' defined twice")


def test_a_weapons_category_is_refused() -> None:
    document = raw(JPN_PHL)
    document["categories"].append(
        {"code": "weapons", "name": "Weapons", "kind": "supply", "tolerance": "0"}
    )
    assert_names(refused(document), JPN_PHL, "categories", "weapons are never supplied")


def test_a_ceiling_sub_cap_naming_an_unknown_category_is_refused() -> None:
    path = "ceilings[0].sub_caps[0].categories"
    document = with_value(raw(JPN_USA), path, ["food", "rations"])
    error = refused(document, JPN_USA)
    assert_names(error, JPN_USA, path, "rations is not a category of this agreement")


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("ceilings[0].partner", "PHL", "PHL is not a party to this agreement"),
        ("ceilings[0].direction", "both", "must be one of liabilities, credits"),
        ("ceilings[0].currency", "USDT", "unknown ISO 4217 currency"),
        ("ceilings[0].annual_cap", "60000000.001", "more decimal places than USD"),
        ("ceilings[0].counted_on", "delivery", "must be one of acceptance"),
        ("ceilings[0].sub_caps[0].cap", 20000000, "an amount written as a string"),
        ("ceilings[1].suspended", "no", "must be true or false"),
    ],
)
def test_a_wrong_ceiling_value_is_named(path: str, value: Any, problem: str) -> None:
    assert_names(refused(with_value(raw(JPN_USA), path, value), JPN_USA), JPN_USA, path, problem)


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("classification.equivalence[1].JPN", "SECRET", "'SECRET' is not one of JPN's levels"),
        ("classification.equivalence[3].PHL", "OFFICIAL", "'OFFICIAL' is not one of PHL's"),
        ("classification.equivalence[0].JPN", 3, "is not one of JPN's levels"),
        ("classification.equivalence[3].JNP", "秘", "JNP is not a party to this agreement"),
        ("classification.equivalence[3].USA", "SECRET", "USA is not a party to this agreement"),
    ],
)
def test_an_equivalence_level_must_be_one_of_the_partys_levels(
    path: str, value: Any, problem: str
) -> None:
    assert_names(refused(with_value(raw(JPN_PHL), path, value)), JPN_PHL, path, problem)


def test_an_empty_equivalence_row_is_refused() -> None:
    document = with_value(raw(JPN_PHL), "classification.equivalence[3]", {})
    error = refused(document)
    assert_names(error, JPN_PHL, "classification.equivalence[3]", "names at least one level")


def test_in_force_on_before_signed_on_is_refused() -> None:
    document = with_value(raw(JPN_PHL), "in_force_on", date(2026, 1, 14))
    assert_names(refused(document), JPN_PHL, "in_force_on", "cannot be before signed_on")


def test_a_terminated_agreement_needs_its_date() -> None:
    document = with_value(raw(JPN_PHL), "status", "terminated")
    assert_names(refused(document), JPN_PHL, "terminated_on", "needs this date")


def test_termination_before_entry_into_force_is_refused() -> None:
    document = with_value(raw(JPN_PHL), "status", "terminated")
    document["terminated_on"] = date(2026, 1, 14)
    assert_names(refused(document), JPN_PHL, "terminated_on", "cannot be before in_force_on")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("terminated_o", date(2030, 1, 1)),  # misspelt: would leave the agreement in force
        ("categories[15].activity_type", ["hadr"]),  # misspelt: ammunition everywhere
        ("settlement.cash_payment_day", 45),
        ("parties[0].nickname", "Japan"),
        ("pricing.write_off_limit", "1"),
    ],
)
def test_an_unknown_key_is_refused_rather_than_ignored(path: str, value: Any) -> None:
    error = refused(with_value(raw(JPN_PHL), path, value))
    assert_names(error, JPN_PHL, path, "unknown key")


def test_a_time_of_day_is_refused_by_key() -> None:
    text = text_of(JPN_PHL).replace(
        "term_years = 10", "term_years = 10\nsigned_at = 10:30:00"
    )
    with pytest.raises(ProfileInvalid) as caught:
        load_profile_text(text, JPN_PHL)
    assert str(caught.value).startswith(f"{JPN_PHL}: signed_at: ")


def test_text_that_is_not_toml_is_named() -> None:
    with pytest.raises(ProfileInvalid, match=rf"^{re.escape(JPN_PHL)}: not valid TOML"):
        load_profile_text("format = = 1", JPN_PHL)


# --- Fiscal years ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("party", "on", "fiscal_year"),
    [
        # Japan: April to March, named by the year it starts.
        ("JPN", date(2025, 4, 1), 2025),
        ("JPN", date(2026, 3, 31), 2025),
        ("JPN", date(2026, 4, 1), 2026),
        ("JPN", date(2026, 12, 31), 2026),
        ("JPN", date(2027, 1, 1), 2026),
        # The Philippines: the calendar year.
        ("PHL", date(2026, 1, 1), 2026),
        ("PHL", date(2026, 12, 31), 2026),
        ("PHL", date(2027, 1, 1), 2027),
        # The United States: October to September, named by the year it ends.
        ("USA", date(2026, 9, 30), 2026),
        ("USA", date(2026, 10, 1), 2027),
        ("USA", date(2026, 12, 31), 2027),
        ("USA", date(2027, 9, 30), 2027),
    ],
)
def test_fiscal_year(party: str, on: date, fiscal_year: int) -> None:
    profile = shipped(JPN_USA if party == "USA" else JPN_PHL)
    assert profile.party(party).fiscal_year(on) == fiscal_year


@pytest.mark.parametrize(
    ("party", "fiscal_year", "first", "last"),
    [
        ("JPN", 2025, date(2025, 4, 1), date(2026, 3, 31)),
        ("JPN", 2026, date(2026, 4, 1), date(2027, 3, 31)),
        ("PHL", 2026, date(2026, 1, 1), date(2026, 12, 31)),
        ("USA", 2027, date(2026, 10, 1), date(2027, 9, 30)),
        ("USA", 2024, date(2023, 10, 1), date(2024, 9, 30)),  # a leap year inside
    ],
)
def test_fiscal_year_bounds(party: str, fiscal_year: int, first: date, last: date) -> None:
    scheme = shipped(JPN_USA if party == "USA" else JPN_PHL).party(party)
    assert scheme.fiscal_year_bounds(fiscal_year) == (first, last)
    # Both ends fall in the year, and the days either side do not.
    assert scheme.fiscal_year(first) == scheme.fiscal_year(last) == fiscal_year
    assert scheme.fiscal_year(first - timedelta(days=1)) == fiscal_year - 1
    assert scheme.fiscal_year(last + timedelta(days=1)) == fiscal_year + 1


# --- In force ----------------------------------------------------------------------


def test_the_shipped_japan_philippines_profile_is_signed_and_not_in_force() -> None:
    profile = load_profile_text((PROFILES / JPN_PHL).read_text(encoding="utf-8"), JPN_PHL)
    assert (profile.version, profile.status, profile.in_force_on) == ("2026.3", "signed", None)
    assert not profile.in_force(date(2026, 2, 3)) and not profile.in_force(date(2036, 1, 1))
    assert "calibration" not in profile.categories  # the United States' list, not Japan's
    assert profile.sources["status"].startswith("The agreement's final clauses")
    assert profile.sources["settlement.cash_payment_days"].startswith("No public source")


def test_in_force_from_the_day_it_enters_into_force() -> None:
    profile = shipped(JPN_PHL)
    assert not profile.in_force(date(2026, 1, 31))
    assert profile.in_force(date(2026, 2, 1))
    assert profile.in_force(date(2036, 1, 15))  # renews automatically: no end by itself


def test_in_force_until_the_day_before_termination() -> None:
    document = with_value(raw(JPN_PHL), "status", "terminated")
    document["terminated_on"] = date(2030, 6, 30)
    profile = load(document)
    assert profile.in_force(date(2030, 6, 29))  # the day before
    assert not profile.in_force(date(2030, 6, 30))  # the day it ends
    assert not profile.in_force(date(2030, 7, 1))  # after


def test_a_signed_agreement_not_yet_in_force_is_not_in_force() -> None:
    document = without(without(with_value(raw(JPN_PHL), "status", "signed"), "in_force_on"),
                       "in_force_reference")
    profile = load(document)
    assert profile.in_force_on is None
    assert not profile.in_force(date(2026, 6, 1))
    document = with_value(raw(JPN_PHL), "status", "negotiating")
    assert not load(document).in_force(date(2026, 6, 1))  # a date alone does not make it so


@pytest.mark.parametrize("name", SHIPPED)
def test_every_placeholder_of_a_shipped_profile_names_its_source(name: str) -> None:
    profile = load_profile_text((PROFILES / name).read_text(encoding="utf-8"), name)
    assert profile.placeholders
    assert [p for p in profile.placeholders if p not in profile.sources] == []
    assert all(p.categories_source for p in profile.parties)


def test_a_category_off_one_partys_list_is_not_ordered() -> None:
    profile = shipped(JPN_USA)
    calibration = profile.categories["calibration"]
    assert calibration.listed_by == {"USA"}
    assert calibration.listed_for("USA") and not calibration.listed_for("JPN")
    error = refused(with_value(raw(JPN_PHL), "categories[0].listed_by", ["USA"]))
    assert_names(error, JPN_PHL, "categories[0].listed_by", "USA is not a party")
    error = refused(with_value(raw(JPN_PHL), "categories[0].listed_by", []))
    assert_names(error, JPN_PHL, "categories[0].listed_by", "must not be empty")
