"""Files and arguments given to the command line: each fault is one line, nothing stored.

Profiles (``acsa agreement adopt FILE``), terms (``acsa order create --file``) and
evidence (``acsa order deliver --evidence``) are read through :mod:`acsa.reading`:
bounded, UTF-8, nested no deeper than a limit, before any parser sees them. Arguments
that are not UTF-8, and errors no command expects, end as one line too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from acsa.cli import common
from acsa.devtools.world import as_official, user_id
from acsa.domain.parties import Role
from acsa.profiles import PROFILE_DIR
from acsa.services import orders

from .conftest import Acsa, write

SHIPPED = (PROFILE_DIR / "jpn-phl-acsa-2026.toml").read_text(encoding="utf-8")
TITLE = next(line for line in SHIPPED.splitlines() if line.startswith("title"))

PROFILES = {
    "latin-1": (SHIPPED.replace(TITLE, 'title = "Café"').encode("latin-1", "replace"),
                "not UTF-8 text"),
    "UTF-16": (SHIPPED.encode("utf-16"), "not UTF-8 text (byte 0: 0xff)"),
    "arrays 50,000 deep": (b"x = " + b"[" * 50_000 + b"]" * 50_000,
                           "nested more than 16 levels deep"),
    "inline tables 50,000 deep": (b"x = " + b"{a = " * 50_000 + b"1" + b"}" * 50_000,
                                  "nested more than 16 levels deep"),
    "dotted keys 50,000 deep": (b"a" + b".a" * 50_000 + b" = 1",
                                "nested more than 16 levels deep"),
    "NUL in the title": (SHIPPED.replace(TITLE, 'title = "ACSA\\u0000"').encode(),
                         "title: text may not hold U+0000"),
    "over 1 MiB": (b"# " + b"x" * (1024 * 1024), "larger than 1048576 bytes"),
}


@pytest.mark.parametrize("case", PROFILES)
def test_a_broken_profile_is_one_line_and_nothing_is_adopted(cli: Acsa, tmp_path: Path,
                                                             case: str) -> None:
    data, expected = PROFILES[case]
    path = write(tmp_path / "profile.toml", data)
    line = cli.refused("agreement", "adopt", str(path), "--as", "phl.administrator")
    print(f"{case}: {line}")
    assert "profile_invalid" in line and expected in line


TERMS = {
    "nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, "nested more than 64 levels deep"),
    "objects 100,000 deep": (b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
                             "nested more than 64 levels deep"),
    "not UTF-8": (b'{"remarks": "caf\xe9"}', "not UTF-8 text (byte 16: 0xe9)"),
    "UTF-16": ('{"remarks": "x"}'.encode("utf-16"), "not UTF-8 text"),
    "over 1 MiB": (b'{"remarks": "' + b"x" * (1024 * 1024) + b'"}', "larger than 1048576"),
    "a number of 10,000 digits": (b'{"lines": ' + b"9" * 10_000 + b"}",
                                  "a number has more than 1000 digits"),
    "a number too large for a float": (b'{"lines": 1e999}', "is too large"),
    "NaN": (b'{"lines": NaN}', "NaN is not a JSON number"),
    "truncated": (b'{"lines": [{"category": "pol"', "not JSON"),
    "not an object": (b"[1, 2]", "must hold a JSON object"),
    "line breaks quoted back": (json.dumps({"agreement": "X\nY\u0085Z\u2028"}).encode(),
                                "has not adopted X\\u000aY\\u0085Z\\u2028"),
}


@pytest.mark.parametrize("case", TERMS)
def test_a_broken_terms_file_is_one_line_and_nothing_is_stored(cli: Acsa, tmp_path: Path,
                                                               case: str) -> None:
    data, expected = TERMS[case]
    path = write(tmp_path / "terms.json", data)
    line = cli.refused("order", "create", "--file", str(path), "--as", "phl.ordering")
    print(f"{case}: {line[:200]}")
    assert expected in line


def test_a_terms_file_that_cannot_be_opened_is_one_line(cli: Acsa, tmp_path: Path) -> None:
    missing = cli.refused("order", "create", "--file", str(tmp_path / "none.json"),
                          "--as", "phl.ordering")
    assert missing == f"error: {tmp_path / 'none.json'}: No such file or directory"
    folder = cli.refused("order", "create", "--file", str(tmp_path), "--as", "phl.ordering")
    assert folder == f"error: {tmp_path}: Is a directory"
    if os.geteuid() != 0:  # root reads whatever the permissions say
        locked = write(tmp_path / "locked.json", {})
        locked.chmod(0)
        assert "Permission denied" in cli.refused("order", "create", "--file", str(locked),
                                                  "--as", "phl.ordering")


def test_an_evidence_file_over_the_limit_is_refused_unread(cli: Acsa, pair, tmp_path: Path
                                                           ) -> None:  # type: ignore[no-untyped-def]
    pair.set_day(date(2026, 2, 3))
    x = as_official(pair.jpn, Role.ORDERING_OFFICIAL, orders.submit_order, _jpn_terms())
    number = x.envelope.subject
    pair.carry(pair.jpn, pair.phl)
    as_official(pair.phl, Role.APPROVING_OFFICIAL, orders.accept, number,
                supplying_unit="AFP-TOG1")
    big = tmp_path / "photo.jpg"
    with big.open("wb") as handle:  # sparse: 26 MB that take no room and are never read
        handle.truncate(26 * 1024 * 1024)
    line = cli.refused("order", "deliver", number, "--line", "1=10", "--evidence", str(big),
                       "--as", user_id("PHL", Role.SUPPLY_OFFICER))
    assert line == (f"error: unreadable: evidence: {big}: larger than 26214400 bytes "
                    "(27262976 bytes)")


def _jpn_terms() -> dict:  # type: ignore[type-arg]
    from acsa.devtools.exercise import Exercise
    from acsa.profiles import shipped_profile

    x = Exercise(shipped_profile("JPN-PHL-ACSA"))
    return x.terms("JPN", "PHL", [("pol", "Diesel fuel F-76", "100", "L", "152.5")])


# -- arguments and errors nobody expects ------------------------------------------------------


@pytest.fixture
def bare(capsys: pytest.CaptureFixture[str]) -> Acsa:
    """``acsa`` where no command gets as far as a node."""
    return Acsa(None, capsys)  # type: ignore[arg-type]


def _acsa(*args: bytes, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """The real ``acsa`` script, given argument bytes as a shell would."""
    return subprocess.run([sys.executable, "-m", "acsa", *args], capture_output=True,
                          env={**os.environ, **(env or {})}, timeout=60, check=False)


@pytest.mark.parametrize(("args", "expected"), [
    ((b"order", b"list", b"--text", b"\xff"),
     b"error: argument 4 (after --text) is not UTF-8 text: b'\\xff'"),
    ((b"user", b"add", b"phl.x", b"--name", b"Jos\xe9", b"--role", b"auditor"),
     b"error: argument 5 (after --name) is not UTF-8 text: b'Jos\\xe9'"),
])
def test_an_argument_that_is_not_utf8_is_one_line(tmp_path: Path, args: tuple[bytes, ...],
                                                  expected: bytes) -> None:
    ran = _acsa(*args, env={"ACSA_DATA_DIR": str(tmp_path)})
    print(ran.stderr.decode("utf-8", "replace"))
    assert ran.returncode == 2
    assert ran.stderr.strip() == expected


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    ran = _acsa(b"order", b"list", env={
        "ACSA_DATA_DIR": str(tmp_path),
        "ACSA_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"})
    err = ran.stderr.decode()
    print(err)
    assert ran.returncode == 1
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    assert "Traceback" not in err


@pytest.mark.parametrize(("raised", "expected", "code"), [
    (OverflowError("Python int too large to convert to SQLite INTEGER"),
     "error: a number is too large (Python int too large to convert to SQLite INTEGER)", 1),
    (RecursionError("maximum recursion depth exceeded"),
     "error: the input is nested too deeply to read", 1),
    (UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed"),
     "error: text that is not UTF-8 (in an argument, a file or the environment)", 1),
    (PermissionError(13, "Permission denied", "/srv/acsa/key"),
     "error: /srv/acsa/key: Permission denied", 1),
    (ZeroDivisionError("division by zero"), "error: internal error: ZeroDivisionError: "
     "division by zero (run it again with --debug for details)", 4),
])
def test_every_error_is_one_line(bare: Acsa, monkeypatch: pytest.MonkeyPatch,
                                 raised: Exception, expected: str, code: int) -> None:
    def broken() -> None:
        raise raised

    monkeypatch.setattr(common, "settings", broken)
    ran = bare("order", "list")
    assert (ran.code, ran.line) == (code, expected)


def test_debug_shows_the_traceback_of_an_internal_error(bare: Acsa,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from acsa.cli.guard import Flags

    def broken() -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(common, "settings", broken)
    monkeypatch.setattr(Flags, "debug", False)
    ran = bare("--debug", "order", "list")
    assert ran.code == 4
    assert "Traceback" in ran.err and "ZeroDivisionError" in ran.err
    assert ran.err.strip().splitlines()[-1] == (
        "error: internal error: ZeroDivisionError: division by zero (the traceback is above)")
