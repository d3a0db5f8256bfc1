"""What runs on each Dask worker: warm grading processes and the grading task.

:class:`GraderPlugin` is registered once per ``course grade --dask`` run
(``Client.register_plugin``); Dask sets it up on every worker, including workers that join
later or that a nanny restarts. Set-up starts, in the background, one warm grading process
(``python -m autograder.isolation.worker``, the process ``--jobs`` uses locally: it probes
its own sandbox mode and forks one judge per submission) for each worker thread, and keeps
them. The task :func:`grade_job` takes a free one, sends it the job, and returns every
message it answered (the cells' results, then ``done``). A grading process that died is
started again before the next job.

This module imports ``distributed``: it is only imported where the extra is installed.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin, get_worker

from autograder.isolation import confinement
from autograder.isolation.pool import _package_parent, spawn_worker
from autograder.isolation.protocol import ChannelClosed, FrameReader, write_message

#: Characters of a grading process's log quoted in a failure's reason.
LOG_TAIL = 600
PR_SET_DUMPABLE = 4
#: Seconds the grading processes get to exit when the plugin is removed (then killed; the
#: nanny of a closing worker kills it after 4 s).
EXIT_GRACE = 2.5


def log_tail(path: Path, limit: int = LOG_TAIL) -> str:
    """The end of a log file, on one line ("" if there is none).

    Parameters
    ----------
    path : Path
        The log.
    limit : int
        Characters kept.

    Returns
    -------
    str
        The last ``limit`` characters, newlines replaced by `` | ``.
    """
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return text[-limit:].strip().replace("\n", " | ")


class WarmProcess:
    """One warm grading process on a Dask worker, started again when it dies.

    Parameters
    ----------
    init : dict
        The worker ``init`` message (sandbox mode, secrets, preload...).
    home : str
        Its working directory and ``HOME``.
    log_path : Path
        Its stderr.
    name : str
        How reasons name it (``"grading process 0 on tcp://..."``).
    """

    def __init__(self, init: dict[str, Any], home: str, log_path: Path, name: str) -> None:
        self.init = init
        self.home = home
        self.log_path = log_path
        self.name = name
        self.state = "starting"
        self.reason = ""
        self.hello: dict[str, Any] = {}
        self.process: subprocess.Popen | None = None
        self.reader: FrameReader | None = None
        self._lock = threading.RLock()  # a job waits for the start-up in progress

    def start(self) -> bool:
        """Start the process and wait for its ``ready`` message; False if it failed."""
        with self._lock:
            return self._start()

    def _start(self) -> bool:
        self.state = "starting"
        try:
            self.process, self.reader, self.hello = spawn_worker(
                self.init, self.log_path, self.home, name=self.name
            )
        except Exception as exc:
            self.state = "failed"
            tail = log_tail(self.log_path)
            self.reason = f"{exc}" + (f" (log: ...{tail})" if tail else "")
            return False
        self.state, self.reason = "ready", ""
        return True

    def alive(self) -> bool:
        """Whether the process is running."""
        return self.process is not None and self.process.poll() is None

    def run(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        """Grade one job; return every message (``cell`` ... then exactly one ``done``).

        Parameters
        ----------
        job : dict
            As built by :func:`autograder.pipeline.execute.build_job`.

        Returns
        -------
        list of dict
            The messages; a process that cannot start or that crashes ends the list with a
            ``grader_error`` done message saying so.
        """
        with self._lock:
            if not self.alive() and not self._start():
                reason = f"the grading process could not start: {self.reason}"
                return [_grader_error(job, reason)]
            return self._exchange(job)

    def _exchange(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        assert self.process is not None and self.process.stdin is not None
        assert self.reader is not None
        messages: list[dict[str, Any]] = []
        try:
            write_message(self.process.stdin.fileno(), {"op": "job", **job})
            while True:
                message = self.reader.read()
                if message is None:
                    continue
                kind = message.get("type")
                if kind == "cell":
                    messages.append(message)
                elif kind == "done":
                    messages.append(message)
                    return messages
        except (ChannelClosed, OSError) as exc:
            self.kill()
            tail = log_tail(self.log_path)
            reason = f"the grading worker crashed ({exc}); {self.name}" + (
                f", log: ...{tail}" if tail else ""
            )
            messages.append(_grader_error(job, reason))
            return messages

    def kill(self) -> None:
        """Kill the process (it is started again by the next :meth:`run`)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()
        self.state = "dead"

    def request_exit(self) -> None:
        """Ask the process to exit (it finishes the job in progress first)."""
        process = self.process
        if process is None or process.stdin is None or process.stdin.closed:
            return
        try:
            if process.poll() is None:
                write_message(process.stdin.fileno(), {"op": "exit"})
            process.stdin.close()
        except OSError:
            pass

    def close(self, timeout: float = EXIT_GRACE) -> None:
        """Ask the process to exit; kill it if it has not within ``timeout`` seconds."""
        self.request_exit()
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.0, timeout))
        except subprocess.TimeoutExpired:
            self.kill()


