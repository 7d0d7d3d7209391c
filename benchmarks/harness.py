"""The one way every benchmark here times a tool: as a whole process, measured by the operating system.

Each run starts the tool as its own process (interpreter start-up, imports and
reading included) and reaps it with ``os.wait4``, which returns the kernel's own
accounting of that process and the children it waited for: user and system CPU
seconds and the peak resident set size. Wall time is taken from the fork to the reaping.

On a shared machine wall time depends on what else runs, so every summary keeps
the median with min and max of each figure, the CPU seconds (less sensitive to
other load than wall time, though not immune: cache and memory bandwidth are
shared), and the 1-minute load average before and after the runs. Scripts
headline the whole-process median ratio; in-process compute times, where a
script reports them, are read from the tool's own output and shown separately.

    from benchmarks.harness import repeat
    summary = repeat(["python", "-c", "pass"], runs=3)
    summary["wall_s"]["median"], summary["cpu_s"]["median"], summary["peak_rss_mb"]["max"]
"""

from __future__ import annotations

import json
import os
import signal
import sys
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

FIGURES = ("wall_s", "cpu_s", "user_s", "sys_s", "peak_rss_mb")

# The tool is started by a small launcher, not forked from the benchmark: Linux carries a process's peak RSS
# over fork and exec, so a child forked straight from a benchmark holding its data would report the
# benchmark's memory as its own. The launcher forks the tool, reaps it with os.wait4 and writes the kernel's
# figures (and its own wall clock around the tool) to a file; the tool's peak then includes only the
# launcher's ~10 MB at the fork.
LAUNCHER = """import json, os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(sys.argv[1], "w") as report:
    json.dump([wall, usage.ru_utime, usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status)], report)
"""


@dataclass
class Run:
    """One finished process: the kernel's figures for it, its exit code and what it printed."""

    wall_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    exit_code: int
    stdout: str
    stderr: str
    error: str | None = None  # set when the process was killed or timed out

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s

    def figures(self) -> dict[str, Any]:
        """The measured figures (no output), as kept in a results file."""
        return {"wall_s": round(self.wall_s, 4), "cpu_s": round(self.cpu_s, 4), "user_s": round(self.user_s, 4),
                "sys_s": round(self.sys_s, 4), "peak_rss_mb": round(self.peak_rss_mb, 1), "exit_code": self.exit_code}


def load_average() -> float:
    """The machine's 1-minute load average (runnable processes): how shared the cores were."""
    return round(os.getloadavg()[0], 2)


def measure(command: list[str], env: dict[str, str] | None = None, timeout_s: float = 3600.0) -> Run:
    """Run ``command`` once as its own process and return the kernel's figures for it.

    stdout and stderr go to files (no pipe can fill up); the process gets its own
    session so a timeout kills it and any children. Peak RSS is the largest of the
    process and the descendants it waited for (Linux ``ru_maxrss``, in kilobytes).
    """
    with tempfile.TemporaryDirectory(prefix="steward-bench-") as tmp:
        out_path, err_path, report_path = Path(tmp, "out"), Path(tmp, "err"), Path(tmp, "report")
        with out_path.open("wb") as out, err_path.open("wb") as err:
            started = time.perf_counter()
            process = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(report_path), *command], stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                       env=env, start_new_session=True)
            timed_out = threading.Event()

            def kill() -> None:
                timed_out.set()
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

            timer = threading.Timer(timeout_s, kill)
            timer.start()
            try:
                _, status, _ = os.wait4(process.pid, 0)
            except BaseException:  # Ctrl-C: the child has its own session, so end it here
                kill()
                os.wait4(process.pid, 0)
                raise
            finally:
                timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait again
        wall, user, system, peak_kb, exit_code = (json.loads(report_path.read_text()) if report_path.exists()
                                                  else [time.perf_counter() - started, 0.0, 0.0, 0, process.returncode])
        error = None
        if timed_out.is_set():
            error = f"timed out after {timeout_s:.0f} s"
        elif exit_code < 0:
            name = signal.Signals(-exit_code).name if -exit_code in signal.valid_signals() else str(-exit_code)
            error = f"killed by {name}" + (" (out of memory?)" if -exit_code == signal.SIGKILL else "")
        return Run(wall_s=wall, user_s=user, sys_s=system, peak_rss_mb=peak_kb / 1024,
                   exit_code=exit_code, stdout=out_path.read_text(errors="replace"),
                   stderr=err_path.read_text(errors="replace"), error=error)


def spread(values: list[float]) -> dict[str, float]:
    """Median, min and max: the figure to quote and how noisy the machine was."""
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4), "max": round(max(values), 4)}


def summarise(runs: list[dict[str, Any]], load_before: float, load_after: float) -> dict[str, Any]:
    """Median/min/max of every figure over ``runs`` (each a ``Run.figures()``), with the load around them."""
    summary: dict[str, Any] = {figure: spread([r[figure] for r in runs]) for figure in FIGURES}
    summary.update(runs=len(runs), load_1min={"before": load_before, "after": load_after},
                   measured_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    return summary


def repeat(command: list[str], runs: int = 3, env: dict[str, str] | None = None,
           timeout_s: float = 3600.0, check: bool = True) -> dict[str, Any]:
    """``runs`` whole-process runs of ``command``: the summary plus every run's figures and the last output.

    With ``check`` a failed run (non-zero exit other than 1, a signal or a timeout) stops and raises.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    before = load_average()
    kept: list[dict[str, Any]] = []
    last: Run | None = None
    for _ in range(runs):
        last = measure(command, env, timeout_s)
        if check and (last.error or last.exit_code not in (0, 1)):
            raise RuntimeError(f"{Path(command[0]).name}: {last.error or f'exit {last.exit_code}'}\n"
                               f"{last.stderr[-2000:]}")
        kept.append(last.figures())
    assert last is not None
    summary = summarise(kept, before, load_average())
    summary["every_run"] = kept
    return {"summary": summary, "last": asdict(last)}


def repeat_reports(command: list[str], runs: int = 3, env: dict[str, str] | None = None,
                   timeout_s: float = 3600.0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``runs`` whole-process runs of a tool that prints a JSON document as its last line of output: the summary
    (as :func:`repeat`'s, every run's figures kept) and each run's document, e.g. its in-process seconds.

    A run that fails (an exit code, a signal, a timeout, no document) stops and raises.
    """
    before = load_average()
    kept: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    for _ in range(runs):
        run = measure(command, env, timeout_s)
        lines = run.stdout.strip().splitlines()
        if run.error or run.exit_code or not lines:
            raise RuntimeError(f"{Path(command[1] if len(command) > 1 else command[0]).name}: "
                               f"{run.error or f'exit {run.exit_code}'}\n{run.stderr[-2000:]}")
        kept.append(run.figures())
        reports.append(json.loads(lines[-1]))
    summary = summarise(kept, before, load_average())
    summary["every_run"] = kept
    return summary, reports


def ratio(numerator: dict[str, Any], denominator: dict[str, Any], figure: str = "wall_s") -> float:
    """The ratio of two summaries' medians of one figure (e.g. a peer's wall over Steward's)."""
    return round(numerator[figure]["median"] / denominator[figure]["median"], 3)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import platform

    info: dict[str, Any] = {"platform": platform.platform(), "python": platform.python_version(),
                            "cores": os.cpu_count(), "measured_with": "os.wait4 in a small launcher (kernel rusage of the tool process)"}
    try:
        info["memory_gib"] = round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1)
    except (ValueError, OSError):
        pass
    return info
