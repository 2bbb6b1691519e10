"""Transmission records of bundle files: one record per file written, naming the streams
and sequence ranges the file carried and the highest marking among them; only security
officers and administrators read them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from acsa.devtools.world import as_official, carry
from acsa.domain.errors import InvalidValue
from acsa.domain.parties import Role
from acsa.federation.bundles import export_bundle
from acsa.services import orders, transmissions
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.users import NotPermitted, get_user
from acsa.store import tables as T
from acsa.store.log import read_stream

from .conftest import Pair

STREAM = "JPN-PHL-ACSA/PHL"


def read(node, who: str, **kw):  # type: ignore[no-untyped-def]
    with UnitOfWork(node, write=False) as uow:
        return transmissions.list_transmissions(uow, get_user(uow, who), **kw)


def submit(pair: Pair, marking: dict | None = None) -> str:  # type: ignore[type-arg]
    from reports.lifecycle import terms

    return str(as_official(pair.phl, Role.ORDERING_OFFICIAL, orders.submit_order, terms(),
                           marking=marking).envelope.subject)


@pytest.mark.parametrize("engine_kind", ["sqlite", "postgres"], indirect=True)
def test_a_bundle_export_records_its_streams_ranges_and_highest_marking(pair: Pair,
                                                                       tmp_path: Path) -> None:
    pair.set_day(date(2026, 2, 3))
    before = len(read(pair.phl, "phl.security"))
    submit(pair)
    submit(pair, {"level": "CONFIDENTIAL"})
    path = tmp_path / "to-jpn.json"
    with UnitOfWork(pair.phl, write=False) as uow:
        summary = export_bundle(uow, "JPN", path, initiated_by="phl.administrator (test)")
    found = read(pair.phl, "phl.security")
    assert len(found) == before + 1
    record = found[0]
    assert (record.recipient, record.channel, record.route) == ("JPN", "bundle",
                                                               "file:to-jpn.json")
    assert record.initiated_by == "phl.administrator (test)"
    assert record.events == summary.events
    assert {s.stream: (s.first, s.last) for s in record.streams} == summary.streams
    with UnitOfWork(pair.phl, write=False) as uow:
        held = [e.envelope.seq for e in read_stream(uow.conn, STREAM, 0)]
    (ours,) = [s for s in record.streams if s.stream == STREAM]
    assert (ours.first, ours.last, ours.count) == (summary.streams[STREAM][0], held[-1],
                                                  held[-1] - summary.streams[STREAM][0] + 1)
    # The confidential order's submission is the highest: both parties' markings shown.
    assert record.highest == ours.highest and record.highest.startswith("CONFIDENTIAL")
    assert "秘" in record.highest
    # The record holds references and markings, never an event's data.
    with UnitOfWork(pair.phl, write=False) as uow:
        raw = uow.conn.execute(select(T.transmissions.c.streams)).scalars().all()
    assert not any("Diesel" in r or "Subic" in r for r in raw)


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_who_reads_the_records_and_how_they_are_narrowed(pair: Pair) -> None:
    pair.set_day(date(2026, 2, 3))
    submit(pair)
    carry(pair.phl, pair.jpn, pair.bundles)
    assert read(pair.phl, "phl.administrator", peer="JPN")
    assert read(pair.phl, "phl.security", peer="USA") == []
    assert read(pair.phl, "phl.security", since=date(2099, 1, 1)) == []
    for who in ("phl.supply", "phl.auditor", "phl.ordering"):
        with pytest.raises(NotPermitted):
            read(pair.phl, who)
    with pytest.raises(InvalidValue) as refused:
        read(pair.phl, "phl.security", peer="J1")
    assert refused.value.field == "peer"


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_a_sender_records_through_the_one_function(pair: Pair) -> None:
    """The call a release package's sender makes: joined to its own transaction, refused
    on a channel it does not know, and nothing recorded when no event left."""
    pair.set_day(date(2026, 2, 3))
    submit(pair)
    with UnitOfWork(pair.phl) as uow:
        events = read_stream(uow.conn, STREAM, 0)[-1:]
        with pytest.raises(InvalidValue) as refused:
            transmissions.note_transmission(uow, recipient="USA", channel="fax", events=events,
                                            route="x", initiated_by="phl.security")
        assert refused.value.field == "channel"
        assert transmissions.note_transmission(uow, recipient="USA", channel="release",
                                               events=[], route="x",
                                               initiated_by="phl.security") is None
        made = transmissions.note_transmission(
            uow, recipient="USA", channel="release", events=events,
            route="file:release-0001.json", initiated_by="phl.security",
            detail="release package R-1")
    (record,) = read(pair.phl, "phl.security", peer="USA")
    assert record.id == made and record.channel == "release"
    assert [(s.stream, s.count) for s in record.streams] == [(STREAM, 1)]
