"""JSON-LD numbers as RDF literals, computed from the number as written (no library).

The JSON-LD to-RDF algorithm ("Object to RDF Conversion", JSON-LD 1.1 Processing
Algorithms) makes a native JSON number an ``xsd:integer`` literal when it has no
fractional part and is small, else an ``xsd:double`` in canonical form (``1.5E0``,
``1.0E-7``); a number typed ``xsd:double`` is always written in that form. rdflib's
JSON-LD reader writes Python's rendering of the ``float`` it parsed instead (``1.5``,
``1e-07``, ``"1.0"^^xsd:double`` for ``1.0``); pyoxigraph follows the specification,
working on the digits as written. So the rdflib path reads the document with
:func:`load_json`, which keeps every number's text (:class:`JsonInteger`,
:class:`JsonDouble`: still an ``int``/``float`` to rdflib, but ``str()`` gives the text,
so numbers written differently stay apart in rdflib's graph),
and writes each number's literal with :func:`number_lexical`.

:func:`number_lexical` follows pyoxigraph where it reads the specification its own way:
the digits are kept as written (no rounding to a 64-bit float), an integer of 21 digits
or more (from 10^20; the specification says from 10^21) is a double, negative zero is
``0``, and an exponent beyond 64 bits leaves the number as written.
"""

from __future__ import annotations

import json
import re

_EXPONENT_DIGITS = 18
_INTEGER_DIGITS = 21
_NOT_JSON = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)', re.S)


class JsonInteger(int):
    """A JSON number that JSON-LD makes an ``xsd:integer``; ``text`` as written."""

    text: str

    def __new__(cls, text: str) -> JsonInteger:
        number = super().__new__(cls, number_lexical(text, always_double=False)[0])
        number.text = text
        return number

    def __str__(self) -> str:
        # a library writing a literal from str() keeps the numbers as written apart
        return self.text


class JsonDouble(float):
    """A JSON number that JSON-LD makes an ``xsd:double``; ``text`` as written."""

    text: str

    def __new__(cls, text: str) -> JsonDouble:
        number = super().__new__(cls, text)
        number.text = text
        return number

    def __str__(self) -> str:
        # a library writing a literal from str() keeps the numbers as written apart
        return self.text


class NotJsonError(ValueError):
    """``NaN``/``Infinity``: Python's ``json`` reads them, JSON has no such values."""

    def __init__(self, token: str) -> None:
        super().__init__(f"{token} is not a JSON value")
        self.token = token


def load_json(text: str) -> object:
    """The document, each number a :class:`JsonInteger` or :class:`JsonDouble`.

    Raises ``json.JSONDecodeError``, and :class:`NotJsonError` for ``NaN``/``Infinity``."""
    return json.loads(text, parse_int=_number, parse_float=_number, parse_constant=refuse_constant)


def refuse_constant(token: str) -> float:
    """A ``parse_constant`` for :func:`json.loads`: Python alone reads ``NaN`` and
    ``Infinity``; JSON (and pyoxigraph) refuse them."""
    raise NotJsonError(token)


def where_not_json(text: str, token: str) -> int | None:
    """The offset of the first ``token`` written outside a string, or None."""
    for match in _NOT_JSON.finditer(text):
        if match.group(1) == token:
            return match.start(1)
    return None


def _number(text: str) -> JsonInteger | JsonDouble:
    if number_lexical(text, always_double=False)[1]:
        return JsonInteger(text)
    return JsonDouble(text)


def number_lexical(text: str, always_double: bool) -> tuple[str, bool]:
    """The lexical form JSON-LD gives the JSON number ``text``, and whether it is an
    integer (else a double): canonical ``xsd:integer`` digits, or the canonical
    ``xsd:double`` form ``d.dddEn`` (always the double form with ``always_double``)."""
    negative = text.startswith("-")
    mantissa, _, exponent_text = text.lstrip("+-").replace("E", "e").partition("e")
    integer, _, fraction = mantissa.partition(".")
    if len(exponent_text.lstrip("+-0")) > _EXPONENT_DIGITS:
        return text, False  # beyond 64 bits (and beyond what int() reads)
    exponent = int(exponent_text or "0")
    integer, fraction = integer.lstrip("0"), fraction.rstrip("0")
    if not fraction:
        digits = integer.rstrip("0")
        exponent += len(integer) - len(digits)
        integer = digits
    if not integer:
        digits = fraction.lstrip("0")
        exponent -= len(fraction) - len(digits)
        fraction = digits
    # the exponent of the form 0.ddd x 10^exponent
    exponent += len(integer)
    digits = integer + fraction
    if not digits:
        digits, exponent, negative = "0", 1, False
    sign = "-" if negative else ""
    if not always_double and len(digits) <= exponent < _INTEGER_DIGITS:
        return sign + digits + "0" * (exponent - len(digits)), True
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent - 1}", False


__all__ = [
    "JsonDouble",
    "JsonInteger",
    "NotJsonError",
    "load_json",
    "number_lexical",
    "refuse_constant",
    "where_not_json",
]
