"""The dialect-neutral write (``storage/_write.py``, a private unit: these tests are about
it, not the public face): the statements it yields, in order, for each kind of write --
one file, a batch, a file in parts --, the hook points, and that every dialect has SQL
for every statement and every batch column. What the statements do to the rows is
pinned down by ``RepositoryContract`` on each backend."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping

import pytest

from streaming_sync import (
    Axiom,
    AxiomType,
    FileEntry,
    FileWrite,
    OntologyData,
    OntologyProperty,
    OtherAxiom,
    PropertyType,
)
from streaming_sync.storage import _write
from streaming_sync.storage.postgres._sql import SQL as POSTGRES_SQL
from streaming_sync.storage.sqlite import _driver, _open
from streaming_sync.storage.sqlite._connection import in_transaction
from streaming_sync.storage.sqlite._sql import SQL as SQLITE_SQL
from streaming_sync.testing.contract import cls, data

ENTRY = FileEntry("a.md", 3, "1" * 40)
PARAM = re.compile(r"(?<!:):([a-z_]+)\b")
Step = _write.Statement | _write.Batch


def run(steps: _write.Steps, answers: Mapping[str, int] | None = None) -> list[Step]:
    """Drive ``steps`` as a driver would, answering ``answers[key]`` (default 0) as the
    rows each statement changed -- a batch gets its row count; the steps, in order."""
    seen: list[Step] = []
    try:
        step = next(steps)
        while True:
            seen.append(step)
            if isinstance(step, _write.Batch):
                step = steps.send(len(step.rows))
            else:
                step = steps.send((answers or {}).get(step.key, 0))
    except StopIteration:
        return seen


def keys(steps: list[Step]) -> list[str]:
    """The keys of ``steps`` but the change feed's hooks (``HOOKS``: the tests of the
    hooks and of the feed pin those down)."""
    return [s.key for s in steps if s.key not in _write.HOOKS.keys]


def test_every_write_runs_the_feed_hooks_once_around_the_recompute() -> None:
    """The default hooks are the change feed's: a batch of files copies the affected
    rows aside once, right before the recompute, and records once, right after it."""
    items = [
        FileWrite(FileEntry(f"{i}.md", 0, "s"), data(cls(f"ex:C{i}"), targets=())) for i in range(3)
    ]
    names = [s.key for s in run(_write.write_batch("o", items, "T"))]
    first = names.index(_write.BEFORE_RECOMPUTE[0])
    assert names[first : first + 3] == list(_write.BEFORE_RECOMPUTE)
    assert names[first + 3] == "upsert_declared_classes"
    assert names.count("record_classes_added") == 1
    assert names[-1 - len(_write.FEED_CLEAR) : -1] == list(_write.FEED_CLEAR)
    assert names[-1] == "clear_affected"


HEAD = ["collect_old", "drop_file", "add_file"]
RESOLVE = [k for k in _write.RELINK if k not in _write.UNDO_OTHERS]
STALE = {"collect_old": 3}


def saved(content: OntologyData, answers: Mapping[str, int] | None = None) -> list[str]:
    return keys(run(_write.write_file("o", "a.md", ENTRY, content, now="T"), answers))


def test_a_new_file_without_links_inserts_and_recomputes_only_what_it_has() -> None:
    """A saved file that had no rows (collect_old found none), with no links, no page
    keys and no properties, runs: collect, drop, add, one batch per kind of row it has,
    collect, then the recomputation of its classes and edges alone -- no deletions
    (nothing can have gone), no link marking nor re-resolution, no property upsert."""
    content = data(cls("ex:A", "A"), cls("ex:B"), edges=[("ex:A", "ex:B")], targets=())
    steps = run(_write.write_file("o", "a.md", ENTRY, content, now="T"))
    assert keys(steps) == [
        *HEAD, "insert_file_classes", "insert_file_edges", "collect_new",
        "upsert_declared_classes", "insert_placeholders", "insert_edges", "clear_affected",
    ]  # fmt: skip
    classes = steps[3]
    assert isinstance(classes, _write.Batch)
    assert classes.rows == [
        ("o", "a.md", 0, "ex:A", "A", None, None),
        ("o", "a.md", 1, "ex:B", None, None, None),
    ]


def test_each_kind_of_row_brings_its_steps() -> None:
    """Without stale rows, page keys bring the link marking, properties the property
    upsert, a file with only axioms recomputes nothing."""
    with_keys = saved(data(keys=["k"]))
    assert with_keys[-2:] == ["mark_link_paths", "clear_affected"]
    prop = OntologyProperty("ex:p", PropertyType.OBJECT)
    assert saved(data(properties=(prop,)))[-2:] == ["upsert_properties", "clear_affected"]
    axioms_only = saved(data(axioms=(Axiom(AxiomType.DISJOINT_WITH, "ex:A", "ex:B"),)))
    assert axioms_only == [*HEAD, "insert_axioms", "collect_new", "clear_affected"]


def test_a_file_that_had_rows_runs_the_deletions() -> None:
    """When collect_old found rows of the file's old contribution, the recomputation
    runs whole, deletions included."""
    steps = saved(data(cls("ex:A")), STALE)
    assert steps[-len(_write.RECOMPUTE) - 1 :] == [*_write.RECOMPUTE, "clear_affected"]


def test_links_or_other_linkers_re_resolve_the_links() -> None:
    """The page links are re-resolved when the file has links now, or when some other
    file links to one of its old or new page keys (mark_link_paths marked some) -- and
    only then; with no other linker there is no earlier resolution to undo (the file's
    own went with its record); re-resolved link edges bring the edge steps, link edges
    collected stale by the re-resolution turn the deletions on."""
    linking = saved(
        data(cls("ex:A"), links=[("ex:A", "k")], targets=()), {"collect_new_link_edges": 1}
    )
    at = linking.index("collect_new")
    assert linking[at + 1 : at + 1 + len(RESOLVE)] == RESOLVE
    assert "insert_edges" in linking
    assert not _write.STALE_ONLY & set(linking)
    page = data(cls("ex:P"), keys=["k"])
    linked_to = saved(page, {"mark_link_paths": 2, "collect_link_edges": 1})
    assert set(_write.RELINK) <= set(linked_to)
    assert set(linked_to) >= _write.STALE_ONLY
    alone = saved(page)
    assert "mark_link_paths" in alone
    assert not set(_write.RELINK) & set(alone)


def test_removing_a_file_inserts_nothing() -> None:
    """Removing (no entry) collects and drops the file's rows, re-resolves links only
    where others link to its keys, and recomputes; it adds no record and no rows. A
    file that had no rows leaves nothing to recompute."""
    empty = OntologyData()
    removed = keys(run(_write.write_file("o", "a.md", None, empty, now="T"), STALE))
    assert removed == ["collect_old", "drop_file", "mark_link_paths", *_write.RECOMPUTE,
                       "clear_affected"]  # fmt: skip
    relinked = keys(
        run(
            _write.write_file("o", "a.md", None, empty, now="T"),
            {**STALE, "mark_link_paths": 3},
        )
    )
    assert relinked[3 : 3 + len(_write.RELINK)] == list(_write.RELINK)
    nothing = keys(run(_write.write_file("o", "a.md", None, empty, now="T")))
    assert nothing == ["collect_old", "drop_file", "clear_affected"]


def test_a_batch_writes_each_file_then_finishes_once() -> None:
    """A batch of distinct paths runs each file step once for all its files (a removal
    gets no record and no collection of new rows), the rows of all its files in one
    batch per table, then the link marking, hooks, recomputation and clearing once."""
    items = [
        FileWrite(FileEntry("a.md", 0, "1"), data(cls("ex:A"), targets=())),
        FileWrite(FileEntry("gone.md", 0, ""), None),
        FileWrite(FileEntry("b.md", 0, "2"), data(cls("ex:B"), links=[("ex:B", "a")], targets=())),
    ]
    hooks = _write.Hooks(before_recompute=("h1", "h2"), after_recompute=("h3",))
    steps = run(_write.write_batch("o", items, "T", hooks), STALE)
    expected = [
        *HEAD, "insert_file_classes", "insert_file_links", "collect_new",
        "mark_link_paths", *RESOLVE, "h1", "h2", *_write.RECOMPUTE, "h3", "clear_affected",
    ]  # fmt: skip
    assert keys(steps) == expected
    paths = [s.params["paths"] for s in steps if isinstance(s, _write.Statement) and s.key in HEAD]
    assert paths == [("a.md", "gone.md", "b.md")] * 2
    (collect_new,) = [s for s in steps if s.key == "collect_new"]
    assert isinstance(collect_new, _write.Statement)
    assert collect_new.params["paths"] == ("a.md", "b.md")
    (records,) = [s for s in steps if s.key == "add_file"]
    assert isinstance(records, _write.Batch)
    assert [(row[1], row[2]) for row in records.rows] == [("a.md", "1"), ("b.md", "2")]
    (classes,) = [s for s in steps if s.key == "insert_file_classes"]
    assert isinstance(classes, _write.Batch)
    assert [(row[1], row[3]) for row in classes.rows] == [("a.md", "ex:A"), ("b.md", "ex:B")]


def test_a_path_twice_in_a_batch_is_written_in_order() -> None:
    """A batch that saves a path, removes it and saves it again runs three groups, one
    after the other: a path's rows are never inserted together with a later write of
    the same path, so the last write wins as it would file by file."""
    first = data(cls("ex:A"), targets=())
    second = data(cls("ex:B"), targets=())
    items = [
        FileWrite(FileEntry("a.md", 0, "1"), first),
        FileWrite(FileEntry("a.md", 0, ""), None),
        FileWrite(FileEntry("a.md", 0, "2"), second),
    ]
    steps = run(_write.write_batch("o", items, "T"), STALE)
    names = keys(steps)
    end = (
        names.index("mark_link_paths")
        if "mark_link_paths" in names
        else names.index(_write.RECOMPUTE[0])
    )
    assert names[:end] == [
        *HEAD, "insert_file_classes", "collect_new",
        "collect_old", "drop_file",
        *HEAD, "insert_file_classes", "collect_new",
    ]  # fmt: skip
    inserted = [s.rows[0][3] for s in steps if s.key == "insert_file_classes"]
    assert inserted == ["ex:A", "ex:B"]


def test_hooks_run_once_per_transaction_around_the_recompute() -> None:
    """Each hook key runs once per transaction -- one file or many -- the
    before_recompute ones right before the first recompute statement, the
    after_recompute ones right after the last, with the transaction's parameters."""
    hooks = _write.Hooks(before_recompute=("probe_before",), after_recompute=("probe_after",))
    for count in (1, 4):
        content = data(cls("ex:A"), edges=[("ex:A", "ex:B")], targets=())
        items = [FileWrite(FileEntry(f"{i}.md", 0, "s"), content) for i in range(count)]
        steps = run(_write.write_batch("o", items, "T", hooks))
        names = keys(steps)
        assert names.count("probe_before") == names.count("probe_after") == 1
        before = names.index("probe_before")
        assert names[before + 1] == _write.RECOMPUTE[0]
        assert names[names.index("probe_after") - 1] == "insert_edges"
        assert names[names.index("probe_after") + 1] == "clear_affected"
        assert isinstance(steps[before], _write.Statement)
        assert (steps[before].params["oid"], steps[before].params["now"]) == ("o", "T")


