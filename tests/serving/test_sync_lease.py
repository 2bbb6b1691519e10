"""The sync lease: one holder at a time, taken over when released, and a partner's push
that reaches a standing-by process handed on to the holder — on both engines."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from acsa.config import Settings
from acsa.federation import protocol as P
from acsa.federation import worker as W
from acsa.services import health
from acsa.services.node import Node
from integration.conftest import make_node  # noqa: F401  (nodes on both engines)


def test_one_process_holds_the_sync_lease_at_a_time(
        make_node: Callable[[str], Node]) -> None:  # noqa: F811
    node = make_node("JPN")
    first, second = health.sync_lease(node), health.sync_lease(node)
    try:
        assert first.try_take() and first.still_held()
        assert not second.try_take()
        first.release()
        assert second.try_take() and second.still_held()
        assert not first.try_take()
    finally:
        first.release()
        second.release()


def test_a_push_is_handed_to_the_lease_holder(make_node: Callable[[str], Node]  # noqa: F811
                                              ) -> None:
    node = make_node("JPN")
    holder = health.sync_lease(node)
    assert holder.try_take()
    try:
        health.wake_sync(node, "PHL")
        deadline, got = time.monotonic() + 5, []
        while not got and time.monotonic() < deadline:
            got = holder.messages()
            time.sleep(0.05)
        if node.engine.dialect.name == "postgresql":
            assert got == ["PHL"]
        else:  # one process serves a SQLite node: nothing to hand on
            assert got == []
    finally:
        holder.release()


def test_a_standing_by_process_hands_a_push_on(make_node: Callable[[str], Node],  # noqa: F811
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    node = make_node("JPN")
    other = health.sync_lease(node)  # another process runs the sync
    assert other.try_take()
    handed: list[str] = []
    monkeypatch.setattr(health, "wake_sync", lambda node, peer: handed.append(peer))

    async def scenario() -> None:
        stop = W.background_sync(node, Settings(sync_interval_s=1))()
        await asyncio.sleep(0.5)
        await asyncio.to_thread(P.notified, id(node), "PHL")  # as the notify endpoint does
        await stop()

    try:
        asyncio.run(scenario())
    finally:
        other.release()
    assert handed == ["PHL"]
