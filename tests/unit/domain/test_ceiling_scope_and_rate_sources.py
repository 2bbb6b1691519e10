"""A ceiling's scope and a profile's official rate sources: how they load, what each refuses,
and the arithmetic they lead to, as worked examples.

The USA's ceilings count per country (10 U.S.C. 2347): with the MLSA and a second
agreement with the Philippines held, USD 59,999,000 under one and USD 2,000 under the
other make USD 60,001,000 against a USD 60,000,000 cap. Counted per agreement, each has
room. A rate the officer worked out does not count a ceiling that wants Treasury rates.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from test_agreement import load, raw, refused, with_value

from acsa.domain.agreement import AgreementProfile
from acsa.domain.ceilings import CountedOrder, ceiling_use, check_ceilings, scope_agreements
from acsa.domain.errors import CeilingExceeded, ProfileInvalid, RateMissing
from acsa.domain.money import ExchangeRate, RateBook
from acsa.domain.order import OrderLine, OrderTerms

MLSA = "usa-phl-mlsa.toml"
JPN_PHL = "jpn-phl-acsa-2026.toml"


def mlsa(**changes: Any) -> AgreementProfile:
    document = raw(MLSA)
    for path, value in changes.items():
        document = with_value(document, path.replace("__", "."), value)
    return load(document, MLSA)


def renamed(profile: AgreementProfile, agreement: str) -> AgreementProfile:
    return dataclasses.replace(profile, id=agreement)


def counted(number: str, agreement: str, requester: str, supplier: str, currency: str,
            category: str, price: str) -> CountedOrder:
    terms = OrderTerms(agreement, "BALIKATAN-26", "bilateral_training", requester, supplier,
                       "USN-7FLT-LOG", "cash", currency, date(2026, 3, 1), "", "",
                       (OrderLine(1, category, category, Decimal(1), "EA", Decimal(price)),))
    return CountedOrder(number, terms, date(2026, 2, 3))


def test_the_us_profiles_count_per_country_and_name_the_treasury_rates() -> None:
    profile = mlsa()
    assert profile.version == "2017.2"
    assert [c.scope for c in profile.ceilings] == ["country", "country"]
    [treasury] = profile.official_sources("ceilings", "USA")
    assert (treasury.id, treasury.publisher) == (
        "treasury-reporting", "Bureau of the Fiscal Service, U.S. Department of the Treasury")
    assert profile.official_sources("ceilings", "PHL") == ()
    assert profile.official_sources("exchange", "USA") == ()
    assert profile.rate_source("bsp-reference").name == "BSP reference rate"  # type: ignore[union-attr]
    assert profile.rate_source("bsp-daily") is None


def test_a_ceiling_without_scope_counts_its_agreement() -> None:
    document = raw(MLSA)
    for ceiling in document["ceilings"]:
        del ceiling["scope"]
    assert [c.scope for c in load(document, MLSA).ceilings] == ["agreement", "agreement"]


@pytest.mark.parametrize(("path", "value", "problem"), [
    ("ceilings[0].scope", "region", "must be one of agreement, country, got 'region'"),
    ("exchange_rates.sources[0].party", "JPN", "JPN is not a party to this agreement"),
    ("exchange_rates.sources[0].official_for", ["reports"],
     "must name uses among ceilings, exchange, offset, got 'reports'"),
    ("exchange_rates.sources[0].id", "treasury reporting",
     "use at most 40 letters, digits, '-', '_' or '.'"),
    ("exchange_rates.sources[1].id", "treasury-reporting",
     "source 'treasury-reporting' defined twice"),
    ("exchange_rates.sources[0].name_ja", "", "must not be empty"),
    ("exchange_rates.sources", [], "names no source"),
])
def test_a_wrong_scope_or_source_is_named_with_the_file_and_key(path: str, value: Any,
                                                                 problem: str) -> None:
    error = refused(with_value(raw(MLSA), path, value), MLSA)
    assert problem in str(error) and str(error).startswith(f"{MLSA}: ")


def test_a_source_without_its_publisher_is_refused() -> None:
    document = raw(JPN_PHL)
    del document["exchange_rates"]["sources"][0]["publisher"]
    error: ProfileInvalid = refused(document)
    assert error.field == "exchange_rates.sources[0].publisher"


def test_counted_per_country_two_agreements_share_one_cap() -> None:
    first, second = mlsa(), renamed(mlsa(), "USA-PHL-MLSA-2")
    credits = first.ceilings[1]
    assert scope_agreements(credits, second, [first, second]) == ("USA-PHL-MLSA-2",
                                                                   "USA-PHL-MLSA")
    big = counted("A", "USA-PHL-MLSA", "PHL", "USA", "USD", "pol", "59999000.00")
    small = counted("B", "USA-PHL-MLSA-2", "PHL", "USA", "USD", "pol", "2000.00")
    use = ceiling_use(credits, second, 2026, [big, small], RateBook(), [first, second])
    assert use.used.text() == "60001000.00"  # 59,999,000 + 2,000
    with pytest.raises(CeilingExceeded) as told:
        check_ceilings(second, small, [big], RateBook(), held=[first, second])
    assert told.value.params["agreements"] == ["USA-PHL-MLSA-2", "USA-PHL-MLSA"]
    # Counted per agreement, the second agreement's cap holds USD 2,000 only.
    per_agreement = [dataclasses.replace(c, scope="agreement") for c in second.ceilings]
    alone = dataclasses.replace(second, ceilings=tuple(per_agreement))
    check_ceilings(alone, small, [big], RateBook(), held=[first, alone])


def test_a_ceiling_wanting_treasury_rates_does_not_take_an_officers_own() -> None:
    profile = mlsa()
    food = counted("C", "USA-PHL-MLSA", "USA", "PHL", "PHP", "food", "560000.00")
    own = ExchangeRate(date(2026, 2, 1), "USD", "PHP", Decimal("56.00"), None, "USA-PHL-MLSA")
    with pytest.raises(RateMissing) as told:
        check_ceilings(profile, food, [], RateBook((own,)), held=[profile])
    assert told.value.params["sources"] == ["treasury-reporting"]
    treasury = dataclasses.replace(own, rate=Decimal("56.25"), source="treasury-reporting")
    use = ceiling_use(profile.ceilings[0], profile, 2026, [food], RateBook((own, treasury)),
                      [profile])
    assert use.used.text() == "9955.56"  # PHP 560,000.00 / 56.25, half-even
    # A rate recorded under an agreement the ceiling does not count is not used either.
    elsewhere = dataclasses.replace(treasury, agreement="JPN-USA-ACSA")
    with pytest.raises(RateMissing):
        ceiling_use(profile.ceilings[0], profile, 2026, [food], RateBook((elsewhere,)),
                    [profile])