def test_parts_number_their_rows_on() -> None:
    """A file written in parts numbers its classes, properties and links on from where
    the previous part stopped, so the parts' rows never collide."""
    tx = _write.Transaction("o", "T")
    numbers = _write.RowNumbers()
    first = run(_write.file_part(tx, "a.md", data(cls("ex:A"), cls("ex:B")), numbers))
    second = run(_write.file_part(tx, "a.md", data(cls("ex:C"), links=[("ex:C", "k")]), numbers))
    seqs = [row[2] for s in first + second if s.key == "insert_file_classes" for row in s.rows]
    assert seqs == [0, 1, 2]
    assert (numbers.classes, numbers.links, tx.linked) == (3, 1, True)


def test_every_batch_row_matches_its_columns() -> None:
    """Each batch's rows have one value per named column, the batches come in the
    documented order, the shared columns hold one value per batch, and the record
    carries the entry's SHA and the timestamp."""
    content = data(
        cls("ex:A", k="v"),
        edges=[("ex:A", "ex:B")],
        links=[("ex:A", "k")],
        keys=["p"],
        axioms=(Axiom(AxiomType.DISJOINT_WITH, "ex:A", "ex:B"),),
        other_axioms=(OtherAxiom("X", "X(a)"), OtherAxiom("Y", "Y(b)")),
    )
    steps = run(_write.write_file("o", "a.md", ENTRY, content, now="T"))
    add, *batches = [s for s in steps if isinstance(s, _write.Batch)]
    assert [b.key for b in batches] == [
        k for k in _write.FILE_ROWS if k != "insert_file_properties"
    ]
    for batch in batches:
        assert batch.columns == _write.FILE_ROWS[batch.key]
        assert all(len(row) == len(batch.columns) for row in batch.rows)
        for i, column in enumerate(batch.columns):
            if column in _write.SHARED_COLUMNS:
                assert len({row[i] for row in batch.rows}) == 1, (batch.key, column)
    assert add.key == "add_file" and add.columns == _write.ADD_FILE_COLUMNS
    assert add.rows == [("o", "a.md", ENTRY.sha, "T")]


