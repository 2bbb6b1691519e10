"""``/healthz`` and ``/readyz`` on both engines, and the sync rounds they report on.

A ready node answers 200 with its schema and each online peer's last sync; a schema
behind this release's or a database that does not answer is 503 with the reason, and
nothing an outsider could use. Each sync round logs under an id of its own and records
its outcome, which every process of the node reads back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy.exc import OperationalError

from acsa.devtools.world import staff_node, user_id
from acsa.domain.parties import Role
from acsa.events import NodeKey
from acsa.federation import worker as W
from acsa.federation.sync import StreamReport, SyncReport
from acsa.services import health, users
from acsa.services.node import Node
from acsa.services.peers import add_peer
from acsa.services.unit_of_work import UnitOfWork
from acsa.store.db import SCHEMA_HEAD, alembic_config
from acsa.web.app import create_app
from integration.conftest import make_node  # noqa: F401  (nodes on both engines)

from .conftest import JsonLog, TestClient

PREVIOUS = f"{int(SCHEMA_HEAD) - 1:04d}"


@pytest.fixture
def node(make_node: Callable[[str], Node]) -> Node:  # noqa: F811
    jpn = make_node("JPN")
    staff_node(jpn, [])
    with UnitOfWork(jpn) as uow:
        admin = users.get_user(uow, user_id("JPN", Role.ADMINISTRATOR))
        add_peer(uow, admin, party="PHL", key_fingerprint=NodeKey.generate().fingerprint,
                 base_url="http://127.0.0.1:9")
        add_peer(uow, admin, party="USA", key_fingerprint=NodeKey.generate().fingerprint)
    return jpn


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), base_url="https://testserver") as c:
        yield c


def test_healthz_says_alive(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "alive"}
    assert answer.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_with_each_online_peer(client: TestClient) -> None:
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "status": "ready", "database": "ok",
        "schema": {"at": SCHEMA_HEAD, "needed": SCHEMA_HEAD},
        "peers": [{"party": "PHL", "last_sync_age_s": None, "last_round_age_s": None,
                   "last_round_ok": None, "alarm": False}],
    }


def test_readyz_reports_the_age_of_each_peers_last_sync(node: Node, client: TestClient) -> None:
    health.record_sync(node, "PHL", True)
    node.clock.now += timedelta(seconds=90)  # type: ignore[attr-defined]
    health.record_sync(node, "PHL", False)
    node.clock.now += timedelta(seconds=5)  # type: ignore[attr-defined]
    (peer,) = client.get("/readyz").json()["peers"]
    assert peer == {"party": "PHL", "last_sync_age_s": 95.0, "last_round_age_s": 5.0,
                    "last_round_ok": False, "alarm": False}


def test_readyz_is_503_when_the_schema_is_behind(node: Node, client: TestClient) -> None:
    with node.engine.begin() as connection:
        command.downgrade(alembic_config(connection), PREVIOUS)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not_ready" and body["database"] == "ok"
    assert body["schema"] == {"at": PREVIOUS, "needed": SCHEMA_HEAD}
    assert body["reason"] == (f"the database schema is at {PREVIOUS}, this release needs "
                              f"{SCHEMA_HEAD}: restart acsa serve to migrate")


def test_readyz_is_503_when_the_database_does_not_answer(
        client: TestClient, json_log: JsonLog, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(_: object) -> None:
        raise OperationalError("connect", {}, Exception(
            'connection to server at "db.internal" (10.1.2.3), port 5432 failed'))

    monkeypatch.setattr(health, "schema_revision", unreachable)
    answer = client.get("/readyz", headers={"X-Request-ID": "ready-1"})
    assert answer.status_code == 503
    assert answer.json()["reason"] == "the database does not answer (OperationalError)"
    assert answer.json()["database"] == "unreachable"
    assert "db.internal" not in answer.text and "10.1.2.3" not in answer.text
    # The operator finds the driver's words in the log, under the request's id.
    assert any("db.internal" in line["message"] for line in json_log.of("ready-1"))
    assert client.get("/healthz").status_code == 200  # alive all the same


def test_a_sync_round_logs_under_its_own_id_and_is_recorded(
        node: Node, json_log: JsonLog, monkeypatch: pytest.MonkeyPatch) -> None:
    report = SyncReport("PHL", streams=[StreamReport("JPN-PHL-ACSA/PHL", 0, 2, 2, applied=2)])
    monkeypatch.setattr(W, "sync_peer", lambda node, peer: report)
    worker = W.Worker(node, 5.0)
    state = W.PeerState()
    asyncio.run(worker._round("PHL", state))
    (line,) = [x for x in json_log.lines() if x.get("event") == "sync_round"]
    assert str(line["request_id"]).startswith("sync-") and line["applied"] == 2
    assert line["peer"] == "PHL" and line["ok"] is True
    (peer,) = health.peer_syncs(node)
    assert peer.last_round_ok is True and peer.last_ok_at == node.now_at()

    def unreachable(node: Node, peer: str) -> SyncReport:
        raise ConnectionError("PHL is unreachable")

    monkeypatch.setattr(W, "sync_peer", unreachable)
    node.clock.now += timedelta(seconds=30)  # type: ignore[attr-defined]
    asyncio.run(worker._round("PHL", state))
    failed = [x for x in json_log.lines() if x.get("event") == "sync_round"][-1]
    assert failed["ok"] is False and failed["request_id"] != line["request_id"]
    assert str(failed["request_id"]).startswith("sync-")
    (peer,) = health.peer_syncs(node)
    assert peer.last_round_ok is False and peer.last_round_at == node.now_at()
    assert peer.last_ok_at != peer.last_round_at and state.failures == 1
