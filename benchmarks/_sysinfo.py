"""What /proc says: CPU time and peak memory of processes, and the machine itself."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

_TICKS = os.sysconf("SC_CLK_TCK")


def _status(pid: int | str) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def _kb_to_mb(value: str | None) -> float:
    return int(value.split()[0]) / 1024 if value else 0.0


def self_hwm_mb() -> float:
    """This process's peak resident set size (VmHWM), in MiB."""
    return _kb_to_mb(_status("self").get("VmHWM"))


def hwm_mb(pid: int | str) -> float:
    """A process's own peak resident set size (``VmHWM``, MiB; 0 once it is gone). Its
    own: unlike ``wait4``'s ``ru_maxrss``, which for a child forked from a big process
    reports that process's peak, ``VmHWM`` starts again at each ``exec``."""
    return _kb_to_mb(_status(pid).get("VmHWM"))


def pss_mb(pid: int | str) -> float:
    """A process's proportional set size now (MiB): shared pages divided among the
    processes that share them (0 when unreadable)."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return _kb_to_mb(line.split(":", 1)[1])
    return 0.0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[tuple[int, int]]:
    """Every live descendant of ``pid`` as (pid, depth): 1 for children, 2 for
    grandchildren, ..."""
    todo, seen = [(c, 1) for c in _children(pid)], []
    while todo:
        child, depth = todo.pop()
        seen.append((child, depth))
        todo += [(c, depth + 1) for c in _children(child)]
    return sorted(seen)


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def descendants_cpu(pid: int) -> list[dict[str, Any]]:
    """CPU seconds and peak RSS (MiB) of the parse pool's workers: the grandchildren of
    ``pid`` (a ``forkserver`` pool's workers are the fork server's children; the fork
    server and multiprocessing's resource tracker are children)."""
    return [
        {
            "pid": child,
            "cpu_s": round(_cpu_seconds(child), 3),
            "hwm_mb": round(_kb_to_mb(_status(child).get("VmHWM")), 1),
        }
        for child, depth in descendants(pid)
        if depth >= 2
    ]


def tree_rss_mb(pid: int) -> float:
    """The resident memory (VmRSS, MiB) of ``pid`` and all its live descendants now:
    what the process tree holds at one moment (pages shared between processes are
    counted in each)."""
    pids = [pid, *(child for child, _ in descendants(pid))]
    return sum(_kb_to_mb(_status(p).get("VmRSS")) for p in pids)


def machine() -> dict[str, Any]:
    """nproc, Python version, CPU model, memory: the facts a result depends on."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = _kb_to_mb(
        next(
            (
                line.split(":", 1)[1]
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")
            ),
            None,
        )
    )
    try:
        import pyoxigraph

        oxigraph = str(pyoxigraph.__version__)
    except ImportError:
        oxigraph = "not installed"
    return {
        "nproc": os.cpu_count(),
        "python": sys.version.split()[0],
        "cpu_model": model,
        "memory_gib": round(memory / 1024, 1),
        "platform": platform.platform(),
        "pyoxigraph": oxigraph,
        "sqlite": __import__("sqlite3").sqlite_version,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (0 once it is gone)."""
    return _cpu_seconds(pid)


def command(pid: int) -> str:
    """What ``pid`` runs (its name), for telling the fork server from a parse process."""
    return _status(pid).get("Name", "").strip()


__all__ = [
    "command",
    "cpu_seconds",
    "descendants",
    "descendants_cpu",
    "hwm_mb",
    "machine",
    "pss_mb",
    "self_hwm_mb",
    "tree_rss_mb",
]
