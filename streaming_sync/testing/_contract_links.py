"""The page-link part of ``RepositoryContract`` (it inherits these tests).

A page link ``(class, key)`` resolves to the link targets of the first page, by path,
that has ``key`` among its page keys and offers a link target -- never to the other
classes that page declares (``streaming_sync.materialize`` is the specification).
"""

from __future__ import annotations

import itertools

import pytest

from .._model import LINK_AXIOM_ANNOTATIONS
from .._protocols import Repository
from .._snapshot import EdgeRow
from ._contract_support import ContractBase, cls, data


def _parents(edges: frozenset[EdgeRow], child: str) -> set[str]:
    return {e.parent_iri for e in edges if e.class_iri == child}


class PageLinkContract(ContractBase):
    """How page links resolve, re-resolve and go, in every order of saves and removals."""

    @pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
    async def test_page_links_resolve_in_every_save_order(
        self, repository: Repository, order: tuple[int, ...]
    ) -> None:
        """A link resolves to the link targets of the first page by path with the key
        and a link target, whether the link or its targets were saved first."""
        files = [
            ("link.md", data(cls("ex:C"), links=[("ex:C", "target")])),
            ("t1.md", data(cls("ex:T1"), cls("ex:T2"), keys=["target"])),
            ("t2.md", data(cls("ex:U"), keys=["target", "other"])),
        ]
        m = self.model(repository)
        for i in order:
            await m.save(*files[i])
        snapshot = await m.verify()
        assert _parents(snapshot.edges, "ex:C") == {"ex:T1", "ex:T2"}
        assert [a.annotations for a in snapshot.axioms] == [LINK_AXIOM_ANNOTATIONS] * 2

    @pytest.mark.parametrize("order", list(itertools.permutations(range(2))))
    async def test_links_never_resolve_to_classes_only_fences_declare(
        self, repository: Repository, order: tuple[int, ...]
    ) -> None:
        """A target page that declares more classes than it offers as link targets (a
        Logseq page whose fence declares a twin in another namespace) gives its linkers
        only the offered classes as parents; the other classes keep their own rows."""
        fence_twin = "http://metaverse-ontology.org/blockchain#BlockchainEntity"
        files = [
            ("Address.md", data(cls("bc:Address"), links=[("bc:Address", "blockchain entity")])),
            (
                "Blockchain Entity.md",
                data(
                    cls("bc:BlockchainEntity", "Blockchain Entity"),
                    cls(fence_twin, "Blockchain Entity"),
                    keys=["blockchain entity"],
                    targets=["bc:BlockchainEntity"],
                ),
            ),
        ]
        m = self.model(repository)
        for i in order:
            await m.save(*files[i])
        snapshot = await m.verify()
        assert _parents(snapshot.edges, "bc:Address") == {"bc:BlockchainEntity"}
        assert [(a.subject, a.object) for a in snapshot.axioms] == [
            ("bc:Address", "bc:BlockchainEntity")
        ]
        assert fence_twin in {c.class_iri for c in snapshot.classes}

    async def test_a_page_offering_no_link_target_is_passed_over(
        self, repository: Repository
    ) -> None:
        """The first page by path with the key but no link target does not capture the
        link: the next one that offers a target does; when none does, nothing resolves,
        whatever classes the pages declare."""
        m = self.model(repository)
        await m.save("link.md", data(cls("ex:C"), links=[("ex:C", "k")]))
        await m.save("a.md", data(cls("ex:FenceOnly"), keys=["k"], targets=[]))
        await m.save("b.md", data(cls("ex:B"), cls("ex:BFence"), keys=["k"], targets=["ex:B"]))
        assert _parents((await m.verify()).edges, "ex:C") == {"ex:B"}
        await m.remove("b.md")
        assert _parents((await m.verify()).edges, "ex:C") == set()
        await m.save("a.md", data(cls("ex:FenceOnly"), cls("ex:A"), keys=["k"], targets=["ex:A"]))
        assert _parents((await m.verify()).edges, "ex:C") == {"ex:A"}

    async def test_links_follow_a_change_of_link_targets(self, repository: Repository) -> None:
        """Re-saving a target page with the same classes but other link targets moves
        its linkers' edges and link axioms; a target no longer linked to loses the edge
        but keeps its declared row."""
        m = self.model(repository)
        await m.save("link.md", data(cls("ex:C"), links=[("ex:C", "t"), ("ex:D", "t")]))
        await m.save("t.md", data(cls("ex:T"), cls("ex:U"), keys=["t"], targets=["ex:T"]))
        await m.verify()
        await m.save("t.md", data(cls("ex:T"), cls("ex:U"), keys=["t"], targets=["ex:U", "ex:U"]))
        snapshot = await m.verify()
        assert _parents(snapshot.edges, "ex:C") == _parents(snapshot.edges, "ex:D") == {"ex:U"}
        assert len(snapshot.axioms) == 2
        await m.save("t.md", data(cls("ex:T"), cls("ex:U"), keys=["t"], targets=[]))
        assert (await m.verify()).edges == frozenset()

    async def test_page_links_follow_their_targets(self, repository: Repository) -> None:
        """Links re-resolve as target pages change classes, lose them, appear and go."""
        m = self.model(repository)
        await m.save("link.md", data(cls("ex:C"), links=[("ex:C", "t")]))
        await m.verify()
        await m.save("t2.md", data(cls("ex:Late"), keys=["t"]))
        await m.verify()
        await m.save("t1.md", data(cls("ex:A"), keys=["t"]))
        await m.verify()
        await m.save("t1.md", data(cls("ex:B"), keys=["t"]))
        await m.verify()
        await m.save("t1.md", data(keys=["t"]))
        await m.verify()
        await m.save("t1.md", data(cls("ex:B"), keys=["renamed"]))
        await m.verify()
        await m.remove("t2.md")
        await m.verify()
        await m.save("link.md", data(cls("ex:C"), links=[("ex:C", "renamed")]))
        await m.verify()
        await m.remove("link.md")
        await m.verify()

    async def test_link_edges_coincide_with_file_edges(self, repository: Repository) -> None:
        """An edge both a link and a file assert stays while either does; duplicate links
        give duplicate axioms, a class declared twice by the target counts once."""
        m = self.model(repository)
        await m.save("link.md", data(cls("ex:C"), links=[("ex:C", "t"), ("ex:C", "t")]))
        await m.save("t.md", data(cls("ex:T"), cls("ex:T"), keys=["t"]))
        await m.save("edge.md", data(edges=[("ex:C", "ex:T")]))
        assert len((await m.verify()).axioms) == 2
        await m.remove("t.md")
        assert EdgeRow("ex:C", "ex:T") in (await m.verify()).edges
        await m.save("t.md", data(cls("ex:T"), keys=["t"]))
        await m.remove("edge.md")
        await m.verify()

    async def test_page_linking_to_itself(self, repository: Repository) -> None:
        """A page may link to its own key: the edge is a self-loop, removed with the page."""
        m = self.model(repository)
        await m.save("self.md", data(cls("ex:S"), links=[("ex:S", "self")], keys=["self"]))
        assert EdgeRow("ex:S", "ex:S") in (await m.verify()).edges
        await m.remove("self.md")
        await m.verify()


__all__ = ["PageLinkContract"]
