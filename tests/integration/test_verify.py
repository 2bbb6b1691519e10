"""``acsa verify`` catches every kind of tampering and reports every problem; rebuild repairs
projections edited behind the log's back."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select, text, update

from acsa.devtools.exercise import Exercise
from acsa.devtools.world import as_official, in_force_profile, staff_node
from acsa.domain.parties import Role
from acsa.events import SignedTreeHead, TreeHead
from acsa.services import orders
from acsa.services.unit_of_work import UnitOfWork
from acsa.services.verify import rebuild_projections, verify_log, verify_node
from acsa.services.witness import held_root_at
from acsa.store import tables as T

D = date
STREAM = "JPN-PHL-ACSA/PHL"


def terms(n: int = 1) -> dict:
    x = Exercise(in_force_profile("JPN-PHL-ACSA"))
    return x.terms("PHL", "JPN", [("food", f"Rations, pack {n}", "100", "EA", "1200")])


@pytest.fixture
def phl(make_node):  # type: ignore[no-untyped-def]
    node = make_node("PHL")
    staff_node(node, ["JPN-PHL-ACSA"])
    node.clock.set_day(D(2026, 2, 3))
    for n in range(3):
        as_official(node, Role.ORDERING_OFFICIAL, orders.submit_order, terms(n))
    return node


def findings(node) -> list[str]:  # type: ignore[no-untyped-def]
    with UnitOfWork(node) as uow:
        return [str(f) for f in verify_node(uow).findings]


def behind_the_back(node, *statements) -> None:  # type: ignore[no-untyped-def]
    """Change the database as an intruder with direct access would: triggers off first."""
    with node.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER events_no_update")
            conn.exec_driver_sql("DROP TRIGGER events_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE events DISABLE TRIGGER USER")
        for s in statements:
            sql, params = s if isinstance(s, tuple) else (s, {})
            conn.execute(text(sql), params)


def test_a_clean_node_verifies(phl):
    assert findings(phl) == []


def test_the_log_refuses_updates_and_deletes(phl):
    with pytest.raises(Exception, match="insert-only"), phl.engine.begin() as conn:
        conn.execute(update(T.events).values(subject="x"))
    with pytest.raises(Exception, match="insert-only"), phl.engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))


def test_one_changed_byte_is_found(phl):
    with UnitOfWork(phl, write=False) as uow:
        row = uow.conn.execute(select(T.events).where(T.events.c.seq == 11,
                                                      T.events.c.stream == STREAM)).one()
    tampered = row.envelope.replace('"1200"', '"1209"', 1)
    assert tampered != row.envelope
    behind_the_back(phl, ("UPDATE events SET envelope = :e WHERE id = :i",
                          {"e": tampered, "i": row.id}))
    found = findings(phl)
    assert any("seq 11" in f and "hash mismatch" in f for f in found), found
    assert any("seq 11" in f and "bad signature" in f for f in found), found


def test_a_deleted_event_is_found(phl):
    behind_the_back(phl, f"DELETE FROM event_orders WHERE event_id IN (SELECT id FROM events "
                         f"WHERE stream = '{STREAM}' AND seq = 10)",
                    f"DELETE FROM events WHERE stream = '{STREAM}' AND seq = 10")
    found = findings(phl)
    assert any("seq 11" in f and "expected seq 10" in f for f in found), found
    assert any("prev does not link" in f for f in found), found


def test_the_log_read_a_page_at_a_time_gives_the_same_findings(phl):
    """Pages of one and two events: a gap, a changed byte and a copy past the head are found
    as when the stream is read in one page."""
    with UnitOfWork(phl, write=False) as uow:
        row = uow.conn.execute(select(T.events).where(T.events.c.seq == 11,
                                                      T.events.c.stream == STREAM)).one()
        head = uow.conn.execute(select(T.streams.c.head_seq)
                                .where(T.streams.c.stream == STREAM)).scalar_one()
    behind_the_back(phl, f"DELETE FROM event_orders WHERE event_id IN (SELECT id FROM events "
                         f"WHERE stream = '{STREAM}' AND seq = 10)",
                    f"DELETE FROM events WHERE stream = '{STREAM}' AND seq = 10",
                    ("UPDATE events SET envelope = :e WHERE id = :i",
                     {"e": row.envelope.replace('"1200"', '"1209"', 1), "i": row.id}),
                    insert_copy(row, seq=head + 1))
    with UnitOfWork(phl, write=False) as uow:
        whole = verify_log(uow, page=10_000)
        assert [verify_log(uow, page=n) for n in (1, 2)] == [whole, whole]
    found, events, _ = whole
    assert events == head  # one deleted, one inserted
    texts = [str(f) for f in found]
    assert any("seq 11" in f and "expected seq 10" in f for f in texts), texts
    assert any("seq 11" in f and "hash mismatch" in f for f in texts), texts
    assert any(f"seq {head + 1}" in f for f in texts), texts


def sign_heads(node, sizes) -> None:  # type: ignore[no-untyped-def]
    """Tree heads of our stream at ``sizes``, signed by the node as it would for a peer."""
    with UnitOfWork(node) as uow:
        for size in sizes:
            head = TreeHead(STREAM, size, held_root_at(uow, STREAM, size).hex(),
                            "2026-02-03T00:00:00.000Z")
            wire = SignedTreeHead.sign(head, node.key).to_wire()
            uow.conn.execute(T.tree_heads.insert().values(
                stream=STREAM, size=size, root=head.root, at=head.at, key=wire["key"],
                signature=wire["sig"], received_at=head.at))
        uow.commit()


def test_tree_heads_are_checked_against_the_log_hashed_in_pieces(phl):
    """Signed heads at every size, the log cut into chunks of 1, 2, 3 and 7 events and
    hashed apart: each head is found to match; then, with an event deleted, each head from
    there on and one beyond the log are found not to, whatever the chunks."""
    with UnitOfWork(phl, write=False) as uow:
        head = uow.conn.execute(select(T.streams.c.head_seq)
                                .where(T.streams.c.stream == STREAM)).scalar_one()
    sign_heads(phl, range(head + 1))
    with UnitOfWork(phl, write=False) as uow:
        assert [verify_log(uow, page=n)[0] for n in (1, 2, 3, 7, 10_000)] == [[]] * 5
    sign_heads(phl, [head + 2])
    behind_the_back(phl, f"DELETE FROM event_orders WHERE event_id IN (SELECT id FROM events "
                         f"WHERE stream = '{STREAM}' AND seq = 10)",
                    f"DELETE FROM events WHERE stream = '{STREAM}' AND seq = 10")
    with UnitOfWork(phl, write=False) as uow:
        found = [verify_log(uow, page=n)[0] for n in (1, 3, 10_000)]
    assert found[0] == found[1] == found[2]
    differs = sorted(int(f.where.split()[-1]) for f in found[0]
                     if f.kind == "tree" and "history differs" in f.message)
    assert differs == [*range(10, head + 1), head + 2]


def test_reordered_events_are_found(phl):
    behind_the_back(
        phl,
        f"UPDATE events SET seq = 1000 WHERE stream = '{STREAM}' AND seq = 10",
        f"UPDATE events SET seq = 10 WHERE stream = '{STREAM}' AND seq = 11",
        f"UPDATE events SET seq = 11 WHERE stream = '{STREAM}' AND seq = 1000",
    )
    found = findings(phl)
    assert any("indexed column seq disagrees" in f for f in found), found
    assert any("prev does not link" in f for f in found), found


def test_an_inserted_event_is_found(phl):
    with UnitOfWork(phl, write=False) as uow:
        row = uow.conn.execute(select(T.events).where(T.events.c.seq == 11,
                                                      T.events.c.stream == STREAM)).one()
    with UnitOfWork(phl, write=False) as uow:
        head = uow.conn.execute(select(T.streams.c.head_seq)
                                .where(T.streams.c.stream == STREAM)).scalar_one()
    behind_the_back(phl, insert_copy(row, seq=head + 1))  # the stream holds seq 1–head
    found = findings(phl)
    assert any(f"seq {head + 1}" in f for f in found), found
    assert any(f"stream head says seq {head}" in f for f in found), found


def insert_copy(row, seq: int):  # type: ignore[no-untyped-def]
    """An intruder's copy of ``row`` placed at ``seq``."""
    values = {c: getattr(row, c) for c in ("stream", "at", "type", "subject", "signer", "key",
                                           "signature", "envelope", "received_at")}
    values.update(seq=seq, hash="f" * 64, prev=row.hash)
    columns = ", ".join(values)
    return (f"INSERT INTO events ({columns}, origin) VALUES "
            f"({', '.join(':' + c for c in values)}, 'local')", values)


