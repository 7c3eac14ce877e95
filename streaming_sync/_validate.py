"""Checks and normalises one file's parsed data before it is written.

Parsers may repeat a class or an edge (a page with several blocks, a declaration and an
``owl:class::`` naming the same IRI); the data is merged here once, so every repository
receives each class and edge of a file once. IRIs that cannot be stored meaningfully
(empty, control characters, angle brackets, absurd length) fail the file with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

import attrs

from ._errors import ValidationError
from ._model import OntologyClass, OntologyData, OntologyProperty

MAX_IRI_LENGTH = 4096
_BAD_IRI = re.compile(r"[\x00-\x1f\x7f<>]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _check_iri(path: str, iri: str, what: str) -> None:
    if not iri or not iri.strip():
        raise ValidationError(path, f"an empty IRI for a {what}")
    if len(iri) > MAX_IRI_LENGTH:
        raise ValidationError(path, f"{what} IRI longer than {MAX_IRI_LENGTH} characters")
    if _BAD_IRI.search(iri):
        raise ValidationError(path, f"{what} IRI {iri[:80]!r} holds a control character or <>")


class _Named(Protocol):
    @property
    def iri(self) -> str: ...


_T = TypeVar("_T", bound=_Named)


def _merge_by_iri(items: Iterable[_T], combine: Callable[[_T, _T], _T]) -> tuple[_T, ...]:
    """One item per IRI, in first-seen order; a repeat is folded into the first."""
    merged: dict[str, _T] = {}
    for item in items:
        seen = merged.get(item.iri)
        merged[item.iri] = item if seen is None else combine(seen, item)
    return tuple(merged.values())


def _combine_classes(seen: OntologyClass, c: OntologyClass) -> OntologyClass:
    return attrs.evolve(
        seen,
        label=seen.label if seen.label is not None else c.label,
        comment=seen.comment if seen.comment is not None else c.comment,
        properties=seen.properties + c.properties,
    )


def _combine_properties(seen: OntologyProperty, p: OntologyProperty) -> OntologyProperty:
    return attrs.evolve(
        seen,
        label=seen.label if seen.label is not None else p.label,
        domain=seen.domain | p.domain,
        range=seen.range | p.range,
    )


def validate(path: str, data: OntologyData) -> OntologyData:
    """Return ``data`` with duplicates merged, or raise ``ValidationError`` naming ``path``."""
    for c in data.classes:
        _check_iri(path, c.iri, "class")
    for e in data.edges:
        _check_iri(path, e.class_iri, "subclass")
        _check_iri(path, e.parent_iri, "superclass")
    for p in data.properties:
        _check_iri(path, p.iri, "property")
    for a in data.axioms:
        # A subject may be a rendered class expression (a general class axiom), which
        # holds <...>: only emptiness and control characters are errors there.
        if not a.subject.strip() or _CONTROL.search(a.subject):
            raise ValidationError(
                path, f"axiom subject {a.subject[:80]!r} is empty or holds a control character"
            )
    for link in data.links:
        _check_iri(path, link.class_iri, "linking class")
    return attrs.evolve(
        data,
        classes=_merge_by_iri(data.classes, _combine_classes),
        edges=tuple(dict.fromkeys(data.edges)),
        properties=_merge_by_iri(data.properties, _combine_properties),
        links=tuple(dict.fromkeys(data.links)),
        page_keys=tuple(dict.fromkeys(data.page_keys)),
        link_targets=tuple(dict.fromkeys(data.link_targets)),
    )


__all__ = ["validate"]
