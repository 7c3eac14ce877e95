"""The XML entity guard decides a document's encoding as XML 1.0 (Appendix F) does.

The same hostile documents -- billion laughs, an external entity reading a local file --
are refused by the guard itself in UTF-8, UTF-16LE/BE with and without a byte order
mark, and UTF-32, by BOTH parsers, whatever the RDF/XML extension (``.rdf``, ``.owl``,
``.xml``: the last two are sniffed). They used to pass the guard in UTF-16 (the guard
looked for ``<!DOCTYPE`` in bytes decoded as UTF-8) and reach expat, which detects the
encoding itself. A whole sync through the real CLI and its process pool, under a memory
ceiling, shows each failing alone while a good file lands. Valid UTF-16/UTF-32 RDF/XML
is read, and read the same by both parsers.
"""

from __future__ import annotations

import codecs
import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from streaming_sync._errors import ParseError
from streaming_sync.parsers import rdf
from streaming_sync.parsers.oxigraph import OxigraphParser
from streaming_sync.parsers.rdf import RdflibParser
from tests.test_parser_oxigraph import canonical

PARSERS = {"rdflib": RdflibParser(), "oxigraph": OxigraphParser()}
GUARD = "XML entity declarations are not allowed"
HEAD = '<?xml version="1.0" encoding="{encoding}"?>\n'
LAUGHS = (
    '<!DOCTYPE rdf:RDF [\n<!ENTITY a "lollollollollollollollollol">\n'
    + "".join(
        f'<!ENTITY {name} "{("&" + previous + ";") * 10}">\n'
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "]>\n"
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    ' xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
    '<rdf:Description rdf:about="http://ex.org/A"><rdfs:label>&i;</rdfs:label>'
    "</rdf:Description>\n</rdf:RDF>\n"
)
EXTERNAL = (
    '<!DOCTYPE rdf:RDF [ <!ENTITY x SYSTEM "{target}"> ]>\n'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    ' xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
    '<rdf:Description rdf:about="http://ex.org/A"><rdfs:label>&x;</rdfs:label>'
    "</rdf:Description>\n</rdf:RDF>\n"
)
VALID = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    ' xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"'
    ' xmlns:owl="http://www.w3.org/2002/07/owl#">\n'
    '<owl:Class rdf:about="http://ex.org/Caf\u00e9"><rdfs:label xml:lang="fr">Caf\u00e9'
    '</rdfs:label><rdfs:subClassOf rdf:resource="http://ex.org/B"/></owl:Class>\n</rdf:RDF>\n'
)
#: (id, codec, byte order mark, the declaration's encoding name or None for none)
ENCODINGS = [
    ("utf-8", "utf-8", b"", "UTF-8"),
    ("utf-8-bom", "utf-8", codecs.BOM_UTF8, "UTF-8"),
    ("utf-16le", "utf-16-le", b"", "UTF-16"),
    ("utf-16be", "utf-16-be", b"", "UTF-16"),
    ("utf-16le-bom", "utf-16-le", codecs.BOM_UTF16_LE, "UTF-16"),
    ("utf-16be-bom", "utf-16-be", codecs.BOM_UTF16_BE, "UTF-16"),
    ("utf-16le-undeclared", "utf-16-le", b"", None),
    ("utf-32le", "utf-32-le", b"", "UTF-32"),
    ("utf-32be-bom", "utf-32-be", codecs.BOM_UTF32_BE, "UTF-32"),
]
IDS = [e[0] for e in ENCODINGS]
UNDECIDED_IDS = ["utf16-says-utf8", "bom-says-latin1", "ascii-says-utf16", "unknown", "ucs4"]
UNDECIDED_IDS += ["ebcdic", "nul"]


def encode(body: str, codec: str, bom: bytes, declared: str | None) -> bytes:
    head = HEAD.format(encoding=declared) if declared else ""
    return bom + (head + body).encode(codec)


