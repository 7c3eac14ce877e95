"""Canonical names for anonymous individuals: equal rows for isomorphic axiom sets.

A parser names blank nodes as it likes, and two readings of one file (two libraries, or
one library whose counters moved on) may give the same structure in another order. Rows
must not depend on either, so before rows are made every anonymous individual is renamed
``_:a1``, ``_:a2``, ... by a labelling that depends only on the structure of the axioms
(:func:`rename_anonymous`):

1. **Pieces.** The axioms fall into connected pieces (two individuals are connected when
   they occur in one axiom). Each piece is labelled on its own (2, 3); the pieces are
   then numbered in the order of their size and *certificate* -- the piece's sorted
   renderings with its individuals named in its own order -- so equal certificates
   (isomorphic pieces, e.g. two equal lists) may come in either order.
2. **Colour refinement.** Every individual starts with one colour; its *signature* is the
   sorted renderings of the axioms it occurs in, itself written ``_:*`` and every other
   individual by its colour (``_:3``), with the colours of the others counted. Within a
   colour class, individuals with different signatures get different colours, and the
   individuals next to one that changed colour are looked at again, until nothing
   splits. Colours are numbered in the order they arise, which depends only on the
   signatures. As in Hopcroft's algorithm the largest part of a split keeps its colour,
   so only the neighbours of the smaller parts are looked at again, and a split costs
   the size of the parts that move: a long chain of blank nodes (an RDF list) costs
   about as many signatures as it has nodes, not their square.
3. **Individualisation.** When refinement stops with individuals that still share a
   colour (the nodes of a cycle, equal siblings, the members of a clique), the first
   individual of the lowest such colour gets a colour of its own and refinement runs
   again, until every colour names one individual. Individuals of one piece that no
   refinement tells apart are taken to be *symmetric* (some exchange of individuals
   maps the piece onto itself); then whichever is picked gives the same rows. That
   holds for trees, lists, cycles, cliques and the structures OWL and RDF syntaxes
   write; it can fail only for a connected, regular structure of blank nodes that is
   not symmetric (e.g. the Frucht graph drawn with blank nodes), where names -- never
   the rows' content -- could depend on the input order.

Every walk is iterative.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable

from .._owl import Anonymous, OwlAxiom, Term, render
from ._canonical import UNRESOLVED, axiom_leaves, canonical, map_axiom

_SELF = Anonymous("*")


def is_individual(term: Term) -> bool:
    return isinstance(term, Anonymous) and term is not UNRESOLVED


def rename_anonymous(axioms: Iterable[OwlAxiom]) -> list[OwlAxiom]:
    """The axioms (each in canonical form) with their anonymous individuals renamed
    canonically (see the module docstring)."""
    ordered = [canonical(a) for a in axioms]
    pieces = sorted((_Piece(part) for part in _connected(ordered)), key=_Piece.key)
    names: dict[str, Anonymous] = {}
    for piece in pieces:
        for name in piece.order:
            names[name] = Anonymous(f"a{len(names) + 1}")

    def rename(term: Term) -> Term:
        return names[term.name] if is_individual(term) else term  # type: ignore[union-attr]

    return [canonical(map_axiom(a, rename)) for a in ordered]


def _connected(axioms: list[OwlAxiom]) -> list[list[OwlAxiom]]:
    """The axioms in groups: two axioms are in one group when an individual occurs in
    both, or in axioms that chain them (union-find over the individuals)."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        parent.setdefault(name, name)
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    firsts: list[str | None] = []
    for axiom in axioms:
        individuals = [leaf.name for leaf in axiom_leaves(axiom) if is_individual(leaf)]  # type: ignore[union-attr]
        for other in individuals[1:]:
            parent[root(other)] = root(individuals[0])
        firsts.append(individuals[0] if individuals else None)
    groups: dict[str | None, list[OwlAxiom]] = {}
    for axiom, first in zip(axioms, firsts, strict=True):
        groups.setdefault(None if first is None else root(first), []).append(axiom)
    return list(groups.values())


class _Piece:
    """One connected group of axioms: its individuals in canonical order, and its
    *certificate*, the sorted renderings with the individuals named in that order. Equal
    certificates mean isomorphic groups, which may then be numbered in either order."""

    def __init__(self, axioms: list[OwlAxiom]) -> None:
        colouring = _Colouring(axioms)
        colouring.refine(set(colouring.occurs))
        while (tied := colouring.first_tied()) is not None:
            colouring.individualise(tied)
        self.order = colouring.in_colour_order()
        local = {name: Anonymous(f"a{n}") for n, name in enumerate(self.order, 1)}

        def rename(term: Term) -> Term:
            return local[term.name] if is_individual(term) else term  # type: ignore[union-attr]

        texts = (render(canonical(map_axiom(a, rename)).to_expr()) for a in axioms)
        self.certificate = tuple(sorted(texts))

    def key(self) -> tuple[int, tuple[str, ...]]:
        return len(self.order), self.certificate


