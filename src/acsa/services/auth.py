"""Who is at the keyboard: passwords, second factors, sessions, API tokens, the access log.

Everything here is local to the node and never enters a shared stream.

- **Passwords** are kept as argon2id hashes; a user without one cannot log in
  locally. A new password is checked against NIST SP 800-63B: long enough, not
  too long, not a common or breached one (a shipped list), not holding the
  user's names or this system's, not a repetition or a run. **TOTP** (RFC 6238)
  is the second factor, and each code is accepted once.
- **A failed login** gets one answer, whatever was wrong; the real reason goes
  only to the access log.
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
import re
import secrets
import string
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, insert, or_, select, update

from acsa.config import Settings
from acsa.domain.errors import DomainError, InvalidValue, UnknownReference
from acsa.domain.parties import Role
from acsa.events import format_at
from acsa.events.timestamps import parse_at
from acsa.services import need_to_know
from acsa.services.unit_of_work import UnitOfWork, use_case
from acsa.services.users import LocalUser, NotPermitted, get_user, user_of
from acsa.store import tables as T

PASSWORD_LENGTH_MIN = 12
# NIST SP 800-63B and ASVS 6.2.9 ask that at least 64 characters be allowed; a
# pass phrase fits in this with room to spare, and argon2 never sees more.
PASSWORD_LENGTH_MAX = 128
# Words of this system that no password may hold (ASVS 6.1.2, 6.2.11); the user's
# own id and the words of their name are added per user.
CONTEXT_WORDS = ("acsa", "ledger")
# A word of a user's id or name is refused inside their password from this length.
NAME_WORD_LENGTH_MIN = 4
# The shipped list of common and breached passwords (its header names its source).
COMMON_PASSWORDS = "data/common-passwords.txt"
# RFC 6238: 30-second steps; one step either side forgives a clock a little off.
TOTP_DRIFT_STEPS = 1
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


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues; pages translate it when they show it."""
    return message


# Every failed login gets this answer, whatever was wrong (ASVS 6.3.8).
LOGIN_FAILED = N_("user name, password or code not right")
PASSWORD_TOO_SHORT = N_("use at least %(limit)s characters")
PASSWORD_TOO_LONG = N_("use at most %(limit)s characters")
PASSWORD_PERSONAL = N_("this password contains your user name, a part of your name or the "
                       "name of this system: choose another")
PASSWORD_COMMON = N_("this password is one of the most common or breached passwords: "
                     "choose another")
PASSWORD_PREDICTABLE = N_("this password repeats itself or runs in a sequence (such as "
                          "aaaa… or 1234…): choose another")


# -- refusals -----------------------------------------------------------------------


class NotAuthenticated(DomainError):
    """No valid session or token came with the request."""

    code = "not_authenticated"


class SessionExpired(NotAuthenticated):
    code = "session_expired"


class LoginFailed(NotAuthenticated):
    """A failed login: one answer for every cause, deliberately never saying which.

    ``reason`` is what was really wrong ("wrong password", "code already used" …); it
    goes to the access log and nowhere else. A login method raises it with its own
    reason; :func:`log_in` answers the user with :data:`LOGIN_FAILED` whatever it says.
    """

    code = "login_failed"

    def __init__(self, message: str = LOGIN_FAILED, *, field: str | None = None,
                 reason: str = "", **params: object) -> None:
        super().__init__(message, field=field, **params)
        self.reason = reason or message


class SecondFactorRequired(NotAuthenticated):
    """The password was right; the session waits for the one-time code."""

    code = "second_factor_required"


class LoginThrottled(DomainError):
    code = "login_throttled"

    def __init__(self, message: str, *, retry_after_s: int, field: str | None = None,
                 **params: object) -> None:
        super().__init__(message, field=field, **params)
        self.retry_after_s = retry_after_s


class PasswordRejected(InvalidValue):
    """A new password the policy refuses. ``params["reason"]`` says why, as a code:
    ``too_short``, ``too_long``, ``personal``, ``common`` or ``predictable``."""

    code = "password_rejected"


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


# Runs that a password may not be, forwards or backwards: the alphabet and the digits
# (round and round: "789012"), and the rows and columns of a QWERTY keyboard.
_CYCLIC_RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789")
_KEYBOARD_RUNS = ("qwertyuiopasdfghjklzxcvbnm", "!@#$%^&*()_+",
                  "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/", "qazwsxedcrfvtgbyhnujmik,ol.p;/",
                  "zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0")
