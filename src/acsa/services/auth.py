"""Who is at the keyboard: passwords, second factors, sessions, API tokens, the access log.

Everything here is local to the node and never enters a shared stream.

- **Passwords** are kept as argon2id hashes; a user without one cannot log in
  locally. **TOTP** (RFC 6238) is the second factor.
- **Sessions** are random tokens handed to the browser in a cookie; the node
  keeps only their SHA-256, so a copy of the database opens no session. Each
  session carries its own CSRF token, ends after an idle and an absolute
  timeout, and logout ends it here, on the server.
- **Throttling** counts failed logins per account and per address over a
  window (the ``login_attempts`` table); past the limit the node refuses to
  even check the password until the window has moved on.
- **API tokens** are for scripts: random, shown once, stored as a hash,
  limited to scopes (``read``, ``act``, ``admin``), revocable.
- **The access log** records logins, logouts, token use and reads of order
  details: the accountability the Security of Information Agreement asks for.

The clock is the node's, so tests move time by moving the clock.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, insert, select, update

from acsa.config import Settings
from acsa.domain.errors import DomainError, InvalidValue, UnknownReference
from acsa.domain.parties import Role
from acsa.events import format_at
from acsa.events.timestamps import parse_at
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser, NotPermitted, get_user, user_of
from acsa.store import tables as T

PASSWORD_LENGTH_MIN = 12
PASSWORD_LENGTH_MAX = 1024  # argon2 hashes anything, but nobody types more
TOKEN_SCOPES = ("read", "act", "admin")
TOKEN_PREFIX = "acsa_"
TOKEN_NAME_LENGTH_MAX = 100
# A session's last-seen time is written at most this often, so that reading
# pages does not turn every request into a write.
TOUCH_INTERVAL_S = 60
# A session that has passed the password but not the second factor lives this long.
PENDING_SESSION_S = 5 * 60
# Per address, this many times the per-account limit (shared NAT at a headquarters).
ADDRESS_FACTOR = 4
ACCESS_LIST_LIMIT_MAX = 500

# argon2id with the library's defaults (RFC 9106's low-memory profile: 3
# passes over 64 MiB, 4 lanes): about 50 ms a hash here, slow enough to make a
# stolen hash expensive and fast enough for a login.
_hasher = PasswordHasher()
# Checked when the user does not exist, so that a wrong user name takes as
# long as a wrong password and does not tell which accounts exist.
# Made on first use, not at import: a hash costs ~50–180 ms, and most commands
# never check a password.
@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("acsa-no-such-user-" + secrets.token_hex(8))


# -- refusals -----------------------------------------------------------------------


class NotAuthenticated(DomainError):
    """No valid session or token came with the request."""

    code = "not_authenticated"


class SessionExpired(NotAuthenticated):
    code = "session_expired"


class LoginFailed(NotAuthenticated):
    """Wrong user, password or code: deliberately never says which."""

    code = "login_failed"


class SecondFactorRequired(NotAuthenticated):
    """The password was right; the session waits for the one-time code."""

    code = "second_factor_required"


class LoginThrottled(DomainError):
    code = "login_throttled"

    def __init__(self, message: str, *, retry_after_s: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after_s = retry_after_s


class CsrfRejected(DomainError):
    code = "csrf_rejected"


class ScopeMissing(DomainError):
    code = "scope_missing"


# -- policy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """The limits of logins and sessions, from :class:`~acsa.config.Settings`."""

    idle_timeout_s: int = 30 * 60
    absolute_timeout_s: int = 12 * 60 * 60
    failures_max: int = 5
    failure_window_s: int = 15 * 60
    totp_required: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            idle_timeout_s=settings.session_idle_timeout_s,
            absolute_timeout_s=settings.session_absolute_timeout_s,
            failures_max=settings.login_failures_max,
            failure_window_s=settings.login_failure_window_s,
            totp_required=settings.totp_required,
        )


def _now(uow: UnitOfWork) -> datetime:
    return uow.node.clock()


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# -- passwords and second factors -------------------------------------------------------


def hash_password(password: str) -> str:
    if len(password) < PASSWORD_LENGTH_MIN:
        raise InvalidValue(f"use at least {PASSWORD_LENGTH_MIN} characters", field="password")
    if len(password) > PASSWORD_LENGTH_MAX:
        raise InvalidValue(f"use at most {PASSWORD_LENGTH_MAX} characters", field="password")
    return _hasher.hash(password)


def _may_manage(actor: LocalUser, user_id: str) -> None:
    if actor.id != user_id:
        actor.require(Role.ADMINISTRATOR)


@use_case
def set_password(uow: UnitOfWork, actor: LocalUser, user_id: str, password: str) -> None:
    """Set ``user_id``'s password: by an administrator, or by the user on the command line."""
    _may_manage(actor, user_id)
    user = get_user(uow, user_id)
    uow.conn.execute(update(T.users).where(T.users.c.id == user.id)
                     .values(password_hash=hash_password(password)))


