"""Shared fixtures: where the real corpus is, and fresh database paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def find_corpus() -> Path | None:
    """The shared corpus: ``$STREAMING_SYNC_CORPUS``, else ``../shared/corpus`` beside the
    checkout (where CI puts it)."""
    env = os.environ.get("STREAMING_SYNC_CORPUS")
    candidates = [Path(env)] if env else []
    candidates += [ROOT.parent / "shared" / "corpus", ROOT.parent.parent / "shared" / "corpus"]
    for candidate in candidates:
        if (candidate / "README.md").is_file():
            return candidate
    return None


CORPUS = find_corpus()


@pytest.fixture
def corpus() -> Path:
    """The real ontology corpus; CI always has it, a lone checkout may not."""
    if CORPUS is None:
        if os.environ.get("CI"):
            pytest.fail("../shared/corpus is missing in CI: the corpus tests must run there")
        pytest.skip("../shared/corpus not found (set STREAMING_SYNC_CORPUS)")
    return CORPUS


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A path for a real SQLite file database (WAL) in a fresh folder."""
    return tmp_path / "sync.db"
