"""The JSON form of what a backend stores (``to_dict``/``from_dict`` on ``FileEntry``,
``OntologyData`` and its rows, and the snapshot rows): a round trip through
``json.dumps``/``json.loads`` gives the equal value back, and a wrong shape is refused
with a ``ValueError`` that names the keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streaming_sync import (
    Axiom,
    AxiomRow,
    AxiomType,
    ClassRow,
    EdgeRow,
    FileEntry,
    HierarchyEdge,
    OntologyClass,
    OntologyData,
    OntologyProperty,
    OtherAxiom,
    OtherAxiomRow,
    PageLink,
    PropertyRow,
    PropertyType,
    materialize,
)
from streaming_sync.testing._contract_support import CONTENTS

# Any text JSON can carry (no lone surrogates: a stored form is UTF-8).
TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
MAYBE = st.none() | TEXT
CLASSES = st.builds(
    OntologyClass, TEXT, MAYBE, MAYBE, st.lists(st.tuples(TEXT, TEXT), max_size=3).map(tuple)
)
PROPERTIES = st.builds(
    OntologyProperty,
    TEXT,
    st.sampled_from(PropertyType),
    MAYBE,
    st.frozensets(TEXT, max_size=3),
    st.frozensets(TEXT, max_size=3),
)
AXIOMS = st.builds(Axiom, st.sampled_from(AxiomType), TEXT, TEXT, MAYBE, MAYBE, st.booleans())
DATA = st.builds(
    OntologyData,
    classes=st.lists(CLASSES, max_size=3).map(tuple),
    edges=st.lists(st.builds(HierarchyEdge, TEXT, TEXT), max_size=3).map(tuple),
    properties=st.lists(PROPERTIES, max_size=2).map(tuple),
    axioms=st.lists(AXIOMS, max_size=3).map(tuple),
    other_axioms=st.lists(st.builds(OtherAxiom, TEXT, TEXT), max_size=2).map(tuple),
    links=st.lists(st.builds(PageLink, TEXT, TEXT), max_size=2).map(tuple),
    page_keys=st.lists(TEXT, max_size=2).map(tuple),
    warnings=st.lists(TEXT, max_size=2).map(tuple),
)


def through_json(value: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(value, ensure_ascii=False))
    return loaded


@settings(max_examples=150, deadline=None)
@given(data=DATA | CONTENTS)
def test_ontology_data_survives_json(data: OntologyData) -> None:
    """Any OntologyData (arbitrary text, enums, sets, link targets) comes back equal
    from to_dict -> JSON text -> from_dict, with its enums as enums again."""
    back = OntologyData.from_dict(through_json(data.to_dict()))
    assert back == data
    assert all(type(a.axiom_type) is AxiomType for a in back.axioms)
    assert all(type(p.property_type) is PropertyType for p in back.properties)


@settings(max_examples=60, deadline=None)
@given(files=st.dictionaries(st.sampled_from(["a.md", "b.md", "c.md"]), CONTENTS, max_size=3))
def test_snapshot_rows_survive_json(files: dict[str, OntologyData]) -> None:
    """Every row of a snapshot (classes, edges, properties, axioms, other axioms) comes
    back equal from its JSON form."""
    snapshot = materialize({p: (f"{i:040x}", d) for i, (p, d) in enumerate(files.items())})
    kinds: list[tuple[type[Any], tuple[Any, ...]]] = [
        (ClassRow, tuple(snapshot.classes)),
        (EdgeRow, tuple(snapshot.edges)),
        (PropertyRow, tuple(snapshot.properties)),
        (AxiomRow, snapshot.axioms),
        (OtherAxiomRow, snapshot.other_axioms),
    ]
    for kind, rows in kinds:
        assert tuple(kind.from_dict(through_json(r.to_dict())) for r in rows) == rows


def test_the_json_form_is_plain_and_readable() -> None:
    """The shape a backend sees: keys named as the fields, enums as their values, sets
    as sorted lists, property pairs as lists; FileEntry too."""
    data = OntologyData(
        classes=(OntologyClass("ex:A", "A", None, (("k", "v"), ("k", "w"))),),
        properties=(OntologyProperty("ex:p", PropertyType.OBJECT, None, {"ex:Z", "ex:B"}, ()),),
        axioms=(Axiom(AxiomType.SUBCLASS_OF, "ex:A", "ex:B"),),
        link_targets=("ex:A",),
    )
    raw = data.to_dict()
    assert raw["classes"] == [
        {"iri": "ex:A", "label": "A", "comment": None, "properties": [["k", "v"], ["k", "w"]]}
    ]
    assert raw["properties"][0]["property_type"] == "ObjectProperty"
    assert raw["properties"][0]["domain"] == ["ex:B", "ex:Z"]
    assert raw["axioms"][0]["axiom_type"] == "SubClassOf"
    assert raw["link_targets"] == ["ex:A"] and raw["edges"] == []
    entry = FileEntry("d/é.md", 12, "a" * 40)
    assert entry.to_dict() == {"path": "d/é.md", "size": 12, "sha": "a" * 40}
    assert FileEntry.from_dict(through_json(entry.to_dict())) == entry
    assert OntologyData.from_dict({}) == OntologyData()


def test_a_wrong_shape_is_refused_naming_the_keys() -> None:
    """Unknown keys (a typo, another version's form) and missing required keys are a
    ValueError naming them; a value of the wrong enum is a ValueError too; the
    validation of OntologyData still holds (a link target must be a class)."""
    with pytest.raises(ValueError, match=r"unknown keys \['labl'\]"):
        OntologyClass.from_dict({"iri": "ex:A", "labl": "A"})
    with pytest.raises(ValueError, match=r"missing keys \['parent_iri'\]"):
        HierarchyEdge.from_dict({"class_iri": "ex:A"})
    with pytest.raises(ValueError, match="expected a dict"):
        FileEntry.from_dict(["a.md", 1, "x"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="NotAnAxiom"):
        Axiom.from_dict({"axiom_type": "NotAnAxiom", "subject": "a", "object": "b"})
    with pytest.raises(ValueError, match="link_targets"):
        OntologyData.from_dict({"link_targets": ["ex:Nowhere"]})
    with pytest.raises(ValueError, match=r"unknown keys \['rows'\]"):
        OntologyData.from_dict({"rows": []})
