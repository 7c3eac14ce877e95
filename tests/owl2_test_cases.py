"""Generate ``tests/data/owl2-test-cases/`` from the W3C OWL 2 test-case export.

``python -m tests.owl2_test_cases ALL_RDF [OUT_DIR]`` reads ``all.rdf`` -- the export of
the W3C OWL 2 Test Case Repository (https://www.w3.org/2009/11/owl-test/all.rdf; the copy
used here ships in the ``funowl`` 0.2.3 sdist as ``tests/data/all.rdf``) -- and writes one
file per test case, role and syntax for every role (premise, conclusion, non-conclusion)
that a case gives both in Functional Syntax and in RDF/XML:

* ``<case>.<role>.ofn``: the test's ``test:fs<Role>Ontology`` text, as published;
* ``<case>.<role>.rdf``: its ``test:rdfXml<Role>Ontology`` text, as published;
* ``<case>.<role>.ttl``: the RDF/XML form converted to Turtle by rdflib, so the Turtle
  readers are compared too (none when rdflib cannot read the published RDF/XML).

``<case>`` is the test's ``test:identifier`` with every character other than a letter,
a digit, ``-`` or ``_`` replaced by ``_``. The output is deterministic: running the
script again gives the same bytes. ``NOTICE.md`` in the output folder says where the
test cases come from and under which licence.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import rdflib

TEST = rdflib.Namespace("http://www.w3.org/2007/OWL/testOntology#")
ROLES = ("Premise", "Conclusion", "NonConclusion")
OUT = Path(__file__).resolve().parent / "data" / "owl2-test-cases"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def case_name(identifier: str) -> str:
    """A file-name-safe form of a test identifier."""
    return _UNSAFE.sub("_", identifier)


def cases(graph: rdflib.Graph) -> dict[str, dict[str, tuple[str, str]]]:
    """case name -> role -> (Functional Syntax text, RDF/XML text), for every role a
    case gives in both syntaxes."""
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for case in sorted(set(graph.subjects(rdflib.RDF.type, TEST.TestCase))):
        identifier = graph.value(case, TEST.identifier)
        if identifier is None:
            continue
        for role in ROLES:
            fs = graph.value(case, TEST[f"fs{role}Ontology"])
            rdf_xml = graph.value(case, TEST[f"rdfXml{role}Ontology"])
            if fs is not None and rdf_xml is not None:
                roles = found.setdefault(case_name(str(identifier)), {})
                roles[role.lower()] = (str(fs), str(rdf_xml))
    return found


def turtle(name: str, rdf_xml: str) -> str:
    """The RDF/XML text as Turtle (rdflib), with a base that keeps relative IRIs apart."""
    graph = rdflib.Graph()
    graph.parse(data=rdf_xml, format="xml", publicID=f"file:///{name}.rdf")
    return graph.serialize(format="turtle")


def write(out: Path, found: dict[str, dict[str, tuple[str, str]]]) -> int:
    """Write every case's files below ``out``; the number of files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, roles in sorted(found.items()):
        for role, (fs, rdf_xml) in sorted(roles.items()):
            stem = f"{name}.{role}"
            (out / f"{stem}.ofn").write_text(fs.rstrip() + "\n", encoding="utf-8")
            (out / f"{stem}.rdf").write_text(rdf_xml.rstrip() + "\n", encoding="utf-8")
            written += 2
            try:
                ttl = turtle(stem, rdf_xml)
            except Exception as error:  # a published file rdflib rejects: reported, skipped
                sys.stderr.write(f"{stem}: no Turtle form, RDF/XML unreadable: {error}\n")
                continue
            (out / f"{stem}.ttl").write_text(ttl.rstrip() + "\n", encoding="utf-8")
            written += 1
    return written


def main(argv: list[str]) -> int:
    if not argv or len(argv) > 2:
        sys.stderr.write("usage: python -m tests.owl2_test_cases ALL_RDF [OUT_DIR]\n")
        return 2
    graph = rdflib.Graph()
    graph.parse(argv[0], format="xml")
    out = Path(argv[1]) if len(argv) == 2 else OUT
    count = write(out, cases(graph))
    sys.stderr.write(f"{count} files written to {out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
