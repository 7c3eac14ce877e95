"""The import graph of the package: no circles, and no module imports a higher layer.

Every import counts -- at module level, inside functions (lazy imports) and under
``TYPE_CHECKING`` -- read from the source with ``ast``, so a lazy import cannot hide a
circle. The layers are those of ``docs/architecture.md`` (bottom -> top); a module may
import its own layer or lower ones.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "streaming_sync"

#: (layer, name): a module belongs to the first layer one of whose names it is or lies
#: below (a package name covers its modules).
LAYERS: tuple[tuple[int, str], ...] = (
    (1, "_errors"),
    (1, "_model"),
    (1, "_owl"),
    (1, "_aio"),
    (1, "_config"),
    (1, "_formats"),
    (1, "_change_counts"),
    (1, "_curie"),
    (1, "_version"),
    (1, "_timestamps"),
    (2, "_snapshot"),
    (2, "_validate"),
    (2, "_read_model"),
    (2, "observe.events"),
    (2, "_changes"),
    (2, "_webhook"),
    (3, "_protocols"),
    (4, "parsers"),
    (4, "sources"),
    (4, "storage"),
    (4, "observe"),
    (4, "testing"),
    (5, "_retry"),
    (5, "_budget"),
    (5, "_parse_placement"),
    (5, "_parse_pool"),
    (5, "_parse_process"),
    (5, "_parse_thread"),
    (5, "_parse_worker"),
    (5, "_writer"),
    (5, "_pipeline"),
    (5, "_runlock"),
    (5, "_run"),
    (5, "_defaults"),
    (5, "_service"),
    (5, "_read_snapshot"),
    (5, "_reader"),
    (5, "_reader_changes"),
    (5, "_watch"),
    (5, "_watch_http"),
    (5, "_reader_blocking"),
    (6, "_cli"),
    (6, "_cli_admin"),
    (6, "_cli_check"),
    (6, "_cli_db"),
    (6, "_cli_drop"),
    (6, "_cli_logging"),
    (6, "_cli_options"),
    (6, "_cli_reference"),
    (6, "_cli_report"),
    (6, "_cli_settings"),
    (6, "_cli_signals"),
    (6, "_cli_feed"),
    (6, "_cli_changes"),
    (6, "_cli_watch"),
    (6, "_cli_source"),
    (6, "_cli_sync"),
    (6, "__main__"),
    (6, ""),  # the package's __init__: the public face
)


def module_name(path: Path) -> str:
    """``observe.events`` for streaming_sync/observe/events.py, '' for the package."""
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}

#: Import edges allowed to break the rules below, each with its reason (none today: the
#: tests fail on an entry that no longer occurs, so the list cannot go stale).
KNOWN: set[tuple[str, str]] = set()


def layer(module: str) -> int:
    for number, name in LAYERS:
        if module == name or (name and module.startswith(name + ".")):
            return number
    raise AssertionError(f"streaming_sync.{module} is in no layer: add it to LAYERS")


def resolve(importer: str, node: ast.ImportFrom | ast.Import) -> Iterator[str]:
    """The package modules an import statement of ``importer`` names."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == "streaming_sync" or alias.name.startswith("streaming_sync."):
                yield alias.name.removeprefix("streaming_sync").lstrip(".")
        return
    if node.level == 0:
        if node.module is None or not node.module.startswith("streaming_sync"):
            return
        base = node.module.removeprefix("streaming_sync").lstrip(".")
    else:
        here = importer.split(".") if importer else []
        if MODULES[importer].name != "__init__.py":
            here = here[:-1]  # a module's own package
        here = here[: len(here) - (node.level - 1)]
        base = ".".join([*here, *([node.module] if node.module else [])])
    for alias in node.names:
        sub = f"{base}.{alias.name}" if base else alias.name
        yield sub if sub in MODULES else base


def edges() -> set[tuple[str, str]]:
    found = set()
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                found |= {(module, target) for target in resolve(module, node) if target != module}
    return found


def cycles(graph: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    succ: dict[str, list[str]] = {}
    for a, b in graph:
        succ.setdefault(a, []).append(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in succ.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    return found


def test_every_module_has_a_layer() -> None:
    """A new module must be placed in a layer (here and in docs/architecture.md)."""
    assert all(layer(m) for m in MODULES)


def test_known_exceptions_still_exist() -> None:
    """KNOWN lists only edges that are still there (empty it once they are gone)."""
    assert edges() >= KNOWN, f"no longer imported, remove from KNOWN: {KNOWN - edges()}"


def test_no_import_circles() -> None:
    """No set of modules imports itself round, lazy imports included."""
    assert cycles(edges() - KNOWN) == []


def test_no_module_imports_a_higher_layer() -> None:
    """Each import goes to the importer's own layer or a lower one."""
    upward = sorted(
        f"streaming_sync.{a} (layer {layer(a)}) imports streaming_sync.{b} (layer {layer(b)})"
        for a, b in edges() - KNOWN
        if layer(b) > layer(a)
    )
    assert upward == []


def test_the_check_sees_lazy_imports() -> None:
    """The reader of the graph finds an import inside a function body (the service's
    default parser), so a lazy import cannot hide an edge."""
    assert ("_service", "parsers") in edges()
