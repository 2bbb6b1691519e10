"""``acsa serve --workers N`` on PostgreSQL: N processes serve, one runs the background
sync, another takes it over when that one dies; SIGTERM lets a request under way finish
and stops the sync cleanly."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable

import httpx
import pytest

from acsa.devtools import serving

from .conftest import Site


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def worker_pids(served: serving.Served) -> set[int]:
    return {line["pid"] for line in served.lines()
            if str(line.get("message", "")).startswith("Started server process")}


@pytest.mark.parametrize("engine_kind", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                         indirect=True)
def test_two_workers_serve_and_one_runs_the_sync(site: Callable[..., Site]) -> None:
    node = site(empty=True)
    (served,) = node.start(1, "--workers", "2")
    serving.wait_ready(served)
    wait_for(lambda: len(worker_pids(served)) == 2 and len(
        served.events("sync_leader") + served.events("sync_standby")) == 2, 60,
        "both workers to start")
    for _ in range(10):
        assert httpx.get(served.url("/readyz"), timeout=10).status_code == 200
    (leader,) = served.events("sync_leader")
    (standby,) = served.events("sync_standby")
    assert leader["pid"] != standby["pid"]
    assert worker_pids(served) == {leader["pid"], standby["pid"]}

    # The worker running the sync dies: the standby, or the worker uvicorn starts in its
    # place, takes the sync over — one of them.
    os.kill(leader["pid"], signal.SIGKILL)
    wait_for(lambda: len(served.events("sync_leader")) == 2, 60, "the sync to be taken over")
    time.sleep(2 * 5.0)  # two lease retries: nobody else takes it
    (_, successor) = served.events("sync_leader")
    assert successor["pid"] != leader["pid"]
    assert httpx.get(served.url("/readyz"), timeout=10).status_code == 200

    assert served.stop() in (0, -signal.SIGTERM)
    assert len(served.events("sync_leader")) == 2
    stopped = {line["pid"] for line in served.events("sync_stopped")}
    assert {standby["pid"], successor["pid"]} <= stopped
    assert "Traceback" not in served.text()


@pytest.mark.parametrize("engine_kind", ["sqlite"], indirect=True)
def test_sigterm_lets_a_request_under_way_finish(site: Callable[..., Site]) -> None:
    node = site()
    (served,) = node.start(1)
    serving.wait_ready(served)
    body = b'{"streams": {}}' + b" " * 85
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as conn:
        conn.sendall(b"POST /federation/v1/notify HTTP/1.1\r\nHost: node\r\n"
                     b"X-Request-ID: under-way-1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
        time.sleep(0.5)
        served.proc.send_signal(signal.SIGTERM)
        wait_for(lambda: any(line.get("message") == "Shutting down"
                             for line in served.lines()), 30, "the shutdown to begin")
        conn.sendall(body[10:])
        answer = conn.recv(65536)
    # Unsigned, so refused — but answered, not cut off.
    assert answer.startswith(b"HTTP/1.1 401 "), answer
    assert b"x-request-id: under-way-1" in answer.lower()
    assert served.proc.wait(60) in (0, -signal.SIGTERM)
    lines = served.lines()
    events = [line.get("event") or line.get("message") for line in lines]
    request = next(i for i, line in enumerate(lines) if line.get("request_id") == "under-way-1"
                   and line.get("event") == "request")
    assert lines[request]["status"] == 401
    assert events.index("Shutting down") < request < events.index("sync_stopped")
    assert "Finished server process" in str(lines[-1].get("message")), lines[-3:]
