"""Helpers of ``RepositoryContract``: a model of the expected files, terse builders of
``OntologyData``, and the hypothesis strategies of the random-sequence test."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence

import attrs
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from .._model import (
    Axiom,
    AxiomType,
    FileEntry,
    FileWrite,
    HierarchyEdge,
    OntologyClass,
    OntologyData,
    OntologyProperty,
    OtherAxiom,
    PageLink,
    PropertyType,
    git_blob_sha1,
    page_key,
)
from .._protocols import BatchWriter, Repository, StreamWriter
from .._snapshot import ClassRow, OntologySnapshot, materialize

Files = dict[str, tuple[str, OntologyData]]


def sha_of(path: str, data: OntologyData, version: int = 0) -> str:
    """A blob SHA standing for ``data`` at ``path`` (distinct per content and version)."""
    return git_blob_sha1(repr((path, version, data)).encode())


def assert_same_rows(actual: OntologySnapshot, expected: OntologySnapshot) -> None:
    """Compare two snapshots table by table, naming what is missing and what is extra."""
    for table in ("classes", "edges", "properties", "axioms", "other_axioms"):
        got: Counter[object] = Counter(getattr(actual, table))
        want: Counter[object] = Counter(getattr(expected, table))
        assert got == want, (
            f"{table}: missing {sorted(map(repr, want - got))}, "
            f"unexpected {sorted(map(repr, got - want))}"
        )


class Model:
    """A repository under test plus the files it should hold for one ontology id."""

    def __init__(
        self, repo: Repository, oid: str, check: Callable[[Repository], Awaitable[None]]
    ) -> None:
        self.repo = repo
        self.oid = oid
        self.files: Files = {}
        self._check = check

    async def save(self, path: str, data: OntologyData, sha: str | None = None) -> str:
        sha = sha or sha_of(path, data)
        await self.repo.save_file(self.oid, FileEntry(path, 0, sha), data)
        self.files[path] = (sha, data)
        return sha

    async def remove(self, path: str) -> None:
        await self.repo.remove_file(self.oid, path)
        self.files.pop(path, None)

    async def write_batch(self, ops: Sequence[tuple[str, OntologyData | None, str]]) -> None:
        """One ``write_batch`` of (path, data or None to remove, sha); the model follows
        only when it commits."""
        assert isinstance(self.repo, BatchWriter)
        items = [FileWrite(FileEntry(p, 0, sha), d) for p, d, sha in ops]
        await self.repo.write_batch(self.oid, items)
        for path, content, sha in ops:
            if content is None:
                self.files.pop(path, None)
            else:
                self.files[path] = (sha, content)

    async def save_parts(
        self, path: str, parts: AsyncIterator[OntologyData], whole: OntologyData, sha: str
    ) -> None:
        """``save_file_parts`` of ``parts``, whose join is ``whole``."""
        assert isinstance(self.repo, StreamWriter)
        await self.repo.save_file_parts(self.oid, FileEntry(path, 0, sha), parts)
        self.files[path] = (sha, whole)

    async def verify(self) -> OntologySnapshot:
        """Assert the repository holds exactly ``materialize(files)``; return its snapshot."""
        snapshot = await self.repo.snapshot(self.oid)
        assert_same_rows(snapshot, materialize(self.files))
        committed = dict(await self.repo.committed_files(self.oid))
        assert committed == {path: sha for path, (sha, _) in self.files.items()}
        await self._check(self.repo)
        return snapshot


class ContractBase:
    """What every part of ``RepositoryContract`` shares: the invariant hook and the model."""

    pytestmark = pytest.mark.asyncio

    async def check_invariants(self, repository: Repository) -> None:
        """Backend-specific checks run after every comparison (default: none)."""

    def model(self, repository: Repository, oid: str = "onto") -> Model:
        return Model(repository, oid, self.check_invariants)


def cls(
    iri: str, label: str | None = None, comment: str | None = None, **props: str
) -> OntologyClass:
    return OntologyClass(iri, label, comment, tuple(props.items()))


def data(
    *classes: OntologyClass,
    edges: Iterable[tuple[str, str]] = (),
    links: Iterable[tuple[str, str]] = (),
    keys: Iterable[str] = (),
    properties: tuple[OntologyProperty, ...] = (),
    axioms: tuple[Axiom, ...] = (),
    other_axioms: tuple[OtherAxiom, ...] = (),
    targets: Iterable[str] | None = None,
) -> OntologyData:
    """Terse OntologyData: edges and links as (class, parent/target) pairs; ``targets``
    the link targets (default: every class given, as on a page whose blocks name them
    all; pass the block classes alone to model classes only a fence declares)."""
    return OntologyData(
        classes=classes,
        edges=tuple(HierarchyEdge(c, p) for c, p in edges),
        properties=properties,
        axioms=axioms,
        other_axioms=other_axioms,
        links=tuple(PageLink(c, t) for c, t in links),
        page_keys=tuple(keys),
        link_targets=tuple(c.iri for c in classes) if targets is None else tuple(targets),
    )


def with_page_key(path: str, content: OntologyData) -> OntologyData:
    """``content`` as the page at ``path`` would have it: its name among its page keys."""
    name = page_key(path.rsplit(".", 1)[0])
    return attrs.evolve(content, page_keys=(name, *content.page_keys))


def class_row(snapshot: OntologySnapshot, iri: str) -> ClassRow:
    [row] = [r for r in snapshot.classes if r.class_iri == iri]
    return row


# -- hypothesis strategies: small pools so files share IRIs, keys and paths -------------

IRIS = st.sampled_from(("ex:A", "ex:B", "ex:C", "ex:D", "ex:É", 'ex:"q"\\'))
# A page's key is its file name (see with_page_key): "B.md" and "b.md" share the key "b".
PATHS = st.sampled_from(("a.md", "B.md", "b.md", "d/e.md", "é.md"))
KEYS = st.sampled_from(("a", "b", "d/e", "é", "alias"))
TEXT = st.none() | st.sampled_from(("x", "y", "Ünï", 'q"\\', ""))
CLASSES = st.builds(
    OntologyClass,
    IRIS,
    TEXT,
    TEXT,
    st.lists(st.tuples(st.sampled_from(("k", "j")), st.sampled_from(("v", "w"))), max_size=2).map(
        tuple
    ),
)
PROPERTIES = st.builds(
    OntologyProperty,
    st.sampled_from(("ex:p", "ex:q")),
    st.sampled_from(PropertyType),
    TEXT,
    st.frozensets(IRIS, max_size=2),
    st.frozensets(IRIS, max_size=2),
)
AXIOMS = st.builds(
    Axiom,
    st.sampled_from(AxiomType),
    IRIS,
    IRIS,
    st.none() | st.just("ex:p"),
    st.none() | st.just('{"k":1}'),
    st.booleans(),
)
_PAGES = st.builds(
    OntologyData,
    classes=st.lists(CLASSES, max_size=3).map(tuple),
    edges=st.lists(st.builds(HierarchyEdge, IRIS, IRIS), max_size=3).map(tuple),
    properties=st.lists(PROPERTIES, max_size=2).map(tuple),
    axioms=st.lists(AXIOMS, max_size=2).map(tuple),
    other_axioms=st.lists(
        st.builds(OtherAxiom, st.just("HasKey"), st.just("HasKey(<a>)")), max_size=1
    ).map(tuple),
    links=st.lists(st.builds(PageLink, IRIS, KEYS), max_size=2).map(tuple),
    page_keys=st.lists(KEYS, max_size=2).map(tuple),
)


def _with_link_targets(content: OntologyData) -> st.SearchStrategy[OntologyData]:
    """``content`` offering some of its classes as link targets: all, some (the others
    stand for classes only its fences declare), none, repeated."""
    iris = sorted({c.iri for c in content.classes})
    if not iris:
        return st.just(content)
    targets = st.lists(st.sampled_from(iris), max_size=3).map(tuple)
    return targets.map(lambda chosen: attrs.evolve(content, link_targets=chosen))


CONTENTS = _PAGES.flatmap(_with_link_targets)
#: (path, index into the pool of contents) to save, or (path, None) to remove.
OPERATIONS = st.lists(st.tuples(PATHS, st.none() | st.integers(0, 4)), min_size=1, max_size=12)


def property_settings(max_examples: int) -> settings:
    """Hypothesis settings of the contract's property tests: no deadline and no example
    database (a backend's run must not depend on an earlier one's), and the health
    checks that misread async tests over a function-scoped fixture off."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.differing_executors,
        ],
    )


__all__ = [
    "CONTENTS",
    "OPERATIONS",
    "PATHS",
    "ContractBase",
    "Files",
    "Model",
    "assert_same_rows",
    "class_row",
    "cls",
    "data",
    "property_settings",
    "sha_of",
    "with_page_key",
]
