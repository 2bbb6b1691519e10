"""One typed Settings object, read from the environment and validated at start-up.

A plain dataclass rather than pydantic-settings: every command reads it first, and
importing pydantic-settings (with asyncio, which it loads) and building its model cost
each command about 0.07 s before it did anything. A value passed to ``Settings(...)``
wins over ``ACSA_<NAME>`` in the environment (the name in any case), which wins over the
default.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

ENV_PREFIX = "ACSA_"

V = TypeVar("V")


class SettingsError(ValueError):
    """A setting that cannot be used: ``name`` is the field, ``message`` says why."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def _boolean(text: str) -> bool:
    # The words pydantic accepted, so that an environment that worked still works.
    word = text.strip().lower()
    if word in ("1", "on", "t", "true", "y", "yes"):
        return True
    if word in ("0", "off", "f", "false", "n", "no"):
        return False
    raise ValueError("not a boolean (true or false)")


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("not an integer") from None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError("not a number") from None


def _env(name: str, parse: Callable[[str], V], default: V) -> Callable[[], V]:
    """What a field is when ``Settings(...)`` is not given it: ``ACSA_<NAME>`` parsed, or
    ``default`` when the environment does not hold it."""

    def read() -> V:
        wanted = (ENV_PREFIX + name).lower()
        for key, text in os.environ.items():
            if key.lower() == wanted:
                try:
                    return parse(text)
                except ValueError as exc:
                    raise SettingsError(name, f"{key}={text!r}: {exc}") from None
        return default

    return read


def _text(text: str) -> str:
    return text


@dataclass(kw_only=True)
class Settings:
    """Where a node keeps its data and who is acting.

    ``ACSA_DATA_DIR`` holds the node's key, its identity file and (unless
    ``ACSA_DATABASE_URL`` names a PostgreSQL database) its SQLite file.
    """

    data_dir: Path = field(default_factory=_env("data_dir", Path, Path("var/node")))
    database_url: str | None = field(default_factory=_env("database_url", _text, None))
    # The party code, checked against the data directory.
    node: str | None = field(default_factory=_env("node", _text, None))
    # Who acts on the command line (--as overrides).
    user: str | None = field(default_factory=_env("user", _text, None))
    host: str = field(default_factory=_env("host", _text, "127.0.0.1"))
    port: int = field(default_factory=_env("port", _integer, 8000))
    # acsa serve runs the background sync (--no-sync sets it false).
    sync: bool = field(default_factory=_env("sync", _boolean, True))
    sync_interval_s: float = field(default_factory=_env("sync_interval_s", _number, 5.0))
    # After failed rounds the worker waits a random time up to this ceiling, which
    # doubles from 0.5 s with each failure in a row; a thin link may want it lower.
    sync_backoff_max_s: float = field(default_factory=_env("sync_backoff_max_s", _number, 60.0))
    sync_batch_size_max: int = field(default_factory=_env("sync_batch_size_max", _integer, 500))

    # -- web login and sessions (see docs/security.md) -------------------------------
    # A session ends after this long without a request, and after this long in all.
    session_idle_timeout_s: int = field(
        default_factory=_env("session_idle_timeout_s", _integer, 30 * 60))
    session_absolute_timeout_s: int = field(
        default_factory=_env("session_absolute_timeout_s", _integer, 12 * 60 * 60))
    # Secure cookies are sent over HTTPS only; switch off only to try a node over
    # plain HTTP on a machine's own loopback.
    cookie_secure: bool = field(default_factory=_env("cookie_secure", _boolean, True))
    # Failed logins within the window after which an account is refused until it ends;
    # one address may fail four times as often (officers share a headquarters' NAT).
    login_failures_max: int = field(default_factory=_env("login_failures_max", _integer, 5))
    login_failure_window_s: int = field(
        default_factory=_env("login_failure_window_s", _integer, 15 * 60))
    # Local accounts need a TOTP code as well as the password.
    totp_required: bool = field(default_factory=_env("totp_required", _boolean, True))
    # The login component, as "module:attribute" (docs/security.md, "PKI and SSO").
    login_method: str = field(
        default_factory=_env("login_method", _text, "acsa.web.auth.local:LocalLogin"))

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        if self.database_url and not self.database_url.startswith(("sqlite", "postgresql")):
            raise SettingsError("database_url", "ACSA_DATABASE_URL must be a sqlite:// or "
                                "postgresql+psycopg:// URL")
        node = self.node
        if node is not None and (len(node) != 3 or not node.isalpha() or not node.isupper()):
            raise SettingsError("node", "ACSA_NODE must be an ISO 3166 alpha-3 code such as JPN")
        _within(self, "sync_backoff_max_s", 1.0, 3600.0)
        _within(self, "session_idle_timeout_s", 60)
        _within(self, "session_absolute_timeout_s", 300)
        _within(self, "login_failures_max", 1)
        _within(self, "login_failure_window_s", 60)


def _within(settings: Settings, name: str, least: float, most: float | None = None) -> None:
    value = getattr(settings, name)
    if value < least or (most is not None and value > most):
        bound = f"at least {least:g}" if most is None else f"between {least:g} and {most:g}"
        raise SettingsError(name, f"must be {bound}, not {value}")
