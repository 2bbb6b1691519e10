"""Node-to-node authentication: HTTP message signatures (RFC 9421) with the node key.

Every request a node sends is signed with its Ed25519 node key through the
``http-message-signatures`` library, covering the method, path, query, a
``Content-Digest`` of the body (RFC 9530; empty bodies too), the sending
party (``acsa-node``) and ``created``, with a random ``nonce`` and the tag
``acsa/request/v1``. The receiving node accepts a signature only

- by a key its administrator registered for that party, or a rotated key
  confirmed out of band, never revoked;
- created within :data:`REQUEST_AGE_MAX_S` (plus five seconds of skew),
  and not before the receiving process started;
- with a nonce it has not seen in that window (:class:`NonceCache`).

Responses are signed the same way (tag ``acsa/response/v1``) and echo the
request's nonce in ``acsa-request-nonce``, covered by the response
signature, so a replayed or stale response to another request is refused.
There is no shared password anywhere.

The tag separates these signatures from every other use of the node key:
a signature base starts with ``"@method"`` or ``"@status"``, never with the
``acsa/…`` purpose labels that prefix event, head and statement signatures.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from acsa.events import NodeKey

REQUEST_TAG = "acsa/request/v1"
RESPONSE_TAG = "acsa/response/v1"
LABEL = "acsa"
NODE_HEADER = "acsa-node"
NONCE_HEADER = "acsa-request-nonce"
KEY_HEADER = "acsa-public-key"  # lets a peer learn our key on first contact
REQUEST_COMPONENTS = ("@method", "@path", "@query", "content-digest", NODE_HEADER)
RESPONSE_COMPONENTS = ("@status", "content-digest", NODE_HEADER, NONCE_HEADER)

# A request older than this is refused; the nonce cache only has to cover it.
REQUEST_AGE_MAX_S = 60
# Bound on the nonces remembered; beyond it requests are refused (HTTP 503)
# rather than letting memory grow without limit.
NONCE_CACHE_SIZE_MAX = 200_000


class AuthFailed(Exception):
    """A signature was missing, malformed, stale, replayed or by a key not trusted."""

    def __init__(self, message: str, *, code: str = "bad_signature") -> None:
        super().__init__(message)
        self.code = code


@dataclass
class RequestMessage:
    """A request as the library reads it: method, URL and headers."""

    headers: dict[str, str]
    method: str
    url: str


@dataclass
class ResponseMessage:
    """A response as the library reads it (it tells the two apart by ``status_code``)."""

    headers: dict[str, str]
    status_code: int


class _Keys(HTTPSignatureKeyResolver):
    def __init__(self, private: NodeKey | None = None,
                 public: Mapping[str, bytes] | None = None) -> None:
        self.private = private
        self.public = dict(public or {})

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        if self.private is None or key_id != self.private.fingerprint:
            raise KeyError(key_id)
        return Ed25519PrivateKey.from_private_bytes(bytes(self.private.signing_key))

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        raw = self.public.get(key_id)
        return Ed25519PublicKey.from_public_bytes(raw) if raw else None


def _url(path_and_query: str) -> str:
    # @authority is not covered (proxies and port mappings change it), so any
    # host serves to let the library split path and query.
    return "http://node" + path_and_query


def sign_request(key: NodeKey, party: str, method: str, path_and_query: str,
                 body: bytes) -> tuple[dict[str, str], str]:
    """Headers that sign this request, and the nonce to expect back in the response."""
    nonce = secrets.token_urlsafe(18)
    message = RequestMessage(headers={NODE_HEADER: party, KEY_HEADER: key.public_key.hex()},
                             method=method.upper(), url=_url(path_and_query))
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519,
                               key_resolver=_Keys(private=key))
    signer.sign(message, key_id=key.fingerprint, created=dt.datetime.now(dt.UTC), nonce=nonce,
                label=LABEL, tag=REQUEST_TAG, covered_component_ids=REQUEST_COMPONENTS, body=body)
    return message.headers, nonce


def sign_response(key: NodeKey, party: str, status: int, body: bytes,
                  request_nonce: str) -> dict[str, str]:
    message = ResponseMessage(headers={NODE_HEADER: party, NONCE_HEADER: request_nonce,
                                       KEY_HEADER: key.public_key.hex()},
                              status_code=status)
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519,
                               key_resolver=_Keys(private=key))
    signer.sign(message, key_id=key.fingerprint, created=dt.datetime.now(dt.UTC),
                label=LABEL, tag=RESPONSE_TAG, covered_component_ids=RESPONSE_COMPONENTS,
                body=body)
    return message.headers


@dataclass(frozen=True)
class Verified:
    party: str
    fingerprint: str
    public_key: bytes
    nonce: str | None
    created: int


KeysOf = Callable[[str, str, str | None], dict[str, bytes]]
# (party, keyid, presented public key hex) -> fingerprint -> public key trusted for that party


def keyid_of(headers: Mapping[str, str]) -> str | None:
    """The keyid a Signature-Input names (for choosing keys before verifying)."""
    text = _header(headers, "signature-input") or ""
    marker = 'keyid="'
    start = text.find(marker)
    if start < 0:
        return None
    end = text.find('"', start + len(marker))
    return text[start + len(marker):end] if end > 0 else None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None


def verify_request(method: str, path_and_query: str, headers: Mapping[str, str], body: bytes,
                   keys_of: KeysOf) -> Verified:
    """Check a request's signature; raises :class:`AuthFailed` with the reason."""
    party = _header(headers, NODE_HEADER)
    if not party:
        raise AuthFailed(f"no {NODE_HEADER} header: unsigned request", code="unsigned")
    keyid = keyid_of(headers)
    if keyid is None:
        raise AuthFailed("no signature (Signature-Input with a keyid)", code="unsigned")
    trusted = keys_of(party, keyid, _header(headers, KEY_HEADER))
    if keyid not in trusted:
        raise AuthFailed(f"{party} is not known to sign with key {keyid[:24]}…",
                         code="key_not_trusted")
    message = RequestMessage(headers=dict(headers), method=method.upper(),
                             url=_url(path_and_query))
    result = _verify(message, trusted, REQUEST_TAG, REQUEST_COMPONENTS, body)
    created = int(result.parameters["created"])
    nonce = result.parameters.get("nonce")
    return Verified(party, keyid, trusted[keyid], str(nonce) if nonce else None, created)


