"""The snapshot read every backend shares: standard SQL each dialect runs as written, and
the rows it returns turned into an ``OntologySnapshot``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._snapshot import AxiomRow, ClassRow, EdgeRow, OntologySnapshot, OtherAxiomRow, PropertyRow

#: The snapshot read: one query per public table, standard SQL every dialect runs as
#: written (``:oid`` is the ontology id), in the column order :func:`assemble_snapshot`
#: reads. A driver runs them in one read transaction.
SNAPSHOT_QUERIES: Mapping[str, str] = {
    "classes": "SELECT class_iri, label, comment, file_sha1, properties FROM owl_classes "
    "WHERE ontology_id = :oid",
    "edges": "SELECT class_iri, parent_iri FROM owl_class_hierarchy WHERE ontology_id = :oid",
    "properties": "SELECT property_iri, label, property_type, domain, range FROM owl_properties "
    "WHERE ontology_id = :oid",
    "axioms": "SELECT axiom_type, subject, object, property_iri, annotations, is_inferred, "
    "source_path FROM owl_axioms WHERE ontology_id = :oid",
    "other_axioms": "SELECT source_path, kind, text FROM owl_other_axioms WHERE ontology_id = :oid",
}


def assemble_snapshot(rows: Mapping[str, Sequence[Sequence[Any]]]) -> OntologySnapshot:
    """The ``OntologySnapshot`` of the rows each of ``SNAPSHOT_QUERIES`` returned (as
    the driver fetched them: tuples or records, column values of the database's types)."""
    axioms = rows["axioms"]
    return OntologySnapshot.build(
        [ClassRow(*row) for row in rows["classes"]],
        [EdgeRow(*row) for row in rows["edges"]],
        [PropertyRow(*row) for row in rows["properties"]],
        # bool(): SQLite stores is_inferred as 0 or 1.
        [AxiomRow(t, s, o, p, a, bool(i), src) for t, s, o, p, a, i, src in axioms],
        [OtherAxiomRow(*row) for row in rows["other_axioms"]],
    )


__all__ = ["SNAPSHOT_QUERIES", "assemble_snapshot"]
