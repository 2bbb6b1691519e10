"""A lease that one process of a node holds at a time, for as long as it lives.

Several processes may serve one node (``acsa serve --workers N``, or several
``acsa serve`` on one PostgreSQL database); some work must still run in one of
them only — the background sync. :class:`Lease` is that right:

- on PostgreSQL, a session advisory lock held by one connection the holder keeps
  open; the database releases it when that connection ends, however the process
  ended;
- on SQLite, an exclusive ``flock`` on a file beside the database, released by the
  kernel when the process ends.

Whoever does not hold it may try again later, and takes over when the holder is gone.

On PostgreSQL the holder also listens on a channel named after the lease, so that
another process can hand it a message (:func:`signal`) — the background sync is woken
so when a partner's push reaches a process that does not run it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import Connection, Engine, text


class Lease:
    """``try_take()`` once, ``still_held()`` from time to time, ``release()`` at the end."""

    def __init__(self, engine: Engine, key: int, name: str) -> None:
        self.engine, self.key, self.name = engine, key, name
        self._connection: Connection | None = None
        self._fd: int | None = None

    @property
    def channel(self) -> str:
        return f"acsa_{self.name}"

    @property
    def held(self) -> bool:
        return self._connection is not None or self._fd is not None

    def try_take(self) -> bool:
        """Take the lease if nobody holds it; never waits."""
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            return self._take_advisory()
        return self._take_file()

    def still_held(self) -> bool:
        """Whether the lease is still ours (a PostgreSQL connection lost loses it)."""
        if self._connection is None:
            return self._fd is not None
        try:
            self._connection.exec_driver_sql("SELECT 1")
            self._connection.commit()
            return True
        except Exception:
            self._drop_connection()
            return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.exec_driver_sql(f"SELECT pg_advisory_unlock({self.key})")
                self._connection.commit()
            except Exception:
                pass  # closing the connection below releases it all the same
            self._drop_connection()
        if self._fd is not None and self._fd >= 0:
            os.close(self._fd)  # closing the descriptor releases the flock
        self._fd = None

    def messages(self) -> list[str]:
        """What other processes signalled to the holder since last asked (never waits)."""
        if self._connection is None:
            return []
        driver = self._connection.connection.driver_connection
        try:
            return [n.payload for n in driver.notifies(timeout=0)]  # type: ignore[union-attr]
        except Exception:
            return []

    def _take_advisory(self) -> bool:
        connection = self.engine.connect()
        try:
            got = bool(connection.exec_driver_sql(
                f"SELECT pg_try_advisory_lock({self.key})").scalar())
            if got:
                connection.exec_driver_sql(f"LISTEN {self.channel}")
            connection.commit()
        except Exception:
            connection.invalidate()
            connection.close()
            raise
        if got:
            self._connection = connection
        else:
            connection.close()
        return got

    def _take_file(self) -> bool:
        path = self._lock_path()
        if path is None:  # an in-memory database belongs to this process alone
            self._fd = -1
            return True
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def _lock_path(self) -> Path | None:
        database = self.engine.url.database
        if not database or database == ":memory:":
            return None
        return Path(f"{database}.{self.name}.lock")

    def _drop_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except Exception:
                pass
            self._connection = None


def signal(engine: Engine, lease: Lease, message: str) -> None:
    """Hand ``message`` to whichever process holds ``lease`` (PostgreSQL only)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_notify(:channel, :message)"),
                           {"channel": lease.channel, "message": message})
        connection.commit()
