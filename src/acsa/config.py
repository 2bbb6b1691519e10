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
    sync_interval_s: float = 5.0
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