class _Colouring:
    """The colour classes of the individuals of ``axioms`` as refinement goes on."""

    def __init__(self, axioms: list[OwlAxiom]) -> None:
        self.axioms = axioms
        #: individual -> the axioms it occurs in; axiom index -> its individuals
        self.occurs: dict[str, list[int]] = {}
        self.members: dict[int, list[str]] = {}
        for index, axiom in enumerate(axioms):
            for leaf in axiom_leaves(axiom):
                if is_individual(leaf):
                    places = self.occurs.setdefault(leaf.name, [])  # type: ignore[union-attr]
                    if not places or places[-1] != index:
                        places.append(index)
                        self.members.setdefault(index, []).append(leaf.name)  # type: ignore[union-attr]
        self.colour = dict.fromkeys(self.occurs, 0)
        # each class an insertion-ordered set: an individual leaves it in O(1)
        self.cells: dict[int, dict[str, None]] = {0: dict.fromkeys(self.occurs)}
        self.signature: dict[str, str] = {}
        #: the signature every individual of a class had when the class last split
        self.common: dict[int, str] = {}
        self._next = 1
        #: colours whose class may hold more than one individual, lowest first
        self._tied = [0] if len(self.occurs) > 1 else []

    def refine(self, dirty: set[str]) -> None:
        """Split classes by signature until stable, looking again only at ``dirty``
        individuals and then at the neighbours of those that changed colour."""
        while dirty:
            touched: dict[int, list[str]] = {}
            for name in dirty:
                cell = self.colour[name]
                if len(self.cells[cell]) > 1:  # a class of one never splits
                    self.signature[name] = self._signature(name)
                    touched.setdefault(cell, []).append(name)
            dirty = set()
            for cell in sorted(touched):
                dirty.update(self._split(cell, touched[cell]))

    def _split(self, cell: int, looked_at: list[str]) -> set[str]:
        """Split class ``cell`` by the signatures of the individuals ``looked_at`` again
        (the others still have the class's signature); the individuals next to those
        that got a new colour. Costs the size of the parts that move, not of the class."""
        common = self.common.get(cell)
        groups: dict[str, list[str]] = {}
        for name in looked_at:
            groups.setdefault(self.signature[name], []).append(name)
        sizes = {signature: len(names) for signature, names in groups.items()}
        rest = len(self.cells[cell]) - len(looked_at)
        if rest:
            assert common is not None  # the class split before: its members agreed
            sizes[common] = sizes.get(common, 0) + rest
        ordered = sorted(sizes)
        keep = min(ordered, key=lambda signature: -sizes[signature])
        self.common[cell] = keep
        changed: set[str] = set()
        for signature in ordered:
            if signature == keep:
                continue
            if signature == common and rest:
                moving = [n for n in self.cells[cell] if self.signature[n] == common]
            else:
                moving = groups[signature]
            for name in moving:
                del self.cells[cell][name]
            changed.update(self._recolour(dict.fromkeys(moving), signature))
        return changed

    def _recolour(self, names: dict[str, None], signature: str | None) -> set[str]:
        colour = self._next
        self._next += 1
        self.cells[colour] = names
        if signature is not None:
            self.common[colour] = signature
        if len(names) > 1:
            heapq.heappush(self._tied, colour)
        for name in names:
            self.colour[name] = colour
        return self._neighbours(names)

    def _neighbours(self, names: Iterable[str]) -> set[str]:
        return {other for name in names for i in self.occurs[name] for other in self.members[i]}

    def _signature(self, name: str) -> str:
        """The sorted renderings of the axioms ``name`` occurs in (itself ``_:*``, the
        others by colour), each with the colours of the others counted, since canonical
        form writes equal operands once."""
        colour = self.colour

        def label(term: Term) -> Term:
            if not is_individual(term):
                return term
            other = term.name  # type: ignore[union-attr]
            return _SELF if other == name else Anonymous(str(colour[other]))

        texts = []
        for index in self.occurs[name]:
            text = render(canonical(map_axiom(self.axioms[index], label)).to_expr())
            others = Counter(
                colour[leaf.name]  # type: ignore[union-attr]
                for leaf in axiom_leaves(self.axioms[index])
                if is_individual(leaf) and leaf.name != name  # type: ignore[union-attr]
            )
            texts.append(f"{text} {sorted(others.items())}")
        return "\n".join(sorted(texts))

    def first_tied(self) -> str | None:
        """An individual of the lowest colour that more than one individual shares."""
        while self._tied:
            cell = self._tied[0]
            if len(self.cells[cell]) > 1:
                return next(iter(self.cells[cell]))  # any one would do (see above)
            heapq.heappop(self._tied)
        return None

    def individualise(self, name: str) -> None:
        """Give ``name`` a colour of its own, then refine."""
        del self.cells[self.colour[name]][name]
        self.refine(self._recolour({name: None}, None))

    def in_colour_order(self) -> list[str]:
        return sorted(self.occurs, key=self.colour.__getitem__)


__all__ = ["is_individual", "rename_anonymous"]
