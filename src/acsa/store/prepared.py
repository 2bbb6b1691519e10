"""Statements compiled once per engine and run below SQLAlchemy's compiler.

The statements every act sends (the stream's head read and moved, the event
appended, the order's head read, the projection rows written by difference,
the balances and the order's digest) cost SQLAlchemy about 0.1 ms each to
build, key, compile-from-cache and bind — more than SQLite takes to run them.
A :class:`Prepared` statement is a SQLAlchemy statement compiled once for the
connection's dialect; each run hands the compiled text and its parameters
straight to the driver (``Connection.exec_driver_sql``), so events, the
transaction and the connection's error handling still apply, and the text is
the one SQLAlchemy writes for SQLite and PostgreSQL alike.

What the driver does not do that SQLAlchemy's types would: parameters are
passed as they are (the drivers store ``date``, ``bool``, ``int`` and ``str``
as SQLAlchemy's SQLite and PostgreSQL types do), and values read back are
the driver's own (an ISO text for a date on SQLite): prepared reads return
only texts and integers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, CursorResult
from sqlalchemy.sql import Executable


class Prepared:
    """``run(conn, params)``: the statement ``build()`` makes, compiled once per dialect.

    ``params`` is one mapping (one execution) or a list of them (``executemany``),
    keyed by the statement's bind names. An INSERT or UPDATE built without values takes
    ``columns``: the columns it sets, bound by their names.
    """

    def __init__(self, build: Callable[[], Executable],
                 columns: Sequence[str] | None = None) -> None:
        self.build = build
        self.columns = list(columns) if columns is not None else None
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}
        self.fixed: dict[str, Any] = {}  # the values of the statement's own literals

    def text(self, conn: Connection) -> tuple[str, tuple[str, ...] | None]:
        """The driver's SQL and, for a positional paramstyle, the bind names in order."""
        name = conn.dialect.name
        found = self._compiled.get(name)
        if found is None:
            compiled = self.build().compile(  # type: ignore[attr-defined]
                dialect=conn.dialect, column_keys=self.columns)
            if compiled.escaped_bind_names:
                raise ValueError(f"bind names the driver cannot take: {compiled.string}")
            self.fixed = {k: v for k, v in compiled.params.items() if v is not None}
            positional = compiled.positiontup if conn.dialect.positional else None
            found = (str(compiled), tuple(positional) if positional is not None else None)
            self._compiled[name] = found
        return found

    def run(self, conn: Connection,
            params: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> CursorResult[Any]:
        sql, order = self.text(conn)
        fixed = self.fixed
        if isinstance(params, Mapping):
            one: Any = (_row(params, order, fixed) if order is not None
                        else {**fixed, **params})
            return conn.exec_driver_sql(sql, one)
        many: Any = ([_row(p, order, fixed) for p in params] if order is not None
                     else [{**fixed, **p} for p in params])
        return conn.exec_driver_sql(sql, many)


def _row(params: Mapping[str, Any], order: Sequence[str], fixed: Mapping[str, Any]
         ) -> tuple[Any, ...]:
    """Positional parameters (SQLite), a date as the ISO text SQLAlchemy's ``Date`` stores."""
    return tuple(v.isoformat() if type(v) is date else v
                 for v in (params[k] if k in params else fixed[k] for k in order))
