"""Rows do not depend on blank-node labels or on the order of triples.

Property tests of the canonical naming of anonymous individuals (a private unit,
``parsers/_anonymous.py``, reached through the public mapping ``map_triples`` and the
two RDF parsers): a graph, its triples shuffled and its blank nodes relabelled, gives
identical rows -- also for graphs with symmetric parts, where colour refinement alone
cannot tell blank nodes apart (equal lists, cycles, equal siblings, cliques).
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streaming_sync._model import OntologyData
from streaming_sync._owl import IRI, Anonymous, Literal
from streaming_sync.parsers._rdfexpr import Node
from streaming_sync.parsers._rdfmap import Triple, map_triples
from streaming_sync.parsers.oxigraph import OxigraphParser
from streaming_sync.parsers.rdf import RdflibParser

E = "http://e.org/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
OWL = "http://www.w3.org/2002/07/owl#"
NIL = IRI(RDF + "nil")
#: ``op`` is an object property, so ``_:x op _:y`` is a property assertion between
#: anonymous individuals; ``p`` and ``q`` are undeclared (annotations / other triples).
HEADER: tuple[Triple, ...] = (
    (IRI(E + "op"), RDF + "type", IRI(OWL + "ObjectProperty")),
    (IRI(E + "C"), RDF + "type", IRI(OWL + "Class")),
)
PREDICATES = [E + "p", E + "q", E + "op", OWL + "sameAs", OWL + "differentFrom", RDF + "type"]


def blank(n: int) -> Anonymous:
    return Anonymous(f"b{n}")


def a_list(items: list[Node], start: int) -> tuple[Anonymous, list[Triple], int]:
    """An RDF list of ``items`` from blank node ``start`` on: head, triples, next free."""
    triples: list[Triple] = []
    cells = [blank(start + i) for i in range(len(items))]
    for i, (cell, item) in enumerate(zip(cells, items, strict=True)):
        triples.append((cell, RDF + "first", item))
        triples.append((cell, RDF + "rest", cells[i + 1] if i + 1 < len(cells) else NIL))
    return cells[0], triples, start + len(items)


@st.composite
def symmetric_parts(draw: st.DrawFn, start: int) -> tuple[list[Triple], int]:
    """One structure whose blank nodes colour refinement cannot tell apart."""
    kind = draw(st.sampled_from(["lists", "cycle", "cycles", "siblings", "clique", "nested"]))
    size = draw(st.integers(2, 6))
    anchors: list[IRI | Anonymous] = [IRI(E + "s"), blank(start)]
    anchor = draw(st.sampled_from(anchors))
    start += 1
    triples: list[Triple] = []
    predicate = draw(st.sampled_from([E + "p", E + "op"]))
    if kind == "lists":  # equal lists from one subject: ((1) (1)), ( "x" "x" ) ...
        item = draw(st.sampled_from([Literal("x"), IRI(E + "i"), None]))
        for _ in range(draw(st.integers(2, 3))):
            inner: Node | None = item
            if inner is None:  # a list of lists
                inner, more, start = a_list([Literal("1")], start)
                triples += more
            head, more, start = a_list([inner] * size, start)
            triples += [(anchor, predicate, head), *more]
    elif kind in ("cycle", "cycles"):  # one cycle, or two (maybe of other lengths)
        for length in [size] if kind == "cycle" else [size, draw(st.integers(2, 6))]:
            ring = [blank(start + i) for i in range(length)]
            triples += [(ring[i], predicate, ring[(i + 1) % len(ring)]) for i in range(len(ring))]
            triples.append(
                (anchor, E + "q", ring[0]) if kind == "cycle" else (ring[0], E + "q", ring[0])
            )
            start += len(ring)
    elif kind == "siblings":
        for _ in range(size):
            child, grandchild = blank(start), blank(start + 1)
            triples += [(anchor, predicate, child), (child, E + "q", grandchild)]
            triples.append((grandchild, RDF + "type", IRI(E + "C")))
            start += 2
    elif kind == "clique":  # every pair different (a symmetric axiom between blanks)
        nodes: list[IRI | Anonymous] = [blank(start + i) for i in range(size)]
        triples += [(x, OWL + "differentFrom", y) for x in nodes for y in nodes if x != y]
        triples += [(anchor, E + "q", x) for x in nodes]
        start += size
    else:  # nested: [ p [ p [ ... ] ] ] twice
        for _ in range(2):
            chain = [blank(start + i) for i in range(size)]
            triples.append((anchor, predicate, chain[0]))
            triples += [(chain[i], predicate, chain[i + 1]) for i in range(size - 1)]
            start += size
    return triples, start


@st.composite
def graphs(draw: st.DrawFn) -> list[Triple]:
    """Random triples over a few IRIs, blank nodes and literals, plus symmetric parts."""
    triples: list[Triple] = list(HEADER)
    start = 0
    for _ in range(draw(st.integers(0, 3))):
        more, start = draw(symmetric_parts(start))
        triples += more
    nodes: list[IRI | Anonymous] = [
        *(blank(start + i) for i in range(draw(st.integers(0, 6)))),
        IRI(E + "s"),
        IRI(E + "t"),
    ]
    objects: list[Node] = [
        *nodes,
        Literal("x"),
        Literal("1", datatype="http://www.w3.org/2001/XMLSchema#integer"),
    ]
    for _ in range(draw(st.integers(0, 12))):
        predicate = draw(st.sampled_from(PREDICATES))
        obj = draw(st.sampled_from(nodes if predicate.startswith(OWL) else objects))
        if predicate == RDF + "type":
            obj = IRI(E + "C")
        triples.append((draw(st.sampled_from(nodes)), predicate, obj))
    return triples


def relabelled(triples: list[Triple], seed: int) -> list[Triple]:
    """``triples`` shuffled, every blank node renamed by a random one-to-one map."""
    rng = random.Random(seed)
    names = sorted({t.name for triple in triples for t in triple if isinstance(t, Anonymous)})
    fresh = [f"z{n}" for n in range(len(names))]
    rng.shuffle(fresh)
    rename = dict(zip(names, fresh, strict=True))

    def term(node: Node) -> Node:
        return Anonymous(rename[node.name]) if isinstance(node, Anonymous) else node

    out: list[Triple] = [(term(s), p, term(o)) for s, p, o in triples]  # type: ignore[misc]
    rng.shuffle(out)
    return out


Rows = tuple[tuple[object, ...], ...]


def rows(data: OntologyData) -> Rows:
    """The row tables (no warnings: those may name library noise)."""
    return (data.classes, data.edges, data.properties, data.axioms, data.other_axioms)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.integers(0, 2**32), st.integers(0, 2**32))
def test_rows_do_not_depend_on_labels_or_order(
    triples: list[Triple], first: int, second: int
) -> None:
    """Two shuffled, relabelled copies of one graph give identical rows, every one."""
    one = map_triples("g.ttl", relabelled(triples, first))
    other = map_triples("g.ttl", relabelled(triples, second))
    assert rows(one) == rows(other)
    assert rows(one) == rows(map_triples("g.ttl", triples))


def n_triples(triples: list[Triple]) -> bytes:
    def term(node: object) -> str:
        if isinstance(node, IRI):
            return f"<{node.value}>"
        if isinstance(node, Anonymous):
            return f"_:{node.name}"
        assert isinstance(node, Literal)
        return f'"{node.lexical}"' + (f"^^<{node.datatype}>" if node.datatype else "")

    return "".join(f"{term(s)} <{p}> {term(o)} .\n" for s, p, o in triples).encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs(), st.integers(0, 2**32))
def test_both_parsers_give_the_same_rows_for_any_triple_order(
    triples: list[Triple], seed: int
) -> None:
    """A graph written as N-Triples in two orders, with two sets of labels, reads into
    the same rows with rdflib and pyoxigraph (each parser names blank nodes its own way
    and in its own order)."""
    first = n_triples(relabelled(triples, seed))
    second = n_triples(relabelled(triples, seed + 1))
    expected = rows(RdflibParser().parse("g.nt", first))
    assert rows(OxigraphParser().parse("g.nt", first)) == expected
    assert rows(OxigraphParser().parse("g.nt", second)) == expected
    assert rows(RdflibParser().parse("g.nt", second)) == expected


def test_symmetric_structures_get_names_in_every_order() -> None:
    """Two equal nested lists in TriG (the W3C ``nested_collection`` case): every order of
    the triples gives the rows of the first, and each blank node its own name."""
    head: list[Triple] = [
        (IRI(E + "s"), E + "p", Anonymous("l1")),
        (Anonymous("l1"), RDF + "first", Anonymous("i1")),
        (Anonymous("l1"), RDF + "rest", NIL),
        (Anonymous("i1"), RDF + "first", Literal("1")),
        (Anonymous("i1"), RDF + "rest", NIL),
    ]
    copy = {Anonymous("l1"): Anonymous("l2"), Anonymous("i1"): Anonymous("i2")}
    twice = head + [(copy.get(s, s), p, copy.get(o, o)) for s, p, o in head]  # type: ignore[arg-type]
    expected = map_triples("g.trig", twice)
    names = {t for row in expected.other_axioms for t in row.text.split() if t.startswith("_:")}
    assert len(names) == 4
    for seed in range(40):
        assert rows(map_triples("g.trig", relabelled(twice, seed))) == rows(expected)


def test_cycles_of_other_lengths_are_told_apart() -> None:
    """Blank-node cycles of 3, 3 and 6 nodes look alike to colour refinement (every node
    has one successor and one predecessor): every order and labelling gives one set of
    rows, the equal 3-cycles interchangeable, the 6-cycle apart."""
    triples: list[Triple] = []
    for start, size in ((0, 3), (10, 3), (20, 6)):
        ring = [blank(start + i) for i in range(size)]
        triples += [(ring[i], E + "p", ring[(i + 1) % size]) for i in range(size)]
    results = {rows(map_triples("g.ttl", relabelled(triples, seed))) for seed in range(30)}
    assert len(results) == 1
    assert len(map_triples("g.ttl", triples).other_axioms) == 12
