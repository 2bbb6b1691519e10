"""The high-water mark: raised before events leave, never lowered, and signing held to it —
on that stream only; what a peer says it holds counts too; a node with history never opens
an empty database as if it were new."""

from __future__ import annotations

import json

import pytest
import typer
from click.testing import CliRunner

import acsa.cli
from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.devtools.world import user_id
from acsa.domain.errors import NodeHistoryMissing, StreamBehind
from acsa.domain.parties import Role
from acsa.federation.bundles import export_bundle
from acsa.federation.http import Server
from acsa.services import admin, high_water, intake, recovery, users
from acsa.services.unit_of_work import UnitOfWork

from .conftest import OWN, held, reopen, submit

acsa.cli._register()
COMMAND = typer.main.get_command(acsa.cli.app)


def test_the_mark_rises_before_events_leave_and_never_falls(pair, tmp_path):
    jpn = pair.jpn
    mark_file = jpn.data_dir / "high-water.json"
    before = high_water.read_marks(jpn.data_dir).seq(OWN)
    submit(jpn)
    submit(jpn)
    assert high_water.read_marks(jpn.data_dir).seq(OWN) == before  # nothing left yet
    page = Server(jpn).get_stream("PHL", "JPN-PHL-ACSA", "JPN", before, 1)
    assert [e["event"]["seq"] for e in page["events"]] == [before + 1]
    mark = high_water.read_marks(jpn.data_dir).streams[OWN]
    assert (mark.seq, mark.hash) == (before + 1, page["events"][0]["hash"])
    with UnitOfWork(jpn, write=False) as uow:
        export_bundle(uow, "PHL", tmp_path / "b.json")
    assert high_water.read_marks(jpn.data_dir).seq(OWN) == before + 2
    document = json.loads(mark_file.read_text())
    assert document["format"] == "acsa-high-water/1"
    assert oct(mark_file.stat().st_mode & 0o777) == "0o600"
    high_water.raise_marks(jpn.data_dir, {OWN: high_water.Mark(1)})
    assert high_water.read_marks(jpn.data_dir).seq(OWN) == before + 2


def test_signing_waits_on_the_stream_behind_its_mark_and_nowhere_else(pair):
    jpn = pair.jpn
    head = len(held(jpn)[OWN])
    high_water.raise_marks(jpn.data_dir, {OWN: high_water.Mark(head + 2)})
    events_before = held(jpn)
    with pytest.raises(StreamBehind) as refused:
        submit(jpn)
    assert refused.value.code == "stream_behind" and refused.value.field == "stream"
    assert refused.value.params == {"stream": OWN, "head": head, "mark": head + 2, "party": "JPN"}
    assert f"holds {head} of its events but {head + 2} have left it" in refused.value.message
    assert held(jpn) == events_before  # nothing signed
    # Another agreement's stream of the same node is not held back.
    with UnitOfWork(jpn) as uow:
        boss = users.get_user(uow, user_id("JPN", Role.ADMINISTRATOR))
        admin.adopt_agreement(uow, boss, "JPN-USA-ACSA")
    assert len(held(jpn)["JPN-USA-ACSA/JPN"]) == 1
    # A partner's events are still taken in.
    submit(pair.phl)
    assert pair.carry(pair.phl, jpn).applied == 1


def test_a_peer_that_holds_more_of_our_stream_than_we_do_stops_our_signing(pair):
    jpn = pair.jpn
    head = len(held(jpn)[OWN])
    server = Server(jpn)
    answer = server.get_head("PHL", "JPN-PHL-ACSA", "JPN", head + 4)  # PHL holds more
    assert answer["head"]["head"]["size"] == head
    with pytest.raises(StreamBehind, match=f"holds {head} of its events but PHL holds "
                                           f"{head + 4}"):
        submit(jpn)
    with UnitOfWork(jpn, write=False) as uow:
        assert recovery.waiting_streams(uow, ["JPN-PHL-ACSA"]) == {
            OWN: f"{OWN}: this node holds {head} of its events but PHL holds {head + 4}"}
    # Its copy, once it shows it, is the truth: it held no more.
    with UnitOfWork(jpn) as uow:
        recovery.partner_holds(uow, "PHL", OWN, head)
    submit(jpn)


def test_a_copy_of_a_stream_goes_only_to_the_node_that_signed_it(pair):
    phl = pair.phl
    server = Server(phl)
    page = server.get_copy("JPN", "JPN-PHL-ACSA", "JPN", 0, 500)
    assert page["size"] == len(held(phl)[OWN]) and page["events"]
    with UnitOfWork(phl, write=False) as uow:
        for peer, party in (("USA", "JPN"), ("JPN", "PHL"), ("PHL", "PHL")):
            with pytest.raises(recovery.NotYours):
                recovery.copied_stream(uow, "JPN-PHL-ACSA", party, peer)


def test_events_not_signed_by_the_node_itself_are_not_taken_back(pair):
    jpn, phl = pair.jpn, pair.phl
    theirs = Server(jpn).get_stream("PHL", "JPN-PHL-ACSA", "JPN", 0, 500)["events"]
    forged = json.loads(json.dumps(theirs[:1]))
    forged[0]["event"]["subject"] = "altered"
    with UnitOfWork(phl) as uow:
        got = recovery.receive_own(uow, "test", "JPN", "JPN-PHL-ACSA/PHL", forged)
    assert got.applied == 0 and got.problems and got.quarantined is not None
    with UnitOfWork(phl, write=False) as uow:
        assert intake.quarantined(uow)[-1].reasons == got.problems


def test_a_node_with_history_refuses_an_empty_database_in_one_line(pair, empty_database):
    jpn = pair.jpn
    reopen(jpn).engine.dispose()  # the first opening on a database with events notes it
    assert "recorded_events = true" in (jpn.data_dir / "node.toml").read_text()
    (jpn.data_dir / "high-water.json").unlink()  # node.toml alone is enough
    with pytest.raises(NodeHistoryMissing, match="restore the node's backup"):
        open_node(Settings(data_dir=jpn.data_dir, database_url=empty_database))
    result = CliRunner().invoke(COMMAND, ["verify"], env={
        "ACSA_DATA_DIR": str(jpn.data_dir), "ACSA_DATABASE_URL": empty_database})
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: node_history_missing: database: ")
    assert "`acsa restore PATH`" in line and "ACSA_DATABASE_URL" in line
    assert "password" not in line