def _grader_error(job: dict[str, Any], reason: str) -> dict[str, Any]:
    return {"type": "done", "job": job.get("id"), "status": "grader_error", "reason": reason}


class GraderPlugin(WorkerPlugin):
    """Keep one warm grading process per thread of a Dask worker.

    Parameters
    ----------
    init : dict
        The worker ``init`` message, as the grading process built it; each worker adds its
        own secrets (its copy of the course, its home, its scratch space) to ``secrets``.
    name : str
        The plugin's name on the workers (unique per ``course grade`` run).
    """

    def __init__(self, init: dict[str, Any], name: str) -> None:
        self.init = dict(init)
        self.name = name

    def setup(self, worker: Any) -> None:
        """Start the warm processes in the background (Dask's event loop is not blocked).

        The Dask worker holds the jobs (every submission it runs, and the tests): like the
        local grading workers, it becomes non-dumpable, so no process of its user can read
        its memory.
        """
        try:
            confinement.prctl(PR_SET_DUMPABLE, 0)
        except (OSError, AttributeError, confinement.SandboxError):  # not Linux
            pass
        self.address = worker.address
        # in the worker's scratch space: Dask purges it even if the worker is killed
        self.home = tempfile.mkdtemp(prefix="course-grader-", dir=worker.local_directory)
        local = [_package_parent(), str(Path.home()), str(worker.local_directory)]
        secrets = list(dict.fromkeys([*self.init.get("secrets", []), *local]))
        init = {**self.init, "secrets": secrets}
        count = max(1, int(worker.state.nthreads))
        self.slots = [
            WarmProcess(
                init,
                self.home,
                Path(self.home) / "logs" / f"grader-{i}.log",
                f"grading process {i} on Dask worker {self.address}",
            )
            for i in range(count)
        ]
        self.free: queue.Queue[int] = queue.Queue()
        self.busy: dict[int, str] = {}
        for index, slot in enumerate(self.slots):
            self.free.put(index)
            threading.Thread(target=slot.start, name=f"course-grader-{index}", daemon=True).start()

    async def teardown(self, worker: Any) -> None:
        """Stop the warm processes and remove their home (off Dask's event loop)."""
        await asyncio.to_thread(self._stop)

    def _stop(self) -> None:
        slots = getattr(self, "slots", [])
        for slot in slots:
            slot.request_exit()
        deadline = time.monotonic() + EXIT_GRACE
        for slot in slots:
            slot.close(deadline - time.monotonic())
        if getattr(self, "home", None):
            shutil.rmtree(self.home, ignore_errors=True)

    def grade(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        """Grade one job on a free warm process (waits for one)."""
        index = self.free.get()
        self.busy[index] = str(job.get("id"))
        try:
            return self.slots[index].run(job)
        finally:
            self.busy.pop(index, None)
            self.free.put(index)

    def status(self) -> dict[str, Any]:
        """This worker's grading processes: state, reason, ``ready`` message; jobs running."""
        return {
            "address": self.address,
            "pid": os.getpid(),
            "slots": [{"state": s.state, "reason": s.reason, "hello": s.hello} for s in self.slots],
            "busy": sorted(self.busy.values()),
        }


def _plugin(worker: Any, name: str) -> GraderPlugin | None:
    plugin = worker.plugins.get(name)
    return plugin if isinstance(plugin, GraderPlugin) else None


def grade_job(payload: bytes, plugin: str) -> bytes:
    """The Dask task: grade one submission on this worker's warm grading process.

    Parameters
    ----------
    payload : bytes
        The job (JSON), as built by :func:`autograder.pipeline.execute.build_job`.
    plugin : str
        Name of this run's :class:`GraderPlugin`.

    Returns
    -------
    bytes
        JSON list of the grading process's messages: ``cell`` ones, then one ``done``.

    Raises
    ------
    RuntimeError
        If this worker has no such plugin (the run was closed).
    """
    grader = _plugin(get_worker(), plugin)
    if grader is None:
        raise RuntimeError(f"this Dask worker has no grading plugin {plugin!r}")
    messages = grader.grade(json.loads(payload))
    return json.dumps(messages, separators=(",", ":"), default=str).encode("utf-8")


async def grader_status(plugin: str, dask_worker: Any = None) -> dict[str, Any]:
    """For ``Client.run``: the status of this worker's grading processes (never blocks).

    Parameters
    ----------
    plugin : str
        Name of the run's :class:`GraderPlugin`.
    dask_worker : Worker
        Passed by Dask.

    Returns
    -------
    dict
        :meth:`GraderPlugin.status`, or ``{"pid": ..., "slots": []}`` before set-up.
    """
    grader = _plugin(dask_worker, plugin)
    if grader is None or not hasattr(grader, "slots"):
        return {"address": getattr(dask_worker, "address", ""), "pid": os.getpid(), "slots": []}
    return grader.status()
