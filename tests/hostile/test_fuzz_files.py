"""Fuzzing the files a node reads: terms given to the command line, profiles, bundles.

Each input starts from a real file of its kind and is mutated: bits flipped, cut short,
a hostile piece spliced in (nesting 100,000 deep, a number of thousands of digits, NaN,
1e999, U+0000, bytes that are not UTF-8), re-encoded (UTF-16, Latin-1, Shift JIS), or
values deep inside replaced by hostile ones — and a mutated bundle is signed again by
the partner's key, so that the mutation gets past the file's signature to the checks
behind it. Every case ends in success or in one clear refusal, with nothing
half-stored: every table's rows are counted before and after.

Example counts follow the hypothesis profile (tests/conftest.py): a third of its
examples per target and at least 10 (20 under CI's profile); ``HYPOTHESIS_PROFILE=deep``
runs 333 per target.
"""

from __future__ import annotations

import copy
import json
from contextlib import suppress
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from acsa.devtools.world import as_official
from acsa.domain.errors import ProfileInvalid
from acsa.domain.parties import Role
from acsa.events import EnvelopeInvalid
from acsa.profiles import PROFILE_DIR, load_file
from acsa.services import orders
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node

from .conftest import Acsa, changed, rows, write
from .test_bundles import delivered_with_a_file, exported, signed, terms

