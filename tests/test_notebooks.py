"""The example notebooks: committed without outputs; each runs top to bottom, offline,
and shows what it is about (figures as ``image/png`` outputs, tables as HTML); running
them leaves nothing behind in the project; and the sdist built afterwards holds only
the project's own files -- no database, checkpoint or cache a run (or a user) made.

The notebooks run in a copy of the checkout's tracked files (what a fresh clone holds;
in an unpacked sdist, of examples/), from its ``examples/`` folder as a user would run
them, each once; the tests below read the executed copies."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat", reason="needs the test extra (nbformat)")
nbclient = pytest.importorskip("nbclient", reason="needs the test extra (nbclient)")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
CELL_LIMIT = 60.0  # seconds per cell; a whole notebook takes 10-20 s today
#: What each notebook must show: (figures, tables) at least, and a text one of its
#: tables holds, so the right ones are checked.
SHOWS = {
    "01_quickstart": (1, 3, "prov:Entity"),
    "02_github_sync": (1, 1, "one clean sync"),
    "03_custom_backend": (0, 1, "JSON file (yours)"),
    "04_monitoring": (1, 2, "classes written"),
    "05_keeping_current": (1, 1, "metaverse#Immersion"),
}
#: Files a run or a user may leave in a checkout; the sdist must never hold them.
LEFTOVERS = (
    "examples/quickstart.db",
    "examples/sample.db-wal",
    "examples/.ipynb_checkpoints/01_quickstart-checkpoint.ipynb",
    "examples/json_repository.py",
    "examples/sample.json",
    "examples/monitored/rdf/broken.ttl",
    "benchmarks/results/run.json",
    "tests/__pycache__/conftest.cpython-311.pyc",
    "streaming_sync/__pycache__/_model.cpython-313.pyc",
    "sample.db",
)


def is_git_checkout() -> bool:
    return shutil.which("git") is not None and (ROOT / ".git").exists()


def tracked_files() -> list[str]:
    """The checkout's tracked files (``git ls-files``); skips where there is no git."""
    if not is_git_checkout():
        pytest.skip("not a git checkout: cannot tell the project's own files")
    done = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return [name for name in done.stdout.split("\0") if name and (ROOT / name).is_file()]


def project_files() -> list[str]:
    """What the notebooks run in: the tracked files, or (an unpacked sdist) examples/."""
    if is_git_checkout():
        return tracked_files()
    return [p.relative_to(ROOT).as_posix() for p in EXAMPLES.rglob("*") if p.is_file()]


def listing(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


class Runs:
    """A copy of the project in which each notebook is executed once, on demand."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.before = listing(project)
        self.done: dict[str, Any] = {}

    def executed(self, stem: str) -> Any:
        if stem not in self.done:
            path = self.project / "examples" / f"{stem}.ipynb"
            nb = nbformat.read(path, as_version=4)
            client = nbclient.NotebookClient(
                nb,
                timeout=CELL_LIMIT,
                kernel_name="python3",
                resources={"metadata": {"path": str(path.parent)}},
            )
            client.execute()
            self.done[stem] = nb
        return self.done[stem]

    def all_executed(self) -> None:
        for notebook in NOTEBOOKS:
            self.executed(notebook.stem)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    project = tmp_path_factory.mktemp("project")
    for name in project_files():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, project / name)
    return Runs(project)


def outputs(nb: Any, kind: str) -> list[Any]:
    return [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == kind]


def test_the_five_notebooks_exist() -> None:
    """The examples the docs point to are all here."""
    assert [p.stem for p in NOTEBOOKS] == sorted(SHOWS)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(notebook: Path) -> None:
    """Outputs and execution counts are stripped before committing."""
    nb = nbformat.read(notebook, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:80]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_shows_figures_and_tables(notebook: Path, runs: Runs) -> None:
    """The notebook executes without error (its own asserts check its results) and its
    outputs hold the figures (PNG images) and tables (HTML) it is there to show."""
    started = time.monotonic()
    nb = runs.executed(notebook.stem)
    assert time.monotonic() - started < 4 * CELL_LIMIT
    assert outputs(nb, "error") == []
    shown = [o.data for kind in ("display_data", "execute_result") for o in outputs(nb, kind)]
    figures = [d for d in shown if "image/png" in d]
    tables = [d for d in shown if "<table" in d.get("text/html", "")]
    at_least_figures, at_least_tables, text = SHOWS[notebook.stem]
    assert len(figures) >= at_least_figures, [list(d) for d in shown]
    assert len(tables) >= at_least_tables, [list(d) for d in shown]
    assert any(text in d["text/html"] for d in tables), text


@pytest.mark.timeout(600)
def test_running_the_notebooks_leaves_nothing_behind(runs: Runs) -> None:
    """After every notebook ran from the project's examples/ folder, the project holds
    exactly the files it held before: databases, copies, written modules all went into
    temporary folders (which the notebooks remove)."""
    runs.all_executed()
    assert listing(runs.project) == runs.before


@pytest.mark.timeout(600)
def test_the_sdist_holds_only_the_projects_own_files(runs: Runs, tmp_path: Path) -> None:
    """The sdist built (offline: ``python -m build --sdist --no-isolation``) after the
    notebooks ran, with typical leftovers planted in the tree besides (databases, a
    Jupyter checkpoint, a module a notebook wrote, bytecode), lists only tracked files
    and the metadata the build writes; its notebooks carry no outputs."""
    runs.all_executed()
    for leftover in LEFTOVERS:
        (runs.project / leftover).parent.mkdir(parents=True, exist_ok=True)
        (runs.project / leftover).write_bytes(b"generated")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=runs.project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout[-2000:] + built.stderr[-2000:]
    [sdist] = tmp_path.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if m.isfile()]
        names = {m.name.split("/", 1)[1] for m in members}
        notebooks = {
            n: nbformat.reads(archive.extractfile(m).read().decode(), as_version=4)  # type: ignore[union-attr]
            for m in members
            if (n := m.name.split("/", 1)[1]).endswith(".ipynb")
        }
    assert names - set(tracked_files()) == {"PKG-INFO"}
    assert not any(n in names for n in LEFTOVERS)
    assert {"streaming_sync/__init__.py", "README.md", "LICENSE"} <= names
    assert sorted(notebooks) == sorted(f"examples/{p.name}" for p in NOTEBOOKS)
    for nb in notebooks.values():
        assert all(c.get("outputs", []) == [] for c in nb.cells)
