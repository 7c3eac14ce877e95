"""RFC 3987 IRIs: is a string an absolute IRI, or an IRI reference? (no outside library)

RDF names things with absolute IRIs. pyoxigraph checks every IRI it reads against
RFC 3987; rdflib checks almost nothing (``<http://example.org/bad iri>`` becomes a
URIRef). The rdflib parser therefore passes every IRI it yields through
:func:`is_absolute_iri`, and the Turtle-family syntax check (:mod:`._turtlesyntax`)
passes every written IRI reference through :func:`is_iri_reference`, so both parsers
refuse the same names. The grammar is RFC 3987 section 2.2, written out as one regular
expression per production; IPv6 literals are checked with :mod:`ipaddress`.
"""

from __future__ import annotations

import ipaddress
import re

_UCSCHAR = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
    "\U00010000-\U0001fffd\U00020000-\U0002fffd\U00030000-\U0003fffd"
    "\U00040000-\U0004fffd\U00050000-\U0005fffd\U00060000-\U0006fffd"
    "\U00070000-\U0007fffd\U00080000-\U0008fffd\U00090000-\U0009fffd"
    "\U000a0000-\U000afffd\U000b0000-\U000bfffd\U000c0000-\U000cfffd"
    "\U000d0000-\U000dfffd\U000e1000-\U000efffd"
)
_IPRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_UNRESERVED = rf"A-Za-z0-9\-._~{_UCSCHAR}"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_SEGMENT = rf"{_PCHAR}*"
_SEGMENT_NZ_NC = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}@]|{_PCT})+"
_USERINFO = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*"
_REG_NAME = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*"
_HOST = rf"(?:\[(?P<literal>[^\]]*)\]|{_REG_NAME})"
_AUTHORITY = rf"(?:{_USERINFO}@)?{_HOST}(?::[0-9]*)?"
_QUERY = rf"(?:{_PCHAR}|[/?{_IPRIVATE}])*"
_FRAGMENT = rf"(?:{_PCHAR}|[/?])*"
_TAIL = rf"(?:\?{_QUERY})?(?:#{_FRAGMENT})?"
_HIER = rf"(?://{_AUTHORITY}(?:/{_SEGMENT})*|/(?:{_PCHAR}+(?:/{_SEGMENT})*)?|{_PCHAR}+(?:/{_SEGMENT})*|)"
_RELATIVE = (
    rf"(?://{_AUTHORITY}(?:/{_SEGMENT})*|/(?:{_PCHAR}+(?:/{_SEGMENT})*)?"
    rf"|{_SEGMENT_NZ_NC}(?:/{_SEGMENT})*|)"
)
_SCHEME = r"[A-Za-z][A-Za-z0-9+\-.]*"
_ABSOLUTE_IRI = re.compile(rf"{_SCHEME}:{_HIER}{_TAIL}")
_RELATIVE_REF = re.compile(rf"{_RELATIVE}{_TAIL}")
_IPV_FUTURE = re.compile(rf"v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~{_SUB_DELIMS}:]+")


def is_absolute_iri(text: str) -> bool:
    """True when ``text`` is an IRI with a scheme (RFC 3987 ``IRI``)."""
    match = _ABSOLUTE_IRI.fullmatch(text)
    return match is not None and _host_ok(match.group("literal"))


def is_iri_reference(text: str) -> bool:
    """True when ``text`` is an IRI or a relative reference (RFC 3987 ``IRI-reference``)."""
    return is_absolute_iri(text) or (
        (match := _RELATIVE_REF.fullmatch(text)) is not None and _host_ok(match.group("literal"))
    )


def _host_ok(literal: str | None) -> bool:
    """An ``[...]`` host holds an IPv6 address or an ``IPvFuture``."""
    if literal is None:
        return True
    if _IPV_FUTURE.fullmatch(literal):
        return True
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return False
    return "%" not in literal  # zone ids (RFC 6874) are not part of RFC 3987


__all__ = ["is_absolute_iri", "is_iri_reference"]
