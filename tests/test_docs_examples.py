"""Every ```python block of README.md and docs/*.md runs, in order, one subprocess per
document, in a temporary directory that holds a copy of examples/sample.

Blocks of one document share their names (a later block may use what an earlier one
made) and one event loop, so a block may ``await`` at top level as in a notebook, or
call ``asyncio.run`` itself. A block preceded by the line ``<!-- no-test -->`` is not
run (for sketches with ``...`` in them; use sparingly)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIP_MARK = "<!-- no-test -->"
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

# Runs the blocks given as JSON on stdin: [[line, code], ...]. os._exit at the end, so a
# resource an example leaves open (it is an example, not a program) cannot hang the run.
RUNNER = r"""
import ast, asyncio, inspect, json, os, sys, traceback
blocks = json.load(sys.stdin)
loop = asyncio.new_event_loop()
namespace = {"__name__": "__main__"}
for line, source in blocks:
    try:
        code = compile(source, f"{sys.argv[1]}:{line}", "exec",
                       flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        if code.co_flags & inspect.CO_COROUTINE:
            loop.run_until_complete(eval(code, namespace))
        else:
            exec(code, namespace)
    except BaseException:
        sys.stderr.write(f"the block at {sys.argv[1]} line {line} failed:\n")
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
sys.stdout.flush()
os._exit(0)
"""


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line of the fence, code) of each ```python block not marked ``<!-- no-test -->``."""
    blocks = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip().rsplit("\n", 1)[-1].strip()
        if before != SKIP_MARK:
            blocks.append((text.count("\n", 0, match.start()) + 1, match.group(1)))
    return blocks


WITH_EXAMPLES = [d for d in DOCUMENTS if python_blocks(d.read_text(encoding="utf-8"))]


def test_block_extraction() -> None:
    """The extractor finds fenced python blocks with their lines and honours the mark."""
    text = "a\n```python\nx = 1\n```\n<!-- no-test -->\n```python\nboom\n```\n```sh\nls\n```\n"
    assert python_blocks(text) == [(2, "x = 1\n")]


def test_documents_with_examples_are_found() -> None:
    """The README and the quick start have examples, so the collection below is not empty."""
    names = {p.name for p in WITH_EXAMPLES}
    assert {"README.md", "quickstart.md"} <= names


@pytest.mark.parametrize("document", WITH_EXAMPLES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_python_examples_run(document: Path, tmp_path: Path) -> None:
    """Each document's python examples run without error, in order."""
    blocks = python_blocks(document.read_text(encoding="utf-8"))
    shutil.copytree(ROOT / "examples" / "sample", tmp_path / "examples" / "sample")
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, document.relative_to(ROOT).as_posix()],
        input=json.dumps(blocks),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
