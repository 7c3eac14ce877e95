"""Record what the parsers give for every file of a corpus, to compare two versions.

``python -m benchmarks.parse_outputs record OUT.pickle [ROOT ...]`` parses every file
under the ROOTs (default ``/work/shared/corpus`` and ``tests/data``) that
``DefaultParser`` accepts -- and, for each ``.md`` and ``.ofn`` file, variants of it:
cut short, three lines dropped, lines shuffled, five bytes changed, CRLF line ends -- with
the default, strict and prefix-adding Logseq parsers, ``parse_parts``, ``parse_ofn`` on
bytes and text, and the tokenizers; it stores each result (the rows as ``to_dict``, or
the error's type, message and line). ``python -m benchmarks.parse_outputs compare
A.pickle B.pickle`` names every result that differs. Run ``record`` in a checkout of
the old code (``git archive`` unpacked; ``python -m`` imports the package from the
current directory, whatever ``PYTHONPATH`` says) and in the new one, then ``compare``: a
speed-up must change nothing. ``record`` prints which package it imported.
"""

from __future__ import annotations

import pickle
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import streaming_sync
from streaming_sync._validate import validate
from streaming_sync.parsers import DefaultParser
from streaming_sync.parsers._ofn_lex import iter_tokens, iter_utf8_tokens
from streaming_sync.parsers.logseq import LogseqParser
from streaming_sync.parsers.ofn import parse_ofn

ROOTS = ("/work/shared/corpus", str(Path(__file__).resolve().parents[1] / "tests" / "data"))
SEED = 20


def outcome(run: Callable[[], Any]) -> tuple[Any, ...]:
    """``("ok", result)`` (rows as their dict form) or ``("error", type, message, line)``."""
    try:
        result = run()
    except Exception as error:
        return ("error", type(error).__name__, str(error), getattr(error, "line", None))
    return ("ok", result.to_dict() if hasattr(result, "to_dict") else result)


def variants(data: bytes, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    """The file and damaged copies of it that reach the error paths."""
    yield "as is", data
    yield "cut", data[: rng.randrange(len(data) + 1)]
    lines = data.split(b"\n")
    if len(lines) > 3:
        kept = list(lines)
        for _ in range(3):
            del kept[rng.randrange(len(kept))]
        yield "3 lines dropped", b"\n".join(kept)
        rng.shuffle(kept)
        yield "shuffled", b"\n".join(kept)
    changed = bytearray(data)
    for _ in range(5 if changed else 0):
        changed[rng.randrange(len(changed))] = rng.choice(b'()<>"`:=-#; \t\n\r\\^@xA0')
    yield "5 bytes changed", bytes(changed)
    yield "crlf", data.replace(b"\n", b"\r\n")


DEFAULT, STRICT = DefaultParser(), DefaultParser(strict=True)
PREFIXED = LogseqParser({"x": "http://x/#"})


def runs_for(path: str, content: bytes) -> dict[str, Callable[[], Any]]:
    """What to run on one file's content, by name."""
    runs: dict[str, Callable[[], Any]] = {}
    if DEFAULT.accepts(path):
        runs["default"] = lambda: validate(path, DEFAULT.parse(path, content))
        runs["parts"] = lambda: [part.to_dict() for part in DEFAULT.parse_parts(path, content)]
    if path.endswith(".md"):
        runs["strict"] = lambda: STRICT.parse(path, content)
        runs["prefixes"] = lambda: PREFIXED.parse(path, content)
    if path.endswith((".md", ".ofn")):
        text = content.decode("utf-8", "replace")
        runs["ofn bytes"] = lambda: parse_ofn(path, content)
        runs["ofn text"] = lambda: parse_ofn(path, text)
        runs["tokens"] = lambda: [(type(t).__name__, t) for t in iter_tokens(text)]
        runs["utf8 tokens"] = lambda: [
            (type(t).__name__, t) for t in iter_utf8_tokens(path, content, window=97)
        ]
    return runs


def record(out: str, roots: list[str]) -> None:
    results: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    rng = random.Random(SEED)
    files = sorted(f for root in roots for f in Path(root).rglob("*") if f.is_file())
    for file in files:
        path, data = str(file), file.read_bytes()
        damaged = variants(data, rng) if file.suffix in (".md", ".ofn") else [("as is", data)]
        for name, content in damaged:
            for how, run in runs_for(path, content).items():
                results[path, name, how] = outcome(run)
    with open(out, "wb") as stream:
        pickle.dump(results, stream)
    package = streaming_sync.__file__
    sys.stdout.write(f"{len(results)} results from {len(files)} files ({package})\n")


def compare(old: str, new: str) -> int:
    with open(old, "rb") as stream:
        before = pickle.load(stream)
    with open(new, "rb") as stream:
        after = pickle.load(stream)
    keys = sorted(before.keys() | after.keys())
    differ = [key for key in keys if before.get(key) != after.get(key)]
    for key in differ[:20]:
        sys.stdout.write(f"differs: {key}\n  old {before.get(key)!r:.300}\n")
        sys.stdout.write(f"  new {after.get(key)!r:.300}\n")
    sys.stdout.write(f"{len(keys)} results compared, {len(differ)} differ\n")
    return 1 if differ else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["record"] and len(argv) >= 2:
        record(argv[1], argv[2:] or list(ROOTS))
        return 0
    if argv[:1] == ["compare"] and len(argv) == 3:
        return compare(argv[1], argv[2])
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
