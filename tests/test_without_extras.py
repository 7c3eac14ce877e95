"""The core install (``pip install streaming_sync``, no extras) runs the README's first
command: nothing on the SQLite path imports what only an extra installs.

The test environment has every extra, so each test runs the real entry point in a
subprocess whose import system refuses the extras' modules (``sys.modules[name] = None``
makes ``import name`` raise ImportError, as a missing package does).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.cli_support import clean_env

ROOT = Path(__file__).resolve().parent.parent
#: What the extras install (postgres, fast, progress, prometheus, notebooks, contract).
EXTRAS_MODULES = (
    "asyncpg",
    "pyoxigraph",
    "rich",
    "prometheus_client",
    "matplotlib",
    "pandas",
    "pytest",
    "hypothesis",
)
_RUN = (
    "import sys\n"
    f"for name in {EXTRAS_MODULES!r}:\n"
    "    sys.modules[name] = None\n"
    "from streaming_sync._cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _RUN, *args],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
        check=False,
    )


def test_the_readme_sync_runs_without_any_extra(tmp_path: Path) -> None:
    """``streaming-sync sync examples/sample --db sample.db`` with no extra installed
    syncs every file (a default part importing asyncpg once broke exactly this), and
    ``status``, ``check``, ``--dry-run`` and ``ontologies`` work on the result."""
    sample = tmp_path / "sample"
    shutil.copytree(ROOT / "examples" / "sample", sample)
    db = str(tmp_path / "sample.db")
    synced = _cli("sync", str(sample), "--db", db, "--quiet")
    assert synced.returncode == 0, synced.stderr
    assert "Traceback" not in synced.stderr
    for args in (
        ("status", "--db", db),
        ("check", str(sample), "--db", db),
        ("sync", str(sample), "--db", db, "--dry-run"),
        ("ontologies", "--db", db),
    ):
        done = _cli(*args)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr, args


def test_a_postgres_url_without_asyncpg_names_the_extra(tmp_path: Path) -> None:
    """A postgresql:// database without the postgres extra is a usage error (exit 2)
    that names the extra to install, not a traceback."""
    sample = tmp_path / "sample"
    sample.mkdir()
    (sample / "a.ttl").write_text("<http://e/A> a <http://www.w3.org/2002/07/owl#Class> .\n")
    done = _cli("sync", str(sample), "--db", "postgresql://127.0.0.1:1/none", "--quiet")
    assert done.returncode == 2, done.stderr
    assert "streaming_sync[postgres]" in done.stderr
    assert "Traceback" not in done.stderr
