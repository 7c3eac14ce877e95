"""The read API's newer faces (issue 16): CURIEs in and out, ranked search, the typed
``hierarchy()``, and reading a database that cannot be written. Each on every engine
(generic over memory and SQLite, and SQL), on small hand-made graphs and on the bundled
sample synced by the real CLI."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from streaming_sync import (
    BlockingOntologyReader,
    FileEntry,
    Hierarchy,
    OntologyData,
    OntologyReader,
    PrefixMap,
    RelatedClass,
    SqliteRepository,
)
from streaming_sync.testing.contract import cls, data, sha_of
from streaming_sync.testing.memory import InMemoryRepository

from .reader_support import sync_sample
from .test_cli_edges import healthy_db, read_only

OBO = "http://purl.obolibrary.org/obo/"
MATERIAL = OBO + "BFO_0000040"  # BFO's "material entity"
AVATAR = "http://narrativegoldmine.com/metaverse#Avatar"
Loader = Callable[[dict[str, OntologyData]], Awaitable[OntologyReader]]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample, synced by the real CLI (ontology id ``default``)."""
    return sync_sample(tmp_path_factory.mktemp("sample") / "sample.db")


@pytest.fixture(params=["sqlite", "generic-sqlite"])
async def sample(request: pytest.FixtureRequest, sample_db: Path) -> AsyncIterator[OntologyReader]:
    """A reader of the sample: the SQL engine, or the generic one over the repository."""
    if request.param == "sqlite":
        async with await OntologyReader.open(sample_db) as reader:
            yield reader
    else:
        async with await SqliteRepository.open(sample_db) as repository:
            yield OntologyReader(repository)


@pytest.fixture(params=["generic-memory", "generic-sqlite", "sqlite"])
async def load(request: pytest.FixtureRequest, db_path: Path) -> AsyncIterator[Loader]:
    """Saves files into a fresh repository and returns a reader of the given engine."""
    repository = InMemoryRepository() if request.param == "generic-memory" else None
    if repository is None:
        repository = await SqliteRepository.open(db_path)  # type: ignore[assignment]
    assert repository is not None
    readers: list[OntologyReader] = []

    async def loader(files: dict[str, OntologyData]) -> OntologyReader:
        for path, content in files.items():
            await repository.save_file("onto", FileEntry(path, 0, sha_of(path, content)), content)
        if request.param == "sqlite":
            reader = await OntologyReader.open(repository, ontology_id="onto")
        else:
            reader = OntologyReader(repository, "onto")
        readers.append(reader)
        return reader

    yield loader
    for reader in readers:
        await reader.aclose()
    await repository.aclose()


# -- CURIEs ------------------------------------------------------------------------------


def test_prefix_map_expands_and_compresses() -> None:
    """Named prefixes (the longest namespace wins), the OBO convention for prefixes not
    named, ``<...>`` for an IRI verbatim; what no rule fits stays as it is."""
    m = PrefixMap({"ex": "http://example.org/", "exx": "http://example.org/x/", "": "urn:d:"})
    assert m.expand("ex:A") == "http://example.org/A"
    assert m.expand(":local") == "urn:d:local"
    assert m.expand("BFO:0000040") == MATERIAL
    assert m.expand("GO:0008150") == OBO + "GO_0008150"
    for unchanged in ("http://example.org/A", "nope:thing", "BFO:abc", "ex://host", "plain"):
        assert m.expand(unchanged) == unchanged
    assert m.expand("<BFO:1>") == "BFO:1"
    assert m.compress("http://example.org/x/1") == "exx:1"
    assert m.compress("http://example.org/A") == "ex:A"
    assert m.compress(MATERIAL) == "BFO:0000040"
    assert m.compress(OBO + "BFO_0000040x") == OBO + "BFO_0000040x"
    assert m.compress("BFO:1") == "<BFO:1>"
    assert m.compress("http://example.org/") == "http://example.org/"
    own = PrefixMap({"BFO": "http://elsewhere.org/bfo/"})
    assert own.expand("BFO:0000040") == "http://elsewhere.org/bfo/0000040"
    assert own.compress(MATERIAL) == MATERIAL  # "BFO:0000040" would mean the other IRI
    with pytest.raises(ValueError, match="prefix '1x'"):
        PrefixMap({"1x": "http://example.org/"})
    with pytest.raises(ValueError, match="empty"):
        PrefixMap({"ex": ""})


