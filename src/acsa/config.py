"""One typed Settings object, read from the environment and validated at start-up."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where a node keeps its data and who is acting.

    ``ACSA_DATA_DIR`` holds the node's key, its identity file and (unless
    ``ACSA_DATABASE_URL`` names a PostgreSQL database) its SQLite file.
    """

    model_config = SettingsConfigDict(env_prefix="ACSA_", extra="ignore")

    data_dir: Path = Field(default=Path("var/node"))
    database_url: str | None = None
    node: str | None = None  # the party code, checked against the data directory
    user: str | None = None  # who acts on the command line (--as overrides)
    host: str = "127.0.0.1"
    port: int = 8000
    sync: bool = True  # acsa serve runs the background sync (--no-sync sets it false)
    sync_interval_s: float = 5.0
    # After failed rounds the worker waits a random time up to this ceiling, which
    # doubles from 0.5 s with each failure in a row; a thin link may want it lower.
    sync_backoff_max_s: float = Field(default=60.0, ge=1.0, le=3600.0)
    sync_batch_size_max: int = 500

    @field_validator("database_url")
    @classmethod
    def _known_engine(cls, value: str | None) -> str | None:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("ACSA_DATABASE_URL must be a sqlite:// or postgresql+psycopg:// URL")
        return value

    @field_validator("node")
    @classmethod
    def _party_code(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 3 or not value.isalpha() or not value.isupper()):
            raise ValueError("ACSA_NODE must be an ISO 3166 alpha-3 code such as JPN")
        return value

    # -- web login and sessions (see docs/security.md) -------------------------------
    # A session ends after this long without a request, and after this long in all.
    session_idle_timeout_s: int = Field(default=30 * 60, ge=60)
    session_absolute_timeout_s: int = Field(default=12 * 60 * 60, ge=300)
    # Secure cookies are sent over HTTPS only; switch off only to try a node over
    # plain HTTP on a machine's own loopback.
    cookie_secure: bool = True
    # Failed logins within the window after which an account is refused until it ends;
    # one address may fail four times as often (officers share a headquarters' NAT).
    login_failures_max: int = Field(default=5, ge=1)
    login_failure_window_s: int = Field(default=15 * 60, ge=60)
    # Local accounts need a TOTP code as well as the password.
    totp_required: bool = True
    # The login component, as "module:attribute" (docs/security.md, "PKI and SSO").
    login_method: str = "acsa.web.auth.local:LocalLogin"
