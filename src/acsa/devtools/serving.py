"""Real ``acsa serve`` processes, for the serving tests and their transcript.

:func:`start` launches any number of them at once on one node (each on a free
port, its JSON log lines captured in a file of its own); :func:`wait_ready` polls
``/readyz`` until it answers 200; :meth:`Served.stop` sends SIGTERM and waits,
as a service manager does.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

READY_TIMEOUT_S = 90.0  # several processes importing at once on a busy machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """One ``acsa serve`` process (with its workers, if any)."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def lines(self) -> list[dict[str, Any]]:
        """The log's JSON lines; a line that is not JSON comes as ``{"raw": line}``."""
        out: list[dict[str, Any]] = []
        for line in self.text().splitlines():
            try:
                found = json.loads(line)
            except ValueError:
                found = {"raw": line}
            out.append(found if isinstance(found, dict) else {"raw": line})
        return out

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == name]

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, then wait for the process to end; its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            raise

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def environment(data_dir: Path, database_url: str | None,
                extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACSA_")}
    env.update({"ACSA_DATA_DIR": str(data_dir), "ACSA_SYNC_INTERVAL_S": "1"})
    if database_url:
        env["ACSA_DATABASE_URL"] = database_url
    env.update(extra or {})
    return env


def start(data_dir: Path, database_url: str | None, logs: Path, *, count: int = 1,
          args: Iterable[str] = (), env: Mapping[str, str] | None = None) -> list[Served]:
    """``count`` ``acsa serve`` processes on one node, launched one right after another."""
    logs.mkdir(parents=True, exist_ok=True)
    environ = environment(data_dir, database_url, env)
    made = []
    for _ in range(count):
        port = free_port()
        log = logs / f"serve-{port}.log"
        with log.open("wb") as handle:
            proc = subprocess.Popen(
                [sys.executable, "-m", "acsa", "serve", "--port", str(port), *args],
                env=environ, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        made.append(Served(proc, port, log))
    return made


def wait_ready(served: Served, timeout: float = READY_TIMEOUT_S) -> httpx.Response:
    """``/readyz`` once it answers 200; raises with the log's end if the process exits."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if served.proc.poll() is not None:
            raise RuntimeError(f"acsa serve on port {served.port} exited with "
                               f"{served.proc.returncode}: {served.text()[-3000:]}")
        try:
            answer = httpx.get(served.url("/readyz"), timeout=5)
            if answer.status_code == 200:
                return answer
            last = f"{answer.status_code} {answer.text}"
        except httpx.TransportError as exc:
            last = type(exc).__name__
        time.sleep(0.2)
    raise RuntimeError(f"acsa serve on port {served.port} not ready after {timeout:g} s "
                       f"({last}): {served.text()[-3000:]}")