IRIS = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["http://example.org/", OBO, "urn:d:", "BFO:", "ex:", "<", "mv:"]).flatmap(
        lambda head: st.text(max_size=10).map(lambda tail: head + tail + ">"[: len(tail) % 2])
    ),
)


@given(iri=IRIS)
def test_compress_always_expands_back(iri: str) -> None:
    """The law: expand(compress(iri)) == iri, for any text, with the reader's prefixes
    and an empty prefix besides."""
    reader_map = OntologyReader(InMemoryRepository()).prefixes.with_prefixes({"": "urn:d:"})
    for prefixes in (reader_map, PrefixMap(), PrefixMap({"ex": "http://example.org/"})):
        assert prefixes.expand(prefixes.compress(iri)) == iri


async def test_every_method_takes_a_curie(sample: OntologyReader) -> None:
    """get_class, the walks, hierarchy, axioms, properties and sources give for a CURIE
    what they give for its IRI: the OBO convention (BFO:0000040) and a prefix the sync
    knows (mv:, from the Logseq pages); curie() shows the IRIs back the short way."""
    material = await sample.get_class("BFO:0000040")
    assert material is not None and (material.iri, material.label) == (MATERIAL, "material entity")
    assert sample.curie(MATERIAL) == "BFO:0000040" and sample.iri("BFO:0000040") == MATERIAL
    for curie, iri in (("BFO:0000040", MATERIAL), ("mv:Avatar", AVATAR)):
        assert await sample.get_class(curie) == await sample.get_class(iri) is not None
        for name in ("parents", "children", "ancestors", "descendants", "axioms", "sources"):
            by_curie = await getattr(sample, name)(curie)
            assert by_curie == await getattr(sample, name)(iri), name
        assert await sample.properties(curie) == await sample.properties(iri)
        assert await sample.hierarchy(curie) == await sample.hierarchy(iri)
    assert [sample.curie(a.iri) for a in await sample.ancestors("BFO:0000040")] == [
        "BFO:0000004",
        "BFO:0000002",
        "BFO:0000001",
    ]
    assert sample.curie(AVATAR) == "mv:Avatar"


async def test_prefixes_given_to_the_reader(sample_db: Path) -> None:
    """A prefix given to open() (or the constructor) adds to the known ones and wins
    over one of the same name."""
    nm = {"nm": "http://narrativegoldmine.com/metaverse#", "mv": "http://elsewhere.org/"}
    async with await OntologyReader.open(sample_db, prefixes=nm) as reader:
        found = await reader.get_class("nm:Avatar")
        assert found is not None and found.iri == AVATAR
        assert await reader.get_class("mv:Avatar") is None  # mv now means elsewhere
        assert reader.curie(AVATAR) == "nm:Avatar"


# -- ranked search -----------------------------------------------------------------------

RANKED = {
    "r.md": data(
        cls("ex:z1", "Entity"),
        cls("ex:z2", "entity type"),
        cls("ex:a3", "Material Entity"),
        cls("ex:entity", "Thing"),
        cls("ex:entity-unlabelled"),
        cls("ex:q", "Quality"),
        edges=[("ex:q", "ex:entity-placeholder")],
    )
}


async def test_search_ranks_exact_then_prefix_then_substring_then_unlabelled(
    load: Loader,
) -> None:
    """``classes(search=...)``: the exact label first, then labels that start with the
    text, then those that contain it (or whose IRI does), and classes without a label
    (placeholders) last; by IRI within a rank, so "ex:z1" beats "ex:a3". An exact IRI
    is an exact match. Paging walks the ranked order."""
    reader = await load(RANKED)
    ranked = ["ex:z1", "ex:z2", "ex:a3", "ex:entity"]
    ranked += ["ex:entity-placeholder", "ex:entity-unlabelled"]
    assert [c.iri for c in await reader.classes("ENTITY")] == ranked
    assert [c.iri for c in await reader.classes("entity", limit=2, offset=2)] == ranked[2:4]
    assert [c.iri for c in await reader.classes("ex:q")] == ["ex:q"]
    assert [c.iri for c in await reader.classes("ex:")][:2] == ["ex:a3", "ex:entity"]