@use_case
def change_password(uow: UnitOfWork, user: LocalUser, current: str, new: str) -> None:
    """A logged-in user changes their own password, proving the current one."""
    row = _user_row(uow, user.id)
    if row is None or not _password_matches(row.password_hash, current):
        raise InvalidValue("the current password is not right", field="current_password")
    if hmac.compare_digest(current, new):
        raise InvalidValue("choose a password different from the current one", field="password")
    uow.conn.execute(update(T.users).where(T.users.c.id == user.id)
                     .values(password_hash=hash_password(new)))


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    uri: str  # otpauth:// for an authenticator app's QR code


@use_case
def enrol_totp(uow: UnitOfWork, actor: LocalUser, user_id: str) -> TotpEnrolment:
    """Give ``user_id`` a new TOTP secret (replacing any old one); shown once."""
    _may_manage(actor, user_id)
    user = get_user(uow, user_id)
    secret = pyotp.random_base32()
    uow.conn.execute(update(T.users).where(T.users.c.id == user.id).values(totp_secret=secret))
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.id,
                                              issuer_name=f"ACSA Ledger {uow.node.party}")
    return TotpEnrolment(secret, uri)


@use_case
def set_credentials(uow: UnitOfWork, actor: LocalUser, user_id: str, password: str, *,
                    totp: bool) -> TotpEnrolment | None:
    """``acsa user password``: a new password and, if asked, a new TOTP secret, together."""
    set_password(uow, actor, user_id, password)
    return enrol_totp(uow, actor, user_id) if totp else None


def _user_row(uow: UnitOfWork, user_id: str) -> Any:
    return uow.conn.execute(select(T.users).where(T.users.c.id == user_id)).first()