FUZZ = settings(settings.default, max_examples=max(10, settings.default.max_examples // 3),
                deadline=None, derandomize=False, suppress_health_check=[
                    HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                    HealthCheck.data_too_large, HealthCheck.large_base_example])

SPLICES = [b"[" * 100_000, b'{"a":' * 50_000, b"9" * 5000, b"1e999", b"NaN", b"-Infinity",
           b"\x00", b"\\u0000", b"\\ud800", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80", b'"', b"}",
           b"]", b"\xef\xbb\xbf", b"= [[[[", b"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q = 1\n"]
ENCODINGS = ["utf-16", "utf-32", "latin-1", "shift_jis", "utf-8-sig"]
HOSTILE = st.one_of(
    st.sampled_from([None, True, -1, 0, 2**53, 2**64, -(10**30), 10**400, 1e308, "", "\x00",
                     "a\x00b", "x" * 5000, [], {}, "1e999", "NaN", "9" * 40, "-0", "\udcff",
                     "JPN", "JPN-PHL-ACSA/PHL", "0" * 64, [[[[[[]]]]]]]),
    st.integers(), st.text(max_size=20), st.floats(allow_nan=False, allow_infinity=False),
)


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with its bytes flipped, cut, spliced or re-encoded."""
    how = draw(st.sampled_from(["flip", "cut", "splice", "encode"]))
    if how == "flip":
        data = bytearray(seed)
        for bit in draw(st.lists(st.integers(0, len(seed) * 8 - 1), min_size=1, max_size=8)):
            data[bit // 8] ^= 1 << (bit % 8)
        return bytes(data)
    at = draw(st.integers(0, len(seed)))
    if how == "cut":
        return seed[:at]
    if how == "splice":
        piece = draw(st.sampled_from(SPLICES) | st.binary(max_size=16))
        return seed[:at] + piece + seed[at:]
    return seed.decode("utf-8").encode(draw(st.sampled_from(ENCODINGS)), "replace")


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document a value can be put."""
    out = [here]
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        out += _paths(item, (*here, key))
    return out


@st.composite
def replaced(draw: st.DrawFn, document: Any) -> Any:
    """``document`` with one to three values replaced by hostile ones, or removed."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(document)[1:]))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(draw(HOSTILE))  # never the shared constant
    return document


def dumped(document: Any) -> bytes:
    return json.dumps(document).encode()


# -- terms given to the command line ---------------------------------------------------------


TERMS = terms()


@FUZZ
@given(data=st.one_of(mutated(dumped(TERMS)), replaced(TERMS).map(dumped)))
def test_fuzz_a_terms_file_given_to_acsa_order_submit(cli: Acsa, tmp_path: Path,
                                                     data: bytes) -> None:
    path = write(tmp_path / "terms.json", data)
    before = rows(cli.node)
    ran = cli("order", "submit", "--file", str(path), "--as", "phl.ordering")
    if ran.code != 0:
        assert ran.line, "one line naming the problem"
        assert changed(before, rows(cli.node)) == {}, ran.line
        event(f"refused: {ran.line.split(':')[1].strip()}")
    else:
        assert "events" in changed(before, rows(cli.node))
        event("submitted")


# -- profiles --------------------------------------------------------------------------------


SHIPPED = (PROFILE_DIR / "jpn-phl-acsa-2026.toml").read_bytes()
LINES = SHIPPED.splitlines(keepends=True)
TOML_VALUES = [b'"\\u0000"', b"9" * 5000, b"9" * 17, b"1e999", b"nan", b"[" * 50_000,
               b"{a = " * 50, b"1979-05-27T07:32:00Z", b"07:32:00", b'"x"', b"[]", b"{}",
               b"-1", b"true", b'"' + b"x" * 10_000 + b'"']


@st.composite
def toml_value_replaced(draw: st.DrawFn) -> bytes:
    """The shipped profile with the value of one ``key = value`` line replaced."""
    lines = list(LINES)
    candidates = [i for i, line in enumerate(lines) if b" = " in line]
    i = draw(st.sampled_from(candidates))
    key = lines[i].split(b" = ", 1)[0]
    value = draw(st.sampled_from(TOML_VALUES) | st.binary(max_size=12))
    lines[i] = key + b" = " + value + b"\n"
    return b"".join(lines)


PROFILES = st.one_of(mutated(SHIPPED), toml_value_replaced())


@settings(FUZZ, max_examples=FUZZ.max_examples * 3)
@given(data=PROFILES)
def test_fuzz_the_profile_loader(tmp_path: Path, data: bytes) -> None:
    path = write(tmp_path / "profile.toml", data)
    try:
        load_file(path)
        event("loaded")
    except ProfileInvalid as exc:
        assert str(exc).startswith("profile.toml: ") or str(exc).startswith(str(path)), exc
        event("refused")


@FUZZ
@given(data=PROFILES)
def test_fuzz_a_profile_given_to_acsa_agreement_adopt(cli: Acsa, tmp_path: Path,
                                                      data: bytes) -> None:
    path = write(tmp_path / "profile.toml", data)
    before = rows(cli.node)
    ran = cli("agreement", "adopt", str(path), "--as", "phl.administrator")
    if ran.code != 0:
        assert ran.line
        assert changed(before, rows(cli.node)) == {}, ran.line
        event(f"refused: {ran.line.split(':')[1].strip()}")
    else:
        event("adopted")


# -- bundles ---------------------------------------------------------------------------------


def _import(cli: Acsa, path: Path) -> None:
    """``acsa sync import``: applied, or quarantined and nothing else kept."""
    before = rows(cli.node)
    ran = cli("sync", "import", str(path))
    assert "Traceback" not in ran.err
    after = changed(before, rows(cli.node))
    if ran.code == 0:
        assert "quarantine" not in after, (after, ran.out)
        with UnitOfWork(cli.node) as uow:
            report = verify_node(uow)
        assert report.ok, report.findings
        event("applied" if "events" in after else "nothing new")
        return
    first = ran.err.strip().splitlines()[0]
    assert first.startswith(("bundle quarantined (#", "error: ")), ran.err
    assert set(after) <= {"quarantine"} and after.get("quarantine", 0) <= 1, (after, ran.err)
    event("quarantined" if first.startswith("bundle") else f"refused: {first[:40]}")


@FUZZ
@given(seed=st.data())
def test_fuzz_a_bundle_given_to_acsa_sync_import(cli: Acsa, pair: Any, tmp_path: Path,
                                                 seed: st.DataObject) -> None:
    if not hasattr(pair, "fuzz_seed"):
        delivered_with_a_file(pair)
        pair.set_day(date(2026, 2, 11))
        as_official(pair.jpn, Role.ORDERING_OFFICIAL, orders.submit_order,
                    terms("JPN", "PHL", "500"))
        pair.fuzz_seed = exported(pair.jpn, pair.phl, tmp_path / "seed.json")
    document = pair.fuzz_seed
    how = seed.draw(st.sampled_from(["bytes", "values", "values signed"]))
    if how == "bytes":
        data = seed.draw(mutated(dumped(document)))
    else:
        changed_document = seed.draw(replaced(document))
        if how == "values signed" and isinstance(changed_document, dict):
            with suppress(EnvelopeInvalid):  # what has no canonical form cannot be signed
                changed_document = signed(changed_document, pair.jpn)
        data = dumped(changed_document)
    _import(cli, write(tmp_path / "bundle.json", data))