@pytest.mark.parametrize("sql", [SQLITE_SQL, POSTGRES_SQL], ids=["sqlite", "postgres"])
def test_each_dialect_has_sql_for_every_step_and_column(sql: dict[str, str]) -> None:
    """A dialect defines exactly the algorithm's keys; a batch's SQL names only its
    columns, a statement's SQL only the algorithm's parameters."""
    assert set(sql) == _write.KEYS
    statement_params = set(_write.Transaction("o", "T").params())
    for key, text in sql.items():
        names = set(PARAM.findall(text))
        allowed = set(_write.BATCHES.get(key, statement_params))
        assert names <= allowed, (key, names - allowed)


def test_a_write_that_deleted_no_axioms_records_them_all_without_a_difference() -> None:
    """When the write deleted no axiom rows (``feed_gone_*`` reports 0: a new file, a
    cold sync), the feed records every axiom row now as added with one statement and
    skips the multiset difference; when some went, it runs the difference both ways."""

    def drive(gone: int) -> list[str]:
        steps = _write.after_recompute({"oid": "o"})
        seen, answer = [], None
        try:
            while True:
                step = steps.send(answer)
                seen.append(step.key)
                answer = gone if step.key.startswith("feed_gone_") else 1
        except StopIteration:
            return seen

    cold = drive(0)
    assert "record_axioms_added" in cold and "record_other_axioms_added" in cold
    assert not {k for k in cold if k.endswith("_among_gone") or k.endswith("axioms_removed")}
    warm = drive(2)
    assert {"record_axioms_added_among_gone", "record_axioms_removed"} <= set(warm)
    assert "record_axioms_added" not in warm


