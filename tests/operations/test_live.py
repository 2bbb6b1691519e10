"""Restoring a live node, over real HTTP between `acsa serve` processes.

JPN (party to JPN–PHL and JPN–USA) is backed up while it serves; both nodes
act and PHL receives JPN's acts; JPN is stopped and restored. With PHL
reachable, JPN's first sync round fetches its own events back from PHL's
copy: PHL's heads are untouched, nobody raises an alarm, and JPN's next act
reaches PHL. With PHL offline, JPN refuses to sign on the JPN–PHL stream
(naming the stream, its head and its mark) while its JPN–USA stream works;
once PHL is back, the same catch-up follows.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from acsa.domain.errors import StreamBehind
from acsa.services import witness
from acsa.services.backup import make_backup
from acsa.services.restore import restore
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import verify_node
from acsa.store import tables as T
from acsa.store.db import sqlite_url
from federation.conftest import World, Worlds

from .conftest import OWN, held, submit

pytestmark = pytest.mark.federation

AGREEMENTS = {"JPN-PHL-ACSA": ("JPN", "PHL"), "JPN-USA-ACSA": ("JPN", "USA")}
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture
def worlds(tmp_path: Path) -> Iterator[Worlds]:
    made = Worlds(tmp_path)
    yield made
    made.close()


def same(w: World, stream: str) -> bool:
    return held(w["JPN"]).get(stream) == held(w["PHL"]).get(stream)


def shared(w: World) -> bool:
    return same(w, OWN) and same(w, "JPN-PHL-ACSA/PHL")


def no_alarms(w: World) -> bool:
    with UnitOfWork(w["PHL"], write=False) as uow:
        phl = witness.in_alarm(uow, "JPN") or witness.list_alarms(uow)
    with UnitOfWork(w["JPN"], write=False) as uow:
        jpn = witness.in_alarm(uow, "PHL") or witness.list_alarms(uow)
    return not phl and not jpn


def backed_up_then_restored(worlds: Worlds, engine: str, tmp_path: Path) -> tuple[World, dict]:
    """The scenario up to the restore: JPN stopped and restored; what PHL held then."""
    w = worlds(("JPN", "PHL"), engine=engine, agreements=AGREEMENTS)
    w.wait(lambda: shared(w), what="the staffed nodes to share their streams")
    make_backup(w["JPN"], tmp_path / "backup")  # while JPN serves
    for _ in range(3):
        submit(w["JPN"])
    submit(w["PHL"])
    w.wait(lambda: shared(w), what="PHL to receive JPN's acts and JPN PHL's")
    phl_before = held(w["PHL"])
    live = w.nodes["JPN"]
    live.kill(signal.SIGTERM)
    w["JPN"].engine.dispose()
    live._node = None
    url = live.database_url or sqlite_url(live.data_dir)
    report = restore(tmp_path / "backup", live.data_dir, url, replace=True)
    assert report.verified, report.findings
    own = next(s for s in report.streams if s.stream == OWN)
    assert own.mark == own.restored + 3
    return w, phl_before


def caught_up_and_delivered(w: World, phl_before: dict) -> None:
    w.wait(lambda: same(w, OWN), what="JPN to fetch its own events back from PHL")
    assert held(w["PHL"]) == phl_before  # nothing of PHL's record changed
    number = submit(w["JPN"])
    w.wait(lambda: shared(w), what="JPN's next act to reach PHL")
    with UnitOfWork(w["PHL"], write=False) as uow:
        assert uow.conn.execute(select(T.orders.c.number)
                                .where(T.orders.c.number == number)).first() is not None
    assert no_alarms(w)
    for party in ("JPN", "PHL"):
        with UnitOfWork(w[party]) as uow:
            report = verify_node(uow)
        assert report.ok, (party, [str(f) for f in report.findings[:5]])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_restored_node_fetches_its_own_events_back_from_its_partner(worlds, tmp_path,
                                                                       engine):
    w, phl_before = backed_up_then_restored(worlds, engine, tmp_path)
    w.nodes["JPN"].start()
    caught_up_and_delivered(w, phl_before)


@pytest.mark.parametrize("engine", ENGINES)
def test_with_its_partner_offline_a_restored_node_signs_only_on_its_other_streams(
        worlds, tmp_path, engine):
    w, phl_before = backed_up_then_restored(worlds, engine, tmp_path)
    w.nodes["PHL"].kill(signal.SIGTERM)
    w.nodes["JPN"].start()
    head = len(held(w["JPN"])[OWN])
    with pytest.raises(StreamBehind) as refused:
        submit(w["JPN"])
    assert refused.value.params == {"stream": OWN, "head": head, "mark": head + 3, "party": "JPN"}
    usa = submit(w["JPN"], "USA", "JPN-USA-ACSA")  # emergency work elsewhere goes on
    assert usa.startswith("JP-US/JPN/")
    w.nodes["PHL"].start()
    caught_up_and_delivered(w, phl_before)
