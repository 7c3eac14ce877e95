"""Running measurements in child processes, and the benchmark server's process.

``run_job`` starts ``python -m benchmarks._measure JOB`` and waits for it with
``os.wait4``, whose resource usage gives the child's CPU (with the descendants it waited
for). Its memory is NOT taken from there: ``ru_maxrss`` of a child forked from a big
process (pytest, after memory-hungry tests) reports that process's peak, inherited at
the fork. Each process reads its own peak (``VmHWM``) instead, and the measuring process
reports it with its descendants' (``_measure.TreeSampler``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ._measure import Job

ROOT = Path(__file__).resolve().parents[1]


class JobError(RuntimeError):
    """A measurement process exited with an error; the message holds its stderr."""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_job(job: Job, timeout: float = 1800.0) -> dict[str, Any]:
    """Run ``job`` in a fresh interpreter; its JSON result plus ``peak_rss_mb`` (the
    child's own ``VmHWM``, which it reported) and ``cpu_s`` (from ``wait4``: the child's
    CPU and that of the descendants it waited for)."""
    import attrs

    argument = json.dumps(attrs.asdict(job))
    with (
        open(os.devnull, "rb") as stdin,
        _temp_output() as stdout,
        _temp_output() as stderr,
    ):
        child = subprocess.Popen(
            [sys.executable, "-m", "benchmarks._measure", argument],
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            cwd=ROOT,
            env=_env(),
        )
        status, usage = _wait(child, timeout)
        stdout.seek(0)
        stderr.seek(0)
        out, err = stdout.read().decode(), stderr.read().decode()
    if status != 0:
        raise JobError(f"{job.kind} on {job.source} exited with {status}:\n{err[-4000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = result["hwm_main_mb"]
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


def _wait(child: subprocess.Popen[bytes], timeout: float) -> tuple[int, Any]:
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid == child.pid:
            child.returncode = os.waitstatus_to_exitcode(status)
            return child.returncode, usage
        if time.monotonic() > deadline:
            child.kill()
            _, status, usage = os.wait4(child.pid, 0)
            child.returncode = os.waitstatus_to_exitcode(status)
            raise JobError(f"a measurement took longer than {timeout:.0f} s")
        time.sleep(0.02)


def _temp_output() -> IO[bytes]:
    import tempfile

    return tempfile.TemporaryFile()


class ServerProcess:
    """``python -m benchmarks._server`` for the folders ``specs``; a context manager whose
    ``info`` holds ``api_url``, ``control_url``, ``owner`` and ``repo``."""

    def __init__(self, specs: list[str], latency: float, limit: int | None = None) -> None:
        command = [sys.executable, "-m", "benchmarks._server", *specs, f"--latency={latency}"]
        if limit is not None:
            command.append(f"--limit={limit}")
        self.command = command
        self.process: subprocess.Popen[str] | None = None
        self.info: dict[str, str] = {}

    def __enter__(self) -> ServerProcess:
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env=_env(),
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.close()
            raise JobError(f"the benchmark server did not start: {self.command}")
        self.info = json.loads(line)
        return self

    @property
    def source(self) -> str:
        return f"github:{self.info['owner']}/{self.info['repo']}"

    def close(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.stdin is not None:
            process.stdin.close()  # the server stops when its stdin closes
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["JobError", "ServerProcess", "run_job"]
