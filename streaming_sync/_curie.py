"""CURIEs: short names such as ``BFO:0000040`` or ``mv:Avatar`` for full IRIs.

A :class:`PrefixMap` expands a CURIE to its IRI and compresses an IRI to the shortest
CURIE that expands back to it. Two sources of prefixes:

* named prefixes (``mv`` -> ``http://narrativegoldmine.com/metaverse#``): the reader
  starts from those the sync's parsers know (``parsers.logseq.DEFAULT_PREFIXES``, which
  include ``rdf``, ``rdfs``, ``owl``, ``xsd``), plus any the caller adds;
* the OBO convention, for any prefix not named: ``GO:0008150`` is
  ``http://purl.obolibrary.org/obo/GO_0008150`` (letters and digits, a colon, digits).

The one law, checked by a property test: ``expand(compress(iri)) == iri`` for every
IRI. So an IRI that no prefix shortens is shown as it is, unless it would itself be
read as a CURIE (``BFO:1`` stored as an IRI): that one is shown in angle brackets,
``<BFO:1>``, which :meth:`PrefixMap.expand` reads as "this IRI, verbatim".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

import attrs

#: Where the OBO Foundry's IRIs live: ``PREFIX:NNNNNNN`` is ``OBO_NAMESPACE + PREFIX_NNNNNNN``.
OBO_NAMESPACE = "http://purl.obolibrary.org/obo/"

_PREFIX_NAME = re.compile(r"(?:[A-Za-z_][\w.\-]*)?")
_CURIE = re.compile(r"([A-Za-z_][\w.\-]*)?:(.*)", re.DOTALL)
_OBO_CURIE = re.compile(r"([A-Za-z][A-Za-z0-9]*):([0-9]+)")
_OBO_IRI = re.compile(re.escape(OBO_NAMESPACE) + r"([A-Za-z][A-Za-z0-9]*)_([0-9]+)")


def _checked(prefixes: Mapping[str, str]) -> Mapping[str, str]:
    for name, namespace in prefixes.items():
        if not _PREFIX_NAME.fullmatch(name):
            raise ValueError(
                f"prefix {name!r}: a prefix is a letter or '_' then letters, digits, "
                "'_', '-' or '.' (or empty, for ':local')"
            )
        if not namespace:
            raise ValueError(f"prefix {name!r}: its namespace is empty; give the IRI it stands for")
    return MappingProxyType(dict(prefixes))  # a copy nobody can change: the map is a value


@attrs.frozen
class PrefixMap:
    """Prefix name -> namespace IRI, with the OBO convention for the names not listed.

    ``expand`` and ``compress`` are pure functions of the map; the map is a value
    (build a new one with :meth:`with_prefixes`)."""

    # hash=False: a mapping has no hash; equal maps still hash alike (to the same value).
    prefixes: Mapping[str, str] = attrs.field(
        factory=dict, converter=_checked, hash=False, repr=lambda m: repr(dict(m))
    )

    def with_prefixes(self, extra: Mapping[str, str] | None) -> PrefixMap:
        """This map with ``extra`` added (an ``extra`` name replaces the same name here)."""
        return self if not extra else PrefixMap({**self.prefixes, **extra})

    def expand(self, name: str) -> str:
        """The IRI ``name`` stands for: ``<iri>`` is ``iri``; ``prefix:local`` with a
        named prefix is its namespace + ``local``; ``PREFIX:digits`` with a prefix not
        named is an OBO IRI; anything else (a full IRI, an unknown prefix) is returned
        unchanged."""
        if len(name) >= 2 and name[0] == "<" and name[-1] == ">":
            return name[1:-1]
        match = _CURIE.fullmatch(name)
        if match is None or match.group(2).startswith("//"):
            return name
        prefix = match.group(1) or ""
        namespace = self.prefixes.get(prefix)
        if namespace is not None:
            return namespace + match.group(2)
        obo = _OBO_CURIE.fullmatch(name)
        if obo is not None:
            return f"{OBO_NAMESPACE}{obo.group(1)}_{obo.group(2)}"
        return name

    def compress(self, iri: str) -> str:
        """The shortest CURIE for ``iri`` (the longest matching namespace wins, then the
        shortest prefix name), else the OBO form, else ``iri`` itself (in ``<>`` when it
        would be read as a CURIE). Always ``expand(compress(iri)) == iri``."""
        for candidate in self._candidates(iri):
            if self.expand(candidate) == iri:
                return candidate
        return iri if self.expand(iri) == iri else f"<{iri}>"

    def _candidates(self, iri: str) -> list[str]:
        # Longest namespace first, then the shortest prefix name, then by name.
        named = sorted(
            (-len(namespace), len(prefix), prefix, iri[len(namespace) :])
            for prefix, namespace in self.prefixes.items()
            if iri.startswith(namespace) and len(iri) > len(namespace)
        )
        found = [f"{prefix}:{local}" for _, _, prefix, local in named]
        obo = _OBO_IRI.fullmatch(iri)
        if obo is not None:
            found.append(f"{obo.group(1)}:{obo.group(2)}")
        return found


__all__ = ["OBO_NAMESPACE", "PrefixMap"]
