"""`SyncConfig(strict=True)` / `--strict`: a syntax error in a Logseq page's axiom fence
fails the page; by default the page lands and its report entry warns."""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path

import pytest

from streaming_sync import StreamingSyncService, SyncConfig
from streaming_sync._cli import main
from streaming_sync._errors import ParseError
from streaming_sync.parsers import DefaultParser

GOOD = b"\t\t  SubClassOf(mv:Avatar mv:Agent)\r\n"
BAD = b'\t\t  DataPropertyRange(mv:hasName (DataOneOf("a" "b")))\r\n'
REASON = "'(' must be followed by a name, as in (SubClassOf A B)"


def write_page(corpus: Path, folder: Path) -> int:
    """Avatar.md with one bad axiom in its fence; the bad axiom's line."""
    raw = (corpus / "logseq-metaverse" / "Avatar.md").read_bytes().replace(GOOD, GOOD + BAD)
    folder.mkdir()
    (folder / "Avatar.md").write_bytes(raw)
    return raw.split(b"\n").index(BAD.removesuffix(b"\n")) + 1


def test_cli_default_warns_and_strict_fails_the_page(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --strict the page lands (its class included) and the report carries the
    bad axiom's line and reason as a warning; with --strict the page fails with that
    ParseError and the sync exits 1."""
    folder = tmp_path / "pages"
    line = write_page(corpus, folder)
    assert main(["sync", str(folder), "--db", str(tmp_path / "a.db"), "--json", "--quiet"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["files"]["succeeded"] == 1 and report["rows"]["classes"] == 1
    warning = f"line {line}: {REASON}; axiom skipped"
    assert {"path": "Avatar.md", "warning": warning} in report["warnings"]
    strict = ["sync", str(folder), "--db", str(tmp_path / "b.db"), "--json", "--quiet"]
    assert main([*strict, "--strict"]) == 1
    report = json.loads(capsys.readouterr().out)
    (failure,) = report["failures"]
    assert failure["error_type"] == "ParseError"
    assert failure["message"] == f"Avatar.md:{line}: {REASON}"


async def test_sync_config_strict_reaches_the_default_parser(corpus: Path, tmp_path: Path) -> None:
    """SyncConfig(strict=True) given to from_source builds ``DefaultParser(strict=True)``
    (no wrapper): the page with a bad axiom fails."""
    folder = tmp_path / "pages"
    write_page(corpus, folder)
    config = SyncConfig(strict=True, parse_processes=0)
    async with await StreamingSyncService.from_source(
        str(folder), db=tmp_path / "s.db", config=config
    ) as service:
        assert isinstance(service.parser, DefaultParser) and service.parser.strict
        report = await service.sync()
    assert [f.error_type for f in report.failures] == ["ParseError"]


def test_default_parser_strict_is_for_pages_only_and_pickles(corpus: Path) -> None:
    """``DefaultParser(strict=True)`` reads Logseq pages strictly (the bad axiom fails
    the page; without ``strict`` it is a warning and the page lands), reads every other
    file as the default one does, and survives pickling (process pools)."""
    parser = pickle.loads(pickle.dumps(DefaultParser(rdf="rdflib", strict=True)))
    lenient = DefaultParser(rdf="rdflib")
    assert parser.strict and not lenient.strict and "strict" in repr(parser)
    raw = (corpus / "logseq-metaverse" / "Avatar.md").read_bytes().replace(GOOD, GOOD + BAD)
    with pytest.raises(ParseError, match=re.escape(REASON)):
        parser.parse("Avatar.md", raw)
    page = lenient.parse("Avatar.md", raw)
    assert page.classes and any(REASON in warning for warning in page.warnings)
    ttl = (corpus / "rdf" / "bosquet-ontologies" / "foaf.ttl").read_bytes()
    assert parser.parse("foaf.ttl", ttl) == lenient.parse("foaf.ttl", ttl)
    assert parser.accepts("x.ofn") and not parser.accepts("x.txt")
