"""Page links resolve to the classes the target page names with ``owl:class::`` -- never
to the classes its fences declare besides: exact rows on real pages, the count over the
corpus, and the data model's rule.

``tests/data/page_links`` holds two pages written for these tests in the format of the
narrativegoldmine pages (``Blockchain Entity.md``, the page 13 sample pages link to and
which is not in the sample; ``NetworkComponent.md``); the other pages are real, read from
the corpus.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from streaming_sync import (
    AxiomRow,
    AxiomType,
    EdgeRow,
    OntologyClass,
    OntologyData,
    OntologySnapshot,
    SkipFile,
    StreamingSyncService,
    SyncConfig,
    materialize,
)
from streaming_sync._model import LINK_AXIOM_ANNOTATIONS
from streaming_sync.parsers.logseq import LogseqParser

from .conftest import ROOT

PAGES = ROOT / "tests" / "data" / "page_links"
NGM = "logseq-narrativegoldmine-sample"
BC = "http://narrativegoldmine.com/blockchain#"
MO = "http://metaverse-ontology.org/blockchain#"  # the namespace the fences declare


async def sync_folder(folder: Path, db: Path) -> OntologySnapshot:
    """Sync ``folder`` into the SQLite file ``db``; the snapshot, checked against
    ``materialize`` of the parsed pages."""
    config = SyncConfig(ontology_id="links", parse_processes=0)
    async with await StreamingSyncService.from_source(str(folder), db=str(db), config=config) as s:
        report = await s.sync()
        assert report.files.failed == 0, report.failures
        snapshot = await s.repository.snapshot("links")
        committed = await s.repository.committed_files("links")
    parser = LogseqParser()
    files = {}
    for path, sha in committed.items():
        try:
            files[path] = (sha, parser.parse(path, (folder / path).read_bytes()))
        except SkipFile:  # committed with no rows
            files[path] = (sha, OntologyData())
    assert snapshot == materialize(files)
    return snapshot


def link_rows(snapshot: OntologySnapshot) -> tuple[set[EdgeRow], list[AxiomRow]]:
    """The (class, parent) pairs of the page-link axioms, and those axioms."""
    axioms = [a for a in snapshot.axioms if a.annotations == LINK_AXIOM_ANNOTATIONS]
    return {EdgeRow(a.subject, a.object) for a in axioms}, axioms


def test_parser_offers_only_owl_class_classes_as_link_targets(corpus: Path) -> None:
    """The real page "Distributed Protocol.md" declares bc:DistributedProtocol with
    owl:class:: and its fence declares :DistributedProtocol in another namespace: both
    are classes of the page, only the first is a link target."""
    raw = (corpus / NGM / "Distributed Protocol.md").read_bytes()
    data = LogseqParser().parse("Distributed Protocol.md", raw)
    # Rows come sorted (docs/schema.md), so compare the set of class IRIs.
    assert {c.iri for c in data.classes} == {f"{BC}DistributedProtocol", f"{MO}DistributedProtocol"}
    assert data.link_targets == (f"{BC}DistributedProtocol",)
    assert data.page_keys == ("distributed protocol",)


def test_every_block_class_is_a_link_target_in_file_order() -> None:
    """Each block with owl:class:: offers its class (once, in file order), also when a
    fence declares it again; classes only fences declare are not offered."""
    page = (
        "- ### OntologyBlock\n"
        "  - owl:class:: mv:Second\n"
        "  - ```clojure\n"
        "    Declaration(Class(mv:First))\n"
        "    Declaration(Class(mv:Second))\n"
        "    Declaration(Class(mv:FenceOnly))\n"
        "    ```\n"
        "- ### OntologyBlock\n"
        "  - owl:class:: mv:First\n"
        "- ### OntologyBlock\n"
        "  - owl:class:: mv:Second\n"
    )
    data = LogseqParser().parse("p.md", page.encode())
    mv = "http://narrativegoldmine.com/metaverse#"
    # Class rows come sorted (docs/schema.md); link targets keep file order.
    assert [c.iri for c in data.classes] == [f"{mv}FenceOnly", f"{mv}First", f"{mv}Second"]
    assert data.link_targets == (f"{mv}Second", f"{mv}First")


async def test_real_page_linked_to_gets_no_fence_twin_parent(corpus: Path, tmp_path: Path) -> None:
    """Exact rows: the real "Distributed Protocol.md" links [[Blockchain Entity]], whose
    fence declares :BlockchainEntity in the metaverse-ontology namespace besides its
    owl:class:: bc:BlockchainEntity. Its class gets one parent and one link axiom, both
    bc:BlockchainEntity; the fence's twin keeps its own class row."""
    folder = tmp_path / "pages"
    folder.mkdir()
    shutil.copyfile(PAGES / "Blockchain Entity.md", folder / "Blockchain Entity.md")
    shutil.copyfile(corpus / NGM / "Distributed Protocol.md", folder / "Distributed Protocol.md")
    snapshot = await sync_folder(folder, tmp_path / "links.db")
    child = f"{BC}DistributedProtocol"
    assert {e for e in snapshot.edges if e.class_iri == child} == {
        EdgeRow(child, f"{BC}BlockchainEntity")
    }
    assert link_rows(snapshot)[1] == [
        AxiomRow(
            str(AxiomType.SUBCLASS_OF),
            child,
            f"{BC}BlockchainEntity",
            None,
            LINK_AXIOM_ANNOTATIONS,
            False,
            "Distributed Protocol.md",
        )
    ]
    twin = next(c for c in snapshot.classes if c.class_iri == f"{MO}BlockchainEntity")
    assert (twin.label, twin.file_sha1 is not None) == ("Blockchain Entity", True)


