"""Limits for a submission as a whole: every process it starts counts.

``setrlimit`` bounds each process on its own: a notebook that forks gets the full memory limit
once per child. Where no cgroup can be made for a submission (an ordinary account on a machine
without a delegated cgroup v2 tree, as here), the judge runs this watchdog beside it: every
``interval`` seconds it finds the runner and all its descendants in ``/proc`` (in the
namespace modes, orphans are re-parented to the runner, PID 1 of its namespace, so none
escapes), sums their memory, CPU time and number, and kills the whole sandbox once a total goes over
the budget, with the reason. Memory is the proportional share of anonymous pages (``Pss_Anon``
of ``smaps_rollup``: a page a fork still shares with its parent counts once in the sum); where
that is not readable (``none`` mode: the runner is not dumpable) the resident anonymous memory
of each process, which counts shared pages once per process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Usage:
    """What one look at the submission's processes found.

    Attributes
    ----------
    processes : int
        How many are alive.
    memory_mb : float
        Their anonymous resident memory, summed.
    cpu_seconds : float
        Their CPU time, summed (with the runner's reaped children).
    """

    processes: int = 0
    memory_mb: float = 0.0
    cpu_seconds: float = 0.0


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            raw = handle.read().decode("ascii", "replace")
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()  # fields from "state" on (comm may hold spaces)


def _field_kb(path: str, key: bytes) -> int | None:
    try:
        with open(path, "rb") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def memory_kb(pid: int) -> int:
    """The process's share of anonymous memory (``Pss_Anon``), else its ``RssAnon``."""
    kb = _field_kb(f"/proc/{pid}/smaps_rollup", b"Pss_Anon:")
    if kb is None:
        kb = _field_kb(f"/proc/{pid}/status", b"RssAnon:")
    return kb or 0


def descendants(root: int) -> list[int]:
    """``root`` and every process below it, from the ``ppid`` of each entry of ``/proc``."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat_fields(int(name))
            if fields is not None and len(fields) > 1:
                children.setdefault(int(fields[1]), []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def measure(root: int) -> Usage:
    """The submission's totals now (see :class:`Usage`)."""
    usage = Usage()
    for pid in descendants(root):
        fields = _stat_fields(pid)
        if fields is None:
            continue
        usage.processes += 1
        usage.memory_mb += memory_kb(pid) / 1024
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        if pid == root:
            ticks += int(fields[13]) + int(fields[14])  # cutime, cstime: reaped children
        usage.cpu_seconds += ticks / _TICKS
    return usage


class Watchdog:
    """Kill a submission whose processes together exceed its budget.

    Parameters
    ----------
    root : int
        The runner's pid (as this process sees it).
    kill : callable
        Kills the whole sandbox.
    memory_mb, cpu_seconds, max_processes : float
        The budget of the submission as a whole.
    interval : float
        Seconds between looks.
    """

    def __init__(
        self,
        root: int,
        kill: Callable[[], None],
        *,
        memory_mb: float,
        cpu_seconds: float,
        max_processes: int,
        interval: float = 0.1,
    ) -> None:
        self.root, self.kill = root, kill
        self.limits = (memory_mb, cpu_seconds, max_processes)
        self.interval = interval
        self.reason: str | None = None
        self.peak = Usage()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)

    def start(self) -> Watchdog:
        """Start watching (returns at once)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            usage = measure(self.root)
            if usage.processes == 0:
                return
            self.peak = Usage(
                max(self.peak.processes, usage.processes),
                max(self.peak.memory_mb, usage.memory_mb),
                max(self.peak.cpu_seconds, usage.cpu_seconds),
            )
            self.reason = over_budget(usage, *self.limits)
            if self.reason:
                self.kill()
                return


def over_budget(
    usage: Usage, memory_mb: float, cpu_seconds: float, max_processes: int
) -> str | None:
    """Why ``usage`` is over the submission's budget, or None."""
    if usage.memory_mb > memory_mb:
        return (
            f"memory limit of the submission reached: its {usage.processes} processes held "
            f"{usage.memory_mb:,.0f} MB together (limit {memory_mb:,.0f} MB)"
        )
    if usage.cpu_seconds > cpu_seconds:
        return (
            f"CPU limit of the submission reached: {usage.cpu_seconds:,.0f} s over "
            f"{usage.processes} processes (limit {cpu_seconds:,.0f} s)"
        )
    if usage.processes > max_processes:
        return f"process limit reached: {usage.processes} processes (limit {max_processes})"
    return None
