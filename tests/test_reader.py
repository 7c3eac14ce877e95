"""The read API (OntologyReader) on every engine: generic over the in-memory and SQLite
repositories, and the SQL engine. Expected values are derived from the input files
(by hand for small graphs, by a naive fixed-point closure for random and real ones)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streaming_sync import (
    Axiom,
    AxiomType,
    ClassInfo,
    ConfigError,
    EdgeRow,
    FatalStorageError,
    FileEntry,
    OntologyData,
    OntologyReader,
    RelatedClass,
    SchemaError,
    ServiceClosedError,
    SourceFile,
    StreamingSyncService,
    SyncConfig,
    materialize,
)
from streaming_sync.storage.sqlite import SqliteReadEngine, SqliteRepository
from streaming_sync.testing.contract import cls, data, sha_of
from streaming_sync.testing.memory import InMemoryRepository

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("generic-memory", "generic-sqlite", "sqlite")
Loader = Callable[[dict[str, OntologyData]], Awaitable[OntologyReader]]

HIERARCHY = {
    # A diamond with a shortcut: A -> B -> D -> E, A -> C -> D, A -> E.
    "a.md": data(
        cls("ex:A", "Alpha", "the first", k="1", j="x"),
        edges=[("ex:A", "ex:B"), ("ex:A", "ex:C"), ("ex:A", "ex:E")],
    ),
    "b.md": data(cls("ex:B", "Beta"), cls("ex:A", "Other A", k="2"), edges=[("ex:B", "ex:D")]),
    "c.md": data(
        cls("ex:C"),
        edges=[("ex:C", "ex:D"), ("ex:D", "ex:E")],
        axioms=(
            Axiom(AxiomType.SUBCLASS_OF, "ex:A", "ObjectSomeValuesFrom(<ex:p> <ex:C>)"),
            Axiom(AxiomType.DISJOINT_WITH, "ex:C", "ex:A"),
        ),
    ),
    # A cycle X -> Y -> X with an exit Y -> Z, and a self-loop S -> S.
    "cycle.md": data(
        cls("ex:X", "Élan vital"),
        edges=[("ex:X", "ex:Y"), ("ex:Y", "ex:X"), ("ex:Y", "ex:Z"), ("ex:S", "ex:S")],
    ),
}


@pytest.fixture(params=ENGINES)
async def load(request: pytest.FixtureRequest, db_path: Path) -> AsyncIterator[Loader]:
    """Saves files into a fresh repository and returns a reader of the given engine."""
    engine: str = request.param
    repository: InMemoryRepository | SqliteRepository
    if engine == "generic-memory":
        repository = InMemoryRepository()
    else:
        repository = await SqliteRepository.open(db_path)
    readers: list[OntologyReader] = []

    async def loader(files: dict[str, OntologyData]) -> OntologyReader:
        for path, content in files.items():
            await repository.save_file("onto", FileEntry(path, 0, sha_of(path, content)), content)
        if engine == "sqlite":
            reader = await OntologyReader.open(repository, ontology_id="onto")
            assert isinstance(reader.engine, SqliteReadEngine)
        else:
            reader = OntologyReader(repository, "onto")
        readers.append(reader)
        return reader

    loader.engine = engine  # type: ignore[attr-defined]
    yield loader
    for reader in readers:
        await reader.aclose()
    await repository.aclose()


def iris(related: list[RelatedClass]) -> list[tuple[int, str]]:
    return [(r.depth, r.iri) for r in related]


async def test_ancestors_and_descendants_take_the_shortest_path(load: Loader) -> None:
    """Each class is listed once at its shortest distance, ordered by (depth, IRI), with
    its label (None for placeholders)."""
    reader = await load(HIERARCHY)
    assert iris(await reader.ancestors("ex:A")) == [
        (1, "ex:B"),
        (1, "ex:C"),
        (1, "ex:E"),
        (2, "ex:D"),
    ]
    assert iris(await reader.descendants("ex:E")) == [
        (1, "ex:A"),
        (1, "ex:D"),
        (2, "ex:B"),
        (2, "ex:C"),
    ]
    assert (await reader.descendants("ex:D"))[0] == RelatedClass(1, "ex:B", "Beta")
    assert iris(await reader.ancestors("ex:A", max_depth=1)) == [
        (1, "ex:B"),
        (1, "ex:C"),
        (1, "ex:E"),
    ]


async def test_walks_end_on_cycles_and_never_list_the_start(load: Loader) -> None:
    """A cycle is walked once; the class itself is not its own ancestor in the result,
    but a self-loop edge is a direct parent."""
    reader = await load(HIERARCHY)
    assert iris(await reader.ancestors("ex:X")) == [(1, "ex:Y"), (2, "ex:Z")]
    assert iris(await reader.descendants("ex:X")) == [(1, "ex:Y")]
    assert iris(await reader.parents("ex:S")) == [(1, "ex:S")]
    assert await reader.ancestors("ex:S") == []


async def test_parents_children_and_the_subgraph(load: Loader) -> None:
    """Direct neighbours by IRI; hierarchy() holds exactly the edges above (or below)."""
    reader = await load(HIERARCHY)
    assert iris(await reader.parents("ex:A")) == [(1, "ex:B"), (1, "ex:C"), (1, "ex:E")]
    assert iris(await reader.children("ex:D")) == [(1, "ex:B"), (1, "ex:C")]
    up = await reader.hierarchy("ex:B")
    assert up.edges == (EdgeRow("ex:B", "ex:D"), EdgeRow("ex:D", "ex:E"))
    down = await reader.hierarchy("ex:D", direction="down")
    assert down.edges == (
        EdgeRow("ex:A", "ex:B"),
        EdgeRow("ex:A", "ex:C"),
        EdgeRow("ex:B", "ex:D"),
        EdgeRow("ex:C", "ex:D"),
    )
    assert (await reader.hierarchy("ex:A", max_depth=1)).edges == (
        EdgeRow("ex:A", "ex:B"),
        EdgeRow("ex:A", "ex:C"),
        EdgeRow("ex:A", "ex:E"),
    )


async def test_unknown_iris_give_none_and_empty_results(load: Loader) -> None:
    """An IRI the ontology does not have is not an error."""
    reader = await load(HIERARCHY)
    assert await reader.get_class("ex:Nope") is None
    assert await reader.properties("ex:Nope") == {}
    for method in (reader.parents, reader.children, reader.ancestors, reader.descendants):
        assert await method("ex:Nope") == []
    assert await reader.axioms("ex:Nope") == []
    assert await reader.sources("ex:Nope") == []


async def test_classes_search_is_case_insensitive_and_pages(load: Loader) -> None:
    """search matches IRI or label ignoring case (Unicode too); LIKE wildcards mean
    nothing; without a search, limit/offset page through the IRI order, placeholders
    included. (The order of a search's matches: tests/test_reader_api.py.)"""
    reader = await load(HIERARCHY)
    assert [c.iri for c in await reader.classes("éLAN")] == ["ex:X"]
    assert [c.iri for c in await reader.classes("EX:b")] == ["ex:B"]
    assert [c.iri for c in await reader.classes("beta")] == ["ex:B"]
    assert await reader.classes("%") == []
    assert await reader.classes("_") == []
    every = [c.iri for c in await reader.classes()]
    assert every == sorted(["ex:A", "ex:B", "ex:C", "ex:D", "ex:E", "ex:X", "ex:Y", "ex:Z", "ex:S"])
    pages = [await reader.classes(limit=4, offset=i) for i in range(0, 12, 4)]
    assert [c.iri for page in pages for c in page] == every
    with pytest.raises(ValueError, match="limit"):
        await reader.classes(limit=-1)


async def test_class_rows_and_properties_follow_the_first_declaring_file(load: Loader) -> None:
    """Label and properties of ex:A come from a.md (first by path), as materialize() says;
    a placeholder is not declared."""
    reader = await load(HIERARCHY)
    a = await reader.get_class("ex:A")
    assert a == ClassInfo("ex:A", "Alpha", "the first", sha_of("a.md", HIERARCHY["a.md"]))
    assert a.declared
    assert await reader.properties("ex:A") == {"k": ["1"], "j": ["x"]}
    d = await reader.get_class("ex:D")
    assert d == ClassInfo("ex:D") and not d.declared


async def test_axioms_by_role(load: Loader) -> None:
    """axioms() selects on subject, object or either, each row naming its file."""
    reader = await load(HIERARCHY)
    subject = await reader.axioms("ex:A")
    assert [(a.axiom_type, a.source_path) for a in subject] == [("SubClassOf", "c.md")]
    objects = await reader.axioms("ex:A", role="object")
    assert [(a.axiom_type, a.subject) for a in objects] == [("DisjointWith", "ex:C")]
    assert len(await reader.axioms("ex:A", role="any")) == 2
    with pytest.raises(ValueError, match="role"):
        await reader.axioms("ex:A", role="nope")  # type: ignore[arg-type]


async def test_sources_name_the_declaring_files(load: Loader) -> None:
    """SQLite lists every declaring file; the generic engine the first declarer's
    content and the files with axioms about the class (documented difference)."""
    reader = await load(HIERARCHY)
    sha = {p: sha_of(p, d) for p, d in HIERARCHY.items()}
    found = await reader.sources("ex:A")
    full = [
        SourceFile("a.md", sha["a.md"], True),
        SourceFile("b.md", sha["b.md"], True),
        SourceFile("c.md", sha["c.md"], False),
    ]
    if load.engine == "sqlite":  # type: ignore[attr-defined]
        assert found == full
    else:
        assert found == [full[0], full[2]]


async def test_counts_match_the_reference_rows(load: Loader) -> None:
    """counts() agrees with materialize() of the saved files."""
    reader = await load(HIERARCHY)
    expected = materialize({p: (sha_of(p, d), d) for p, d in HIERARCHY.items()})
    counts = await reader.counts()
    assert counts.classes == len(expected.classes)
    assert counts.declared_classes == sum(1 for c in expected.classes if c.file_sha1)
    assert counts.placeholder_classes == counts.classes - counts.declared_classes
    assert (counts.edges, counts.properties) == (len(expected.edges), len(expected.properties))
    assert (counts.axioms, counts.other_axioms, counts.files) == (2, 0, len(HIERARCHY))


async def test_open_refuses_what_is_not_a_database(tmp_path: Path) -> None:
    """Clear errors: no file, a file that is not SQLite, a SQLite file of another app."""
    with pytest.raises(ConfigError, match="no such database file"):
        await OntologyReader.open(tmp_path / "missing.db")
    text = tmp_path / "text.db"
    text.write_text("not a database at all, just some text " * 40)
    with pytest.raises(FatalStorageError):
        await OntologyReader.open(text)
    other = tmp_path / "other.db"
    import sqlite3

    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(SchemaError, match="not a streaming_sync database"):
        await OntologyReader.open(other)


async def test_reader_lifecycle(db_path: Path) -> None:
    """The reader closes only its own connection; a closed SQL reader refuses work; the
    generic engine cannot list ontology ids, the SQL one can."""
    async with await SqliteRepository.open(db_path) as repository:
        for oid in ("one", "two"):
            await repository.save_file(oid, FileEntry("a.md", 0, "1" * 40), data(cls("ex:A")))
        async with OntologyReader(repository, "one") as generic:
            with pytest.raises(NotImplementedError):
                await generic.ontology_ids()
        sql = await OntologyReader.open(db_path, ontology_id="two")
        assert await sql.ontology_ids() == ["one", "two"]
        await sql.aclose()
        await sql.aclose()
        with pytest.raises(ServiceClosedError):
            await sql.counts()
        assert (await repository.committed_files("one")) == {"a.md": "1" * 40}
    async with await OntologyReader.open(InMemoryRepository()) as memory:
        assert "SnapshotEngine" in repr(memory)


def naive_depths(edges: set[tuple[str, str]], start: str, up: bool) -> dict[str, int]:
    """Shortest distances by relaxing every edge until nothing changes (an oracle that
    shares no code with the reader)."""
    dist = {start: 0}
    changed = True
    while changed:
        changed = False
        for child, parent in edges:
            src, dst = (child, parent) if up else (parent, child)
            if src in dist and dist[src] + 1 < dist.get(dst, 1 << 30):
                dist[dst] = dist[src] + 1
                changed = True
    dist.pop(start)
    return dist


NODES = st.sampled_from([f"ex:N{i}" for i in range(7)])


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(edges=st.sets(st.tuples(NODES, NODES), max_size=14))
async def test_random_graphs_match_a_naive_closure(
    edges: set[tuple[str, str]], db_path: Path
) -> None:
    """On random graphs (cycles, self-loops, diamonds) both engines give the naive
    shortest distances, up and down, from every node."""
    oid = f"g-{uuid.uuid4().hex}"
    async with await SqliteRepository.open(db_path) as repository:
        await repository.save_file(oid, FileEntry("g.md", 0, "2" * 40), data(edges=sorted(edges)))
        async with await OntologyReader.open(repository, ontology_id=oid) as sql:
            generic = OntologyReader(repository, oid)
            for node in sorted({n for e in edges for n in e}):
                for up in (True, False):
                    want = sorted((d, n) for n, d in naive_depths(edges, node, up).items())
                    for reader in (sql, generic):
                        walk = reader.ancestors if up else reader.descendants
                        assert iris(await walk(node)) == want


async def test_engines_agree_on_the_bundled_sample(tmp_path: Path) -> None:
    """On the real sample, the SQL engine and the generic one give the same answers for
    every class, and ancestors equal the naive closure of the stored edges."""
    db = tmp_path / "sample.db"
    config = SyncConfig(ontology_id="sample", parse_processes=0)
    async with await StreamingSyncService.from_source(
        str(ROOT / "examples" / "sample"), db=str(db), config=config
    ) as service:
        await service.sync()
    async with await SqliteRepository.open(db) as repository:
        snapshot = await repository.snapshot("sample")
        edges = {(e.class_iri, e.parent_iri) for e in snapshot.edges}
        generic = OntologyReader(repository, "sample")
        async with await OntologyReader.open(db, ontology_id="sample") as sql:
            assert await sql.counts() == await generic.counts()
            assert await sql.classes(limit=10_000) == await generic.classes(limit=10_000)
            for row in sorted(snapshot.classes)[::3]:
                iri = row.class_iri
                for name in ("parents", "children", "ancestors", "descendants", "axioms"):
                    assert await getattr(sql, name)(iri) == await getattr(generic, name)(iri)
                assert await sql.properties(iri) == await generic.properties(iri)
                want = naive_depths(edges, iri, True)
                assert {r.iri: r.depth for r in await sql.ancestors(iri)} == want
                assert set(await generic.sources(iri)) <= set(await sql.sources(iri))
