"""The RDF front end both parsers share: same decision, same position, nothing on stderr.

Each test runs the rdflib parser and the pyoxigraph parser on the same bytes: deep
nesting is refused by both at the same bracket (never a RecursionError), NUL bytes are
binary only when the file is not UTF-8, N3 formulas read the same, every ParseError
names the line (and the column where the library knows it), what rdflib says while
reading lands in the file's warnings (scoped to the thread that parses), and ``auto``
reads with rdflib the valid files pyoxigraph cannot.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import pytest

from streaming_sync._config import RetryPolicy, SyncConfig
from streaming_sync._errors import ParseError
from streaming_sync._model import OntologyData
from streaming_sync._service import StreamingSyncService
from streaming_sync.parsers import DefaultParser
from streaming_sync.parsers._capture import capture_library_output
from streaming_sync.parsers.oxigraph import OxigraphParser
from streaming_sync.parsers.rdf import RdflibParser
from streaming_sync.sources.folder import FolderFetcher
from streaming_sync.storage.sqlite import SqliteRepository
from tests.test_parser_oxigraph import canonical

RDFLIB, OX = RdflibParser(), OxigraphParser()
BOTH = {"rdflib": RDFLIB, "pyoxigraph": OX}
PREFIXES = "@prefix : <http://e.org/> .\n@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
XSD = "http://www.w3.org/2001/XMLSchema#"


def both_refuse(path: str, data: bytes) -> dict[str, ParseError]:
    errors = {}
    for name, parser in BOTH.items():
        with pytest.raises(ParseError) as caught:
            parser.parse(path, data)
        errors[name] = caught.value
    return errors


def library_free(data: OntologyData) -> tuple[frozenset[object], ...]:
    """Rows and mapping warnings, without what one library said while reading."""
    rows = canonical(data)
    return (*rows[:-1], frozenset(w for w in rows[-1] if not str(w).startswith("rdflib:")))


# --- nesting (issue 12) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("collection.ttl", PREFIXES + ":s :p " + "( " * 3000 + ")" * 3000 + " .\n"),
        ("property-lists.ttl", PREFIXES + ":s :p " + "[ :p " * 3000 + ":o" + " ]" * 3000 + " .\n"),
        ("graphs.trig", PREFIXES + ":g { :s :p " + "( " * 3000 + ")" * 3000 + " }\n"),
        ("formulas.n3", PREFIXES + "{ " * 3000 + "}" * 3000 + " :p :o .\n"),
        (
            "objects.jsonld",
            '{"@id": "http://e.org/s", "http://e.org/p": ' * 3000 + "1" + "}" * 3000,
        ),
    ],
)
def test_nesting_past_the_limit_is_refused_by_both_at_the_same_bracket(
    path: str, text: str
) -> None:
    """3,000 levels (the issue's collection among them): both parsers refuse with the
    same reason, line and column -- the 129th opening bracket -- and no RecursionError."""
    errors = both_refuse(path, text.encode())
    assert "nesting deeper than 128 levels" in errors["rdflib"].reason
    assert {(e.reason, e.line, e.column) for e in errors.values()} == {
        (errors["rdflib"].reason, errors["rdflib"].line, errors["rdflib"].column)
    }
    assert errors["rdflib"].line is not None and errors["rdflib"].column is not None


def test_nesting_at_the_limit_is_read_by_both_even_from_a_deep_stack() -> None:
    """128 levels of ``[ ]`` and of ``( )`` give the same rows with both parsers, and
    rdflib reads them from a caller already 700 frames deep (the parser makes room for
    the nesting it accepts, whatever the caller's stack)."""
    ontology = PREFIXES + ":p a owl:ObjectProperty .\n:A a owl:Class ; :p "
    text = ontology + "[ :p " * 128 + ":o" + " ]" * 128 + " ; :q " + "( " * 128 + ")" * 128 + " .\n"
    data = text.encode()
    assert canonical(RDFLIB.parse("deep.ttl", data)) == canonical(OX.parse("deep.ttl", data))

    def deep(frames: int) -> OntologyData:
        return deep(frames - 1) if frames else RDFLIB.parse("deep.ttl", data)

    assert canonical(deep(700)) == canonical(OX.parse("deep.ttl", data))


def test_deep_rdfxml_is_read_by_both() -> None:
    """RDF/XML has no recursion in either reader: 3,000 nested descriptions give the
    same 3,000 triples with both parsers."""
    n = 3000
    data = (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:e="http://e.org/"><rdf:Description rdf:about="http://e.org/a">'
        + "<e:p><rdf:Description>" * n
        + "</rdf:Description></e:p>" * n
        + "</rdf:Description></rdf:RDF>"
    ).encode()
    counts = {name: len(p.read_triples("deep.rdf", data).triples) for name, p in BOTH.items()}
    assert counts == {"rdflib": n, "pyoxigraph": n}


# --- NUL bytes and encodings (issue 14, point 4) ---------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("nul.nt", '<http://e.org/A> <http://www.w3.org/2000/01/rdf-schema#label> "a\x00b" .\n'),
        (
            "nul.ttl",
            PREFIXES + ':A a owl:Class ; <http://www.w3.org/2000/01/rdf-schema#label> "a\x00b" .',
        ),
    ],
)
def test_a_nul_byte_inside_a_literal_is_text(path: str, text: str) -> None:
    """Valid UTF-8 N-Triples/Turtle with a NUL inside a literal is read by both parsers,
    into the same rows (it used to be refused as "binary content" by one byte)."""
    rows = {name: parser.parse(path, text.encode()) for name, parser in BOTH.items()}
    assert canonical(rows["rdflib"]) == canonical(rows["pyoxigraph"])
    if path.endswith(".ttl"):
        assert [c.label for c in rows["rdflib"].classes] == ["a\x00b"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes(range(256)) * 4, "binary content"),
        (b"\x00\x00\x00\x00:a :b :c .", r"nul\.ttl:1:1: syntax error"),
        ((PREFIXES + ":a :b :c .").encode("utf-16"), "UTF-16 text: this format must be UTF-8"),
        ((PREFIXES + ":a :b :c .").encode("utf-16-le"), "UTF-16 text"),
        ((PREFIXES + ":a :b :c .").encode("utf-32"), "UTF-32 text"),
    ],
    ids=["binary", "nul-outside-literals", "utf16-bom", "utf16le", "utf32"],
)
def test_binary_and_wide_text_are_refused_with_what_they_are(data: bytes, reason: str) -> None:
    """Bytes that are not UTF-8 are binary; NULs in valid UTF-8 outside a literal are a
    syntax error at their position; UTF-16/32 text is named -- the same for both."""
    for error in both_refuse("nul.ttl", data).values():
        assert re.search(reason, str(error)), str(error)


