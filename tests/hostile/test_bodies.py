"""Request bodies over their route's limit: 413 while they are read, before anything else.

Against a live ``acsa serve``: 50 MB sent chunked (a body that declares no size) to the
API without a token, to the login form and to the federation's notify endpoint are each
refused with 413 as soon as the route's limit is passed, and the server's resident memory
(VmRSS) grows by less than 20 MB. In-process: a declared ``Content-Length`` over the limit
is refused without a byte read, as a problem document for programs and a page in the
reader's language for people.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from acsa.bootstrap import init_node
from acsa.config import Settings
from acsa.web.app import create_app
from acsa.web.limits import BODY_BYTES_MAX, LOGIN_BODY_BYTES_MAX, body_limit

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

MB = 1024 * 1024
SENT = 50 * MB
RSS_GROWTH_MAX_KB = 20 * 1024
CHUNK = b"[" * 65536


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int]]:
    """A live JPN node on SQLite: its port and its process id."""
    data = tmp_path_factory.mktemp("limits") / "jpn"
    init_node(Settings(data_dir=data), "JPN").engine.dispose()
    port = free_port()
    log = (data / "serve.log").open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "acsa", "serve", "--port", str(port)],
                            env={**os.environ, "ACSA_DATA_DIR": str(data)}, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (data / "serve.log").read_text()[-2000:]
            try:
                httpx.get(f"http://127.0.0.1:{port}/federation/v1/heads/x/y", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "acsa serve did not start"
                time.sleep(0.2)
        yield port, proc.pid
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def post_chunked(port: int, path: str, total: int) -> tuple[bytes, int]:
    """POST ``total`` bytes chunked, reading the answer as it comes: (answer, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                 "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode())
    answer: list[bytes] = []
    reader = threading.Thread(target=receive_all, args=(sock, answer), daemon=True)
    reader.start()
    frame = b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n"
    sent = 0
    try:
        while sent < total and not answer:
            sock.sendall(frame)
            sent += len(CHUNK)
        sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server closed the connection after its answer
    reader.join(30)
    sock.close()
    return b"".join(answer), sent


def receive_all(sock: socket.socket, into: list[bytes]) -> None:
    """Everything the server sends until it closes the connection."""
    try:
        while data := sock.recv(65536):
            into.append(data)
    except OSError:
        pass


@pytest.mark.federation
@pytest.mark.parametrize(("path", "limit"), [
    ("/api/v1/orders", BODY_BYTES_MAX),
    ("/auth/login", LOGIN_BODY_BYTES_MAX),
    ("/federation/v1/notify", 256 * 1024),
])
def test_50_mb_chunked_is_refused_while_read(served: tuple[int, int], path: str,
                                             limit: int) -> None:
    port, pid = served
    before = rss_kb(pid)
    answer, sent = post_chunked(port, path, SENT)
    after = rss_kb(pid)
    status = answer.split(b"\r\n", 1)[0].decode()
    print(f"{path}: {status}; {sent / MB:.1f} MB sent before the answer; "
          f"server VmRSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB")
    assert status.startswith("HTTP/1.1 413")
    assert f"above {limit} bytes".encode() in answer or b"Too large" in answer
    assert after - before < RSS_GROWTH_MAX_KB


# -- in-process ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    node = init_node(Settings(data_dir=tmp_path_factory.mktemp("inproc") / "jpn"), "JPN")
    with TestClient(create_app(node), base_url="https://testserver") as c:
        yield c
    node.engine.dispose()


def test_a_declared_length_over_the_limit_is_refused_unread(client: TestClient) -> None:
    read: list[int] = []

    def body() -> Iterator[bytes]:
        read.append(1)
        yield b"{}"

    r = client.post("/api/v1/orders", content=body(),
                    headers={"Content-Length": str(50 * MB), "Content-Type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert r.json() == {"type": "tag:acsa-ledger,2026:problem:too_large",
                        "title": "Request too large", "status": 413,
                        "detail": "request body above 1048576 bytes", "code": "too_large",
                        "field": "body", "params": {"limit": 1048576},
                        "instance": "/api/v1/orders"}


def test_a_page_says_too_large_in_the_readers_language(client: TestClient) -> None:
    r = client.post("/new-order", content=b"x=" + b"y" * (BODY_BYTES_MAX + 1),
                    headers={"Accept-Language": "ja,en;q=0.5",
                             "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="ja">' in r.text and "大きすぎます" in r.text and "1 MB" in r.text


def test_each_route_has_its_limit() -> None:
    assert body_limit("/api/v1/orders") == BODY_BYTES_MAX
    assert body_limit("/api/v1/evidence") == 25 * MB + 64 * 1024
    assert body_limit("/orders/JP-PH/PHL/FY2026/00001/act/deliver") == 25 * MB + 64 * 1024
    assert body_limit("/scan") == 10 * MB + 64 * 1024
    assert body_limit("/auth/login") == body_limit("/auth/code") == LOGIN_BODY_BYTES_MAX
    assert body_limit("/federation/v1/notify") == 256 * 1024
    assert body_limit("/new-order") == BODY_BYTES_MAX
