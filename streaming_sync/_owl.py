"""The OWL 2 structural model every parser produces, and its one canonical rendering.

Terms (:class:`IRI`, :class:`PrefixedName`, :class:`Literal`, :class:`Anonymous`,
:class:`Integer`, :class:`Expr`) are the building blocks of the W3C "OWL 2 Structural
Specification", written as its Functional Syntax: ``Expr("ObjectSomeValuesFrom", (p, C))``
is ``ObjectSomeValuesFrom(p C)``. An :class:`OwlAxiom` is one axiom of an ontology (or an
ontology-level ``Import``/``Annotation``), with its axiom annotations kept apart.

The Functional Syntax reader, the Logseq fences and the RDF mapping all produce
``OwlAxiom`` values; rows are made from them by one function
(``streaming_sync.parsers._rows``). Whatever must be stored as text is written by
:func:`render`, so the same expression is the same string whichever file format it came
from: full IRIs in ``<...>``, a name whose prefix could not be resolved exactly as written
(``tele:Foo``), literals as ``"v"@lang`` or ``"v"^^<datatype>`` (``xsd:string`` written as a
plain ``"v"``), single spaces, no line breaks. Rendering is iterative: any nesting depth,
no recursion.
"""

from __future__ import annotations

from typing import TypeAlias

import attrs

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


# The leaves are hashed again and again as dict keys by the RDF mapping, and a small RDF
# file makes a new one for most of its values: their hash is their text's (which Python
# caches in the str), not attrs' cache_hash, which makes and keeps one more object per
# term on its first hash (measured: a term made and hashed three times 1.05 -> 0.64 us).
# Equal terms still hash equal; an IRI and a PrefixedName (or a str) of the same text
# share a hash but never compare equal.


@attrs.frozen
class IRI:
    """A named entity, kept as its full IRI."""

    value: str

    def __hash__(self) -> int:
        return hash(self.value)


@attrs.frozen
class PrefixedName(IRI):
    """A named entity whose prefix could not be resolved, kept exactly as written
    (``tele:Foo``, ``:measures``): rendered bare, never as ``<tele:Foo>``, which would
    read as a full IRI."""

    def __hash__(self) -> int:
        return hash(self.value)


@attrs.frozen
class Literal:
    """A literal; ``lang`` and ``datatype`` are mutually exclusive."""

    lexical: str
    lang: str | None = None
    datatype: str | None = None

    def __hash__(self) -> int:
        return hash((self.lexical, self.lang, self.datatype))


@attrs.frozen
class Anonymous:
    """An anonymous individual (``_:name``)."""

    name: str

    def __hash__(self) -> int:
        return hash(self.name)


@attrs.frozen
class Integer:
    """A bare non-negative integer, as cardinalities are written:
    ``ObjectMinCardinality(1 <p> <C>)`` (not a quoted literal)."""

    value: int


@attrs.frozen(cache_hash=True)
class Expr:
    """``Name(arg arg ...)``: a class expression, data range, annotation or whole axiom.
    The name ``""`` is a bare parenthesised list, as the two property lists of
    ``HasKey(C (p q) (d))``."""

    name: str
    args: tuple[Term, ...] = ()


Term: TypeAlias = IRI | Literal | Anonymous | Integer | Expr

ANNOTATION = "Annotation"


