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
from acsa.services.node import Node

log = logging.getLogger("acsa.federation")

TICK_S = 0.2  # how often local heads and wake-ups are looked at


@dataclass
class PeerState:
    due: float = 0.0
    failures: int = 0
    woken: bool = True
    running: bool = False


@dataclass
class Worker:
    node: Node
    interval_s: float
    peers: dict[str, PeerState] = field(default_factory=dict)
    notified_heads: dict[str, int] = field(default_factory=dict)
    key_mtime: float = 0.0
    stopping: bool = False

    def wake(self, peer: str) -> None:
        self.peers.setdefault(peer, PeerState()).woken = True

    def backoff_s(self, failures: int) -> float:
        return random.uniform(0, min(P.BACKOFF_MAX_S, P.BACKOFF_BASE_S * 2 ** failures))

    async def run(self) -> None:
        # Nothing counts as notified yet: a node that (re)starts tells every
        # peer at once, so they pull without waiting out their back-off.
        self.notified_heads = {}
        pushes: set[asyncio.Task[None]] = set()
        while not self.stopping:
            try:
                await asyncio.to_thread(self._reload_key)
                for peer in await asyncio.to_thread(peers_with_urls, self.node):
                    self.peers.setdefault(peer, PeerState())
                pushes |= await self._push_local_commits()
                now = time.monotonic()
                for peer, state in self.peers.items():
                    if state.running or not (state.woken or state.due <= now):
                        continue
                    state.woken, state.running = False, True
                    task = asyncio.create_task(self._round(peer, state))
                    pushes.add(task)
                pushes = {t for t in pushes if not t.done()}
            except Exception:
                log.exception("sync worker tick failed")
            await asyncio.sleep(TICK_S)
        for task in pushes:
            task.cancel()

    async def _round(self, peer: str, state: PeerState) -> None:
        try:
            report = await asyncio.wait_for(asyncio.to_thread(sync_peer, self.node, peer),
                                            timeout=P.ROUND_TIMEOUT_S)
            # A round that applied events made progress even if a later message
            # was lost: try again at once rather than backing off.
            ok = report.ok or report.applied > 0
            if report.applied or not report.ok:
                log.warning("sync %s: %s", peer, " | ".join(report.lines()))
        except Exception as exc:
            log.warning("sync %s failed: %s", peer, exc)
            ok = False
        if ok:
            state.failures = 0
            state.due = time.monotonic() + self.interval_s
        else:
            state.failures += 1
            state.due = time.monotonic() + self.backoff_s(state.failures)
        state.running = False

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
    """The ``start`` that ``acsa serve`` hands to the web app: returns an async ``stop``."""

    def start() -> Callable[[], Awaitable[None]]:
        worker = Worker(node, max(0.2, settings.sync_interval_s))
        loop = asyncio.get_running_loop()

        def hook(peer: str) -> None:
            loop.call_soon_threadsafe(worker.wake, peer)

        P.on_notify(id(node), hook)
        task = loop.create_task(worker.run())

        async def stop() -> None:
            worker.stopping = True
            P.forget(id(node))
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

        return stop

    return start
