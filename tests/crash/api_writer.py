"""The HTTP API under load, killed: ``acsa serve`` with clients submitting orders.

Four clients post orders to ``/api/v1/orders`` as PHL's ordering official;
each 201 answer is an acknowledged write (the order's number). The server's
process group is killed with SIGKILL at a random moment and the harness
checks that every acknowledged order is in the database.
"""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from acsa.bootstrap import open_node
from acsa.config import Settings
from acsa.services import auth, users
from acsa.services.unit_of_work import UnitOfWork

from .harness import Acknowledged, environment, first_write, kill_after
from .writer import terms

CLIENTS = 4
OFFICIAL = "phl.ordering"
_tokens: dict[Path, str] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def token(settings: Settings) -> str:
    """A bearer token of PHL's ordering official on this node (one per node)."""
    if settings.data_dir not in _tokens:
        node = open_node(settings)
        try:
            with UnitOfWork(node) as uow:
                actor = users.get_user(uow, OFFICIAL)
                made = auth.create_token(uow, actor, user_id=OFFICIAL, name="crash",
                                         scopes=("read", "act"))
                uow.commit()
        finally:
            node.engine.dispose()
        _tokens[settings.data_dir] = made.secret
    return _tokens[settings.data_dir]


def _body(n: int) -> dict[str, Any]:
    body = terms(n)
    body.pop("requester")
    return body


def _client(base: str, secret: str, acked: Acknowledged, stop: threading.Event,
            offset: int) -> None:
    headers = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        n = offset
        while not stop.is_set():
            n += CLIENTS
            try:
                answer = client.post("/api/v1/orders", json=_body(n))
            except httpx.TransportError:
                time.sleep(0.02)
                continue
            if answer.status_code == 201:
                acked.take(f"order {answer.json()['number']}")


def _up(proc: subprocess.Popen[str], base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"acsa serve exited: {log.read_text()[-2000:]}")
        try:
            httpx.get(f"{base}/federation/v1/heads/x/y", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"acsa serve did not start: {log.read_text()[-2000:]}")


def api_writer(settings: Settings, acked: Acknowledged, rng: random.Random) -> None:
    secret, port = token(settings), free_port()
    base = f"http://127.0.0.1:{port}"
    log = settings.data_dir / "serve.log"
    env = {**environment(settings), "ACSA_SYNC_INTERVAL_S": "3600"}
    with log.open("a") as handle:
        proc = subprocess.Popen([sys.executable, "-m", "acsa", "serve", "--port", str(port)],
                                env=env, stdout=handle, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
    try:
        _up(proc, base, log)
        stop = threading.Event()
        clients = [threading.Thread(target=_client, args=(base, secret, acked, stop, i))
                   for i in range(CLIENTS)]
        for c in clients:
            c.start()
        first_write(acked, proc)
        kill_after(proc, rng)
        stop.set()
        for c in clients:
            c.join(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