# What people put around a common password: "Summer2024!" is "summer" to an attacker.
_EDGES = string.digits + string.punctuation + string.whitespace


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common and breached passwords (lower case, 30,000)."""
    text = resources.files("acsa.services").joinpath(COMMON_PASSWORDS).read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def _folded(text: str) -> str:
    """``text`` as compared: Unicode-normalised (NFKC) and case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def _personal_words(user_id: str, name: str) -> set[str]:
    """The user's id and the words of their id and name, and this system's names."""
    words = set(CONTEXT_WORDS)
    if len(user_id) >= NAME_WORD_LENGTH_MIN:
        words.add(_folded(user_id))
    for text in (user_id, name):
        words |= {w for w in re.split(r"[\W_]+", _folded(text))
                  if len(w) >= NAME_WORD_LENGTH_MIN}
    return words


def _is_repetitive(text: str) -> bool:
    """Two different characters or fewer, or one piece repeated ("abcabcabcabc")."""
    return len(set(text)) <= 2 or any(text[k:] == text[:-k]
                                       for k in range(1, len(text) // 2 + 1))


def _is_run(text: str) -> bool:
    """A run along the alphabet, the digits or a keyboard row or column, either way."""
    for candidate in (text, text[::-1]):
        if any(candidate in run * (len(candidate) // len(run) + 2) for run in _CYCLIC_RUNS):
            return True
        if any(candidate in run for run in _KEYBOARD_RUNS):
            return True
    return False


def _rejected(message: str, reason: str, **params: object) -> PasswordRejected:
    return PasswordRejected(message, field="password", reason=reason, **params)


def check_password(password: str, *, user_id: str = "", name: str = "") -> None:
    """Refuse a new password as NIST SP 800-63B (5.1.1.2) does; there are no composition rules.

    Refused: fewer than 12 or more than 128 characters; one on the shipped list of
    common and breached passwords, also with digits, punctuation or spaces around it
    ("Password2024!"); one holding the user's id, a word of their id or name of 4
    characters or more, or this system's name; a repetition ("aaaaaaaaaaaa",
    "abcabcabcabc") or a run ("123456789012", "qwertyuiopas"), also when that makes up
    at least half of it with digits or punctuation around.
    """
    if len(password) < PASSWORD_LENGTH_MIN:
        raise _rejected(PASSWORD_TOO_SHORT, "too_short", limit=PASSWORD_LENGTH_MIN)
    if len(password) > PASSWORD_LENGTH_MAX:
        raise _rejected(PASSWORD_TOO_LONG, "too_long", limit=PASSWORD_LENGTH_MAX)
    folded = _folded(password)
    compact = "".join(folded.split())
    core = compact.strip(_EDGES)
    if any(word in compact for word in _personal_words(user_id, name)):
        raise _rejected(PASSWORD_PERSONAL, "personal")
    if {folded, compact, core} & common_passwords():
        raise _rejected(PASSWORD_COMMON, "common")
    shapes = [compact, core] if 2 * len(core) >= len(compact) else [compact]
    if any(_is_repetitive(shape) or _is_run(shape) for shape in shapes):
        raise _rejected(PASSWORD_PREDICTABLE, "predictable")


def hash_password(password: str, *, user_id: str = "", name: str = "") -> str:
    """The argon2id hash of a new password the policy accepts for this user."""
    check_password(password, user_id=user_id, name=name)
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
                     .values(password_hash=hash_password(password, user_id=user.id,
                                                         name=user.name)))


@use_case
def change_password(uow: UnitOfWork, user: LocalUser, current: str, new: str) -> None:
    """A logged-in user changes their own password, proving the current one."""
    row = _user_row(uow, user.id)
    if row is None or not _password_matches(row.password_hash, current):
        raise InvalidValue(N_("the current password is not right"), field="current_password")
    if hmac.compare_digest(current.encode("utf-8"), new.encode("utf-8")):
        raise InvalidValue(N_("choose a password different from the current one"), field="password")
    uow.conn.execute(update(T.users).where(T.users.c.id == user.id)
                     .values(password_hash=hash_password(new, user_id=user.id, name=user.name)))


@dataclass(frozen=True)
class TotpEnrolment:
    secret: str
    uri: str  # otpauth:// for an authenticator app's QR code


@use_case
def enrol_totp(uow: UnitOfWork, actor: LocalUser, user_id: str) -> TotpEnrolment:
    """Give ``user_id`` a new TOTP secret (replacing any old one); shown once."""
    _may_manage(actor, user_id)
    user = get_user(uow, user_id)
    secret = pyotp.random_base32()  # 160 bits from the secrets module (a CSPRNG)
    # A new secret starts afresh: no step of it has been used yet.
    uow.conn.execute(update(T.users).where(T.users.c.id == user.id)
                     .values(totp_secret=secret, totp_last_step=None))
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


def _matched_step(secret: str | None, code: str, now: datetime) -> int | None:
    """The time step (now, or one either side) whose code ``code`` is, or ``None``.

    Spaces are ignored and full-width digits read as digits ("１２３ ４５６" from a
    Japanese input method is 123456). Every candidate step is compared, in constant time.
    """
    if not secret:
        return None
    totp = pyotp.TOTP(str(secret))
    given = "".join(unicodedata.normalize("NFKC", code).split()).encode("utf-8")
    current = totp.timecode(now)
    matched = None
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step).encode("ascii"), given):
            matched = step
    return matched


def _accept_step(uow: UnitOfWork, user_id: str, step: int) -> bool:
    """Record ``step`` as the user's last accepted code, unless it or a later one already
    was. One statement, so of two logins racing with one code only one is accepted: on
    PostgreSQL the second waits for the first's row lock and then finds the condition
    false; SQLite runs one writer at a time."""
    users = T.users.c
    result = uow.conn.execute(
        update(T.users)
        .where(users.id == user_id,
               or_(users.totp_last_step.is_(None), users.totp_last_step < step))
        .values(totp_last_step=step))
    return result.rowcount == 1


def _check_code(uow: UnitOfWork, row: Any, code: str) -> None:
    """Accept ``code`` for the user of ``row`` once, or raise :class:`LoginFailed`."""
    step = _matched_step(row.totp_secret, code, _now(uow))
    if step is None:
        raise LoginFailed(reason="wrong code")
    if not _accept_step(uow, row.id, step):
        raise LoginFailed(reason="code already used")


@dataclass(frozen=True)
class Identified:
    """Who a login method found at the keyboard, and whether the second factor is done."""

    user_id: str
    second_factor_done: bool


def check_credentials(uow: UnitOfWork, user_id: str, password: str, code: str | None,
                      policy: Policy) -> Identified:
    """The local login: password, then (if given) the TOTP code. Raises :class:`LoginFailed`.

    Every path checks one password hash (a dummy one for an unknown user), so a wrong
    user name, a wrong password, a deactivated account, a missing second factor and a
    wrong or reused code take the same time and get the same answer.
    """
    row = _user_row(uow, user_id)
    if not _password_matches(row.password_hash if row else None, password):
        raise LoginFailed(reason="no such user" if row is None
                          else "wrong password" if row.password_hash else "no password set")
    if not row.active:
        raise LoginFailed(reason="account deactivated")
    if not row.totp_secret:
        if policy.totp_required:
            # An administrator runs `acsa user password USER --totp`.
            raise LoginFailed(reason="no second factor enrolled")
        return Identified(row.id, True)
    if code:
        _check_code(uow, row, code)
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
                N_("too many failed logins: try again in %(minutes)s minutes"),
                retry_after_s=max(wait, 1), field="user", minutes=max(wait, 1) // 60 + 1,
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
        _record_failure(uow, claimed_user, address, exc.reason)
        return LoginResult(None, LoginFailed())  # the one answer, whatever the method said
    if who.second_factor_done:
        record_attempt(uow, who.user_id, address, True)
    session = open_session(uow, who.user_id, second_factor_done=who.second_factor_done)
    record_access(uow, who.user_id, "login" if who.second_factor_done else "login.password",
                  who.user_id, address)
    return LoginResult(session, None)


def _record_failure(uow: UnitOfWork, user_id: str, address: str, reason: str) -> None:
    """A failed attempt: counted for throttling, and in the access log with its real reason."""
    record_attempt(uow, user_id, address, False)
    target = f"{user_id}: {reason}" if user_id else reason
    record_access(uow, user_id, "login.failed", target, address)


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
        return LoginResult(None, NotAuthenticated(N_("log in first"), field="session"))
    if _session_state(row, _now(uow), policy) == "expired":
        end_session(uow, token, address=address, reason="session.expired")
        return LoginResult(None, SessionExpired(
            N_("the login took too long: start again"),
            field="session",
        ))
    try:
        check_throttle(uow, row.user_id, address, policy)
    except LoginThrottled as exc:
        end_session(uow, token, address=address, reason="login.throttled")
        return LoginResult(None, exc)
    user = _user_row(uow, row.user_id)
    try:
        if not user.active:
            raise LoginFailed(reason="account deactivated")
        _check_code(uow, user, code)
    except LoginFailed as exc:
        _record_failure(uow, row.user_id, address, exc.reason)
        return LoginResult(None, LoginFailed())
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
        raise NotAuthenticated(N_("log in first"), field="session")
    state = _session_state(row, _now(uow), policy)
    if state == "expired":
        raise SessionExpired(N_("the session has ended: log in again"), field="session")
    user_row = _user_row(uow, row.user_id)
    if user_row is None or not user_row.active:
        raise NotAuthenticated(N_("the account is not active"), field="session")
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
    # Compared as bytes: compare_digest refuses str with non-ASCII characters.
    if not presented or not hmac.compare_digest(session.csrf_token.encode("utf-8"),
                                                presented.encode("utf-8")):
        raise CsrfRejected(
            N_("the form's security token is missing or stale: reload the page"),
            field="csrf_token",
        )


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
        raise InvalidValue(N_("scopes are some of %(allowed)s"), field="scopes",
                           allowed=TOKEN_SCOPES)
    return tuple(s for s in TOKEN_SCOPES if s in wanted)


@use_case
def create_token(uow: UnitOfWork, actor: LocalUser, *, user_id: str, name: str,
                 scopes: Iterable[str]) -> NewToken:
    """A new API token for ``user_id`` (themself, or anyone by an administrator)."""
    _may_manage(actor, user_id)
    user = get_user(uow, user_id)
    name = name.strip()
    if not name or len(name) > TOKEN_NAME_LENGTH_MAX:
        raise InvalidValue(
            N_("name it (1–%(limit)s characters)"),
            field="name", limit=TOKEN_NAME_LENGTH_MAX,
        )
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
        raise UnknownReference(N_("no API token %(token_id)s"), field="token", token_id=token_id)
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
        raise NotAuthenticated(N_("the API token is unknown or revoked"), field="authorization")
    user_row = _user_row(uow, row.user_id)
    if user_row is None or not user_row.active:
        raise NotAuthenticated(N_("the token's account is not active"), field="authorization")
    return TokenHolder(user_of(user_row), _token_of(row))


@use_case
def record_token_use(uow: UnitOfWork, holder: TokenHolder, target: str, address: str) -> None:
    """The access log's line for a request made with a token (every one), and the token's
    last use (at most once a minute, as a session's last-seen time)."""
    now = uow.node.now_at()
    last = holder.token.last_used_at
    if last is None or (parse_at(now) - parse_at(last)).total_seconds() >= TOUCH_INTERVAL_S:
        uow.conn.execute(update(T.api_tokens).where(T.api_tokens.c.id == holder.token.id)
                         .values(last_used_at=now))
    record_access(uow, holder.user.id, "token.used", f"token {holder.token.id}: {target}",
                  address)


def require_scope(scopes: Iterable[str], needed: str) -> None:
    if needed not in set(scopes):
        raise ScopeMissing(
            N_("this API token lacks the '%(needed)s' scope"),
            field="authorization", needed=needed,
        )


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
        raise NotPermitted(
            N_("only an auditor or a security officer reads the access log"),
            field="user",
        )
    query = (select(T.access_log).where(T.access_log.c.id > after)
             .order_by(T.access_log.c.id).limit(max(1, min(limit, ACCESS_LIST_LIMIT_MAX))))
    if user_id:
        query = query.where(T.access_log.c.user_id == user_id)
    return [AccessEntry(r.id, r.at, r.user_id, r.action,
                        need_to_know.log_target(uow, actor, r.target), r.address)
            for r in uow.conn.execute(query)]