async def test_search_on_the_sample_puts_the_exact_label_first(sample: OntologyReader) -> None:
    """On real data the class called exactly what one searched for comes first (BFO's
    "entity" among dozens of "... entity"), and both engines rank alike."""
    found = await sample.classes("Entity", limit=1000)
    assert found[0].label == "entity" and len(found) > 5
    labelled = [c.label is not None for c in found]
    assert labelled == sorted(labelled, reverse=True)  # no label: only at the end


async def test_engines_rank_alike_on_the_sample(sample_db: Path) -> None:
    """The SQL ranking and the Python one give the same lists for several searches."""
    async with (
        await OntologyReader.open(sample_db) as sql,
        await SqliteRepository.open(sample_db) as repository,
    ):
        generic = OntologyReader(repository)
        for text in ("entity", "avatar", "a", "process", "bfo_", "MV:", "é", ""):
            assert await sql.classes(text, limit=5000) == await generic.classes(text, limit=5000)


# -- hierarchy ---------------------------------------------------------------------------

DIAMOND = {
    "a.md": data(cls("ex:A", "Alpha"), edges=[("ex:A", "ex:B"), ("ex:A", "ex:C")]),
    "b.md": data(cls("ex:B", "Beta"), edges=[("ex:B", "ex:D"), ("ex:C", "ex:D")]),
}


async def test_hierarchy_is_the_walk_with_its_edges(load: Loader) -> None:
    """hierarchy() returns a Hierarchy whose classes are exactly what ancestors() (or
    descendants()) return, the root at depth 0 with its label, and the edges between
    them; levels() lays them out by depth."""
    reader = await load(DIAMOND)
    up = await reader.hierarchy("ex:A")
    assert isinstance(up, Hierarchy) and up.direction == "up"
    assert up.root == RelatedClass(0, "ex:A", "Alpha")
    assert list(up.classes) == await reader.ancestors("ex:A")
    assert [(c.depth, c.iri, c.label) for c in up.classes] == [
        (1, "ex:B", "Beta"),
        (1, "ex:C", None),
        (2, "ex:D", None),
    ]
    assert {e.class_iri for e in up.edges} | {e.parent_iri for e in up.edges} == {
        "ex:A",
        "ex:B",
        "ex:C",
        "ex:D",
    }
    assert up.label("ex:B") == "Beta" and up.label("ex:A") == "Alpha"
    assert [[c.iri for c in level] for level in up.levels().values()] == [
        ["ex:A"],
        ["ex:B", "ex:C"],
        ["ex:D"],
    ]
    down = await reader.hierarchy("ex:D", direction="down", max_depth=1)
    assert list(down.classes) == await reader.descendants("ex:D", max_depth=1)
    assert [e.class_iri for e in down.edges] == ["ex:B", "ex:C"]
    nowhere = await reader.hierarchy("ex:Nope")
    assert nowhere == Hierarchy(RelatedClass(0, "ex:Nope"), "up")
    with pytest.raises(ValueError, match="max_depth"):
        await reader.hierarchy("ex:A", max_depth=-1)


# -- read-only databases -----------------------------------------------------------------


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("what", ["file", "folder"])
async def test_the_reader_reads_a_database_it_cannot_write(tmp_path: Path, what: str) -> None:
    """A database whose file, or folder, cannot be written (even by root: see
    ``tests/test_cli_edges.read_only``) is read by OntologyReader.open and by the
    blocking reader, as ``status`` reads it: answers, unchanged bytes, and in a
    read-only folder no side file created."""
    db = healthy_db(tmp_path / "data")
    before = digest(db)
    with read_only(db if what == "file" else db.parent):
        async with await OntologyReader.open(db) as reader:
            counts = await reader.counts()
            assert counts.classes > 0 and counts.files > 0
            assert [c.label for c in await reader.classes("avatar", limit=1)] == ["Avatar"]
        with BlockingOntologyReader.open(db) as blocking:
            assert blocking.counts() == counts
        if what == "folder":  # (a writable folder may get SQLite's -wal/-shm side files)
            assert sorted(p.name for p in db.parent.iterdir()) == ["sync.db"]
    assert digest(db) == before
