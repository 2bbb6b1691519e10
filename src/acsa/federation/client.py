"""Talking to one peer: signed requests, verified responses, and a limit on everything.

Every request is signed with this node's key (:func:`auth.sign_request`);
every response must be signed by a key trusted for the peer and answer this
very request's nonce, or it is refused. Reads stop at a byte limit per kind
of response; connect and read time out. The client counts messages and
bytes, which the reconciliation benchmark reports.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from acsa.events import NodeKey, fingerprint
from acsa.federation import protocol as P
from acsa.federation.auth import KEY_HEADER, AuthFailed, sign_request, verify_response
from acsa.services.node import Node

RETIRED_KEYS_DIR = "keys"  # retired node keys, kept until revoked, under the data directory


class PeerUnreachable(Exception):
    """The peer did not answer in time, or the connection failed: try again later."""


class PeerRefused(Exception):
    """The peer answered with an error (its problem document's code and detail)."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status, self.code, self.detail = status, code, detail


class ResponseRejected(Exception):
    """A response failed authentication: forged, tampered, stale or from another party."""

    def __init__(self, reason: str, body: bytes) -> None:
        super().__init__(reason)
        self.reason, self.body = reason, body


@dataclass
class Traffic:
    messages: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0


def retired_keys(node: Node) -> list[NodeKey]:
    """This node's former keys, not revoked (their files are renamed when revoked)."""
    directory = node.data_dir / RETIRED_KEYS_DIR
    if not directory.is_dir():
        return []
    files = sorted(directory.glob("*.key"), key=lambda p: p.stat().st_mtime)
    keys = [NodeKey.load(p) for p in files if p.name != "next.key"]
    return [k for k in keys if k.fingerprint != node.key.fingerprint]


def transport_keys(node: Node) -> list[NodeKey]:
    """Keys to identify this node with, oldest first: peers trust a former key until it is
    revoked, but a new one only once their administrator confirms it."""
    return [*retired_keys(node), node.key]


class PeerClient:
    def __init__(self, node: Node, peer: str, base_url: str, *, trusted: Mapping[str, bytes],
                 registered: str, transport: httpx.BaseTransport | None = None,
                 read_timeout_s: float = P.READ_TIMEOUT_S) -> None:
        self.node, self.peer = node, peer
        self.trusted = dict(trusted)
        self.registered = registered
        self.learnt: bytes | None = None
        self.traffic = Traffic()
        self.http = httpx.Client(
            base_url=base_url.rstrip("/"), transport=transport,
            timeout=httpx.Timeout(read_timeout_s, connect=P.CONNECT_TIMEOUT_S),
            follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> PeerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None, *,
            max_bytes: int = P.RESPONSE_BYTES_MAX) -> dict[str, Any]:
        return self.request("GET", path, params, None, max_bytes=max_bytes)

    def post(self, path: str, body: Mapping[str, Any], *,
             max_bytes: int = P.RESPONSE_BYTES_MAX) -> dict[str, Any]:
        return self.request("POST", path, None, body, max_bytes=max_bytes)

    def request(self, method: str, path: str, params: Mapping[str, Any] | None,
                body: Mapping[str, Any] | None, *, max_bytes: int) -> dict[str, Any]:
        payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        if len(payload) > P.REQUEST_BODY_BYTES_MAX:
            raise ValueError(f"request body above {P.REQUEST_BODY_BYTES_MAX} bytes")
        target = path + ("?" + urlencode(params) if params else "")
        keys = transport_keys(self.node)
        for attempt, key in enumerate(keys):
            try:
                return self._once(method, target, payload, key, max_bytes)
            except PeerRefused as exc:
                # After a rotation the peer may not have confirmed our new key
                # yet: the old key, until revoked, still identifies us.
                if exc.code != "key_not_trusted" or attempt == len(keys) - 1:
                    raise
        raise AssertionError("unreachable")

    def _once(self, method: str, target: str, payload: bytes, key: NodeKey,
              max_bytes: int) -> dict[str, Any]:
        headers, nonce = sign_request(key, self.node.party, method, target, payload)
        if payload:
            headers["content-type"] = "application/json"
        self.traffic.messages += 1
        self.traffic.bytes_sent += len(payload) + len(target)
        try:
            with self.http.stream(method, target, content=payload, headers=headers) as response:
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise PeerRefused(response.status_code, "too_large",
                                          f"response above {max_bytes} bytes")
                    chunks.append(chunk)
                data = b"".join(chunks)
                status, rheaders = response.status_code, dict(response.headers)
        except httpx.TransportError as exc:
            raise PeerUnreachable(f"{self.peer}: {type(exc).__name__}: {exc}") from None
        self.traffic.bytes_received += len(data)
        if status == 401:
            problem = _problem(data)
            raise PeerRefused(status, str(problem.get("code", "unauthorized")),
                              str(problem.get("detail", "")))
        try:
            verify_response(status, rheaders, data, party=self.peer,
                            trusted=self._trusted(rheaders), nonce=nonce)
        except AuthFailed as exc:
            raise ResponseRejected(f"response to {method} {target}: {exc}", data) from None
        if status != 200:
            problem = _problem(data)
            raise PeerRefused(status, str(problem.get("code", "error")),
                              str(problem.get("detail", data[:200])))
        try:
            value = json.loads(data)
        except ValueError:
            raise ResponseRejected(f"response to {method} {target} is not JSON", data) from None
        if not isinstance(value, dict):
            raise ResponseRejected(f"response to {method} {target} is not an object", data)
        return value

    def _trusted(self, headers: Mapping[str, str]) -> dict[str, bytes]:
        trusted = dict(self.trusted)
        presented = headers.get(KEY_HEADER)
        if self.registered not in trusted and presented:
            # First contact: learn the peer's key from a response that presents
            # one with the fingerprint registered out of band.
            try:
                raw = bytes.fromhex(presented)
            except ValueError:
                return trusted
            if fingerprint(raw) == self.registered:
                trusted[self.registered] = raw
                self.learnt = raw
        return trusted


def _problem(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def key_file_path(node: Node, key: NodeKey) -> Path:
    return node.data_dir / RETIRED_KEYS_DIR / f"{key.fingerprint.removeprefix('ed25519:')[:16]}.key"
