"""The canonical form of axioms: what makes equal ontologies give equal rows.

An OWL 2 ontology is a *set* of axioms, and several arguments of an axiom are sets too;
two documents of the same ontology (Functional Syntax and its RDF mapping, or two RDF
writers) may write them in any order and name anonymous individuals as they like. Before
rows are made, every axiom is brought to one form (documented in ``docs/schema.md``):

* axiom annotations (and the annotations of annotations) are sorted and deduplicated;
* the operands of the symmetric axioms (:data:`SET_KINDS`), the disjoint classes of
  ``DisjointUnion`` and the two property lists of ``HasKey`` are sorted (named entities
  first, then by rendering) and deduplicated;
* ``ObjectPropertyAssertion(ObjectInverseOf(p) a b)`` is ``ObjectPropertyAssertion(p b a)``
  (the RDF mapping writes it so), likewise the negative assertion;
* anonymous individuals are renamed ``_:a1``, ``_:a2``, ... by a labelling that depends
  only on the structure of the axioms they occur in (:mod:`._anonymous`), since
  blank-node labels and the order of triples are the parser's choice.

Every walk over a term is iterative, so any nesting depth is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from .._owl import ANNOTATION, Anonymous, Expr, OwlAxiom, Term, term_key

#: Axioms whose operands form a set.
SET_KINDS = frozenset(
    {
        "EquivalentClasses",
        "DisjointClasses",
        "EquivalentObjectProperties",
        "EquivalentDataProperties",
        "DisjointObjectProperties",
        "DisjointDataProperties",
        "SameIndividual",
        "DifferentIndividuals",
    }
)
_INVERTIBLE = frozenset({"ObjectPropertyAssertion", "NegativeObjectPropertyAssertion"})
#: Axioms whose canonical form may differ from them even without annotations.
REORDERED = SET_KINDS | _INVERTIBLE | {"DisjointUnion", "HasKey"}
# isinstance with a tuple: ``Expr | Anonymous`` would build a union at every call
_NESTED = (Expr, Anonymous)
#: Marks a blank node that encodes no expression (``_:anon``); never renamed.
UNRESOLVED = Anonymous("anon")


def sorted_terms(terms: Iterable[Term]) -> tuple[Term, ...]:
    """``terms`` in canonical order without repeats."""
    keyed = {term_key(t): t for t in terms}
    return tuple(keyed[k] for k in sorted(keyed))


def canonical_annotations(annotations: Iterable[Expr]) -> tuple[Expr, ...]:
    """Annotations (with their own annotations canonical) sorted, without repeats."""
    out: list[Expr] = []
    for annotation in annotations:
        inner = OwlAxiom.from_expr(annotation)
        nested = canonical_annotations(a for a in inner.annotations)
        out.append(Expr(ANNOTATION, (*nested, *inner.args)))
    return sorted_terms(out)  # type: ignore[return-value]


def canonical(axiom: OwlAxiom) -> OwlAxiom:
    """``axiom`` in canonical form (see the module docstring)."""
    args = axiom.args
    kind = axiom.kind
    if kind not in REORDERED and not axiom.annotations:
        return axiom
    if kind in SET_KINDS:
        args = sorted_terms(args)
    elif kind == "DisjointUnion" and args:
        args = (args[0], *sorted_terms(args[1:]))
    elif kind == "HasKey" and len(args) == 3:
        args = (args[0], *(_sorted_list(a) for a in args[1:]))
    elif kind in _INVERTIBLE and len(args) == 3:
        prop = args[0]
        if isinstance(prop, Expr) and prop.name == "ObjectInverseOf" and len(prop.args) == 1:
            args = (prop.args[0], args[2], args[1])
    annotations = canonical_annotations(axiom.annotations) if axiom.annotations else ()
    return OwlAxiom(kind, args, annotations)


def _sorted_list(term: Term) -> Term:
    if isinstance(term, Expr) and term.name == "":
        return Expr("", sorted_terms(term.args))
    return term


def leaves(term: Term) -> Iterator[Term]:
    """Every non-expression term below ``term``, left to right."""
    pending = [term]
    while pending:
        item = pending.pop()
        if isinstance(item, Expr):
            pending.extend(reversed(item.args))
        else:
            yield item


def axiom_leaves(axiom: OwlAxiom) -> Iterator[Term]:
    for term in (*axiom.annotations, *axiom.args):
        yield from leaves(term)


def mentions_anonymous(axiom: OwlAxiom) -> bool:
    """Whether an anonymous individual occurs anywhere in ``axiom``."""
    if not axiom.annotations:
        for arg in axiom.args:
            if isinstance(arg, _NESTED):
                break
        else:
            return False  # the common flat case
    pending: list[Term] = [*axiom.args, *axiom.annotations]
    while pending:
        term = pending.pop()
        if isinstance(term, Expr):
            pending.extend(term.args)
        elif isinstance(term, Anonymous) and term is not UNRESOLVED:
            return True
    return False


def transform(term: Term, leaf: Callable[[Term], Term]) -> Term:
    """``term`` with every leaf replaced by ``leaf(it)``; an iterative post-order rebuild."""
    if not isinstance(term, Expr):
        return leaf(term)
    stack: list[tuple[Expr, list[Term]]] = [(term, [])]
    while True:
        expr, built = stack[-1]
        if len(built) == len(expr.args):
            stack.pop()
            rebuilt = Expr(expr.name, tuple(built))
            if not stack:
                return rebuilt
            stack[-1][1].append(rebuilt)
            continue
        arg = expr.args[len(built)]
        if isinstance(arg, Expr):
            stack.append((arg, []))
        else:
            built.append(leaf(arg))


def map_axiom(axiom: OwlAxiom, leaf: Callable[[Term], Term]) -> OwlAxiom:
    args = tuple(transform(a, leaf) for a in axiom.args)
    annotations = tuple(transform(a, leaf) for a in axiom.annotations)
    return OwlAxiom(axiom.kind, args, annotations)  # type: ignore[arg-type]


__all__ = [
    "REORDERED",
    "SET_KINDS",
    "UNRESOLVED",
    "axiom_leaves",
    "canonical",
    "canonical_annotations",
    "leaves",
    "map_axiom",
    "mentions_anonymous",
    "sorted_terms",
    "transform",
]
