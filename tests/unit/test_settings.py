"""``Settings``: a value given wins over ``ACSA_<NAME>``, which wins over the default; a
value that cannot be used is refused naming the setting and the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from acsa.config import Settings, SettingsError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ACSA_PORT", "ACSA_DATA_DIR", "ACSA_SYNC", "ACSA_NODE", "ACSA_USER",
                 "ACSA_COOKIE_SECURE", "ACSA_SYNC_INTERVAL_S", "ACSA_SYNC_BACKOFF_MAX_S"):
        monkeypatch.delenv(name, raising=False)


def test_the_defaults() -> None:
    s = Settings()
    assert (s.data_dir, s.port, s.sync, s.sync_interval_s, s.user) == (
        Path("var/node"), 8000, True, 5.0, None)


def test_the_environment_is_read_typed_and_a_value_given_wins(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACSA_PORT", "8443")
    monkeypatch.setenv("ACSA_DATA_DIR", "/srv/acsa")
    monkeypatch.setenv("acsa_sync", "off")  # the name in any case, as before
    monkeypatch.setenv("ACSA_SYNC_INTERVAL_S", "2.5")
    s = Settings()
    assert (s.port, s.data_dir, s.sync, s.sync_interval_s) == (8443, Path("/srv/acsa"),
                                                               False, 2.5)
    given = Settings(port=9000, data_dir=Path("/tmp/node"))
    assert (given.port, given.data_dir, given.sync) == (9000, Path("/tmp/node"), False)


@pytest.mark.parametrize(("name", "value", "says"), [
    ("ACSA_PORT", "eighty", "port: ACSA_PORT='eighty': not an integer"),
    ("ACSA_COOKIE_SECURE", "maybe", "cookie_secure: ACSA_COOKIE_SECURE='maybe': not a boolean"),
    ("ACSA_NODE", "jpn", "node: ACSA_NODE must be an ISO 3166 alpha-3 code"),
    ("ACSA_SYNC_BACKOFF_MAX_S", "0.5", "sync_backoff_max_s: must be between 1 and 3600, not 0.5"),
])
def test_a_value_that_cannot_be_used_is_refused_by_its_name(
        monkeypatch: pytest.MonkeyPatch, name: str, value: str, says: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        Settings()
    assert str(refused.value).startswith(says)


def test_a_database_of_another_engine_is_refused() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings(database_url="mysql://localhost/acsa")
    assert refused.value.name == "database_url"