# The hook points on a real SQLite database: probes that record what the public rows
# hold when they run, inside the write's own transaction.
PROBES = {
    "probe_before": "INSERT INTO temp.probe SELECT 'before', count(*) FROM owl_classes "
    "WHERE ontology_id = :oid",
    "probe_after": "INSERT INTO temp.probe SELECT 'after', count(*) FROM owl_classes "
    "WHERE ontology_id = :oid",
}


def test_sqlite_runs_hooks_inside_the_transaction_around_the_recompute() -> None:
    """On SQLite (the private driver, on a plain connection), a batch's hook statements
    run once each inside its transaction: before the recompute the public rows are
    those of before the batch, after it they are the new ones; when a later statement
    fails, what the hooks wrote rolls back with the rows."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    _open.prepare(conn, ":memory:", 5.0)
    conn.execute("CREATE TEMP TABLE probe (point TEXT, classes INTEGER)")
    sql = {**SQLITE_SQL, **PROBES, "fail": "SELECT * FROM no_such_table"}

    def write(items: list[FileWrite], after: tuple[str, ...] = ("probe_after",)) -> None:
        hooks = _write.Hooks(before_recompute=("probe_before",), after_recompute=after)
        in_transaction(conn, lambda c: _driver.write_batch(c, "o", items, "T", hooks, sql), "BEGIN")

    write([FileWrite(FileEntry("a.md", 0, "1"), data(cls("ex:A"), cls("ex:B")))])
    write([FileWrite(FileEntry(f"{i}.md", 0, "2"), data(cls(f"ex:C{i}"))) for i in range(3)])
    write([FileWrite(FileEntry("a.md", 0, ""), None)])
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        write([FileWrite(FileEntry("x.md", 0, "3"), data(cls("ex:X")))], ("probe_after", "fail"))
    assert conn.execute("SELECT point, classes FROM temp.probe").fetchall() == [
        ("before", 0), ("after", 2),
        ("before", 2), ("after", 5),
        ("before", 5), ("after", 3),
    ]  # fmt: skip
    assert conn.execute("SELECT count(*) FROM owl_classes").fetchone() == (3,)
    conn.close()