def _password_matches(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _code_matches(secret: str | None, code: str, now: datetime) -> bool:
    # One step either side forgives a clock a little off, as RFC 6238 allows.
    return bool(secret) and pyotp.TOTP(str(secret)).verify(code.strip(), for_time=now,
                                                          valid_window=1)


@dataclass(frozen=True)
class Identified:
    """Who a login method found at the keyboard, and whether the second factor is done."""

    user_id: str
    second_factor_done: bool


def check_credentials(uow: UnitOfWork, user_id: str, password: str, code: str | None,
                      policy: Policy) -> Identified:
    """The local login: password, then (if given) the TOTP code. Raises :class:`LoginFailed`."""
    row = _user_row(uow, user_id)
    if not _password_matches(row.password_hash if row else None, password) or not row.active:
        raise LoginFailed("user name, password or code not right", field="password")
    if not row.totp_secret:
        if policy.totp_required:
            raise LoginFailed(f"{user_id} has no second factor enrolled: an administrator "
                              f"runs `acsa user password {user_id} --totp`", field="code")
        return Identified(row.id, True)
    if code:
        if not _code_matches(row.totp_secret, code, _now(uow)):
            raise LoginFailed("user name, password or code not right", field="code")
        return Identified(row.id, True)
    return Identified(row.id, False)


# -- throttling -------------------------------------------------------------------------


def _failures_since(uow: UnitOfWork, column: Any, value: str, since: str) -> list[str]:
    return list(uow.conn.execute(
        select(T.login_attempts.c.at)
        .where(column == value, T.login_attempts.c.at > since,
               T.login_attempts.c.succeeded.is_(False))
        .order_by(T.login_attempts.c.at)
    ).scalars())


def check_throttle(uow: UnitOfWork, user_id: str, address: str, policy: Policy) -> None:
    """Refuse a login attempt for an account or address that failed too often lately."""
    now = _now(uow)
    window_start = format_at(now - timedelta(seconds=policy.failure_window_s))
    last_success = uow.conn.execute(
        select(func.max(T.login_attempts.c.at))
        .where(T.login_attempts.c.user_id == user_id, T.login_attempts.c.succeeded.is_(True))
    ).scalar_one_or_none()
    since = max(window_start, last_success or "")
    for failures, limit in (
        (_failures_since(uow, T.login_attempts.c.user_id, user_id, since), policy.failures_max),
        (_failures_since(uow, T.login_attempts.c.address, address, window_start),
         policy.failures_max * ADDRESS_FACTOR),
    ):
        if len(failures) >= limit:
            oldest = parse_at(failures[-limit])
            wait = policy.failure_window_s - int((now - oldest).total_seconds())
            raise LoginThrottled(
                f"too many failed logins: try again in {max(wait, 1) // 60 + 1} minutes",
                retry_after_s=max(wait, 1), field="user",
            )


@use_case
def record_attempt(uow: UnitOfWork, user_id: str, address: str, succeeded: bool) -> None:
    uow.conn.execute(insert(T.login_attempts).values(
        user_id=user_id[:64], address=address[:64], at=uow.node.now_at(), succeeded=succeeded,
    ))


# -- sessions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    """A session just opened: the token goes into the cookie and is kept nowhere else."""

    token: str
    csrf_token: str
    user_id: str
    second_factor_done: bool


@dataclass(frozen=True)
class LoginResult:
    """What a login attempt came to. The attempt is recorded either way, so the
    caller commits before it raises ``refusal``."""

    session: NewSession | None
    refusal: DomainError | None


@use_case
def log_in(uow: UnitOfWork, identify: Callable[[], Identified], *, claimed_user: str,
           address: str, policy: Policy) -> LoginResult:
    """Throttle, identify, record the attempt and open a session."""
    try:
        check_throttle(uow, claimed_user, address, policy)
    except LoginThrottled as exc:
        record_access(uow, claimed_user, "login.throttled", claimed_user, address)
        return LoginResult(None, exc)
    try:
        who = identify()
    except LoginFailed as exc:
        record_attempt(uow, claimed_user, address, False)
        record_access(uow, claimed_user, "login.failed", claimed_user, address)
        return LoginResult(None, exc)
    if who.second_factor_done:
        record_attempt(uow, who.user_id, address, True)
    session = open_session(uow, who.user_id, second_factor_done=who.second_factor_done)
    record_access(uow, who.user_id, "login" if who.second_factor_done else "login.password",
                  who.user_id, address)
    return LoginResult(session, None)


@use_case
def open_session(uow: UnitOfWork, user_id: str, *, second_factor_done: bool) -> NewSession:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = uow.node.now_at()
    uow.conn.execute(insert(T.sessions).values(
        token_hash=_digest(token), user_id=user_id, created_at=now, last_seen_at=now,
        csrf_token=csrf, second_factor_done=second_factor_done,
    ))
    return NewSession(token, csrf, user_id, second_factor_done)


@use_case
def complete_second_factor(uow: UnitOfWork, token: str, code: str, *, address: str,
                           policy: Policy) -> LoginResult:
    """The one-time code for a session that passed the password step."""
    row = _session_row(uow, token)
    if row is None or row.ended_at is not None or row.second_factor_done:
        return LoginResult(None, NotAuthenticated("log in first", field="session"))
    if _session_state(row, _now(uow), policy) == "expired":
        end_session(uow, token, address=address, reason="session.expired")
        return LoginResult(None, SessionExpired("the login took too long: start again",
                                                field="session"))
    try:
        check_throttle(uow, row.user_id, address, policy)
    except LoginThrottled as exc:
        end_session(uow, token, address=address, reason="login.throttled")
        return LoginResult(None, exc)
    user = _user_row(uow, row.user_id)
    if user is None or not user.active or not _code_matches(user.totp_secret, code, _now(uow)):
        record_attempt(uow, row.user_id, address, False)
        record_access(uow, row.user_id, "login.failed", row.user_id, address)
        return LoginResult(None, LoginFailed("the code is not right", field="code"))
    # A fresh token once both factors are done, so that a token seen before
    # the second factor (say, on a shared screen) never becomes a full session.
    uow.conn.execute(update(T.sessions).where(T.sessions.c.token_hash == row.token_hash)
                     .values(ended_at=uow.node.now_at()))
    record_attempt(uow, row.user_id, address, True)
    record_access(uow, row.user_id, "login", row.user_id, address)
    return LoginResult(open_session(uow, row.user_id, second_factor_done=True), None)


@dataclass(frozen=True)
class ActiveSession:
    user: LocalUser
    csrf_token: str
    second_factor_done: bool
    needs_touch: bool


def _session_row(uow: UnitOfWork, token: str) -> Any:
    if not token or len(token) > 100:
        return None
    return uow.conn.execute(
        select(T.sessions).where(T.sessions.c.token_hash == _digest(token))
    ).first()


def _session_state(row: Any, now: datetime, policy: Policy) -> str:
    """"ok", "touch" (ok; write the last-seen time) or "expired"."""
    created, seen = parse_at(row.created_at), parse_at(row.last_seen_at)
    absolute = policy.absolute_timeout_s if row.second_factor_done else PENDING_SESSION_S
    if row.ended_at is not None:
        return "expired"
    if (now - created).total_seconds() > absolute:
        return "expired"
    if (now - seen).total_seconds() > policy.idle_timeout_s:
        return "expired"
    return "touch" if (now - seen).total_seconds() >= TOUCH_INTERVAL_S else "ok"


def find_session(uow: UnitOfWork, token: str, policy: Policy) -> ActiveSession:
    """The session ``token`` opens, read only. Raises :class:`SessionExpired` when it ended
    or timed out (the caller then calls :func:`end_session` in a writing transaction)."""
    row = _session_row(uow, token)
    if row is None:
        raise NotAuthenticated("log in first", field="session")
    state = _session_state(row, _now(uow), policy)
    if state == "expired":
        raise SessionExpired("the session has ended: log in again", field="session")
    user_row = _user_row(uow, row.user_id)
    if user_row is None or not user_row.active:
        raise NotAuthenticated("the account is not active", field="session")
    return ActiveSession(user_of(user_row), row.csrf_token, row.second_factor_done,
                         state == "touch")


@use_case
def touch_session(uow: UnitOfWork, token: str) -> None:
    uow.conn.execute(update(T.sessions).where(T.sessions.c.token_hash == _digest(token),
                                             T.sessions.c.ended_at.is_(None))
                     .values(last_seen_at=uow.node.now_at()))


@use_case
def end_session(uow: UnitOfWork, token: str, *, address: str, reason: str = "logout") -> bool:
    """End a session on the server (logout, or a timeout noticed). False if none was open."""
    row = _session_row(uow, token)
    if row is None or row.ended_at is not None:
        return False
    uow.conn.execute(update(T.sessions).where(T.sessions.c.token_hash == row.token_hash)
                     .values(ended_at=uow.node.now_at()))
    record_access(uow, row.user_id, reason, row.user_id, address)
    return True


def check_csrf(session: ActiveSession, presented: str | None) -> None:
    if not presented or not hmac.compare_digest(session.csrf_token, presented):
        raise CsrfRejected("the form's security token is missing or stale: reload the page",
                           field="csrf_token")


# -- API tokens ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once; only its hash is kept


def _token_of(row: Any) -> ApiToken:
    return ApiToken(row.id, row.user_id, row.name, tuple(json.loads(row.scopes)),
                    row.created_at, row.last_used_at, row.revoked_at)


def check_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    wanted = set(scopes)
    if not wanted or not wanted <= set(TOKEN_SCOPES):
        raise InvalidValue(f"scopes are some of {', '.join(TOKEN_SCOPES)}", field="scopes")
    return tuple(s for s in TOKEN_SCOPES if s in wanted)


@use_case
def create_token(uow: UnitOfWork, actor: LocalUser, *, user_id: str, name: str,
                 scopes: Iterable[str]) -> NewToken:
    """A new API token for ``user_id`` (themself, or anyone by an administrator)."""
    _may_manage(actor, user_id)
    user = get_user(uow, user_id)
    name = name.strip()
    if not name or len(name) > TOKEN_NAME_LENGTH_MAX:
        raise InvalidValue(f"name it (1–{TOKEN_NAME_LENGTH_MAX} characters)", field="name")
    wanted = check_scopes(scopes)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = uow.node.now_at()
    result = uow.conn.execute(insert(T.api_tokens).values(
        token_hash=_digest(secret), user_id=user.id, name=name, scopes=json.dumps(list(wanted)),
        created_at=now,
    ))
    token_id = int(result.inserted_primary_key[0])  # type: ignore[index]
    record_access(uow, actor.id, "token.created", f"token {token_id} of {user.id}", "")
    return NewToken(ApiToken(token_id, user.id, name, wanted, now, None, None), secret)


def list_tokens(uow: UnitOfWork, actor: LocalUser, user_id: str | None = None) -> list[ApiToken]:
    """``user_id``'s tokens (the actor's own by default; everyone's for ``"*"``, admins only)."""
    query = select(T.api_tokens).order_by(T.api_tokens.c.id)
    if user_id == "*":
        actor.require(Role.ADMINISTRATOR)
    else:
        target = user_id or actor.id
        _may_manage(actor, target)
        query = query.where(T.api_tokens.c.user_id == target)
    return [_token_of(r) for r in uow.conn.execute(query)]


@use_case
def revoke_token(uow: UnitOfWork, actor: LocalUser, token_id: int, *,
                 address: str = "") -> ApiToken:
    row = uow.conn.execute(select(T.api_tokens).where(T.api_tokens.c.id == token_id)).first()
    if row is None:
        raise UnknownReference(f"no API token {token_id}", field="token")
    _may_manage(actor, row.user_id)
    if row.revoked_at is None:
        uow.conn.execute(update(T.api_tokens).where(T.api_tokens.c.id == token_id)
                         .values(revoked_at=uow.node.now_at()))
        record_access(uow, actor.id, "token.revoked", f"token {token_id} of {row.user_id}",
                      address)
    row = uow.conn.execute(select(T.api_tokens).where(T.api_tokens.c.id == token_id)).one()
    return _token_of(row)


@dataclass(frozen=True)
class TokenHolder:
    user: LocalUser
    token: ApiToken


def find_token(uow: UnitOfWork, secret: str) -> TokenHolder:
    """The user and scopes an API token stands for; refuses unknown and revoked ones."""
    row = None
    if secret.startswith(TOKEN_PREFIX) and len(secret) <= 100:
        row = uow.conn.execute(
            select(T.api_tokens).where(T.api_tokens.c.token_hash == _digest(secret))
        ).first()
    if row is None or row.revoked_at is not None:
        raise NotAuthenticated("the API token is unknown or revoked", field="authorization")
    user_row = _user_row(uow, row.user_id)
    if user_row is None or not user_row.active:
        raise NotAuthenticated("the token's account is not active", field="authorization")
    return TokenHolder(user_of(user_row), _token_of(row))


@use_case
def record_token_use(uow: UnitOfWork, holder: TokenHolder, target: str, address: str) -> None:
    uow.conn.execute(update(T.api_tokens).where(T.api_tokens.c.id == holder.token.id)
                     .values(last_used_at=uow.node.now_at()))
    record_access(uow, holder.user.id, "token.used", f"token {holder.token.id}: {target}",
                  address)


def require_scope(scopes: Iterable[str], needed: str) -> None:
    if needed not in set(scopes):
        raise ScopeMissing(f"this API token lacks the {needed!r} scope", field="authorization")


# -- the access log ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessEntry:
    id: int
    at: str
    user_id: str
    action: str
    target: str
    address: str


@use_case
def record_access(uow: UnitOfWork, user_id: str, action: str, target: str,
                  address: str) -> None:
    uow.conn.execute(insert(T.access_log).values(
        at=uow.node.now_at(), user_id=user_id[:64], action=action[:40], target=target[:200],
        address=address[:64],
    ))


def read_access_log(uow: UnitOfWork, actor: LocalUser, *, user_id: str | None = None,
                    after: int = 0, limit: int = 100) -> list[AccessEntry]:
    """The access log, oldest first from ``after``: for auditors and security officers."""
    if not actor.roles & {Role.AUDITOR, Role.SECURITY_OFFICER}:
        raise NotPermitted("only an auditor or a security officer reads the access log",
                           field="user")
    query = (select(T.access_log).where(T.access_log.c.id > after)
             .order_by(T.access_log.c.id).limit(max(1, min(limit, ACCESS_LIST_LIMIT_MAX))))
    if user_id:
        query = query.where(T.access_log.c.user_id == user_id)
    return [AccessEntry(r.id, r.at, r.user_id, r.action, r.target, r.address)
            for r in uow.conn.execute(query)]