# --- N3 formulas (issue 14, point 4) --------------------------------------------------


def test_n3_formulas_are_blank_nodes_for_both_parsers() -> None:
    """A formula is a blank node and the statements inside it are not asserted, with
    either parser: the same triples, the same rows (pyoxigraph kept it as a blank node,
    rdflib dropped the statement)."""
    text = PREFIXES + "{ :a :b :c } :implies { :d :e :f } .\n{} :p :o .\n:A a owl:Class .\n"
    readings = {name: p.read_triples("rules.n3", text.encode()) for name, p in BOTH.items()}
    shapes = {
        name: sorted((type(s).__name__, p, type(o).__name__) for s, p, o in r.triples)
        for name, r in readings.items()
    }
    assert (
        shapes["rdflib"]
        == shapes["pyoxigraph"]
        == [
            ("Anonymous", "http://e.org/implies", "Anonymous"),
            ("Anonymous", "http://e.org/p", "IRI"),
            ("IRI", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", "IRI"),
        ]
    )
    assert canonical(RDFLIB.parse("r.n3", text.encode())) == canonical(
        OX.parse("r.n3", text.encode())
    )


def test_jsonld_triples_with_invalid_iris_are_dropped_by_both() -> None:
    """JSON-LD's to-RDF rules drop a triple whose IRI is not well-formed, instead of
    failing the file: both parsers keep the rest alike; rdflib's reading says how many
    it dropped (pyoxigraph drops them silently)."""
    document = {
        "@context": {"owl": "http://www.w3.org/2002/07/owl#"},
        "@id": "http://e.org/A",
        "@type": "owl:Class",
        "http://e.org/p": {"@id": "http://e.org/%zz"},
        "http://e.org/p{x}": "v",
    }
    data = json.dumps(document).encode()
    rows = {name: parser.parse("a.jsonld", data) for name, parser in BOTH.items()}
    assert library_free(rows["rdflib"]) == library_free(rows["pyoxigraph"])
    assert [c.iri for c in rows["rdflib"].classes] == ["http://e.org/A"]
    assert any("2 triple(s) dropped" in w for w in rows["rdflib"].warnings)
    assert not any("dropped" in w for w in rows["pyoxigraph"].warnings)


# --- positions (issue 14, point 6) ----------------------------------------------------

RDFXML = (
    '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
)
POSITIONED = [
    ("a.ttl", PREFIXES + ":a :b :c .\n:d :e .\n", 4),
    ("a.trig", PREFIXES + ':g {\n:a :b "x"@en^^:t }\n', 4),
    (
        "a.nt",
        "<http://e.org/a> <http://e.org/b> <http://e.org/c> .\n"
        '<http://e.org/a> <http://e.org/b> "x\n',
        2,
    ),
    ("a.n3", PREFIXES + ":a :b :c .\n:a :b ] .\n", 4),
    ("a.jsonld", '{\n  "@id": "http://e.org/a",\n}', 2),
    ("r.jsonld", '{\n  "@id": "http://e.org/a",\n  "@context": "http://127.0.0.1:9/c"\n}', 3),
    ("w.ttl", (PREFIXES + ":a :b :c .").encode("utf-16"), 1),
    (
        "a.rdf",
        RDFXML
        + '<rdf:Description rdf:about="http://e.org/a">\n<rdf:type></rdf:Description>\n</rdf:RDF>',
        4,
    ),
    (
        "b.rdf",
        RDFXML
        + '<rdf:Description rdf:about="http://e.org/a">\n<rdf:li rdf:ID="a b"/>\n'
        + "</rdf:Description></rdf:RDF>",
        4,
    ),
    ("c.rdf", RDFXML + '\n<rdf:Description rdf:about="http://e.org/a b"/>\n</rdf:RDF>', 4),
]


@pytest.mark.parametrize(("path", "text", "line"), POSITIONED, ids=[p[0] for p in POSITIONED])
def test_every_parse_error_names_its_line_with_both_parsers(
    path: str, text: str | bytes, line: int
) -> None:
    """Turtle, TriG, N-Triples, N3, JSON-LD, RDF/XML (ill-formed XML, bad RDF/XML, a bad
    IRI): both parsers' ParseError carries the line, in ``.line`` and in the message
    (``path:line:`` or ``path:line:column:``) -- rdflib RDF/XML errors read ``None:24:1:``
    and rdflib N-Triples and pyoxigraph RDF/XML errors had no line before; so do the
    front end's own refusals (a remote context, UTF-16 text)."""
    data = text if isinstance(text, bytes) else text.encode()
    for name, error in both_refuse(path, data).items():
        assert error.line == line, (name, str(error))
        assert str(error).startswith(f"{path}:{line}:"), (name, str(error))
        assert "None:" not in str(error)


def test_pyoxigraph_jsonld_errors_point_at_the_value() -> None:
    """A JSON-LD error pyoxigraph finds only at the end of a context names the line of
    the value it quotes (linkml-model's ``"@vocab": "@null"``)."""
    text = (
        '{\n  "@context": {\n    "x": {"@id": "http://e.org/x",\n'
        '      "@context": {"@vocab": "@null"}}\n  },\n  "@id": "http://e.org/a"\n}\n'
    )
    with pytest.raises(ParseError) as caught:
        OX.parse("v.jsonld", text.encode())
    assert caught.value.line == 4


# --- what rdflib says (issue 14, point 6) ---------------------------------------------

ILL_TYPED = PREFIXES + (
    f':d a owl:DatatypeProperty . :x a :T ; :d "one"^^<{XSD}integer>, "two"^^<{XSD}integer>,'
    f' "three"^^<{XSD}integer>, "noon"^^<{XSD}date> .\n'
)


def test_rdflib_messages_become_the_files_warnings_once_with_counts(
    capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """rdflib's "Failed to convert Literal lexical form" records (a traceback each) are
    the file's warnings, one per distinct message with its count and first cause, and
    reach no handler and no stderr."""
    caplog.set_level(logging.DEBUG)
    data = RDFLIB.parse("ill.ttl", ILL_TYPED.encode())
    integer = [w for w in data.warnings if "integer" in w]
    assert len(integer) == 1 and integer[0].startswith("rdflib: Failed to convert Literal")
    assert "(3 times; first: ValueError: invalid literal for int()" in integer[0]
    assert any("#date" in w for w in data.warnings) and " at 0x" not in "".join(data.warnings)
    assert [r for r in caplog.records if r.name.startswith("rdflib")] == []
    assert capfd.readouterr().err == ""


def test_capture_is_scoped_to_the_thread_that_parses(caplog: pytest.LogCaptureFixture) -> None:
    """(A private unit, ``_capture``.) While one thread captures, another thread's rdflib
    log records and warnings go where they always go; the capturing thread keeps only
    its own."""
    caplog.set_level(logging.WARNING)
    inside, done = threading.Event(), threading.Event()
    captured: list[tuple[str, ...]] = []

    def parse_side() -> None:
        with capture_library_output("rdflib", "rdflib") as mine:
            logging.getLogger("rdflib.term").warning("mine")
            inside.set()
            done.wait(10)
        captured.append(mine.summary())

    thread = threading.Thread(target=parse_side)
    thread.start()
    assert inside.wait(10)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        logging.getLogger("rdflib.term").warning("theirs")
        warnings.warn("their warning", UserWarning, stacklevel=1)
    done.set()
    thread.join(10)
    assert captured == [("rdflib: mine",)]
    assert [r.getMessage() for r in caplog.records] == ["theirs"]
    assert [str(w.message) for w in seen] == ["their warning"]


async def test_each_file_of_a_threaded_sync_gets_its_own_warnings(tmp_path: Path) -> None:
    """A whole sync with parses in threads (parse_processes=0, 3 workers): each file's
    report warnings hold what rdflib said about that file, and nothing else."""
    folder = tmp_path / "src"
    folder.mkdir()
    literal = PREFIXES + ':x :d "bad"^^<' + XSD + "{}> .\n"
    kinds = {"ints.ttl": "integer", "dates.ttl": "date", "bools.ttl": "boolean"}
    for name, datatype in kinds.items():
        (folder / name).write_text(literal.format(datatype))
    (folder / "clean.ttl").write_text(PREFIXES + ":A a owl:Class .\n")
    config = SyncConfig(workers=3, parse_processes=0, retry=RetryPolicy(max_attempts=1))
    async with await SqliteRepository.open(tmp_path / "s.db") as repository:
        service = StreamingSyncService(
            fetcher=FolderFetcher(folder),
            repository=repository,
            parser=DefaultParser(rdf="rdflib"),
            config=config,
        )
        async with service:
            report = await service.sync()
    by_path: dict[str, list[str]] = {}
    for path, warning in report.warnings:
        by_path.setdefault(path, []).append(warning)
    assert set(by_path) == set(kinds)
    for name, datatype in kinds.items():
        assert len(by_path[name]) == 1 and datatype in by_path[name][0], by_path
    # a boolean that is neither true nor false is a Python warning in rdflib, not a log
    assert "UserWarning: Parsing weird boolean" in by_path["bools.ttl"][0]


# --- auto picks the parser that can read the file (issue 14, point 3) -----------------

RELATIVE_NAMESPACE = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:owl="http://www.w3.org/2002/07/owl#"
         xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"
         xml:base="onto.owl" xmlns="onto.owl#">
  <owl:Class rdf:about="#Animal"/>
  <owl:Class rdf:about="#Dog"><rdfs:subClassOf rdf:resource="#Animal"/></owl:Class>
  <owl:ObjectProperty rdf:about="#eats"/>
  <Dog rdf:about="#rex"><eats rdf:resource="#bone"/></Dog>
</rdf:RDF>
"""
NULL_VOCAB = json.dumps(
    {
        "@context": {
            "owl": "http://www.w3.org/2002/07/owl#",
            "label": "http://www.w3.org/2000/01/rdf-schema#label",
            "meta": {"@id": "http://e.org/meta", "@context": {"@vocab": "@null"}},
        },
        "@id": "http://e.org/A",
        "@type": "owl:Class",
        "label": "A",
        "meta": {"@id": "http://e.org/m", "note": "dropped: no vocabulary"},
    }
).encode()


@pytest.mark.parametrize(
    ("path", "data"),
    [("owlready2.owl", RELATIVE_NAMESPACE), ("linkml.jsonld", NULL_VOCAB)],
    ids=["relative-xmlns", "vocab-null"],
)
async def test_auto_reads_with_rdflib_what_pyoxigraph_cannot(
    tmp_path: Path, path: str, data: bytes
) -> None:
    """Valid files pyoxigraph refuses (owlready2's relative default namespace, JSON-LD's
    ``"@vocab": "@null"``) land under ``auto`` with rdflib's rows, and the file's report
    entry says which parser read it and why."""
    with pytest.raises(ParseError):
        OX.parse(path, data)
    expected = RDFLIB.parse(path, data)
    assert expected.classes
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / path).write_bytes(data)
    async with await SqliteRepository.open(tmp_path / "s.db") as repository:
        service = StreamingSyncService(
            fetcher=FolderFetcher(folder),
            repository=repository,
            parser=DefaultParser(rdf="auto"),
            config=SyncConfig(parse_processes=0),
        )
        async with service:
            report = await service.sync()
        snapshot = await repository.snapshot("default")
    assert report.files.succeeded == 1 and not report.failures
    assert [p for p, w in report.warnings if w.startswith("read with rdflib: pyoxigraph")] == [path]
    assert {c.class_iri for c in snapshot.classes} == {c.iri for c in expected.classes}


# --- the CLI names a failing path once (issue 14, point 6) ---------------------------


def test_cli_prints_each_failing_path_once(tmp_path: Path) -> None:
    """``sync`` and ``status`` print ``FAILED bad.ttl:4:...`` / ``bad.ttl:4:...``, not
    ``bad.ttl: bad.ttl:4: ...``."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "bad.ttl").write_text(PREFIXES + ":a :b :c .\n:d :e .\n")
    db = str(tmp_path / "s.db")
    sync = [sys.executable, "-m", "streaming_sync", "sync", str(folder), "--db", db, "--quiet"]
    done = subprocess.run(sync, capture_output=True, text=True, timeout=120, check=False)
    status = [sys.executable, "-m", "streaming_sync", "status", "--db", db]
    shown = subprocess.run(status, capture_output=True, text=True, timeout=60, check=False)
    printed = [line for line in done.stdout.splitlines() if "bad.ttl" in line]
    assert len(printed) == 1 and printed[0].startswith("FAILED bad.ttl:4:"), printed
    listed = [line for line in shown.stdout.splitlines() if "bad.ttl" in line]
    assert "  bad.ttl:4:" in [line[: len("  bad.ttl:4:")] for line in listed], listed
    assert all(line.count("bad.ttl") == 1 for line in printed + listed), printed + listed
