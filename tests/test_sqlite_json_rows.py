"""The SQLite driver inserts a batch of rows in ONE statement over their JSON
(``_driver.from_json``) instead of ``executemany`` -- one turn at the GIL per batch,
not per row (issue 15). These tests pin that the rows stored are exactly those
``executemany`` stores, value for value and type for type, on real file databases
with the library's schema, including the values JSON could get wrong."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streaming_sync.storage import _write
from streaming_sync.storage.sqlite import _driver
from streaming_sync.storage.sqlite._open import prepare
from streaming_sync.storage.sqlite._sql import SQL

#: Values a JSON round trip could change: an emoji and a combining accent, quotes and
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
                row.append(i % 2 == 0)  # a bool: JSON's true must store as 1
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


@pytest.mark.skipif(not _driver.JSON_ROWS, reason="this SQLite is older than 3.38")
@pytest.mark.parametrize("key", sorted(_write.BATCHES))
def test_a_batch_through_json_stores_what_executemany_stores(
    tmp_path: Path, key: str, connect: Callable[[Path], sqlite3.Connection]
) -> None:
    """Each table's batch, written once through the driver (JSON) and once row by row
    with ``executemany`` into a second database: the tables are equal, types included."""
    columns = _write.BATCHES[key]
    assert _driver.from_json(SQL[key], columns) is not None
    by_json, by_rows = connect(tmp_path / "json.db"), connect(tmp_path / "rows.db")
    rows = rows_for(columns, 12, not_null(by_json, key))
    _driver.execute(by_json, _write.Batch(key, columns, rows))
    by_rows.executemany(_driver.numbered(SQL[key], columns), rows)
    table = SQL[key].split("INTO", 1)[1].split()[0]
    assert dump(by_json, table) == dump(by_rows, table)
    assert len(dump(by_json, table)) == len(rows)


def test_a_text_holding_nul_keeps_it(
    tmp_path: Path, connect: Callable[[Path], sqlite3.Connection]
) -> None:
    """SQLite's JSON reader would end a text at an escaped NUL: a batch holding one goes
    row by row, and the stored text keeps its NUL and what follows it."""
    key = "insert_other_axioms"
    columns = _write.FILE_ROWS[key]
    rows = [("o", "a.ttl", "T", "Triple", f"before\x00after {i}") for i in range(3)]
    conn = connect(tmp_path / "nul.db")
    assert _driver.execute(conn, _write.Batch(key, columns, rows)) == 3
    texts = [r[0] for r in conn.execute("SELECT text FROM owl_other_axioms ORDER BY rowid")]
    assert texts == [f"before\x00after {i}" for i in range(3)]
