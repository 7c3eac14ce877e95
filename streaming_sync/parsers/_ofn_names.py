"""OWL 2 Functional Syntax: prefixed names to IRIs (:class:`NameResolver`).

Used by the Functional Syntax reader (``._ofn_reader``) and the Logseq parser; re-exported
by ``._ofn_lex``. The rules are in ``docs/formats.md``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from .._owl import IRI, Anonymous, PrefixedName, Term

#: How many resolved names a :class:`NameResolver` remembers at most.
_KNOWN_NAMES = 4096


class NameResolver:
    """Turns prefixed names into full IRIs.

    Order: the document's own ``Prefix`` declarations (:meth:`declare`; the first one of
    a prefix wins, a conflicting one is reported), then ``configured``; the empty prefix
    falls back to ``default_namespace``. A name whose prefix is unknown is kept exactly as
    written (a :class:`PrefixedName`) and its prefix is remembered for one warning.
    """

    def __init__(
        self,
        configured: Mapping[str, str],
        default_namespace: str | None = None,
        unresolved: dict[str, str] | None = None,
        *,
        declared: Mapping[str, str] | None = None,
    ) -> None:
        self._map = dict(configured)
        if default_namespace is not None:
            self._map[""] = default_namespace
        #: the document's declarations (those given here were read before, e.g. a page's)
        self.declared: dict[str, str] = dict(declared or {})
        self._map.update(self.declared)
        #: unknown prefix -> first name seen with it (share one dict for a page-wide set)
        self.unresolved: dict[str, str] = {} if unresolved is None else unresolved
        self.misses = 0  # names kept as written so far
        #: anonymous individuals (``_:x``) resolved so far: while 0, no axiom read with
        #: this resolver names one (``RowBuilder.add_axiom(named_only=...)``)
        self.anonymous = 0
        self.conflicts: list[str] = []
        #: name -> its IRI, for names read again (most are); emptied (never replaced)
        #: when a declaration changes the map, and when it grows past _KNOWN_NAMES (a
        #: long document). Public so that the reader's loop can look a name up here
        #: before it pays for a call to :meth:`term`; only this class writes it.
        self.known: dict[str, IRI] = {}

    def declare(self, prefix: str, namespace: str, line: int) -> None:
        known = self.declared.setdefault(prefix, namespace)
        if known != namespace:
            self.conflicts.append(
                f"line {line}: Prefix({prefix}:=<{namespace}>) ignored: "
                f"'{prefix}:' was declared before as <{known}>"
            )
            return
        self._map[prefix] = namespace
        self.known.clear()

    def resolve(self, name: str) -> str | None:
        """The full IRI of prefixed ``name`` (``p:local``), None when ``p`` is unknown."""
        prefix, _, local = name.partition(":")
        namespace = self._map.get(prefix)
        return None if namespace is None else sys.intern(namespace + local)

    def term(self, name: str) -> IRI | Anonymous:
        known = self.known.get(name)
        if known is not None:
            return known
        prefix, _, local = name.partition(":")
        namespace = self._map.get(prefix)
        if namespace is not None and prefix != "_":
            if len(self.known) >= _KNOWN_NAMES:
                self.known.clear()
            iri = self.known[name] = IRI(sys.intern(namespace + local))
            return iri
        if prefix == "_":
            self.anonymous += 1
            return Anonymous(local)
        self.misses += 1
        self.unresolved.setdefault(name.partition(":")[0], name)
        return PrefixedName(name)

    def retry(self, term: Term) -> Term:
        """A :class:`PrefixedName` resolved with the prefixes known now, else as it is."""
        if isinstance(term, PrefixedName):
            iri = self.resolve(term.value)
            return term if iri is None else IRI(iri)
        return term

    def warnings(self) -> list[str]:
        still = {p: n for p, n in self.unresolved.items() if p not in self._map}
        return [*self.conflicts, *unresolved_warnings(still)]


def unresolved_warnings(unresolved: Mapping[str, str]) -> list[str]:
    """One warning per unknown prefix, naming it and a name written with it."""
    return [
        f"unresolved prefix '{prefix}:' (e.g. {example}); names kept as written"
        for prefix, example in unresolved.items()
    ]


__all__ = ["NameResolver", "unresolved_warnings"]
