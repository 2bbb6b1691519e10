"""The background sync worker that ``acsa serve`` runs beside the web app.

It pulls from each peer with a URL every ``ACSA_SYNC_INTERVAL_S`` seconds,
at once when the peer pushes a notify, and after a failure waits an
exponentially growing, fully jittered delay (capped at
:data:`BACKOFF_MAX_S`). It watches this node's own streams and pushes a
notify to the parties of a stream as soon as a local commit extends it —
whichever process made the commit (web, API, CLI). Each round runs in a
thread with its own timeouts, so the web app keeps serving meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from acsa.config import Settings
from acsa.events import NodeKey
from acsa.federation import protocol as P
from acsa.federation.sync import (
    notify_peer,
    own_heads,
    parties_of_streams,
    peers_with_urls,
    sync_peer,
)
from acsa.logs import bound, new_request_id
from acsa.services import health
from acsa.services.node import Node

log = logging.getLogger("acsa.federation")

TICK_S = 0.2  # how often local heads and wake-ups are looked at
LEASE_RETRY_S = 5.0  # how often a standing-by process tries to take the sync over
LEASE_CHECK_S = 5.0  # how often the process running the sync checks it still holds it
STOP_WAIT_S = 10.0  # how long stopping waits for the rounds under way


@dataclass
class PeerState:
    due: float = 0.0
    failures: int = 0
    woken: bool = True
    running: bool = False


class Lease(Protocol):
    """The node's sync lease, as the loop uses it (:mod:`acsa.store.leases`)."""

    def still_held(self) -> bool: ...

    def messages(self) -> list[str]: ...


class AlwaysHeld:
    """The lease of a worker run on its own, as a test runs one."""

    def still_held(self) -> bool:
        return True

    def messages(self) -> list[str]:
        return []


@dataclass
class Worker:
    node: Node
    interval_s: float
    backoff_max_s: float = P.BACKOFF_MAX_S
    peers: dict[str, PeerState] = field(default_factory=dict)
    notified_heads: dict[str, int] = field(default_factory=dict)
    key_mtime: float = 0.0
    stopping: bool = False
    leading: bool = False  # this process holds the sync lease and runs the loop

    def wake(self, peer: str) -> None:
        self.peers.setdefault(peer, PeerState()).woken = True

    def backoff_s(self, failures: int) -> float:
        return random.uniform(0, min(self.backoff_max_s, P.BACKOFF_BASE_S * 2 ** failures))

    async def run(self, lease: Lease | None = None) -> None:
        """Sync until stopped, or until the lease is lost; peers named in the lease's
        messages (a push another process received) are pulled from at once."""
        lease = lease or AlwaysHeld()
        # Nothing counts as notified yet: a node that (re)starts tells every
        # peer at once, so they pull without waiting out their back-off.
        self.notified_heads = {}
        pushes: set[asyncio.Task[None]] = set()
        checked = time.monotonic()
        while not self.stopping:
            if time.monotonic() - checked >= LEASE_CHECK_S:
                checked = time.monotonic()
                if not await asyncio.to_thread(lease.still_held):
                    log.warning("background sync lease lost; this process stops syncing",
                                extra={"event": "sync_lease_lost"})
                    break
            try:
                for peer in await asyncio.to_thread(lease.messages):
                    self.wake(peer)
                pushes = await self._tick(pushes)
            except Exception:
                log.exception("sync worker tick failed")
            await asyncio.sleep(TICK_S)
        if pushes:
            await asyncio.wait(pushes, timeout=STOP_WAIT_S)
        for task in pushes:
            task.cancel()

    async def _tick(self, pushes: set[asyncio.Task[None]]) -> set[asyncio.Task[None]]:
        await asyncio.to_thread(self._reload_key)
        for peer in await asyncio.to_thread(peers_with_urls, self.node):
            self.peers.setdefault(peer, PeerState())
        pushes |= await self._push_local_commits()
        now = time.monotonic()
        for peer, state in self.peers.items():
            if state.running or not (state.woken or state.due <= now):
                continue
            state.woken, state.running = False, True
            pushes.add(asyncio.create_task(self._round(peer, state)))
        return {t for t in pushes if not t.done()}

    async def _round(self, peer: str, state: PeerState) -> None:
        with bound(f"sync-{new_request_id()[:16]}"):
            ok = await self._pull(peer)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(health.record_sync, self.node, peer, ok)
        if ok:
            state.failures = 0
            state.due = time.monotonic() + self.interval_s
        else:
            state.failures += 1
            state.due = time.monotonic() + self.backoff_s(state.failures)
        state.running = False

    async def _pull(self, peer: str) -> bool:
        started = time.monotonic()
        try:
            report = await asyncio.wait_for(asyncio.to_thread(sync_peer, self.node, peer),
                                            timeout=P.ROUND_TIMEOUT_S)
        except Exception as exc:
            log.warning("sync %s failed: %s", peer, exc,
                        extra={"event": "sync_round", "peer": peer, "ok": False})
            return False
        # A round that applied events made progress even if a later message
        # was lost: try again at once rather than backing off.
        ok = report.ok or report.applied > 0
        level = logging.INFO if report.applied or not report.ok else logging.DEBUG
        log.log(level, "sync %s: %s", peer, " | ".join(report.lines()), extra={
            "event": "sync_round", "peer": peer, "ok": report.ok, "applied": report.applied,
            "duration_ms": round((time.monotonic() - started) * 1000, 1)})
        return ok

    async def _push_local_commits(self) -> set[asyncio.Task[None]]:
        heads = await asyncio.to_thread(own_heads, self.node)
        changed = {s: n for s, n in heads.items() if self.notified_heads.get(s, 0) < n}
        if not changed:
            return set()
        self.notified_heads.update(changed)
        parties = await asyncio.to_thread(parties_of_streams, self.node, changed)
        tasks = set()
        for peer in sorted(set().union(*parties.values()) & set(self.peers)):
            streams = {s: n for s, n in changed.items() if peer in parties[s]}
            tasks.add(asyncio.create_task(self._notify(peer, streams)))
        return tasks

    async def _notify(self, peer: str, streams: dict[str, int]) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.to_thread(notify_peer, self.node, peer, streams),
                                   timeout=P.READ_TIMEOUT_S + P.CONNECT_TIMEOUT_S)

    def _reload_key(self) -> None:
        """Pick up a key rotated by the CLI while this process runs."""
        path = self.node.key_path
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return
        if self.key_mtime and mtime != self.key_mtime:
            key = NodeKey.load(path)
            if key.fingerprint != self.node.key.fingerprint:
                log.warning("node key changed on disk; now signing with %s", key.fingerprint)
                self.node.key = key
        self.key_mtime = mtime


