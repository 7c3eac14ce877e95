"""The extras say what their users import: the ``contract`` extra is exactly what the
contract suite needs (no linters, no Jupyter), the ``notebooks`` extra holds what the
example notebooks import beyond the core, and the ``test`` extra includes both. Read
from pyproject.toml and the sources with ``ast``."""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]
#: Import names whose distribution is named otherwise.
DISTRIBUTION = {"yaml": "pyyaml"}


def names(requirements: Iterable[str]) -> set[str]:
    """Distribution names, normalised (PEP 503), of requirement strings."""
    found = set()
    for requirement in requirements:
        match = re.match(r"[A-Za-z0-9._-]+", requirement)
        assert match is not None, requirement
        found.add(re.sub(r"[-_.]+", "-", match.group()).lower())
    return found


def third_party(code: str) -> set[str]:
    """The top-level modules ``code`` imports that are neither the stdlib nor ours."""
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    ours = {"streaming_sync", "json_repository", "__future__"}
    modules = found - ours - set(sys.stdlib_module_names)
    return {DISTRIBUTION.get(m, m).replace("_", "-").lower() for m in modules}


def notebook_code(path: Path) -> str:
    """The code cells of a notebook as one module (IPython magics left out)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    lines = [
        line
        for cell in cells
        if cell["cell_type"] == "code"
        for line in "".join(cell["source"]).splitlines()
        if not line.lstrip().startswith("%")
    ]
    return "\n".join(lines)


def test_the_contract_extra_is_what_the_contract_suite_imports() -> None:
    """The contract modules import pytest and hypothesis beyond the core, and run async
    tests through pytest-asyncio: the contract extra is exactly those three."""
    core = names(PROJECT["dependencies"])
    sources = (ROOT / "streaming_sync" / "testing").glob("*contract*.py")
    imported = set().union(*(third_party(p.read_text(encoding="utf-8")) for p in sources))
    assert imported - core == {"pytest", "hypothesis"}
    assert names(EXTRAS["contract"]) == {"pytest", "pytest-asyncio", "hypothesis"}


def test_the_notebooks_extra_holds_what_the_notebooks_import() -> None:
    """Every module the notebooks import is the core's, the notebooks extra's, or (for
    notebook 03, which runs the contract suite) the contract extra's; the notebooks
    extra has a kernel to run them."""
    allowed = names(PROJECT["dependencies"]) | names(EXTRAS["notebooks"])
    allowed |= names(EXTRAS["contract"])
    imported = set().union(*(third_party(notebook_code(p)) for p in ROOT.glob("examples/*.ipynb")))
    assert {"matplotlib", "pandas"} <= imported <= allowed
    assert "ipykernel" in names(EXTRAS["notebooks"])


def test_the_test_extra_includes_the_others() -> None:
    """The README's one test command installs the contract suite's and the notebooks'
    needs too, and what builds the sdist offline."""
    test = EXTRAS["test"]
    assert "streaming_sync[contract,notebooks]" in test
    assert {"build", "hatchling", "nbclient", "nbformat"} <= names(test)
