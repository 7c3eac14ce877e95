"""Bad and hostile input in WHOLE syncs (folder or GitHub-like source, the default parser
with rdflib, SQLite on a real file): each bad file ends failed or skipped with a reason
that names it, the good files beside it land, and nothing else changes -- the rows equal
materialize() of the good files alone."""

from __future__ import annotations

import asyncio
import re
import shutil
import tarfile
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path

from streaming_sync import (
    FileEntry,
    Listing,
    OntologySnapshot,
    PathFilter,
    RetryPolicy,
    SkipFile,
    StreamingSyncService,
    SyncConfig,
    SyncReport,
    git_blob_sha1,
    materialize,
)
from streaming_sync._validate import validate
from streaming_sync.parsers import DefaultParser
from streaming_sync.sources.folder import FolderFetcher
from streaming_sync.sources.github import GitHubFetcher
from streaming_sync.storage.sqlite import SqliteRepository
from streaming_sync.testing._git_objects import make_tarball
from streaming_sync.testing.github_server import GitHubLikeServer

GOOD = ("logseq-metaverse/Avatar.md", "rdf/bosquet-ontologies/skos.ttl")
RETRY = RetryPolicy(max_attempts=2, base=0.01, cap=0.02)
BARE_LIST = "'(' must be followed by a name, as in (SubClassOf A B)"


def config(**overrides: object) -> SyncConfig:
    options: dict[str, object] = {"workers": 3, "parse_processes": 0, "retry": RETRY}
    options.update(overrides)
    return SyncConfig(**options)  # type: ignore[arg-type]


def expected(files: Mapping[str, bytes]) -> OntologySnapshot:
    """The reference rows of the good files: parsed, validated, materialised (a page
    the parser skips contributes nothing)."""
    parser = DefaultParser(rdf="rdflib")
    parsed = {}
    for path, data in files.items():
        try:
            parsed[path] = (git_blob_sha1(data), validate(path, parser.parse(path, data)))
        except SkipFile:
            continue
    return materialize(parsed)


def add_good(corpus: Path, folder: Path) -> dict[str, bytes]:
    folder.mkdir(exist_ok=True)
    good = {}
    for relative in GOOD:
        name = Path(relative).name
        good[name] = (corpus / relative).read_bytes()
        (folder / name).write_bytes(good[name])
    return good


async def sync(
    fetcher: object, db: Path, **overrides: object
) -> tuple[SyncReport, OntologySnapshot, dict[str, str]]:
    async with await SqliteRepository.open(db) as repo:
        service = StreamingSyncService(
            fetcher=fetcher,  # type: ignore[arg-type]
            repository=repo,
            parser=DefaultParser(rdf="rdflib"),
            config=config(**overrides),
            owned=[fetcher],
        )
        async with service:
            report = await service.sync()
        return report, await repo.snapshot("default"), dict(await repo.committed_files("default"))


def stored_bytes(folder: Path) -> bytes:
    """Everything the database files below ``folder`` hold (main file, WAL)."""
    return b"".join(p.read_bytes() for p in folder.glob("s.db*"))


def exists(path: Path) -> bool:
    return path.exists()


def outcome_of(report: SyncReport, path: str) -> tuple[str, str]:
    """('failed'|'skipped', message) of ``path`` in the report."""
    for failure in report.failures:
        if failure.path == path:
            return "failed", failure.message
    for skip in report.skipped:
        if skip.path == path:
            return "skipped", f"{skip.path}: {skip.reason}"
    raise AssertionError(f"{path} neither failed nor skipped: {report}")


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n<!ENTITY a "lollollollollollollollollol">\n'
    + b"".join(
        b'<!ENTITY %s "%s">\n' % (name, (b"&" + previous + b";") * 10)
        for previous, name in zip(b"abcdefgh", b"bcdefghi", strict=True)
        for previous, name in [(bytes([previous]), bytes([name]))]
    )
    + b"]>\n"
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    b' xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
    b'<rdf:Description rdf:about="http://ex.org/A"><rdfs:label>&i;</rdfs:label>'
    b"</rdf:Description>\n</rdf:RDF>\n"
)