class OwlAxiom:
    """One axiom of the structural model: ``kind`` is its Functional Syntax name
    (``SubClassOf``, ``Declaration``, ...; ``Import`` and ``Annotation`` for the ontology's
    imports and annotations), ``args`` its arguments in order, ``annotations`` its axiom
    annotations (``Annotation(...)`` expressions). Immutable by convention; a plain slotted
    class because a large file makes hundreds of thousands of them, one at a time."""

    __slots__ = ("annotations", "args", "kind")

    def __init__(self, kind: str, args: tuple[Term, ...], annotations: tuple[Expr, ...] = ()):
        self.kind = kind
        self.args = args
        self.annotations = annotations

    def __repr__(self) -> str:
        return f"OwlAxiom({self.kind!r}, {self.args!r}, {self.annotations!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OwlAxiom):
            return NotImplemented
        return (self.kind, self.args, self.annotations) == (
            other.kind,
            other.args,
            other.annotations,
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.args, self.annotations))

    @classmethod
    def from_expr(cls, expr: Expr) -> OwlAxiom:
        """The axiom written as ``expr``: its leading ``Annotation(...)`` arguments are
        its annotations (for an ontology ``Annotation``, only those before its property)."""
        count = 0
        for arg in expr.args:
            if not (isinstance(arg, Expr) and arg.name == ANNOTATION):
                break
            count += 1
        if expr.name == ANNOTATION:  # Annotation(Annotation(...) p v): the last two are p, v
            count = min(count, max(len(expr.args) - 2, 0))
        return cls(expr.name, expr.args[count:], expr.args[:count])  # type: ignore[arg-type]

    def to_expr(self) -> Expr:
        """The axiom as one Functional Syntax expression, annotations first."""
        return Expr(self.kind, (*self.annotations, *self.args))


def _escape(lexical: str) -> str:
    return lexical.replace("\\", "\\\\").replace('"', '\\"')


def _leaf(term: IRI | Literal | Anonymous | Integer) -> str:
    if isinstance(term, IRI):
        return f"<{term.value}>" if type(term) is IRI else term.value  # PrefixedName: bare
    if isinstance(term, Literal):
        text = f'"{_escape(term.lexical)}"'
        if term.lang:
            return f"{text}@{term.lang.lower()}"
        if term.datatype and term.datatype not in (XSD_STRING, RDF_LANGSTRING):
            return f"{text}^^<{term.datatype}>"
        return text
    if isinstance(term, Anonymous):
        return f"_:{term.name}"
    return str(term.value)


def _flat(args: tuple[Term, ...]) -> bool:
    """Whether no argument is an expression (most axioms: rendered without a stack)."""
    for arg in args:  # noqa: SIM110 -- a loop, not all() over a generator: a hot path
        if type(arg) is Expr:
            return False
    return True


def render(term: Term) -> str:
    """Render ``term`` in canonical Functional Syntax (see the module docstring)."""
    if not isinstance(term, Expr):
        return _leaf(term)
    args = term.args
    if _flat(args):  # the common case
        return f"{term.name}({' '.join(map(_leaf, args))})"  # type: ignore[arg-type]
    out: list[str] = []
    pending: list[Term | str] = [term]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Expr):
            out.append(f"{item.name}(")
            pending.append(")")
            for index in range(len(item.args) - 1, -1, -1):
                pending.append(item.args[index])
                if index:
                    pending.append(" ")
        else:
            out.append(_leaf(item))
    return "".join(out)


def render_axiom(axiom: OwlAxiom) -> str:
    """``render(axiom.to_expr())``, without building the expression."""
    args = axiom.args
    if axiom.annotations or not _flat(args):
        return render(axiom.to_expr())
    return f"{axiom.kind}({' '.join(map(_leaf, args))})"  # type: ignore[arg-type]


def render_entity(term: Term) -> str:
    """Render a term for a ``subject``/``object`` column: named entities as plain IRIs
    (a name with an unresolved prefix as written), anything else as :func:`render`."""
    if isinstance(term, IRI):
        return term.value
    return render(term)


def term_key(term: Term) -> tuple[int, str]:
    """The canonical order of terms: named entities first, then by their rendering."""
    return (0 if isinstance(term, IRI) else 1, render(term))


__all__ = [
    "ANNOTATION",
    "IRI",
    "Anonymous",
    "Expr",
    "Integer",
    "Literal",
    "OwlAxiom",
    "PrefixedName",
    "Term",
    "render",
    "render_axiom",
    "render_entity",
    "term_key",
]