def test_several_problems_are_all_reported(phl):
    behind_the_back(phl, f"DELETE FROM event_orders WHERE event_id IN (SELECT id FROM events "
                         f"WHERE stream = '{STREAM}' AND seq = 10)",
                    f"DELETE FROM events WHERE stream = '{STREAM}' AND seq = 10",
                    "UPDATE orders SET status = 'settled'")
    found = findings(phl)
    kinds = {f.split(":")[0] for f in found}
    assert {"chain", "projection"} <= kinds, found


def test_a_projection_edited_behind_the_logs_back_is_found_and_rebuilt(phl):
    with phl.engine.begin() as conn:
        conn.execute(update(T.orders).values(value_minor=1))
        conn.execute(update(T.balances).values(balance_minor=T.balances.c.balance_minor + 1))
    found = findings(phl)
    assert any(f.startswith("projection: orders") for f in found), found
    with UnitOfWork(phl) as uow:
        assert rebuild_projections(uow) == 3
        uow.commit()
    assert findings(phl) == []


def test_concurrent_writers_keep_the_stream_gapless(make_node, engine_kind):
    node = make_node("PHL")
    staff_node(node, ["JPN-PHL-ACSA"])
    node.clock.set_day(D(2026, 2, 3))
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for n in range(5):
                as_official(node, Role.ORDERING_OFFICIAL, orders.submit_order, terms(k * 10 + n))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with UnitOfWork(node, write=False) as uow:
        seqs = uow.conn.execute(select(T.events.c.seq).where(T.events.c.stream == STREAM)
                                .order_by(T.events.c.seq)).scalars().all()
        numbers = uow.conn.execute(select(func.count(T.orders.c.number))).scalar_one()
    assert seqs == list(range(1, len(seqs) + 1))
    assert numbers == 20
    assert findings(node) == []