#: What the sample pages' links resolve to once the two target pages of tests/data join
#: them: each linker (by its owl:class:: name) to bc:BlockchainEntity, the two that also
#: link [[NetworkComponent]] to bc:NetworkComponent. Before the rule, each of these 14
#: edges came with the fence twin of its parent, and the two NetworkComponent linkers
#: also got mo:NetworkNode: 30 link edges, 16 of them wrong.
CORPUS_LINK_EDGES = {
    *(
        EdgeRow(f"{BC}{name}", f"{BC}BlockchainEntity")
        for name in (
            "Address",
            "Cryptocurrency",
            "DigitalSignature",
            "DistributedProtocol",
            "NetworkComponent",
            "NetworkSynchronization",
            "Node",
            "ProofofWork",
            "PublicKey",
            "Script",
            "SybilAttack",
            "Transaction",
        )
    ),
    EdgeRow(f"{BC}Node", f"{BC}NetworkComponent"),
    EdgeRow(f"{BC}SybilAttack", f"{BC}NetworkComponent"),
}


async def test_corpus_link_edges(corpus: Path, tmp_path: Path) -> None:
    """The whole narrativegoldmine sample plus the two target pages: the link edges are
    exactly CORPUS_LINK_EDGES (14; 16 link axioms, as two pairs of pages share an owl:class),
    none to a class only a fence declares."""
    folder = tmp_path / "pages"
    shutil.copytree(corpus / NGM, folder)
    for page in PAGES.glob("*.md"):
        shutil.copyfile(page, folder / page.name)
    snapshot = await sync_folder(folder, tmp_path / "corpus.db")
    edges, axioms = link_rows(snapshot)
    assert edges == CORPUS_LINK_EDGES
    assert len(axioms) == 16
    assert not any(e.parent_iri.startswith(MO) for e in edges)


async def test_sample_alone_resolves_no_link(corpus: Path, tmp_path: Path) -> None:
    """The sample by itself holds none of the pages its 43 links name, so no link
    resolves (the figure the corpus count above builds on)."""
    snapshot = await sync_folder(corpus / NGM, tmp_path / "sample.db")
    assert link_rows(snapshot) == (set(), [])


def test_link_targets_must_be_declared_classes() -> None:
    """OntologyData refuses a link target that is not one of its classes, naming it and
    the fix; a declared one (or none) is fine."""
    with pytest.raises(ValueError, match=r"link_targets \['ex:B'\].*declares"):
        OntologyData(classes=(OntologyClass("ex:A"),), link_targets=("ex:B",))
    assert OntologyData(classes=(OntologyClass("ex:A"),), link_targets=("ex:A",)).link_targets
    assert OntologyData(classes=(OntologyClass("ex:A"),)).link_targets == ()
