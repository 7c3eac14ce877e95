"""Helpers shared by the reader tests: the bundled sample synced by the real CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample"


def sync_sample(db: Path) -> Path:
    """Sync the bundled sample into ``db`` with the real CLI (ontology id ``default``)."""
    command = [sys.executable, "-m", "streaming_sync", "sync", str(SAMPLE), "--db", str(db)]
    done = subprocess.run([*command, "--quiet"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return db
