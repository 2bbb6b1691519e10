"""A small HTTP proxy between live nodes that injects faults on request.

Modes (set ``proxy.mode`` at any time; ``rate`` is the share of messages hit):

- ``pass``        forward unchanged;
- ``drop``        lose the request (the peer never sees it), connection closed;
- ``drop_reply``  forward the request but lose the response;
- ``duplicate``   deliver the request twice, answer with either response;
- ``delay``       hold each message up to ``delay_s`` seconds;
- ``reorder``     hold messages random times so later ones overtake earlier;
- ``partition``   refuse every connection until the mode changes (heals);
- ``stale``       answer a request with an earlier response to the same path;
- ``tamper``      change one byte of the response body.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading
from dataclasses import dataclass, field


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class FaultProxy:
    upstream_port: int
    mode: str = "pass"
    rate: float = 1.0
    delay_s: float = 0.5
    port: int = field(default_factory=free_port)
    seen: dict[str, int] = field(default_factory=dict)  # mode -> messages affected
    requests: int = 0
    _recorded: dict[str, bytes] = field(default_factory=dict)

    def start(self) -> FaultProxy:
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._handle, "127.0.0.1", self.port))
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self) -> None:
        def shutdown() -> None:
            self._server.close()
            self._loop.stop()

        self._loop.call_soon_threadsafe(shutdown)
        self._thread.join(5)
        self._loop.run_until_complete(self._server.wait_closed())
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _hit(self) -> bool:
        # The first message after a mode change is always hit, so every scenario
        # exercises its fault at least once; later ones at ``rate``.
        if self.mode != "pass" and (not self.seen.get(self.mode) or random.random() < self.rate):
            self.seen[self.mode] = self.seen.get(self.mode, 0) + 1
            return True
        return False

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode = self.mode
        if mode == "partition":
            self._hit()
            return
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = 0
        kept = [lines[0]]
        for line in lines[1:]:
            if not line:
                continue
            name = line.split(":", 1)[0].strip().lower()
            if name == "content-length":
                length = int(line.split(":", 1)[1])
            if name in ("connection", "keep-alive"):
                continue
            kept.append(line)
        body = await reader.readexactly(length) if length else b""
        request = ("\r\n".join([*kept, "Connection: close"]) + "\r\n\r\n").encode() + body
        path = lines[0].split(" ")[1].split("?")[0]
        self.requests += 1
        hit = self._hit()
        if hit and mode == "drop":
            return
        if hit and mode in ("delay", "reorder"):
            await asyncio.sleep(random.uniform(0, self.delay_s))
        if hit and mode == "stale" and path in self._recorded:
            writer.write(self._recorded[path])
            await writer.drain()
            return
        response = await self._forward(request)
        if hit and mode == "duplicate":
            second = await self._forward(request)
            response = random.choice([response, second])
        if hit and mode == "drop_reply":
            return
        if hit and mode == "tamper":
            response = _tamper(response)
        if response.startswith(b"HTTP/1.1 200"):
            # Only a good answer is worth replaying later as a stale one.
            self._recorded.setdefault(path, response)
        writer.write(response)
        await writer.drain()

    async def _forward(self, request: bytes) -> bytes:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        try:
            up_writer.write(request)
            await up_writer.drain()
            return await asyncio.wait_for(up_reader.read(-1), timeout=30)
        finally:
            up_writer.close()


def _tamper(response: bytes) -> bytes:
    head, sep, body = response.partition(b"\r\n\r\n")
    if not body:
        return response
    i = len(body) // 2
    changed = body[:i] + (b"0" if body[i:i + 1] != b"0" else b"1") + body[i + 1:]
    return head + sep + changed