def background_sync(node: Node, settings: Settings) -> Callable[[], Callable[[], Awaitable[None]]]:
    """The ``start`` that ``acsa serve`` hands to the web app: returns an async ``stop``.

    The loop runs while this process holds the node's sync lease; otherwise it
    stands by, trying to take it over.
    """

    def start() -> Callable[[], Awaitable[None]]:
        worker = Worker(node, max(0.2, settings.sync_interval_s), settings.sync_backoff_max_s)
        loop = asyncio.get_running_loop()

        def hook(peer: str) -> None:
            # Called by the notify endpoint, in a thread of this process.
            if worker.leading:
                loop.call_soon_threadsafe(worker.wake, peer)
            else:  # another process runs the sync: hand the push on to it
                with contextlib.suppress(Exception):
                    health.wake_sync(node, peer)

        P.on_notify(id(node), hook)
        task = loop.create_task(lead(worker))

        async def stop() -> None:
            worker.stopping = True
            P.forget(id(node))
            try:
                await asyncio.wait_for(task, timeout=STOP_WAIT_S + 2 * TICK_S + 1)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            except Exception:
                log.exception("background sync stopped with an error")
            log.info("background sync stopped", extra={"event": "sync_stopped"})

        return stop

    return start


async def lead(worker: Worker) -> None:
    """Run ``worker`` whenever this process holds the node's sync lease, until stopped."""
    lease = health.sync_lease(worker.node)
    standing_by = False
    while not worker.stopping:
        try:
            taken = await asyncio.to_thread(lease.try_take)
        except Exception as exc:
            log.warning("cannot take the sync lease: %s", exc)
            taken = False
        if taken:
            standing_by = False
            log.info("background sync runs in this process", extra={"event": "sync_leader"})
            worker.leading = True
            try:
                await worker.run(lease)
            finally:
                worker.leading = False
                await asyncio.to_thread(lease.release)
            continue
        if not standing_by:
            log.info("background sync runs in another process of this node; standing by",
                     extra={"event": "sync_standby"})
            standing_by = True
        await _sleep_unless(worker, LEASE_RETRY_S)


async def _sleep_unless(worker: Worker, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not worker.stopping and time.monotonic() < deadline:
        await asyncio.sleep(TICK_S)
