"""The dialect-neutral per-file write (``storage/_write.py``, a private unit: these tests
are about it, not the public face): the statements it yields, in order, for each kind of
write, and that every dialect has SQL for every statement and every batch column. What
the statements do to the rows is pinned down by ``RepositoryContract`` on each backend."""

from __future__ import annotations

import re

import pytest

from streaming_sync import Axiom, AxiomType, FileEntry, OntologyData, OtherAxiom
from streaming_sync.storage import _write
from streaming_sync.storage.postgres._sql import SQL as POSTGRES_SQL
from streaming_sync.storage.sqlite._sql import SQL as SQLITE_SQL
from streaming_sync.testing.contract import cls, data

ENTRY = FileEntry("a.md", 3, "1" * 40)
PARAM = re.compile(r"(?<!:):([a-z_]+)\b")


def run(steps: _write.Steps, marked: int = 1) -> list[_write.Statement | _write.Batch]:
    """Drive ``steps`` as a driver would, answering ``marked`` for ``mark_link_paths``
    and 1 for everything else; the steps yielded, in order."""
    seen = []
    try:
        step = next(steps)
        while True:
            seen.append(step)
            step = steps.send(marked if step.key == "mark_link_paths" else 1)
    except StopIteration:
        return seen


def keys(steps: list[_write.Statement | _write.Batch]) -> list[str]:
    return [s.key for s in steps]


HEAD = ["collect_file", "drop_file", "add_file"]
TAIL = ["collect_file", "mark_link_paths"]
END = [
    *_write.BEFORE_RECOMPUTE,
    *_write.RECOMPUTE,
    "record_classes_added",
    "record_classes_changed",
    "record_properties_added",
    "record_properties_changed",
    "record_edges_added",
    "feed_gone_axioms",
    "record_axioms_added_among_gone",
    "record_axioms_removed",
    "feed_gone_other_axioms",
    "record_other_axioms_added_among_gone",
    "record_other_axioms_removed",
    "record_edges_removed",
    "record_properties_removed",
    "record_classes_removed",
    *_write.FEED_CLEAR,
    "clear_affected",
]


def test_a_file_without_links_skips_the_relinking() -> None:
    """A saved file with no links, whose page keys no other file links to, runs: collect,
    drop, add, one batch per kind of row it has (none for the kinds it lacks), collect,
    mark the link paths, then the recomputation -- no re-resolution of links."""
    content = data(cls("ex:A", "A"), cls("ex:B"), edges=[("ex:A", "ex:B")], targets=())
    steps = run(_write.write_file("o", "a.md", ENTRY, content, now="T"))
    assert keys(steps) == [*HEAD, "insert_file_classes", "insert_file_edges", *TAIL, *END]
    classes = steps[3]
    assert isinstance(classes, _write.Batch)
    assert classes.rows == [
        ("o", "a.md", 0, "ex:A", "A", None, None),
        ("o", "a.md", 1, "ex:B", None, None, None),
    ]


def test_links_or_other_linkers_re_resolve_the_links() -> None:
    """The page links are re-resolved when the file has links now, or when some other
    file links to one of its old or new page keys (mark_link_paths counts more than the
    file itself) -- and only then."""
    linking = data(cls("ex:A"), links=[("ex:A", "k")], targets=())
    steps = keys(run(_write.write_file("o", "a.md", ENTRY, linking, now="T")))
    assert steps == [*HEAD, "insert_file_classes", "insert_file_links", *TAIL,
                     *_write.RELINK, *END]  # fmt: skip
    page = data(cls("ex:P"), keys=["k"])
    linked_to = keys(run(_write.write_file("o", "p.md", ENTRY, page, now="T"), marked=2))
    assert linked_to[linked_to.index("mark_link_paths") + 1] == _write.RELINK[0]
    alone = keys(run(_write.write_file("o", "p.md", ENTRY, page, now="T"), marked=1))
    assert not set(_write.RELINK) & set(alone)


def test_removing_a_file_inserts_nothing() -> None:
    """Removing (no entry) collects and drops the file's rows, re-resolves links only
    where others link to its keys, and recomputes; it adds no record and no rows."""
    empty = OntologyData()
    steps = keys(run(_write.write_file("o", "a.md", None, empty, now="T")))
    assert steps == ["collect_file", "drop_file", "mark_link_paths", *END]
    relinked = keys(run(_write.write_file("o", "a.md", None, empty, now="T"), marked=3))
    assert relinked == ["collect_file", "drop_file", "mark_link_paths", *_write.RELINK, *END]


def test_every_batch_row_matches_its_columns() -> None:
    """Each batch's rows have one value per named column, the batches come in the
    documented order, and the record carries the entry's SHA and the timestamp."""
    content = data(
        cls("ex:A", k="v"),
        edges=[("ex:A", "ex:B")],
        links=[("ex:A", "k")],
        keys=["p"],
        axioms=(Axiom(AxiomType.DISJOINT_WITH, "ex:A", "ex:B"),),
        other_axioms=(OtherAxiom("X", "X(a)"),),
    )
    steps = run(_write.write_file("o", "a.md", ENTRY, content, now="T"))
    batches = [s for s in steps if isinstance(s, _write.Batch)]
    assert [b.key for b in batches] == [
        k for k in _write.FILE_ROWS if k != "insert_file_properties"
    ]
    for batch in batches:
        assert batch.columns == _write.FILE_ROWS[batch.key]
        assert all(len(row) == len(batch.columns) for row in batch.rows)
    add = next(s for s in steps if s.key == "add_file")
    assert isinstance(add, _write.Statement)
    assert (add.params["sha"], add.params["now"]) == (ENTRY.sha, "T")


@pytest.mark.parametrize("sql", [SQLITE_SQL, POSTGRES_SQL], ids=["sqlite", "postgres"])
def test_each_dialect_has_sql_for_every_step_and_column(sql: dict[str, str]) -> None:
    """A dialect defines exactly the algorithm's keys; a batch's SQL names only its
    columns, a statement's SQL only the algorithm's parameters."""
    assert set(sql) == _write.KEYS
    statement_params = {"oid", "path", "now", "sha", "link_annotations", "run"}
    for key, text in sql.items():
        names = set(PARAM.findall(text))
        allowed = set(_write.FILE_ROWS.get(key, statement_params))
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
