"""A tiny OWL 2 Functional Syntax term model and its one canonical rendering.

Every parser that must write a class expression or an unmapped axiom as text (the rdflib
parser, the Functional Syntax reader, the pyoxigraph parser) builds these terms and calls
:func:`render`, so the same expression is always the same string whichever file format
it came from: full IRIs in ``<...>``, literals as ``"v"@lang`` or ``"v"^^<datatype>``
(``xsd:string`` written as a plain ``"v"``), single spaces, no line breaks.
"""

from __future__ import annotations

from typing import TypeAlias

import attrs

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


@attrs.frozen
class IRI:
    """A named entity, kept as its full IRI."""

    value: str


@attrs.frozen
class Literal:
    """A literal; ``lang`` and ``datatype`` are mutually exclusive."""

    lexical: str
    lang: str | None = None
    datatype: str | None = None


@attrs.frozen
class Anonymous:
    """An anonymous individual (``_:name``)."""

    name: str


@attrs.frozen
class Integer:
    """A bare non-negative integer, as cardinalities are written:
    ``ObjectMinCardinality(1 <p> <C>)`` (not a quoted literal)."""

    value: int


@attrs.frozen
class Expr:
    """``Name(arg arg ...)``: a class expression, data range or whole axiom."""

    name: str
    args: tuple[Term, ...] = ()


Term: TypeAlias = IRI | Literal | Anonymous | Integer | Expr


def _escape(lexical: str) -> str:
    return lexical.replace("\\", "\\\\").replace('"', '\\"')


def render(term: Term) -> str:
    """Render ``term`` in canonical Functional Syntax (see the module docstring)."""
    if isinstance(term, IRI):
        return f"<{term.value}>"
    if isinstance(term, Literal):
        text = f'"{_escape(term.lexical)}"'
        if term.lang:
            return f"{text}@{term.lang.lower()}"
        if term.datatype and term.datatype not in (XSD_STRING, RDF_LANGSTRING):
            return f"{text}^^<{term.datatype}>"
        return text
    if isinstance(term, Anonymous):
        return f"_:{term.name}"
    if isinstance(term, Integer):
        return str(term.value)
    return f"{term.name}({' '.join(render(arg) for arg in term.args)})"


def render_entity(term: Term) -> str:
    """Render a term for a ``subject``/``object`` column: named entities as plain IRIs."""
    if isinstance(term, IRI):
        return term.value
    return render(term)


__all__ = ["IRI", "Anonymous", "Expr", "Integer", "Literal", "Term", "render", "render_entity"]
