"""``RepositoryContract``: the pytest suite every ``Repository`` implementation must pass.

Subclass it in a test module and provide a ``repository`` fixture that yields a fresh,
empty repository::

    class TestMyRepository(RepositoryContract):
        @pytest.fixture
        async def repository(self) -> AsyncIterator[Repository]:
            repo = await MyRepository.open(...)
            yield repo
            await repo.aclose()

Every test saves and removes files and then compares ``await repo.snapshot(oid)`` with
``streaming_sync.materialize`` of the files saved and not removed (and
``committed_files`` with their SHAs). A repository that declares the optional
``BatchWriter`` (group commit) or ``StreamWriter`` (a file saved in parts) capability is
held to them too, with random batches and splits, and batches and streams that fail
midway (nothing committed); one that does not skips those tests. Override
:meth:`RepositoryContract.check_invariants` to run backend-specific checks (e.g. foreign
keys) after each comparison. Needs pytest, pytest-asyncio and hypothesis:
``pip install 'streaming_sync[contract]'``.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid

try:
    import pytest
    from hypothesis import given
    from hypothesis import strategies as st
except ImportError as missing:  # a bare "No module named 'pytest'" would not say what to do
    raise ImportError(
        f"streaming_sync.testing.contract is a pytest suite and needs {missing.name}:"
        " pip install 'streaming_sync[contract]' (pytest, pytest-asyncio, hypothesis)",
        name=missing.name,
    ) from missing

from .._model import (
    EMPTY,
    Axiom,
    AxiomType,
    OntologyData,
    OntologyProperty,
    OtherAxiom,
    PropertyType,
)
from .._protocols import Repository
from .._snapshot import ClassRow, EdgeRow, OntologySnapshot
from ._contract_batch import BatchWriterContract, StreamWriterContract
from ._contract_feed import ChangeFeedContract
from ._contract_links import PageLinkContract
from ._contract_support import (
    CONTENTS,
    OPERATIONS,
    Model,
    assert_same_rows,
    class_row,
    cls,
    data,
    property_settings,
    sha_of,
    with_page_key,
)


class RepositoryContract(
    PageLinkContract, BatchWriterContract, StreamWriterContract, ChangeFeedContract
):
    """The behaviour every ``Repository`` must show. Subclass and provide ``repository``
    (the page-link tests come from ``PageLinkContract``; a repository that declares
    ``BatchWriter`` or ``StreamWriter`` is held to ``BatchWriterContract`` and
    ``StreamWriterContract`` too, the others skip those tests; a ``ChangeFeed``'s come
    from ``ChangeFeedContract``)."""

    async def test_empty_repository_has_no_rows(self, repository: Repository) -> None:
        """A fresh repository has no rows and no committed files."""
        snapshot = await self.model(repository).verify()
        assert snapshot == OntologySnapshot.build([], [], [], [], [])

    async def test_one_file_round_trips(self, repository: Repository) -> None:
        """Every kind of row one file contributes reads back as materialize() says."""
        m = self.model(repository)
        await m.save(
            "a.md",
            data(
                cls("ex:A", "A", "an a", status="draft", tag="x"),
                cls("ex:B"),
                edges=[("ex:A", "ex:B"), ("ex:A", "ex:Undeclared")],
                properties=(
                    OntologyProperty("ex:p", PropertyType.OBJECT, "p", {"ex:A"}, {"ex:B"}),
                ),
                axioms=(
                    Axiom(AxiomType.SUBCLASS_OF, "ex:A", "ObjectSomeValuesFrom(<p> <B>)"),
                    Axiom(
                        AxiomType.OBJECT_PROPERTY_ASSERTION,
                        "ex:i",
                        "ex:j",
                        "ex:p",
                        '{"source":"x"}',
                        True,
                    ),
                ),
                other_axioms=(OtherAxiom("HasKey", "HasKey(<A> () (<p>))"),),
            ),
        )
        snapshot = await m.verify()
        assert class_row(snapshot, "ex:A").properties == '{"status":["draft"],"tag":["x"]}'

    @pytest.mark.parametrize("order", list(itertools.permutations(range(4))))
    async def test_class_in_several_files_does_not_depend_on_save_order(
        self, repository: Repository, order: tuple[int, ...]
    ) -> None:
        """file_sha1/properties come from the first path in byte order, label and comment
        from the first path that has one -- whatever order the files were saved in."""
        files = [
            ("a.md", data(cls("ex:X", "from a", None, k="a"))),
            ("C.md", data(cls("ex:X", None, None, k="C"))),
            ("b.md", data(cls("ex:X", "from b", "comment b"))),
            ("é.md", data(cls("ex:X", "from é", "comment é"))),
        ]
        m = self.model(repository)
        for i in order:
            await m.save(*files[i])
        row = class_row(await m.verify(), "ex:X")
        # Byte order: "C.md" < "a.md" < "b.md" < "é.md".
        assert (row.file_sha1, row.properties) == (m.files["C.md"][0], '{"k":["C"]}')
        assert (row.label, row.comment) == ("from a", "comment b")

    async def test_removing_the_first_declarer_hands_over_to_the_next(
        self, repository: Repository
    ) -> None:
        """When the winning file goes, the next declaring file by path supplies the row."""
        m = self.model(repository)
        await m.save("a.md", data(cls("ex:X", "A", k="a")))
        await m.save("b.md", data(cls("ex:X", "B", "cb", k="b")))
        await m.remove("a.md")
        row = class_row(await m.verify(), "ex:X")
        assert (row.label, row.comment, row.file_sha1) == ("B", "cb", m.files["b.md"][0])

    async def test_undeclared_parents_get_placeholder_rows(self, repository: Repository) -> None:
        """A parent no file declares has a row of NULLs; it fills in when a file declares
        it, turns back into a placeholder when that file goes, and disappears with the
        last edge naming it."""
        m = self.model(repository)
        await m.save("child.md", data(cls("ex:C"), edges=[("ex:C", "ex:P")]))
        assert class_row(await m.verify(), "ex:P") == ClassRow("ex:P", None, None, None, None)
        await m.save("parent.md", data(cls("ex:P", "Parent")))
        assert class_row(await m.verify(), "ex:P").label == "Parent"
        await m.remove("parent.md")
        assert class_row(await m.verify(), "ex:P").label is None
        await m.save("child.md", data(cls("ex:C")))
        assert "ex:P" not in {r.class_iri for r in (await m.verify()).classes}

    async def test_replacing_a_file_keeps_edges_other_files_assert(
        self, repository: Repository
    ) -> None:
        """Re-saving a file that declares a class must not drop edges other files assert
        to or from that class (the INSERT OR REPLACE + ON DELETE CASCADE trap)."""
        m = self.model(repository)
        await m.save("x.md", data(cls("ex:X", "old"), edges=[("ex:X", "ex:P")]))
        await m.save("y.md", data(cls("ex:Y"), edges=[("ex:Y", "ex:X"), ("ex:X", "ex:P")]))
        await m.save("x.md", data(cls("ex:X", "new")))
        snapshot = await m.verify()
        assert {EdgeRow("ex:Y", "ex:X"), EdgeRow("ex:X", "ex:P")} <= snapshot.edges
        await m.save("x.md", EMPTY)
        assert class_row(await m.verify(), "ex:X").label is None

    async def test_removing_files(self, repository: Repository) -> None:
        """remove_file drops a file's rows and record, keeps what others assert, and is a
        no-op for a path never saved."""
        m = self.model(repository)
        await m.save("a.md", data(cls("ex:A"), edges=[("ex:A", "ex:Root")]))
        await m.save("b.md", data(cls("ex:B"), edges=[("ex:B", "ex:Root"), ("ex:A", "ex:Root")]))
        await m.remove("a.md")
        await m.verify()
        await m.remove("never-saved.md")
        await m.remove("a.md")
        await m.verify()
        await m.remove("b.md")
        assert await m.verify() == OntologySnapshot.build([], [], [], [], [])

    async def test_properties_union_domain_and_range(self, repository: Repository) -> None:
        """Type from the first declaring path, label from the first that has one,
        domain and range the sorted union over all declaring files."""
        m = self.model(repository)
        await m.save(
            "b.md",
            data(
                properties=(
                    OntologyProperty("ex:p", PropertyType.DATA, "from b", {"ex:Z"}, {"ex:R2"}),
                )
            ),
        )
        await m.save(
            "a.md",
            data(
                properties=(OntologyProperty("ex:p", PropertyType.OBJECT, None, {"ex:A", "ex:Z"}),)
            ),
        )
        [row] = (await m.verify()).properties
        assert (row.property_type, row.label) == ("ObjectProperty", "from b")
        assert (row.domain, row.range) == ('["ex:A","ex:Z"]', '["ex:R2"]')
        await m.remove("b.md")
        await m.verify()
        await m.remove("a.md")
        await m.verify()

    async def test_axioms_are_a_multiset(self, repository: Repository) -> None:
        """Identical axioms in one file and across files are all kept, each with its
        file; replacing a file replaces exactly its own."""
        ax = Axiom(AxiomType.DISJOINT_WITH, "ex:A", "ex:B")
        m = self.model(repository)
        await m.save("a.md", data(axioms=(ax, ax)))
        await m.save("b.md", data(axioms=(ax,)))
        assert len((await m.verify()).axioms) == 3
        await m.save("a.md", data(axioms=(ax,)))
        assert len((await m.verify()).axioms) == 2

    async def test_ontology_ids_never_touch_each_other(self, repository: Repository) -> None:
        """The same paths and IRIs under two ids are independent rows."""
        one, two = self.model(repository, "one"), self.model(repository, "two")
        shared = data(
            cls("ex:A", "A"),
            edges=[("ex:A", "ex:P")],
            links=[("ex:A", "k")],
            keys=["k"],
            axioms=(Axiom(AxiomType.SUBCLASS_OF, "ex:A", "ex:P"),),
        )
        await one.save("a.md", shared)
        await two.save("a.md", shared)
        await two.save("b.md", data(cls("ex:A", "other"), keys=["k"]))
        await one.remove("a.md")
        await one.verify()
        await two.verify()

    async def test_empty_data_is_committed_and_contributes_nothing(
        self, repository: Repository
    ) -> None:
        """A skipped file (empty data) is committed at its SHA and has no rows; saving
        it over real content removes that content."""
        m = self.model(repository)
        await m.save("skip.md", EMPTY)
        await m.verify()
        await m.save("skip.md", data(cls("ex:A"), edges=[("ex:A", "ex:B")]))
        await m.save("skip.md", EMPTY, sha="0" * 40)
        assert await m.verify() == OntologySnapshot.build([], [], [], [], [])

    async def test_resaving_is_idempotent(self, repository: Repository) -> None:
        """Saving the same content again changes nothing; a new SHA changes file_sha1."""
        m = self.model(repository)
        content = data(
            cls("ex:A", "A"),
            edges=[("ex:A", "ex:B")],
            links=[("ex:A", "k")],
            keys=["k"],
            axioms=(Axiom(AxiomType.SUBCLASS_OF, "ex:A", "ex:B"),),
        )
        await m.save("a.md", content)
        first = await m.verify()
        await m.save("a.md", content)
        await m.save("a.md", content)
        assert await m.verify() == first
        sha = await m.save("a.md", content, sha="f" * 40)
        assert class_row(await m.verify(), "ex:A").file_sha1 == sha

    async def test_same_class_twice_in_one_file(self, repository: Repository) -> None:
        """Within a file the first occurrence wins; later ones only fill missing text."""
        m = self.model(repository)
        await m.save("a.md", data(cls("ex:A", None, "c1", k="1"), cls("ex:A", "L", "c2", k="2")))
        row = class_row(await m.verify(), "ex:A")
        assert (row.label, row.comment, row.properties) == ("L", "c1", '{"k":["1"]}')

    async def test_concurrent_saves(self, repository: Repository) -> None:
        """Many save_file calls at once (as the workers make them) end consistent."""
        m = self.model(repository)
        contents = {
            f"p{i}.md": data(
                cls(f"ex:C{i}"),
                edges=[(f"ex:C{i}", "ex:Root")],
                links=[(f"ex:C{i}", f"k{i + 1}")],
                keys=[f"k{i}"],
            )
            for i in range(12)
        }
        await asyncio.gather(*(m.save(p, d) for p, d in contents.items()))
        await m.verify()
        await asyncio.gather(*(m.remove(p) for p in list(contents)[::2]))
        await m.verify()

    # One repository serves every example (each uses a fresh ontology id, so earlier
    # examples cannot interfere); the method runs once per subclass, hence
    # differing_executors; database=None keeps no example files in the user's checkout.
    @property_settings(60)
    @given(pool=st.lists(CONTENTS, min_size=1, max_size=5), ops=OPERATIONS)
    async def test_random_sequences_converge(
        self,
        repository: Repository,
        pool: list[OntologyData],
        ops: list[tuple[str, int | None]],
    ) -> None:
        """After every step of a random save/remove sequence over files sharing IRIs,
        links and page keys, the rows equal materialize() of the current files."""
        m = self.model(repository, f"random-{uuid.uuid4().hex}")
        for path, index in ops:
            if index is None:
                await m.remove(path)
            else:
                content = with_page_key(path, pool[index % len(pool)])
                await m.save(path, content, sha_of(path, content, index))
            await m.verify()


__all__ = [
    "Model",
    "RepositoryContract",
    "assert_same_rows",
    "class_row",
    "cls",
    "data",
    "sha_of",
    "with_page_key",
]
