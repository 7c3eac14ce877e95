"""A large OWL 2 Functional Syntax file for the big-file memory benchmark.

``write_big_ofn(path, size)`` writes, deterministically for a seed and without holding
the document in memory, an ontology of about ``size`` bytes shaped like the large
ontologies published in Functional Syntax (OBO style): prefixes, an ``Ontology(...)``
with an import and annotations, and for each class a declaration, a named parent, an
existential restriction, a label, a definition of a sentence or three and a cross
reference; a few object properties with domains and ranges; some axioms spread over
several lines with comments.
"""

from __future__ import annotations

import random
from pathlib import Path

NS = "http://example.org/big/"
_WORDS = [
    "cell",
    "membrane",
    "protein",
    "binding",
    "process",
    "regulation",
    "of",
    "activity",
    "transport",
    "signal",
    "receptor",
    "complex",
    "development",
    "tissue",
    "organ",
    "structure",
    "part",
    "region",
    "layer",
    "function",
    "response",
    "stimulus",
    "pathway",
    "metabolic",
    "chemical",
    "compound",
    "entity",
    "quality",
    "disposition",
]
_HEADER = """Prefix(:=<http://example.org/big/>)
Prefix(obo:=<http://purl.obolibrary.org/obo/>)
Prefix(oboInOwl:=<http://www.geneontology.org/formats/oboInOwl#>)
Prefix(rdfs:=<http://www.w3.org/2000/01/rdf-schema#>)
Prefix(owl:=<http://www.w3.org/2002/07/owl#>)

Ontology(<http://example.org/big.owl>
Import(<http://example.org/upper.owl>)
Annotation(rdfs:comment "A generated ontology for the large-file benchmark.")

Declaration(AnnotationProperty(obo:IAO_0000115))
Declaration(AnnotationProperty(oboInOwl:hasDbXref))
"""
_PROPERTIES = 40


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 22))]
    return " ".join(words).capitalize() + "."


def _class_block(rng: random.Random, index: int) -> str:
    name = f":C{index:07d}"
    parent = f":C{rng.randrange(index):07d}" if index else "owl:Thing"
    prop = f":p{rng.randrange(_PROPERTIES):02d}"
    filler = f":C{rng.randrange(max(index, 1)):07d}"
    label = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 4)))
    definition = " ".join(_sentence(rng) for _ in range(rng.randint(1, 3)))
    lines = [
        f"# {label}",
        f"Declaration(Class({name}))",
        f'AnnotationAssertion(rdfs:label {name} "{label}"@en)',
        f'AnnotationAssertion(obo:IAO_0000115 {name} "{definition}")',
        f'AnnotationAssertion(oboInOwl:hasDbXref {name} "XREF:{rng.randrange(10**7):07d}")',
        f"SubClassOf({name} {parent})",
    ]
    if rng.random() < 0.5:
        lines.append(f"SubClassOf({name}\n    ObjectSomeValuesFrom({prop} {filler}))")
    return "\n".join(lines) + "\n\n"


def write_big_ofn(path: Path, size: int, seed: int = 1) -> int:
    """Write the ontology to ``path`` (about ``size`` bytes); the number of classes."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", encoding="utf-8") as out:
        written += out.write(_HEADER)
        for number in range(_PROPERTIES):
            prop = f":p{number:02d}"
            written += out.write(
                f"Declaration(ObjectProperty({prop}))\n"
                f"ObjectPropertyDomain({prop} :C{number:07d})\n"
                f"ObjectPropertyRange({prop} :C{number + 1:07d})\n"
            )
        index = 0
        while written < size - 2:
            written += out.write(_class_block(rng, index))
            index += 1
        out.write(")\n")
    return index


def ensure_big_ofn(path: Path, size: int, seed: int = 1) -> Path:
    """``path`` holding the generated file of ``size`` (made once, then reused)."""
    marker = path.with_suffix(f".{size}-{seed}.done")
    if not (path.exists() and marker.exists()):
        write_big_ofn(path, size, seed)
        marker.write_text("")
    return path


__all__ = ["NS", "ensure_big_ofn", "write_big_ofn"]