def external_entity(target: str, parameter: bool = False) -> bytes:
    percent = "% " if parameter else ""
    use = "%x;" if parameter else ""
    body = "&x;" if not parameter else "x"
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n'
        f'<!ENTITY {percent}x SYSTEM "{target}">{use}\n]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#">\n'
        f'<rdf:Description rdf:about="http://ex.org/A"><rdfs:label>{body}</rdfs:label>'
        "</rdf:Description>\n</rdf:RDF>\n"
    ).encode()


async def test_real_malformed_dublin_core_fails_alone(corpus: Path, tmp_path: Path) -> None:
    """The real dublin-core-elements.ttl (missing ';' as published) fails with its name
    and line; the good files land, and nothing else is in the database."""
    folder = tmp_path / "src"
    good = add_good(corpus, folder)
    shutil.copy(corpus / "rdf/bosquet-ontologies/dublin-core-elements.ttl", folder)
    report, snapshot, committed = await sync(FolderFetcher(folder), tmp_path / "s.db")
    kind, message = outcome_of(report, "dublin-core-elements.ttl")
    assert kind == "failed" and re.search(r"dublin-core-elements\.ttl:2[5-8]:(\d+:)? ", message)
    assert set(committed) == set(good)
    assert snapshot == expected(good)


async def test_xml_entity_attacks_fail_cleanly_and_reach_nothing(
    corpus: Path, tmp_path: Path
) -> None:
    """Billion laughs, an external file entity, an external URL entity and an external
    parameter entity each fail with a reason naming the file; the secret file's content
    is nowhere in the database, and the URL's server is never contacted."""
    contacted: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        contacted.append(await reader.read(100))
        writer.close()

    server = await asyncio.start_server(record, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    folder = tmp_path / "src"
    good = add_good(corpus, folder)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-4711")
    hostile = {
        "laughs.rdf": BILLION_LAUGHS,
        "file-entity.owl": external_entity(secret.as_uri()),
        "url-entity.rdf": external_entity(f"http://127.0.0.1:{port}/x.dtd"),
        "parameter-entity.xml": external_entity(f"http://127.0.0.1:{port}/p.dtd", True),
    }
    for name, data in hostile.items():
        (folder / name).write_bytes(data)
    db = tmp_path / "s.db"
    async with server:
        report, snapshot, committed = await sync(FolderFetcher(folder), db)
    for name in hostile:
        kind, message = outcome_of(report, name)
        assert kind == "failed" and name in message and "entit" in message.lower()
    assert set(committed) == set(good) and snapshot == expected(good)
    assert contacted == []
    assert b"TOPSECRET" not in stored_bytes(tmp_path)


async def test_binary_invalid_utf8_and_empty_files(corpus: Path, tmp_path: Path) -> None:
    """A binary file named .ttl, a page with invalid UTF-8, a zero-byte page and a
    zero-byte Turtle file: failed or skipped with a reason, the good files land."""
    folder = tmp_path / "src"
    good = add_good(corpus, folder)
    page = (corpus / GOOD[0]).read_bytes()
    bad = {
        "binary.ttl": bytes(range(256)) * 8,
        "latin1.md": page.replace(
            b"- ### OntologyBlock", "- ### Ontolog\u00e9Block".encode("latin-1"), 1
        )
        + b"\xff\xfe",
        "empty.md": b"",
    }
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    (folder / "empty.ttl").write_bytes(b"")
    report, snapshot, committed = await sync(FolderFetcher(folder), tmp_path / "s.db")
    assert outcome_of(report, "binary.ttl")[0] == "failed"
    assert "binary" in outcome_of(report, "binary.ttl")[1]
    kind, message = outcome_of(report, "latin1.md")
    assert kind == "failed" and "UTF-8" in message and "latin1.md" in message
    assert outcome_of(report, "empty.md") == ("skipped", "empty.md: empty file")
    # An empty Turtle file is a valid, empty graph: it lands with no rows.
    assert "empty.ttl" in committed
    assert set(committed) == {*good, "empty.md", "empty.ttl"}
    assert snapshot == expected(good)


class CountingFetcher(FolderFetcher):
    """A folder source that records which files were fetched, one by one or in a batch
    (``fetch_many``: a file it is asked for is read)."""

    fetched: list[str]

    async def fetch(self, entry: FileEntry) -> bytes:
        self.fetched.append(entry.path)
        return await super().fetch(entry)

    async def fetch_many(
        self, entries: Sequence[FileEntry]
    ) -> AsyncIterator[tuple[FileEntry, bytes]]:
        self.fetched += [e.path for e in entries]
        async for item in super().fetch_many(entries):
            yield item


async def test_file_over_the_size_limit_is_skipped_unread(corpus: Path, tmp_path: Path) -> None:
    """A file over SyncConfig.max_file_size is skipped with the limit in the reason and is
    never fetched (so never read whole)."""
    folder = tmp_path / "src"
    good = add_good(corpus, folder)
    (folder / "huge.ttl").write_bytes(b"# " + b"x" * 200_000 + b"\n")
    fetcher = CountingFetcher(folder)
    fetcher.fetched = []
    report, snapshot, committed = await sync(fetcher, tmp_path / "s.db", max_file_size=100_000)
    kind, message = outcome_of(report, "huge.ttl")
    assert kind == "skipped" and "max_file_size=100000" in message
    assert "huge.ttl" not in fetcher.fetched and set(fetcher.fetched) == set(good)
    assert snapshot == expected(good) and set(committed) == {*good, "huge.ttl"}


async def test_pathological_syntax_is_bounded_in_the_process_pool(
    corpus: Path, tmp_path: Path
) -> None:
    """Very long lines, thousands of nested parentheses in a page's axiom fence, deeply
    nested Turtle collections and JSON-LD: each ends (landed or failed with a reason) in
    the real process pool without a recursion crash, and the good files land. The page
    whose fence holds only bare parentheses lands with a warning naming the bad axiom's
    line (a fence axiom that cannot be parsed no longer fails its page)."""
    folder = tmp_path / "src"
    good = add_good(corpus, folder)
    depth = 3000
    fence = b"- ### OntologyBlock\n  - owl:class:: mv:Deep\n  - #### OWL Axioms\n    ```clojure\n"
    files = {
        "nested-expression.md": fence
        + b"    SubClassOf(mv:Deep "
        + b"ObjectIntersectionOf(mv:A " * depth
        + b"mv:B"
        + b")" * depth
        + b")\n    ```\n",
        "parentheses.md": fence + b"    " + b"(" * depth + b")" * depth + b"\n    ```\n",
        "nested.ttl": b"@prefix ex: <http://ex.org/> .\nex:a ex:b "
        + b"(" * depth
        + b")" * depth
        + b" .\n",
        "nested.jsonld": b"[" * depth + b"]" * depth,
        "long-line.ttl": b'@prefix ex: <http://ex.org/> .\nex:a ex:b "'
        + b"x" * 3_000_000
        + b'" .\n',
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    report, snapshot, committed = await sync(
        FolderFetcher(folder), tmp_path / "s.db", parse_processes=1, file_timeout=60
    )
    assert report.files.processed == len(files) + len(good)
    for name in ("nested.ttl", "nested.jsonld"):
        kind, message = outcome_of(report, name)
        assert kind == "failed" and name in message and "Recursion" not in message
    assert ("parentheses.md", f"line 5: {BARE_LIST}; axiom skipped") in report.warnings
    assert {"nested-expression.md", "long-line.ttl", "parentheses.md"} <= set(committed)
    landed = {p: (corpus / g).read_bytes() for p in good for g in GOOD if g.endswith(p)}
    landed |= {p: files[p] for p in ("nested-expression.md", "long-line.ttl", "parentheses.md")}
    assert snapshot == expected(landed)


async def test_odd_file_names_land(corpus: Path, tmp_path: Path) -> None:
    """Real page names with spaces, '___', parentheses, '&', commas and non-ASCII, plus
    quotes: every one lands under its own path."""
    sample = corpus / "logseq-narrativegoldmine-sample"
    odd = [
        p
        for p in sorted(sample.glob("*.md"))
        if any(c in p.name for c in "()&,'") or "___" in p.name or not p.name.isascii()
    ][:8]
    folder = tmp_path / "src"
    folder.mkdir()
    files = {p.name: p.read_bytes() for p in odd}
    files["quote \"double\" 'single'.md"] = (corpus / GOOD[0]).read_bytes()
    files["ünïcödé ページ.md"] = (corpus / "logseq-metaverse/DigitalTwin.md").read_bytes()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    report, snapshot, committed = await sync(FolderFetcher(folder), tmp_path / "s.db")
    assert not report.failures, report.failures
    assert set(committed) == set(files)
    assert snapshot.classes and snapshot == expected(files)


class HostileListing(FolderFetcher):
    """A folder whose listing also names paths outside it (``..`` and absolute), with the
    right SHAs -- as a compromised or buggy source might."""

    outside: Mapping[str, bytes]

    async def list_files(self) -> Listing:
        listing = await super().list_files()
        extra = tuple(FileEntry(p, len(d), git_blob_sha1(d)) for p, d in self.outside.items())
        return Listing(listing.commit, listing.entries + extra, listing.complete)


async def test_hostile_listing_paths_never_escape(corpus: Path, tmp_path: Path) -> None:
    """Listed paths with '..' or absolute ones fail as 'escapes the folder' without being
    read; nothing of theirs lands."""
    folder = tmp_path / "src"
    good = add_good(corpus, folder)
    outside = tmp_path / "outside.md"
    outside.write_bytes((corpus / "logseq-metaverse/DigitalTwin.md").read_bytes())
    fetcher = HostileListing(folder)
    fetcher.outside = {"../outside.md": outside.read_bytes(), str(outside): outside.read_bytes()}
    report, snapshot, committed = await sync(fetcher, tmp_path / "s.db")
    for path in fetcher.outside:
        kind, message = outcome_of(report, path)
        assert kind == "failed" and "escapes" in message
    assert set(committed) == set(good) and snapshot == expected(good)


async def test_hostile_tarball_entries_never_land(corpus: Path, tmp_path: Path) -> None:
    """A whole GitHub sync whose tarball carries '..' and absolute names, symlinks, hard
    links, devices and FIFOs standing in for listed files: none of their bytes land and
    nothing is written outside; the listed files arrive honestly (one by one)."""
    pages = {
        f"pages/{p.name}": p.read_bytes()
        for p in sorted((corpus / "logseq-metaverse").glob("*.md"))
    }
    evil = (
        (corpus / "logseq-metaverse/DigitalTwin.md")
        .read_bytes()
        .replace(b"DigitalTwin", b"EvilTwin")
    )
    names = sorted(pages)
    async with GitHubLikeServer(pages) as server:
        top = f"{server.owner}-{server.repo}-{server.head[:7]}"

        def info(name: str, kind: bytes, **extra: object) -> tarfile.TarInfo:
            item = tarfile.TarInfo(name)
            item.type = kind
            for key, value in extra.items():
                setattr(item, key, value)
            return item

        members: list[tuple[tarfile.TarInfo, bytes | None]] = [
            (info(f"{top}/../{names[0]}", tarfile.REGTYPE, size=len(evil)), evil),
            (info(f"/{names[1]}", tarfile.REGTYPE, size=len(evil)), evil),
            (info(f"{top}/{names[2]}", tarfile.SYMTYPE, linkname="/etc/passwd"), None),
            (info(f"{top}/{names[3]}", tarfile.LNKTYPE, linkname="/etc/hostname"), None),
            (info(f"{top}/{names[4]}", tarfile.CHRTYPE, devmajor=1, devminor=3), None),
        ]
        server.tarball_override = make_tarball(members)
        fetcher = GitHubFetcher(
            owner=server.owner,
            repo=server.repo,
            api_url=server.api_url,
            tarball_threshold=1,
            path_filter=PathFilter(include=("*.md",)),
        )
        report, snapshot, committed = await sync(fetcher, tmp_path / "s.db")
    assert not report.failures
    assert set(committed) == set(pages)
    assert all(b"EvilTwin" not in repr(row).encode() for row in snapshot.classes)
    assert snapshot == expected({p: d for p, d in pages.items()})
    assert not exists(tmp_path.parent / names[0]) and not exists(Path("/" + names[1]))
