"""The public rows of one ontology, and the reference semantics that define them.

:func:`materialize` is the specification of what the four public tables must hold for a
given set of files, written as plain Python. Every ``Repository`` must end with exactly
these rows (timestamps and ``owl_axioms.id`` aside) after any sequence of
``save_file``/``remove_file`` calls -- the *convergence invariant*. The in-memory test
repository uses this function directly; the contract tests compare real backends to it.

The rules, forced by real data (see ``docs/schema.md``):

* A class row exists for every IRI a file declares, and a *placeholder* row (label,
  comment, file_sha1 and properties NULL) for every IRI that a hierarchy edge names but no
  file declares, so the hierarchy's foreign keys hold.
* ``file_sha1`` and ``properties`` come from the declaring file whose path sorts first
  (byte order); ``label`` and ``comment`` each from the first declaring file, by path, that
  provides one. The result never depends on the order files were processed in.
* An edge exists while any file asserts it, directly or through a resolved page link.
* A page link ``(c, key)`` resolves to the link targets (``OntologyData.link_targets``)
  of the first page, by path, that has ``key`` among its page keys and offers at least
  one link target -- never to other classes that page declares (e.g. in its fences).
* Properties: ``property_type`` and ``label`` from the first declaring file by path
  (label: the first that has one); ``domain``/``range`` the sorted union.
* Axioms are a multiset: each file's own, plus one SubClassOf per resolved link edge,
  attributed to the linking file.

Each row type has the JSON form of ``_model``'s rows (``to_dict``/``from_dict``).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from ._model import (
    LINK_AXIOM_ANNOTATIONS,
    AxiomType,
    JsonForm,
    OntologyData,
    iri_list_json,
    properties_json,
)


@attrs.frozen(order=True)
class ClassRow(JsonForm):
    class_iri: str
    label: str | None
    comment: str | None
    file_sha1: str | None
    properties: str | None


@attrs.frozen(order=True)
class EdgeRow(JsonForm):
    class_iri: str
    parent_iri: str


@attrs.frozen(order=True)
class PropertyRow(JsonForm):
    property_iri: str
    label: str | None
    property_type: str
    domain: str
    range: str


@attrs.frozen(order=True)
class AxiomRow(JsonForm):
    axiom_type: str
    subject: str
    object: str
    property_iri: str | None
    annotations: str | None
    is_inferred: bool
    source_path: str


@attrs.frozen
class OtherAxiomRow(JsonForm):
    source_path: str
    kind: str
    text: str


def _sort_key(row: AxiomRow | OtherAxiomRow) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in attrs.astuple(row))


@attrs.frozen
class OntologySnapshot:
    """The public rows of one ontology id, order-free (axioms as a sorted multiset)."""

    classes: frozenset[ClassRow]
    edges: frozenset[EdgeRow]
    properties: frozenset[PropertyRow]
    axioms: tuple[AxiomRow, ...]
    other_axioms: tuple[OtherAxiomRow, ...] = ()

    @classmethod
    def build(
        cls,
        classes: list[ClassRow],
        edges: list[EdgeRow],
        properties: list[PropertyRow],
        axioms: list[AxiomRow],
        other_axioms: list[OtherAxiomRow],
    ) -> OntologySnapshot:
        return cls(
            frozenset(classes),
            frozenset(edges),
            frozenset(properties),
            tuple(sorted(axioms, key=_sort_key)),
            tuple(sorted(other_axioms, key=_sort_key)),
        )


def resolve_links(files: Mapping[str, tuple[str, OntologyData]]) -> list[tuple[str, str, str]]:
    """(linking path, class_iri, parent_iri) for every page link that resolves."""
    target_page: dict[str, str] = {}
    for path in sorted(files):
        data = files[path][1]
        if data.link_targets:
            for key in data.page_keys:
                target_page.setdefault(key, path)
    resolved = []
    for path in sorted(files):
        for link in files[path][1].links:
            target = target_page.get(link.target)
            if target is None:
                continue
            for parent in dict.fromkeys(files[target][1].link_targets):
                resolved.append((path, link.class_iri, parent))
    return resolved


def materialize(files: Mapping[str, tuple[str, OntologyData]]) -> OntologySnapshot:
    """The rows a clean sync of ``files`` (path -> (blob sha, data)) must produce."""
    links = resolve_links(files)
    edges = {EdgeRow(e.class_iri, e.parent_iri) for _, d in files.values() for e in d.edges}
    edges |= {EdgeRow(c, p) for _, c, p in links}
    classes: dict[str, ClassRow] = {}
    for path in sorted(files):
        sha, data = files[path]
        for c in data.classes:
            row = classes.get(c.iri)
            if row is None:
                classes[c.iri] = ClassRow(
                    c.iri, c.label, c.comment, sha, properties_json(c.properties)
                )
            else:
                classes[c.iri] = attrs.evolve(
                    row,
                    label=row.label if row.label is not None else c.label,
                    comment=row.comment if row.comment is not None else c.comment,
                )
    for edge in edges:
        for iri in (edge.class_iri, edge.parent_iri):
            classes.setdefault(iri, ClassRow(iri, None, None, None, None))
    props: dict[str, PropertyRow] = {}
    domains: dict[str, set[str]] = {}
    ranges: dict[str, set[str]] = {}
    for path in sorted(files):
        for p in files[path][1].properties:
            prop = props.get(p.iri)
            if prop is None:
                props[p.iri] = PropertyRow(p.iri, p.label, str(p.property_type), "", "")
            elif prop.label is None and p.label is not None:
                props[p.iri] = attrs.evolve(prop, label=p.label)
            domains.setdefault(p.iri, set()).update(p.domain)
            ranges.setdefault(p.iri, set()).update(p.range)
    properties = [
        attrs.evolve(row, domain=iri_list_json(domains[iri]), range=iri_list_json(ranges[iri]))
        for iri, row in props.items()
    ]
    axioms = [
        AxiomRow(
            str(a.axiom_type),
            a.subject,
            a.object,
            a.property_iri,
            a.annotations,
            a.is_inferred,
            path,
        )
        for path, (_, data) in files.items()
        for a in data.axioms
    ]
    axioms += [
        AxiomRow(str(AxiomType.SUBCLASS_OF), c, p, None, LINK_AXIOM_ANNOTATIONS, False, path)
        for path, c, p in links
    ]
    others = [
        OtherAxiomRow(path, o.kind, o.text)
        for path, (_, data) in files.items()
        for o in data.other_axioms
    ]
    return OntologySnapshot.build(list(classes.values()), list(edges), properties, axioms, others)


__all__ = [
    "AxiomRow",
    "ClassRow",
    "EdgeRow",
    "OntologySnapshot",
    "OtherAxiomRow",
    "PropertyRow",
    "materialize",
    "resolve_links",
]
