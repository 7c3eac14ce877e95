"""Numbers through rdflib as they are written: the rdflib parser's helper (rdflib only).

rdflib loses a number's lexical form in two readers; :mod:`.rdf` uses this module to
keep it, as the specifications and pyoxigraph do:

* Turtle, TriG and N3: ``SinkParser.nodeOrLiteral`` builds a bare number with
  ``long_type(token)`` or ``Decimal(token)``, and ``RDFSink.normalise`` writes its
  literal from ``str(number)``, so ``01`` became ``"1"`` and ``0.0000001`` became
  ``"1E-7"``. :func:`numbers_as_written` binds those two names of rdflib's ``notation3``
  module to subclasses whose ``str()`` is the token as written. The names are module
  globals, so they are swapped only under the rdflib parser's lock (which already
  guards ``rdflib.NORMALIZE_LITERALS``, equally global); ``tests/test_parser_literals.py``
  fails if a later rdflib builds numbers some other way.
* JSON-LD: rdflib writes a native number as Python renders its float. The parser hands
  rdflib the document read by :func:`._jsonnumber.load_json`, whose numbers remember
  their text, and :func:`json_number_literal` writes each literal as JSON-LD says.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

from rdflib.plugins.parsers import notation3

from .._owl import Literal
from ._jsonnumber import JsonDouble, JsonInteger, number_lexical
from ._rdfmap import make_literal

_XSD = "http://www.w3.org/2001/XMLSchema#"


# WrittenInteger and WrittenDecimal repeat their three lines on purpose (and so does
# _jsonnumber's pair): each must subclass its own number type for rdflib's isinstance
# checks, and a shared mixin's __new__ could not call the right base without a cast.
class WrittenInteger(int):
    """An integer token of Turtle/TriG/N3 whose ``str()`` is the token as written."""

    text: str

    def __new__(cls, text: str) -> WrittenInteger:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text


class WrittenDecimal(Decimal):
    """A decimal token of Turtle/TriG/N3 whose ``str()`` is the token as written."""

    text: str

    def __new__(cls, text: str) -> WrittenDecimal:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self) -> str:
        return self.text


#: The names rdflib's notation3 reader builds numbers with, and what they are bound to.
NUMBER_TYPES: dict[str, type] = {"long_type": WrittenInteger, "Decimal": WrittenDecimal}


@contextmanager
def numbers_as_written() -> Iterator[None]:
    """rdflib's notation3 reader builds numbers that keep their token (the caller holds
    the rdflib parser's lock). A name a later rdflib no longer has is left alone: the
    file still reads, with numbers normalised, and the literal tests fail."""
    namespace = vars(notation3)
    saved = {name: namespace[name] for name in NUMBER_TYPES if name in namespace}
    namespace.update({name: NUMBER_TYPES[name] for name in saved})
    try:
        yield
    finally:
        namespace.update(saved)


def is_json_number(value: object) -> bool:
    """Whether an rdflib literal's value is a number :func:`._jsonnumber.load_json` read."""
    return isinstance(value, JsonInteger | JsonDouble)


def json_number_literal(number: JsonInteger | JsonDouble, datatype: str | None) -> Literal:
    """The literal JSON-LD makes of a native number: its datatype as rdflib chose it
    (the given one, else by the number's class), its lexical form from the text."""
    if datatype is None:
        datatype = _XSD + ("integer" if isinstance(number, JsonInteger) else "double")
    lexical, _ = number_lexical(number.text, always_double=datatype == _XSD + "double")
    return make_literal(lexical, None, datatype)


__all__ = [
    "NUMBER_TYPES",
    "WrittenDecimal",
    "WrittenInteger",
    "is_json_number",
    "json_number_literal",
    "numbers_as_written",
]
