"""The pieces of one file's rows: row accumulators, the tables of axiom kinds, labels.

Used by :mod:`._rows` (the one mapping from axioms to rows); pure Python.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from .._model import PropertyType
from .._owl import Expr, Literal, OwlAxiom, Term, render, term_key

RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"

DOMAIN_RANGE = {
    "ObjectPropertyDomain": (PropertyType.OBJECT, "domain"),
    "ObjectPropertyRange": (PropertyType.OBJECT, "range"),
    "DataPropertyDomain": (PropertyType.DATA, "domain"),
    "DataPropertyRange": (PropertyType.DATA, "range"),
    "AnnotationPropertyDomain": (PropertyType.ANNOTATION, "domain"),
    "AnnotationPropertyRange": (PropertyType.ANNOTATION, "range"),
}
#: Axioms that fix the type of the property they name (a property row, and kept whole).
CHARACTERISTICS = {
    **{
        name + "ObjectProperty": PropertyType.OBJECT
        for name in (
            "Functional",
            "InverseFunctional",
            "Transitive",
            "Symmetric",
            "Asymmetric",
            "Reflexive",
            "Irreflexive",
        )
    },
    "FunctionalDataProperty": PropertyType.DATA,
}
#: Symmetric axioms whose operands are merged into equivalence classes.
EQUIVALENCES = frozenset(
    {
        "EquivalentClasses",
        "EquivalentObjectProperties",
        "EquivalentDataProperties",
        "SameIndividual",
    }
)
PROPERTY_KINDS = {str(t): t for t in PropertyType}
_TYPE_RANK = {PropertyType.OBJECT: 0, PropertyType.DATA: 1, PropertyType.ANNOTATION: 2}
_O, _D, _A = PropertyType.OBJECT, PropertyType.DATA, PropertyType.ANNOTATION
#: Property axioms that exist in several kinds: the kinds of each family by name.
_FAMILIES: tuple[dict[PropertyType, str], ...] = (
    {_O: "ObjectPropertyDomain", _D: "DataPropertyDomain", _A: "AnnotationPropertyDomain"},
    {_O: "ObjectPropertyRange", _D: "DataPropertyRange", _A: "AnnotationPropertyRange"},
    {_O: "FunctionalObjectProperty", _D: "FunctionalDataProperty"},
    {_O: "SubObjectPropertyOf", _D: "SubDataPropertyOf", _A: "SubAnnotationPropertyOf"},
    {_O: "EquivalentObjectProperties", _D: "EquivalentDataProperties"},
    {_O: "DisjointObjectProperties", _D: "DisjointDataProperties"},
)
FAMILY_OF = {name: family for family in _FAMILIES for name in family.values()}
#: Families whose every argument is a property (the others: only the first).
ALL_PROPERTIES = (
    frozenset(_FAMILIES[3].values()) | set(_FAMILIES[4].values()) | set(_FAMILIES[5].values())
)
_LINK = re.compile(r"\[\[(.*?)\]\]", re.S)


def strip_links(text: str) -> str:
    """``[[Foo Bar]]`` -> ``Foo Bar``, anywhere in a label."""
    return _LINK.sub(r"\1", text) if "[[" in text else text


def label_rank(literal: Literal) -> tuple[int, str, str]:
    """en, then en-*, then no language, then the rest; ties by (lang, value)."""
    lang = (literal.lang or "").lower()
    rank = 0 if lang == "en" else 1 if lang.startswith("en-") else 2 if not lang else 3
    return rank, lang, literal.lexical


def annotations_json(annotations: tuple[Expr, ...]) -> str | None:
    """Axiom annotations as stored on a row: ``{"annotations": [<FS text>, ...]}``."""
    if not annotations:
        return None
    texts = [render(a) for a in annotations]
    return json.dumps({"annotations": texts}, ensure_ascii=False, separators=(",", ":"))


class ClassRow:
    __slots__ = ("comment", "label", "properties")

    def __init__(self) -> None:
        self.label: str | None = None
        self.comment: str | None = None
        self.properties: list[tuple[str, str]] | None = None  # most classes have none

    def add_properties(self, properties: Iterable[tuple[str, str]]) -> None:
        found = list(properties)
        if found:
            self.properties = (self.properties or []) + found

    def property_tuple(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.properties) if self.properties else ()


class PropertyRow:
    """A property's row; its type is the strongest declared kind (Object > Data >
    Annotation), else the strongest kind its axioms imply."""

    __slots__ = ("declared", "domain", "implied", "label", "range")

    def __init__(self) -> None:
        self.declared: set[PropertyType] = set()
        self.implied: set[PropertyType] = set()
        self.label: str | None = None
        self.domain: dict[str, None] = {}
        self.range: dict[str, None] = {}

    @property
    def type(self) -> PropertyType:
        return min(self.declared or self.implied, key=_TYPE_RANK.__getitem__)


class Equivalences:
    """Union-find over the operands of equivalence axioms, per (kind, annotations): an
    n-ary axiom and any chain, star or clique of binary ones give the same classes."""

    def __init__(self) -> None:
        self._parent: dict[tuple[object, ...], tuple[object, ...]] = {}
        self._terms: dict[tuple[object, ...], Term] = {}

    def add(self, axiom: OwlAxiom) -> None:
        group = (axiom.kind, axiom.annotations)
        keys = []
        for term in axiom.args:
            key = (group, term_key(term))
            self._terms.setdefault(key, term)
            self._parent.setdefault(key, key)
            keys.append(key)
        for key in keys[1:]:
            self._parent[self._find(key)] = self._find(keys[0])

    def _find(self, key: tuple[object, ...]) -> tuple[object, ...]:
        root = key
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[key] != root:  # path compression
            self._parent[key], key = root, self._parent[key]
        return root

    def components(self) -> Iterator[OwlAxiom]:
        """One axiom per class: its operands in canonical order (the anchor first)."""
        members: dict[tuple[object, ...], list[tuple[object, ...]]] = {}
        for key in self._parent:
            members.setdefault(self._find(key), []).append(key)
        for keys in members.values():
            group = keys[0][0]
            assert isinstance(group, tuple)
            ordered = sorted(keys, key=lambda k: k[1])  # type: ignore[arg-type,return-value]
            yield OwlAxiom(group[0], tuple(self._terms[k] for k in ordered), group[1])


__all__ = [
    "ALL_PROPERTIES",
    "CHARACTERISTICS",
    "DOMAIN_RANGE",
    "EQUIVALENCES",
    "FAMILY_OF",
    "PROPERTY_KINDS",
    "RDFS_COMMENT",
    "RDFS_LABEL",
    "ClassRow",
    "Equivalences",
    "PropertyRow",
    "annotations_json",
    "label_rank",
    "strip_links",
]
