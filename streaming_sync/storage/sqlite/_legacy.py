"""The schemas the original system left behind, recognised by their shape, and their rows
read back as ``OntologyData`` (see ``docs/reliability.md`` for the DDL of each).

* ``iri-unique``: ``owl_classes(iri TEXT PRIMARY KEY, label, description, ...)`` -- one
  global IRI column, no ontology scope;
* ``hierarchy-fk-iri``: ``owl_classes(class_iri TEXT PRIMARY KEY, ...)`` with
  ``owl_class_hierarchy(class_iri, parent_iri)`` whose foreign keys name a column
  ``owl_classes(iri)`` that does not exist (so every insert failed with
  ``foreign_keys=ON``; rows exist only where it was off);
* ``autoincrement-id``: ``owl_classes(id INTEGER PRIMARY KEY AUTOINCREMENT, iri TEXT
  UNIQUE, ...)`` with a hierarchy by id;
* any of those *half-migrated*: the original migration renamed ``owl_classes`` to
  ``owl_classes_old`` and then failed creating a STRICT table with ``DATETIME`` columns,
  leaving only the ``_old`` table.

Optional ``owl_properties`` and ``owl_axioms`` tables without ``ontology_id`` come along.
Each legacy table becomes one synthetic file, ``legacy:<table>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..._errors import SchemaError
from ..._model import (
    Axiom,
    AxiomType,
    HierarchyEdge,
    OntologyClass,
    OntologyData,
    OntologyProperty,
    OtherAxiom,
    PropertyType,
)

LEGACY_PREFIX = "legacy:"
_CLASS_TABLES = ("owl_classes", "owl_classes_old")
_HIERARCHY_TABLES = ("owl_class_hierarchy", "owl_class_hierarchy_old")
_PROPERTY_TABLES = ("owl_properties", "owl_properties_old")
_AXIOM_TABLES = ("owl_axioms", "owl_axioms_old")
_PROPERTY_TYPES = {
    "object": PropertyType.OBJECT,
    "objectproperty": PropertyType.OBJECT,
    "owl:objectproperty": PropertyType.OBJECT,
    "data": PropertyType.DATA,
    "datatype": PropertyType.DATA,
    "dataproperty": PropertyType.DATA,
    "datatypeproperty": PropertyType.DATA,
    "owl:datatypeproperty": PropertyType.DATA,
    "annotation": PropertyType.ANNOTATION,
    "annotationproperty": PropertyType.ANNOTATION,
    "owl:annotationproperty": PropertyType.ANNOTATION,
}

Columns = Mapping[str, set[str]]


@attrs.frozen
class LegacyLayout:
    """Where the legacy rows are: the table of each kind (None when absent) and the
    column playing each role."""

    variant: str
    classes: str
    iri: str
    label: str | None
    comment: str | None
    class_id: str | None = None
    hierarchy: str | None = None
    hierarchy_by_id: bool = False
    properties: str | None = None
    property_iri: str | None = None
    axioms: str | None = None

    @property
    def tables(self) -> tuple[str, ...]:
        found = (self.classes, self.hierarchy, self.properties, self.axioms)
        return tuple(t for t in found if t is not None)


def _first(columns: set[str], *names: str) -> str | None:
    return next((n for n in names if n in columns), None)


def _pick(columns: Columns, names: Sequence[str]) -> str | None:
    """The first of ``names`` that is a table without ``ontology_id`` (a legacy one)."""
    return next((n for n in names if n in columns and "ontology_id" not in columns[n]), None)


def detect(columns: Columns) -> LegacyLayout | None:
    """The legacy layout of a database with these tables/columns, or None when it holds
    no legacy class table. Raises ``SchemaError`` for a shape we cannot map."""
    table = _pick(columns, _CLASS_TABLES)
    if table is None:
        return None
    cols = columns[table]
    iri = _first(cols, "iri", "class_iri")
    if iri is None:
        raise SchemaError(f"table {table} has no iri or class_iri column: an unknown schema")
    class_id = "id" if "id" in cols and iri == "iri" else None
    hierarchy = _pick(columns, _HIERARCHY_TABLES)
    by_id = False
    if hierarchy is not None:
        h = columns[hierarchy]
        by_id = {"class_id", "parent_id"} <= h
        if not by_id and not {"class_iri", "parent_iri"} <= h:
            raise SchemaError(f"table {hierarchy} has neither (class_iri, parent_iri) nor ids")
        if by_id and class_id is None:
            raise SchemaError(f"table {hierarchy} refers to class ids but {table} has none")
    properties = _pick(columns, _PROPERTY_TABLES)
    property_iri = _first(columns[properties], "iri", "property_iri") if properties else None
    if properties is not None and property_iri is None:
        raise SchemaError(f"table {properties} has no iri or property_iri column")
    axioms = _pick(columns, _AXIOM_TABLES)
    if axioms is not None and not {"axiom_type", "subject", "object"} <= columns[axioms]:
        raise SchemaError(f"table {axioms} lacks axiom_type, subject or object")
    variant = (
        "autoincrement-id"
        if class_id
        else ("hierarchy-fk-iri" if iri == "class_iri" else "iri-unique")
    )
    if table.endswith("_old"):
        variant += " (half-migrated: the STRICT/DATETIME migration failed)"
    return LegacyLayout(
        variant=variant,
        classes=table,
        iri=iri,
        label=_first(cols, "label", "name"),
        comment=_first(cols, "comment", "description"),
        class_id=class_id,
        hierarchy=hierarchy,
        hierarchy_by_id=by_id,
        properties=properties,
        property_iri=property_iri,
        axioms=axioms,
    )


def class_query(layout: LegacyLayout) -> str:
    label = layout.label or "NULL"
    comment = layout.comment or "NULL"
    order = layout.class_id or "rowid"
    return (
        f'SELECT "{layout.iri}", {label}, {comment} FROM "{layout.classes}" '
        f'WHERE "{layout.iri}" IS NOT NULL ORDER BY {order}'
    )


def hierarchy_query(layout: LegacyLayout) -> str | None:
    if layout.hierarchy is None:
        return None
    if layout.hierarchy_by_id:
        c = f'"{layout.classes}"'
        return (
            f'SELECT child.iri, parent.iri FROM "{layout.hierarchy}" AS h '
            f"JOIN {c} AS child ON child.id = h.class_id "
            f"JOIN {c} AS parent ON parent.id = h.parent_id ORDER BY h.rowid"
        )
    return (
        f'SELECT class_iri, parent_iri FROM "{layout.hierarchy}" '
        "WHERE class_iri IS NOT NULL AND parent_iri IS NOT NULL ORDER BY rowid"
    )


def property_query(layout: LegacyLayout, columns: set[str]) -> str | None:
    if layout.properties is None:
        return None
    picked = [
        f'"{layout.property_iri}"',
        "property_type" if "property_type" in columns else "NULL",
        "label" if "label" in columns else "NULL",
        "domain" if "domain" in columns else "NULL",
        '"range"' if "range" in columns else "NULL",
    ]
    return (
        f'SELECT {", ".join(picked)} FROM "{layout.properties}" '
        f'WHERE "{layout.property_iri}" IS NOT NULL ORDER BY rowid'
    )


def axiom_query(layout: LegacyLayout, columns: set[str]) -> str | None:
    if layout.axioms is None:
        return None
    extra = [
        "property_iri" if "property_iri" in columns else "NULL",
        "annotations" if "annotations" in columns else "NULL",
        "is_inferred" if "is_inferred" in columns else "0",
    ]
    return (
        f'SELECT axiom_type, subject, object, {", ".join(extra)} FROM "{layout.axioms}" '
        "WHERE axiom_type IS NOT NULL AND subject IS NOT NULL AND object IS NOT NULL "
        "ORDER BY rowid"
    )


def classes_data(rows: Sequence[Sequence[Any]]) -> OntologyData:
    return OntologyData(
        classes=tuple(
            OntologyClass(str(iri), _text(label), _text(comment)) for iri, label, comment in rows
        )
    )


def hierarchy_data(rows: Sequence[Sequence[Any]]) -> OntologyData:
    unique = dict.fromkeys(HierarchyEdge(str(c), str(p)) for c, p in rows)
    return OntologyData(edges=tuple(unique))


def properties_data(rows: Sequence[Sequence[Any]]) -> OntologyData:
    found = []
    for iri, kind, label, domain, range_ in rows:
        key = str(kind or "annotation").strip().casefold()
        kind_value = _PROPERTY_TYPES.get(key)
        if kind_value is None:
            raise SchemaError(f"property {iri}: unknown property_type {kind!r}")
        found.append(
            OntologyProperty(str(iri), kind_value, _text(label), _iris(domain), _iris(range_))
        )
    return OntologyData(properties=tuple(found))


def axioms_data(rows: Sequence[Sequence[Any]]) -> OntologyData:
    known = {str(t) for t in AxiomType}
    axioms, others = [], []
    for kind, subject, obj, prop, notes, inferred in rows:
        if str(kind) in known:
            axioms.append(
                Axiom(
                    AxiomType(str(kind)),
                    str(subject),
                    str(obj),
                    _text(prop),
                    _text(notes),
                    bool(inferred),
                )
            )
        else:
            others.append(OtherAxiom(str(kind), f"{kind}({subject} {obj})"))
    return OntologyData(axioms=tuple(axioms), other_axioms=tuple(others))


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _iris(value: object) -> tuple[str, ...]:
    """A legacy domain/range: NULL, one IRI, or a JSON array of IRIs."""
    text = _text(value)
    if text is None:
        return ()
    if text.startswith("["):
        try:
            return tuple(str(v) for v in json.loads(text) if v)
        except (ValueError, TypeError):
            pass
    return (text,)


__all__ = [
    "LEGACY_PREFIX",
    "LegacyLayout",
    "axiom_query",
    "axioms_data",
    "class_query",
    "classes_data",
    "detect",
    "hierarchy_data",
    "hierarchy_query",
    "properties_data",
    "property_query",
]
