"""The SQLite driver inserts a batch of rows by statements of many rows each
(``_driver.RowsInsert``: ``VALUES (...), (...), ...``) instead of ``executemany`` -- a
turn at the GIL per statement, not per row (issue 15). These tests pin that the rows
stored are exactly those ``executemany`` stores, value for value and type for type, on
real file databases with the library's schema, for batch sizes that take every kind
of statement, and how few statements a batch takes."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streaming_sync.storage import _write
from streaming_sync.storage.sqlite import _driver
from streaming_sync.storage.sqlite._open import prepare
from streaming_sync.storage.sqlite._sql import SQL

#: Values an encoding could change: an emoji and a combining accent, quotes and
#: backslashes, a line separator, a long text, None, a bool, a large integer.
AWKWARD = ["😀 e\u0301", "\\\"'", "a\u2028b", "x" * 70_000, None, True, 2**53 + 1]


@pytest.fixture
def connect() -> Iterator[Callable[[Path], sqlite3.Connection]]:
    """Opens databases with the library's schema (foreign keys off: the file records
    are not the point here); closes them after the test."""
    opened: list[sqlite3.Connection] = []

    def open_one(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None)
        opened.append(conn)
        prepare(conn, str(path), 5.0)
        conn.execute("PRAGMA foreign_keys = OFF")
        return conn

    yield open_one
    for conn in opened:
        conn.close()


def not_null(conn: sqlite3.Connection, key: str) -> set[str]:
    """The parameters of ``key``'s statement bound to a NOT NULL column."""
    sql = SQL[key]
    table, rest = sql.split("INTO", 1)[1].split(None, 1)
    names = [c.strip() for c in rest.split("(", 1)[1].split(")", 1)[0].split(",")]
    values = [v.strip() for v in sql.split("VALUES", 1)[1].strip()[1:-1].split(",")]
    required = {r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[3]}
    return {v[1:] for n, v in zip(names, values, strict=True) if n in required}


def rows_for(columns: tuple[str, ...], count: int, required: set[str]) -> list[tuple[object, ...]]:
    """``count`` rows of ``columns``, each column cycling through ``AWKWARD`` (keys and
    ``seq`` get distinct plain values, a shared column one value; a NOT NULL column
    skips None)."""
    rows = []
    for i in range(count):
        row: list[object] = []
        for j, name in enumerate(columns):
            if name in _write.SHARED_COLUMNS:  # one value per batch, by contract
                row.append(f"all-{name}")
            elif name in ("path", "class_iri", "parent_iri", "property_iri", "page_key"):
                row.append(f"{name}-{i}")
            elif name == "seq":
                row.append(i)
            elif name == "axiom_type":
                row.append("SubClassOf")
            elif name == "is_inferred":
                row.append(i % 2 == 0)  # a bool: must store as 1
            else:
                value = AWKWARD[(i + j) % len(AWKWARD)]
                row.append("none" if value is None and name in required else value)
        rows.append(tuple(row))
    return rows


def dump(conn: sqlite3.Connection, table: str) -> list[tuple[object, ...]]:
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    listed = ", ".join(f"{c}, typeof({c})" for c in columns)
    order = ", ".join(str(n) for n in range(1, 2 * len(columns) + 1))
    return conn.execute(f"SELECT {listed} FROM {table} ORDER BY {order}").fetchall()


@pytest.mark.parametrize("count", [1, 2, 15, 16, 17, 300])
@pytest.mark.parametrize("key", sorted(_write.BATCHES))
def test_a_batch_stores_what_executemany_stores(
    tmp_path: Path, key: str, count: int, connect: Callable[[Path], sqlite3.Connection]
) -> None:
    """Each table's batch, written once through the driver and once row by row with
    ``executemany`` into a second database: the tables are equal, types included."""
    columns = _write.BATCHES[key]
    assert _driver.rows_insert(SQL[key], columns) is not None
    by_driver, by_rows = connect(tmp_path / "driver.db"), connect(tmp_path / "rows.db")
    rows = rows_for(columns, count, not_null(by_driver, key))
    assert _driver.execute(by_driver, _write.Batch(key, columns, rows)) == count
    by_rows.executemany(_driver.numbered(SQL[key], columns), rows)
    table = SQL[key].split("INTO", 1)[1].split()[0]
    assert dump(by_driver, table) == dump(by_rows, table)
    assert len(dump(by_driver, table)) == count


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(1, [1]), (15, [15]), (16, [16]), (40, [32, 8]), (128, [128]), (300, [128, 128, 32, 12])],
)
def test_a_batch_takes_few_statements(
    tmp_path: Path, count: int, sizes: list[int], connect: Callable[[Path], sqlite3.Connection]
) -> None:
    """A batch runs one statement per ``MAX_ROWS`` rows, then power-of-two sizes down
    to ``EXACT_BELOW``, then one of the rest's size: counted from what SQLite ran."""
    key = "insert_other_axioms"
    columns = _write.FILE_ROWS[key]
    conn = connect(tmp_path / "count.db")
    ran: list[str] = []
    conn.set_trace_callback(ran.append)
    rows = [("o", "a.ttl", "T", "Triple", f"text {i}") for i in range(count)]
    _driver.execute(conn, _write.Batch(key, columns, rows))
    inserts = [s for s in ran if s.lstrip().startswith("INSERT")]
    assert [s.count("), (") + 1 for s in inserts] == sizes
    assert conn.execute("SELECT count(*) FROM owl_other_axioms").fetchone() == (count,)


def test_no_statement_takes_more_parameters_than_every_sqlite_allows() -> None:
    """The widest batch's statements stay within the 999 host parameters an SQLite
    built with the old default accepts."""
    for key, columns in _write.BATCHES.items():
        insert = _driver.rows_insert(SQL[key], columns)
        assert insert is not None
        statement = _driver._rows_sql(insert, insert.most)
        numbers = [int(n) for n in re.findall(r"\?(\d+)", statement)]
        assert max(numbers) <= _driver.MAX_PARAMETERS, key
        assert len(set(numbers)) == max(numbers), key  # every number bound
        assert insert.most >= 64, key


def test_a_text_holding_nul_keeps_it(
    tmp_path: Path, connect: Callable[[Path], sqlite3.Connection]
) -> None:
    """A text holding a NUL is stored whole: the NUL and what follows it stay."""
    key = "insert_other_axioms"
    columns = _write.FILE_ROWS[key]
    rows = [("o", "a.ttl", "T", "Triple", f"before\x00after {i}") for i in range(3)]
    conn = connect(tmp_path / "nul.db")
    assert _driver.execute(conn, _write.Batch(key, columns, rows)) == 3
    texts = [r[0] for r in conn.execute("SELECT text FROM owl_other_axioms ORDER BY rowid")]
    assert texts == [f"before\x00after {i}" for i in range(3)]