@pytest.mark.parametrize(("codec", "bom", "declared"), [e[1:] for e in ENCODINGS], ids=IDS)
def test_hostile_documents_are_refused_by_the_guard_in_every_encoding(
    tmp_path: Path, codec: str, bom: bytes, declared: str | None
) -> None:
    """Billion laughs and an external file entity, in this encoding: refused with the
    guard's own reason by both parsers under each RDF/XML extension; the secret file's
    content is in no message."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-4711")
    documents = {
        "laughs": encode(LAUGHS, codec, bom, declared),
        "external": encode(EXTERNAL.format(target=secret.as_uri()), codec, bom, declared),
    }
    for parser in PARSERS.values():
        for kind, data in documents.items():
            for name in (f"{kind}.rdf", f"{kind}.owl", f"{kind}.xml"):
                with pytest.raises(ParseError, match=GUARD) as caught:
                    parser.parse(name, data)
                assert caught.value.path == name and "TOPSECRET" not in str(caught.value)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (HEAD.format(encoding="UTF-8").encode("utf-16-le") + b"<\x00r\x00/\x00>\x00", "declares"),
        (codecs.BOM_UTF8 + HEAD.format(encoding="ISO-8859-1").encode() + b"<r/>", "declares"),
        (HEAD.format(encoding="UTF-16").encode() + b"<r/>", "declares 'UTF-16'"),
        (HEAD.format(encoding="x-no-such").encode() + b"<r/>", "unknown encoding"),
        (b"\x00\x00\x3c\x00<r/>", "neither UTF-8, UTF-16 nor UTF-32"),
        (b"\x4c\x6f\xa7\x94", "EBCDIC"),
        (b"<?xml version='1.0'?>\n<r>\x00</r>", "NUL character"),
    ],
    ids=UNDECIDED_IDS,
)
def test_documents_whose_encoding_cannot_be_decided_are_refused(data: bytes, reason: str) -> None:
    """A declaration that contradicts the bytes, an unknown or unsupported encoding
    family, a NUL character: refused before any XML reader, by both parsers."""
    for parser in PARSERS.values():
        with pytest.raises(ParseError, match=reason):
            parser.parse("odd.rdf", data)


@pytest.mark.parametrize(("codec", "bom", "declared"), [e[1:] for e in ENCODINGS], ids=IDS)
def test_valid_rdfxml_in_every_encoding_is_read_the_same_by_both(
    codec: str, bom: bytes, declared: str | None
) -> None:
    """The same valid RDF/XML in each encoding gives the same rows, with both parsers
    (issue 12: a UTF-16 document was accepted by one parser and refused by the other)."""
    data = encode(VALID, codec, bom, declared)
    reference = canonical(RdflibParser().parse("ref.owl", VALID.encode()))
    for parser in PARSERS.values():
        rows = parser.parse("ref.owl", data)
        assert canonical(rows) == reference
        assert [c.label for c in rows.classes] == ["Caf\u00e9"]


def test_defusedxml_refuses_a_dtd_that_got_past_the_guard() -> None:
    """The second line (a private unit): rdflib's RDF/XML reader is defusedxml's, so a
    document type declaration handed to it directly -- as if the text guard had been
    bypassed -- is refused, not expanded."""
    payload = ("<?xml version='1.0' encoding='utf-8'?>\n" + LAUGHS).encode()
    with pytest.raises(ParseError, match=GUARD):
        rdf._library_read("laughs.rdf", "xml", payload, "file:///laughs.rdf")


def test_xml_inside_literals_of_other_formats_is_never_expanded() -> None:
    """JSON-LD contexts are JSON and carry no XML; an rdf:XMLLiteral (in JSON-LD or
    Turtle) holding a DTD is text to both parsers: rdflib's value conversion parses it
    inside an element, where a DTD is not well-formed, so nothing is expanded. The file
    lands with the literal as written, the same with both parsers."""
    value = LAUGHS.split("<rdf:RDF")[0] + "<r>&i;</r>"
    document = {
        "@context": {
            "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        },
        "@id": "http://ex.org/A",
        "@type": "rdfs:Class",
        "rdfs:label": {"@value": value, "@type": "rdf:XMLLiteral"},
    }
    data = json.dumps(document).encode()
    rows = {name: parser.parse("x.jsonld", data) for name, parser in PARSERS.items()}
    assert [c.label for c in rows["oxigraph"].classes] == [value]
    assert [c.label for c in rows["rdflib"].classes] == [value]


def _memory_ceiling() -> None:  # runs in the child before exec
    ceiling = 1536 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))


@pytest.mark.slow
@pytest.mark.parametrize("parser", ["rdflib", "oxigraph"])
def test_each_hostile_encoding_fails_alone_in_the_real_pool_under_a_memory_ceiling(
    corpus: Path, tmp_path: Path, parser: str
) -> None:
    """The real CLI in a subprocess (its default process pool) under a 1.5 GiB address
    space ceiling syncs a folder of billion-laughs documents, one per encoding: each
    fails with the guard's reason, the good file lands, the CLI exits 1 (not a crash)."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "skos.ttl").write_bytes((corpus / "rdf/bosquet-ontologies/skos.ttl").read_bytes())
    hostile = {f"laughs-{name}.rdf": encode(LAUGHS, *rest) for name, *rest in ENCODINGS}
    for name, data in hostile.items():
        (folder / name).write_bytes(data)
    command = [sys.executable, "-m", "streaming_sync", "sync", str(folder)]
    command += ["--db", str(tmp_path / "s.db"), "--json", "--quiet", "--parser", parser]
    done = subprocess.run(
        command, capture_output=True, timeout=120, preexec_fn=_memory_ceiling, check=False
    )
    assert done.returncode == 1, done.stderr.decode()[-2000:]
    report = json.loads(done.stdout)
    failures = {f["path"]: f["message"] for f in report["failures"]}
    assert set(failures) == set(hostile)
    assert all(GUARD in message for message in failures.values()), failures
    assert report["files"]["succeeded"] == 1
