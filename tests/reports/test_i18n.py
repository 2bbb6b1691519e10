"""Translations, locale negotiation, and money and dates as people read them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from jinja2 import DictLoader, Environment

from acsa import i18n
from acsa.domain import errors as domain_errors
from acsa.domain.aging_buckets import AGING_BUCKETS
from acsa.domain.errors import DomainError, InvalidValue
from acsa.domain.money import Money
from acsa.domain.parties import ActivityType, Role
from acsa.domain.postings import AccountKind
from acsa.domain.rules import Action, Status
from acsa.domain.worklist import TASKS
from acsa.events import errors as event_errors
from acsa.i18n import (
    bilingual,
    catalogues,
    format_amount,
    format_date,
    format_datetime,
    format_money,
    format_quantity,
    gettext,
    labels,
    local_date,
    negotiate_locale,
    parse_accept_language,
)
from acsa.web.templating import install_jinja

# -- money -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("money", "locale", "text"), [
    (Money("JPY", 1526500), "en", "¥1,526,500"),
    (Money("JPY", 1526500), "ja", "￥1,526,500"),
    (Money("PHP", 123450), "en", "₱1,234.50"),
    (Money("PHP", 123450), "ja", "PHP1,234.50"),
    (Money("PHP", 5), "en", "₱0.05"),
    (Money("PHP", -120), "en", "-₱1.20"),
    (Money("USD", 100), "en", "$1.00"),
])
def test_money_is_formatted_with_the_currencys_own_digits(money, locale, text):
    assert format_money(money, locale) == text


def test_yen_has_no_decimals_and_pesos_have_two():
    assert format_amount(Money("JPY", 152500), "en") == "152,500"
    assert format_amount(Money("JPY", 152500), "ja") == "152,500"
    assert format_amount(Money("PHP", 152500), "en") == "1,525.00"
    assert format_amount(Money("PHP", 7), "ja") == "0.07"
    assert format_money(Money("PHP", 152500), "en", symbol=False) == "1,525.00 PHP"
    assert format_money(Money("JPY", 152500), "ja", symbol=False) == "152,500 JPY"


def test_a_large_amount_keeps_every_digit():
    # 2**53 + 1 minor units: a float would lose the last digit.
    assert format_amount(Money("PHP", 2**53 + 1), "en") == "90,071,992,547,409.93"


def test_floats_never_become_money_or_quantities():
    with pytest.raises(InvalidValue):
        Money("PHP", 1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_quantity(1.5, "en")  # type: ignore[arg-type]
    assert format_quantity(Decimal("10000"), "en") == "10,000"
    assert format_quantity(Decimal("152.5"), "ja") == "152.5"


# -- dates -----------------------------------------------------------------------------------------

NEAR_MIDNIGHT = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)  # 00:30 in Tokyo, 23:30 in Manila


def test_an_instant_near_midnight_utc_falls_on_different_days_in_tokyo_and_manila():
    assert local_date(NEAR_MIDNIGHT, "Asia/Tokyo") == date(2026, 4, 1)
    assert local_date(NEAR_MIDNIGHT, "Asia/Manila") == date(2026, 3, 31)
    assert format_date(NEAR_MIDNIGHT, "en", "Asia/Tokyo") == "Apr 1, 2026"
    assert format_date(NEAR_MIDNIGHT, "en", "Asia/Manila") == "Mar 31, 2026"
    assert format_date(NEAR_MIDNIGHT, "ja", "Asia/Tokyo") == "2026/04/01"
    assert format_date(NEAR_MIDNIGHT, "ja", "Asia/Manila") == "2026/03/31"


def test_times_show_the_zone_offset_not_an_ambiguous_abbreviation():
    assert format_datetime(NEAR_MIDNIGHT, "ja", "Asia/Tokyo") == "2026/04/01 0:30:00 GMT+09:00"
    manila = format_datetime(NEAR_MIDNIGHT, "en", "Asia/Manila")
    assert manila.startswith("Mar 31, 2026, 11:30:00") and manila.endswith("PM GMT+08:00")
    # An event's recording time as it travels.
    assert i18n.parse_instant("2026-03-31T15:30:00.000Z") == NEAR_MIDNIGHT


def test_business_dates_are_shown_as_they_are_whatever_the_zone():
    assert format_date(date(2026, 3, 31), "en", "Asia/Tokyo") == "Mar 31, 2026"
    assert format_date(date(2026, 3, 31), "ja", "Asia/Manila") == "2026/03/31"


def test_a_time_without_a_zone_is_refused():
    with pytest.raises(ValueError, match="without a zone"):
        format_date(datetime(2026, 3, 31, 15, 30), "en", "Asia/Tokyo")
    with pytest.raises(ValueError, match="unknown time zone"):
        format_date(NEAR_MIDNIGHT, "en", "Asia/Atlantis")


# -- locale negotiation ----------------------------------------------------------------------------


@pytest.mark.parametrize(("preference", "header", "chosen"), [
    ("ja", "en-US,en;q=0.9", "ja"),  # the user's own choice wins
    (None, "fr-CH, ja;q=0.9, en;q=0.8", "ja"),
    (None, "en-US,ja;q=0.5", "en"),
    (None, "ja-JP", "ja"),
    (None, "ja;q=0, en", "en"),  # q=0 means "not this"
    (None, "de, *;q=0.1", "en"),
    (None, "<script>, ;;;, ja;q=abc", "en"),
    (None, None, "en"),
    ("fr", None, "en"),
    ("ja_JP", None, "ja"),
])
def test_locale_negotiation(preference, header, chosen):
    assert negotiate_locale(preference, header) == chosen


def test_a_long_accept_language_header_is_cut_short():
    header = ",".join(["de"] * 500 + ["ja"])
    assert len(parse_accept_language(header)) <= i18n.ACCEPT_LANGUAGE_ENTRIES_MAX
    assert negotiate_locale(None, header) == "en"


# -- catalogues ------------------------------------------------------------------------------------


def _ids(catalogue):  # type: ignore[no-untyped-def]
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}


def test_every_msgid_has_a_japanese_translation():
    ja = catalogues.read_catalogue("ja")
    assert catalogues.missing_translations(ja) == []
    assert _ids(ja) == _ids(catalogues.read_catalogue("en"))
    assert len(_ids(ja)) > 250


def test_every_marked_string_in_the_source_is_in_the_catalogues():
    extracted = _ids(catalogues.extract())
    missing = sorted(extracted - _ids(catalogues.read_catalogue("ja")))
    assert not missing, f"run `python -m acsa.i18n update` and translate: {missing}"


_PLACEHOLDER = re.compile(r"%\([a-z_]+\)s")


def test_translations_keep_every_placeholder():
    for message in catalogues.read_catalogue("ja"):
        if message.id and isinstance(message.id, str):
            assert sorted(_PLACEHOLDER.findall(message.id)) == sorted(
                _PLACEHOLDER.findall(str(message.string))), message.id


def test_compiled_catalogues_translate():
    catalogues.compile_catalogues(force=True)
    assert catalogues.mo_path("ja").exists()
    assert gettext("Invoice", "ja") == "請求書"
    assert gettext("Invoice", "en") == "Invoice"
    assert gettext("A string nobody translated", "ja") == "A string nobody translated"
    assert bilingual("Goods received note") == "Goods received note / 物品受領書"


# -- labels ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "codes"), [
    ("status", [s.value for s in Status]),
    ("role", [r.value for r in Role]),
    ("action", [a.value for a in Action]),
    ("account", [k.value for k in AccountKind]),
    ("activity_type", [t.value for t in ActivityType]),
    ("aging_bucket", [name for _, name in AGING_BUCKETS]),
    ("task", list(TASKS)),
])
def test_every_code_has_a_label_in_both_languages(kind, codes):
    for code in codes:
        english = labels.label(kind, code, "en")
        assert english != code or kind == "aging_bucket", (kind, code)
        assert labels.label(kind, code, "ja") != english, (kind, code)


def test_the_status_words_users_see():
    assert [labels.label("status", s, "ja") for s in ("draft", "in_delivery", "settled")] == [
        "下書き", "引渡し中", "決済済み"]


def test_every_error_code_has_a_title():
    codes = {cls.code for module in (domain_errors, event_errors)
             for cls in vars(module).values()
             if isinstance(cls, type) and issubclass(cls, Exception) and hasattr(cls, "code")}
    assert codes - set(labels.ERROR) == set()
    assert issubclass(domain_errors.InvalidValue, DomainError)


# -- templates -------------------------------------------------------------------------------------


def test_jinja_templates_translate_and_format_in_the_rendering_locale():
    env = Environment(loader=DictLoader({"t.html": (
        "{{ _('Invoice') }}|{% trans %}Outstanding{% endtrans %}|"
        "{{ ngettext('%(num)d order', '%(num)d orders', n) }}|{{ total|money }}|"
        "{{ when|date }}|{{ status|label('status') }}"
    )}), autoescape=True)
    install_jinja(env)
    template = env.get_template("t.html")
    values = {"n": 2, "total": Money("PHP", 123450), "when": NEAR_MIDNIGHT,
              "status": "settled"}
    assert template.render(locale="ja", time_zone="Asia/Tokyo", **values) == (
        "請求書|未決済残高|2 件|PHP1,234.50|2026/04/01|決済済み")
    assert template.render(locale="en", time_zone="Asia/Manila", **values) == (
        "Invoice|Outstanding|2 orders|₱1,234.50|Mar 31, 2026|Settled")
    with i18n.use_locale("ja", "Asia/Manila"):
        assert template.render(**values).startswith("請求書|未決済残高|2 件|PHP1,234.50|"
                                                     "2026/03/31")


def test_figures_in_text_are_grouped_and_other_words_kept():
    assert i18n.format_figures("1494500 JPY", "en") == "1,494,500 JPY"
    assert i18n.format_figures("9800 L × 152.5", "ja") == "9,800 L × 152.5"
    assert i18n.format_figures("-250000.00 PHP", "en") == "-250,000.00 PHP"
    assert i18n.format_figures("2026-03-18 INV/JPN/FY2025/00001", "en") == (
        "2026-03-18 INV/JPN/FY2025/00001")
    env = Environment(loader=DictLoader({"t.html": "{{ text|figures }}"}), autoescape=True)
    install_jinja(env)
    assert env.get_template("t.html").render(locale="en", text="1494500 JPY") == "1,494,500 JPY"
