"""A pool of warm grading workers (:mod:`autograder.isolation.worker`), driven from the grading
process.

One thread per worker process sends it jobs and relays what comes back into a single queue;
the grading process consumes that queue and is the only writer of results. A worker that
crashes is replaced, and the job it was running is reported as a grader failure (the cells it
had already reported keep their results).
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.isolation.confinement import scrubbed_environment
from autograder.isolation.protocol import ChannelClosed, FrameReader, write_message

#: Seconds a worker may take to start (imports, sandbox probe).
START_TIMEOUT = 180.0


class PoolError(RuntimeError):
    """The workers could not be started."""


@dataclass
class Event:
    """Something a worker reported.

    Attributes
    ----------
    kind : str
        ``"cell"`` (one cell's result) or ``"done"`` (the job finished).
    job : str
        Job id.
    data : dict
        The message.
    """

    kind: str
    job: str
    data: dict[str, Any] = field(default_factory=dict)


def _package_parent() -> str:
    return str(Path(__file__).resolve().parents[2])


def spawn_worker(
    init: dict[str, Any],
    log_path: Path,
    home: str,
    *,
    name: str = "grading worker",
    on_start: Callable[[subprocess.Popen], None] | None = None,
) -> tuple[subprocess.Popen, FrameReader, dict[str, Any]]:
    """Start one warm worker (``python -m autograder.isolation.worker``) and wait until ready
    (used by :class:`WorkerPool` and by the Dask worker plugin, :mod:`autograder.cluster`).

    Parameters
    ----------
    init : dict
        The worker ``init`` message (sandbox mode, secrets, preload...).
    log_path : Path
        The worker's stderr is appended there.
    home : str
        Working directory and ``HOME`` of the worker.
    name : str
        How errors name the worker.
    on_start : callable, optional
        Called with the process as soon as it exists (so it can be killed while starting).

    Returns
    -------
    tuple
        The process, a reader of its messages, and its ``ready`` message.

    Raises
    ------
    PoolError
        If the worker exits or reports a failure during start-up.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**scrubbed_environment(home), "PYTHONPATH": _package_parent()}
    command = [sys.executable, "-m", "autograder.isolation.worker"]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env, cwd=home
        )  # close_fds is the default
    if on_start is not None:
        on_start(process)
    assert process.stdin is not None and process.stdout is not None
    write_message(process.stdin.fileno(), {"op": "init", **init})
    reader = FrameReader(process.stdout.fileno())
    try:
        hello = reader.read(timeout=START_TIMEOUT)
    except ChannelClosed:
        hello = None
    if not hello or hello.get("type") != "ready":
        reason = (hello or {}).get("reason") or "it exited during start-up"
        process.kill()
        process.wait()
        raise PoolError(f"{name} failed to start: {reason}")
    return process, reader, hello


class WorkerPool:
    """Start ``size`` workers and run jobs on them.

    Parameters
    ----------
    size : int
        Number of worker processes.
    init : dict
        The worker ``init`` message (sandbox mode, secrets, preload...).
    log_dir : Path
        Worker stderr goes to ``worker-<n>.log`` there.
    """

    def __init__(self, size: int, init: dict[str, Any], log_dir: Path) -> None:
        self.size = max(1, int(size))
        self.init = {"op": "init", **init}
        self.log_dir = Path(log_dir)
        self.events: queue.Queue[Event] = queue.Queue()
        self.jobs: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.threads: list[threading.Thread] = []
        self.ready: queue.Queue[dict[str, Any]] = queue.Queue()
        self.info: dict[str, Any] = {}
        self._home = tempfile.mkdtemp(prefix="course-workers-")
        self._processes: list[subprocess.Popen] = []
        self._lock = threading.Lock()
        self._closed = False

    # -- workers ---------------------------------------------------------------------
    def _spawn(self, slot: int) -> tuple[subprocess.Popen, FrameReader]:
        process, reader, hello = spawn_worker(
            self.init,
            self.log_dir / f"worker-{slot}.log",
            self._home,
            name=f"grading worker {slot}",
            on_start=self._track,
        )
        with self._lock:
            if not self.info:
                self.info = dict(hello)
        return process, reader

    def _track(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._processes.append(process)

    def _serve(self, slot: int) -> None:
        try:
            process, reader = self._spawn(slot)
        except Exception as exc:
            self.ready.put({"type": "failed", "reason": str(exc)})
            return
        self.ready.put({"type": "ready", "slot": slot})
        while True:
            job = self.jobs.get()
            if job is None:
                break
            job_id = job["id"]
            try:
                assert process.stdin is not None
                write_message(process.stdin.fileno(), {"op": "job", **job})
                while True:
                    message = reader.read()
                    if message is None:
                        continue
                    kind = message.get("type")
                    if kind == "cell":
                        self.events.put(Event("cell", job_id, message))
                    elif kind == "done":
                        self.events.put(Event("done", job_id, message))
                        break
            except (ChannelClosed, OSError) as exc:
                self.events.put(
                    Event(
                        "done",
                        job_id,
                        {
                            "status": "grader_error",
                            "reason": f"the grading worker crashed ({exc}); see {self.log_dir}",
                        },
                    )
                )
                process.kill()
                process.wait()
                if self._closed:
                    return
                try:
                    process, reader = self._spawn(slot)
                except PoolError as spawn_error:
                    self.ready.put({"type": "failed", "reason": str(spawn_error)})
                    return
        try:
            assert process.stdin is not None
            write_message(process.stdin.fileno(), {"op": "exit"})
            process.stdin.close()
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()

    def start(self) -> WorkerPool:
        """Start the workers in the background (returns at once)."""
        for slot in range(self.size):
            thread = threading.Thread(
                target=self._serve, args=(slot,), name=f"grader-{slot}", daemon=True
            )
            thread.start()
            self.threads.append(thread)
        return self

    def wait_ready(self) -> dict[str, Any]:
        """Block until at least one worker is up; return its self-description.

        Raises
        ------
        PoolError
            If every worker failed to start.
        """
        failures = []
        while len(failures) < self.size:
            message = self.ready.get()
            if message["type"] == "ready":
                return message
            failures.append(message["reason"])
        raise PoolError("; ".join(dict.fromkeys(failures)))

    def run(self, jobs: list[dict[str, Any]]) -> Iterator[Event]:
        """Run jobs; yield events as they come (every job ends with one ``done`` event).

        Parameters
        ----------
        jobs : list of dict
            Each with a unique ``id``.

        Yields
        ------
        Event
        """
        for job in jobs:
            self.jobs.put(job)
        pending = {job["id"] for job in jobs}
        while pending:
            try:
                event = self.events.get(timeout=1.0)
            except queue.Empty:
                if not any(t.is_alive() for t in self.threads):
                    for job_id in sorted(pending):
                        yield Event(
                            "done",
                            job_id,
                            {"status": "grader_error", "reason": "no grading worker is running"},
                        )
                    return
                continue
            if event.kind == "done":
                pending.discard(event.job)
            yield event

    def close(self) -> None:
        """Stop the workers and remove their temporary home."""
        self._closed = True
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:  # idle workers exit at once; starting ones are killed
            thread.join(timeout=2)
        with self._lock:
            for process in self._processes:
                if process.poll() is None:
                    process.kill()
        for thread in self.threads:
            thread.join(timeout=15)
        with self._lock:
            for process in self._processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        shutil.rmtree(self._home, ignore_errors=True)

    def __enter__(self) -> WorkerPool:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def default_jobs() -> int:
    """Default ``--jobs``: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)