def verify_response(status: int, headers: Mapping[str, str], body: bytes, *, party: str,
                    trusted: Mapping[str, bytes], nonce: str) -> None:
    """Check that a response is the peer's, signed, fresh, and answers *this* request."""
    if _header(headers, NODE_HEADER) != party:
        raise AuthFailed(f"the response is not from {party}", code="wrong_party")
    message = ResponseMessage(headers=dict(headers), status_code=status)
    _verify(message, trusted, RESPONSE_TAG, RESPONSE_COMPONENTS, body)
    if _header(headers, NONCE_HEADER) != nonce:
        raise AuthFailed("the response answers another request (stale or replayed)",
                         code="stale_response")


def _verify(message: RequestMessage | ResponseMessage, trusted: Mapping[str, bytes], tag: str,
            components: tuple[str, ...], body: bytes) -> Any:
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519,
                                   key_resolver=_Keys(public=trusted))
    try:
        results = verifier.verify(message, max_age=dt.timedelta(seconds=REQUEST_AGE_MAX_S),
                                  expect_tag=tag, require_components=components, body=body)
    except (InvalidSignature, HTTPMessageSignaturesException) as exc:
        raise AuthFailed(f"signature does not verify: {exc}") from None
    if len(results) != 1:
        raise AuthFailed("expected exactly one signature")
    return results[0]


@dataclass
class NonceCache:
    """Nonces seen within the request window; refuses a repeat, forgets them when they expire."""

    window_s: float = REQUEST_AGE_MAX_S + 10
    size_max: int = NONCE_CACHE_SIZE_MAX
    started: float = field(default_factory=time.time)
    _seen: OrderedDict[str, float] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, party: str, nonce: str | None, created: int) -> None:
        if not nonce or len(nonce) > 64:
            raise AuthFailed("a request needs a nonce of at most 64 characters",
                             code="no_nonce")
        # Nonces from before this process started were never recorded here, so
        # such requests cannot be told from replays: refuse them (the sender
        # simply signs a fresh request).
        if created < int(self.started) - 1:
            raise AuthFailed("signed before this node started; sign a fresh request",
                             code="stale_request")
        now = time.time()
        key = f"{party}:{nonce}"
        with self._lock:
            while self._seen:
                oldest, expiry = next(iter(self._seen.items()))
                if expiry > now:
                    break
                del self._seen[oldest]
            if key in self._seen:
                raise AuthFailed("this request was already received (replayed nonce)",
                                 code="replayed")
            if len(self._seen) >= self.size_max:
                raise AuthFailed("too many requests in the window; retry later", code="busy")
            self._seen[key] = now + self.window_s

