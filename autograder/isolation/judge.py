"""The judge: grades one submission from outside the student's process.

Runs in a fork of a warm worker (:mod:`autograder.isolation.worker`), which holds the real
``course_lib``
and the assignment's tests; the student's code runs in a runner forked from the pristine zygote
(:mod:`autograder.isolation.runner`). The judge drives both, in two phases:

1. **The student's notebook.** Every cell that is not a test cell (the student's own, and the
   instructor's locked cells that set things up) runs in the runner, in order, with IPython
   semantics. Their outputs are the student's feedback; nothing in them decides a score.
2. **The tests.** The locked cells, then each test cell, run *here*, in a namespace where the
   names the cell uses and the student defined are proxies of the student's objects
   (:mod:`autograder.isolation.remote`): calls, attribute reads and writes, operators become
   requests;
   answers are data. A test passes when it raises nothing *here*; the runner's output during
   the tests is discarded, so nothing it prints can reach the feedback, and it never sees a
   test's source.

A cell of either phase has a deadline: a runner that overruns it gets SIGINT (the student's
call raises ``KeyboardInterrupt``), then SIGKILL; later tests then fail with the reason.
"""

from __future__ import annotations

import ast
import builtins
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from autograder.isolation import confinement, watchdog, wire
from autograder.isolation.cell_results import (
    cell_name,
    clean_runner_result,
    error_result,
    judge_result,
)
from autograder.isolation.remote import CellTimeoutError, JudgePolicy, Peer, ProcessGone
from autograder.isolation.runner_handle import SpawnRequest, SubmissionProcess, request_runner

#: Seconds a runner gets after SIGINT before SIGKILL, and the grace for its own alarm.
KILL_GRACE = 2.0
#: Seconds allowed for confining a runner and its first answer.
SETUP_TIMEOUT = 30.0
#: Seconds between two looks of the watchdog at a submission's processes.
WATCH_INTERVAL = 0.25
_BUILTINS = frozenset(dir(builtins))


@dataclass
class JudgeContext:
    """What a worker gives the judge of each job.

    Attributes
    ----------
    shell : IPython InteractiveShell
        The worker's shell (a fresh namespace per job: the judge is a fork).
    control : socket.socket
        The zygote's control socket.
    spec : confinement.SandboxSpec
        How runners are confined.
    kinds : dict
        Base classes proxies may claim (``Parameter``, ``Module`` of the real course_lib).
    """

    shell: Any
    control: Any
    spec: confinement.SandboxSpec
    kinds: dict[str, type] = field(default_factory=dict)


@dataclass
class _Deadline:
    """Per-cell deadline handling: interrupt the runner first, then kill it."""

    process: SubmissionProcess
    peer: Peer
    seconds: float
    wall: float | None = None
    interrupted: bool = False
    killed: str | None = None

    def __call__(self) -> float:
        if self.wall is not None:
            self.process.kill()
            self.killed = f"reached the wall-clock limit of {self.wall:g} s"
            self.peer.gone = f"the submission's process was stopped: it {self.killed}"
            raise CellTimeoutError(self.killed)
        if not self.interrupted:
            self.interrupted = True
            self.process.interrupt()
            return time.monotonic() + KILL_GRACE
        self.process.kill()
        self.killed = f"did not stop within {self.seconds:g} s (and ignored an interrupt)"
        self.peer.gone = f"the submission's process was stopped: it {self.killed}"
        raise CellTimeoutError(f"cell exceeded its {self.seconds:g} s time limit")


def write_files(directory: str, files: dict[str, bytes]) -> None:
    """Write ``{relative path: bytes}`` under ``directory`` (no absolute or ``..`` paths)."""
    for rel, data in files.items():
        parts = rel.split("/")
        if rel.startswith("/") or ".." in parts or not rel:
            continue
        target = os.path.join(directory, *parts)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(data)


def grade_job(
    ctx: JudgeContext, job: dict[str, Any], emit: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Run one submission's cells and tests; ``emit`` each cell's result as it is known.

    Parameters
    ----------
    ctx : JudgeContext
        The worker's shell, zygote and sandbox.
    job : dict
        ``cells`` (each with ``index``, ``source``, ``where`` in {"student", "both",
        "judge"}, ``timeout``, ``label``), ``files`` ({path: bytes}), ``wall_clock``,
        ``output_cap``.
    emit : callable
        Receives ``{"index", "outputs", "status", "ename", "evalue", "duration", ...}``.

    Returns
    -------
    dict
        ``{"status": "ok" | "died" | "killed" | "sandbox_error", "reason", "mode"}``.
    """
    staging = tempfile.mkdtemp(prefix="course-sandbox-")
    try:
        files_dir = os.path.join(staging, "files")
        root_dir = os.path.join(staging, "root")
        os.makedirs(files_dir)
        os.makedirs(root_dir)
        write_files(files_dir, job.get("files", {}))
        if ctx.spec.mode == "root":
            os.chmod(staging, 0o755)
        request = SpawnRequest(
            ctx.spec, staging, files_dir, root_dir, int(job.get("output_cap", 1_000_000))
        )
        session = _Session(ctx, job, request, emit)
        try:
            return session.run()
        finally:
            session.close()
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class _Session:
    """One submission: the runner, the peer, the judge's namespace, the outcome.

    If the student's notebook kills its own process (a segfault, ``os._exit``, a loop that
    ignores its alarm), the cells after that point count as not run, as in a Jupyter kernel
    that died there: a fresh runner replays the notebook up to the fatal cell, and the tests
    placed before it are judged against it.
    """

    def __init__(
        self,
        ctx: JudgeContext,
        job: dict[str, Any],
        request: SpawnRequest,
        emit: Callable[[dict[str, Any]], None],
    ) -> None:
        self.ctx, self.job, self.request, self.emit = ctx, job, request, emit
        self.process: SubmissionProcess | None = None
        self.watchdog: watchdog.Watchdog | None = None
        self.peak = watchdog.Usage()
        self.peer: Peer = None  # type: ignore[assignment]
        self.outcome: dict[str, Any] = {"status": "ok", "reason": None}
        self.wall = time.monotonic() + float(job.get("wall_clock", 600.0))
        self.round_trips = 0
        self.test_seconds = 0.0

    def run(self) -> dict[str, Any]:
        if not self._start():
            return self.outcome
        cells = self.job["cells"]
        stop = None
        for pos, cell in enumerate(cells):
            if cell["where"] in ("student", "both"):
                result = self._student_cell(cell)
                if cell["where"] == "student":
                    self.emit(result)
                if self.peer.gone:
                    stop = pos
                    break
        if stop is not None:
            reason = f"not run: {self.outcome['reason']}"
            for cell in cells[stop + 1 :]:
                if cell["where"] == "student":
                    self.emit(error_result(cell, "NotRunError", reason))
            self._restart(cells[:stop])
        start = time.monotonic()
        self._judge_cells(cells, stop)
        self.test_seconds = time.monotonic() - start
        self._end()
        self._stop_watch()
        self.outcome["peak"] = {
            "processes": self.peak.processes,
            "memory_mb": round(self.peak.memory_mb, 1),
            "cpu_seconds": round(self.peak.cpu_seconds, 2),
        }
        self.outcome["round_trips"] = self.round_trips + self.peer.requests
        self.outcome["test_seconds"] = round(self.test_seconds, 4)
        return self.outcome

    def close(self) -> None:
        self._stop_watch()
        if self.process is not None:
            self.process.close()

    def _stop_watch(self) -> None:
        """Stop the watchdog, keeping the highest use seen by any runner of the session."""
        if self.watchdog is None:
            return
        self.watchdog.stop()
        seen = self.watchdog.peak
        self.peak = watchdog.Usage(
            max(self.peak.processes, seen.processes),
            max(self.peak.memory_mb, seen.memory_mb),
            max(self.peak.cpu_seconds, seen.cpu_seconds),
        )
        self.watchdog = None

    def _end(self) -> None:
        if self.peer.gone:
            return
        try:
            self.peer.deadline = time.monotonic() + 1.0
            self.peer.on_deadline = None
            self.peer.request("end")
        except BaseException:  # noqa: BLE001 - it ends either way
            pass

    # -- set-up -------------------------------------------------------------------------
    def _start(self) -> bool:
        """A runner from the zygote, and its first answer."""
        self.close()
        if self.peer is not None:
            self.round_trips += self.peer.requests
        try:
            self.process = request_runner(self.ctx.control, self.request)
        except confinement.SandboxError as exc:
            self.outcome = {"status": "sandbox_error", "reason": f"sandbox setup failed: {exc}"}
            return False
        channel = wire.FrameSocket(self.process.channel)
        self.peer = Peer(channel, "j", JudgePolicy(), self.ctx.kinds, guarded=True)
        self.peer.deadline = time.monotonic() + SETUP_TIMEOUT
        try:
            info = self.peer.request("ping")
        except (Exception, CellTimeoutError) as exc:  # whatever the runner answered
            detail = str(exc)
            status = self.process.wait_status(timeout=2.0)
            if status is not None and not detail:
                detail = f"the sandboxed process exited ({status})"
            self.outcome = {"status": "sandbox_error", "reason": f"sandbox setup failed: {detail}"}
            return False
        self.outcome["mode"] = info.get("mode") if isinstance(info, dict) else None
        self._watch()
        return True

    def _watch(self) -> None:
        """Limits for the submission as a whole, all its processes together."""
        spec, pid = self.ctx.spec, self.process.pid
        if pid is None:
            return
        baseline = watchdog.measure(pid).memory_mb  # the warm interpreter itself
        self.watchdog = watchdog.Watchdog(
            pid,
            self.process.kill,
            memory_mb=baseline + spec.memory_mb,
            cpu_seconds=spec.cpu_seconds,
            max_processes=spec.max_processes,
            interval=WATCH_INTERVAL,
        ).start()
        where = "PID namespace" if spec.mode != "none" else "process group"
        self.outcome["limits"] = f"rlimits per process, {where}, watchdog on the whole submission"

    def _restart(self, before: list[dict[str, Any]]) -> None:
        """A fresh runner that replays the notebook up to the cell that ended the last one."""
        outcome = dict(self.outcome)
        if self._start():
            for cell in before:
                if cell["where"] in ("student", "both") and not self.peer.gone:
                    self._student_cell(cell)
        self.outcome = {**outcome, "mode": self.outcome.get("mode", outcome.get("mode"))}

    def _cell_timeout(self, cell: dict[str, Any]) -> float:
        return max(0.05, min(float(cell.get("timeout", 30.0)), self.wall - time.monotonic()))

    def _deadline(self, cell: dict[str, Any]) -> _Deadline:
        """The cell's deadline; one cut short by the submission's wall clock kills at once."""
        timeout = self._cell_timeout(cell)
        capped = timeout < float(cell.get("timeout", 30.0))
        wall = float(self.job.get("wall_clock", 600.0)) if capped else None
        return _Deadline(self.process, self.peer, timeout, wall=wall)

    def _gone_reason(self) -> str:
        if self.watchdog is not None and self.watchdog.reason:
            return self.watchdog.reason
        status = self.process.wait_status(timeout=2.0)
        if status is not None:
            from autograder.isolation.worker import death_reason

            return death_reason(status)
        return self.peer.gone or "it stopped answering"

    # -- phase 1: the student's notebook ------------------------------------------------
    def _student_cell(self, cell: dict[str, Any]) -> dict[str, Any]:
        if self.peer.gone:
            return error_result(cell, "NotRunError", f"not run: {self.outcome['reason']}")
        deadline = self._deadline(cell)
        timeout = deadline.seconds
        deadline.interrupted = True  # the runner's own alarm is the interrupt: then kill
        grace = 0.0 if deadline.wall is not None else KILL_GRACE
        self.peer.deadline = time.monotonic() + timeout + grace
        self.peer.on_deadline = deadline
        start = time.monotonic()
        request = {"index": cell["index"], "source": cell["source"], "timeout": timeout}
        try:
            raw = self.peer.request("cell", request)
            cap = int(self.job.get("output_cap", 1_000_000))
            return clean_runner_result(raw, cell, time.monotonic() - start, cap)
        except CellTimeoutError:
            if deadline.wall is not None:
                self._stop("killed", f"{cell_name(cell)}: {deadline.killed}: killed")
            else:
                why = f"{cell_name(cell)} ignored its {timeout:g} s time limit: killed"
                self._stop("killed", why)
            return error_result(cell, "CellTimeoutError", f"cell timed out after {timeout:g} s")
        except ProcessGone:
            self._stop(
                "died", f"the notebook's process died in {cell_name(cell)}: {self._gone_reason()}"
            )
            return error_result(cell, "DeadKernelError", self.outcome["reason"])
        except Exception as exc:  # a malformed answer is the submission's failure
            return error_result(cell, "GraderError", f"malformed answer from the runner: {exc}")

    def _stop(self, status: str, reason: str) -> None:
        if self.outcome["status"] == "ok":
            self.outcome.update(status=status, reason=reason)
        self.process.kill()
        self.peer.gone = self.peer.gone or reason

    # -- phase 2: the tests ---------------------------------------------------------------
    def _judge_cells(self, cells: list[dict[str, Any]], stop: int | None) -> None:
        from autograder.isolation.cell_executor import CellRequest, Kernel

        kernel = Kernel(self.ctx.shell, output_cap=int(self.job.get("output_cap", 10**6)))
        ns = kernel.ns
        owned = set(ns)
        from_student: dict[str, Any] = {}
        for pos, cell in enumerate(cells):
            if cell["where"] == "student":
                continue
            if (stop is not None and pos > stop) or self.peer.gone:
                self.emit(error_result(cell, "NotRunError", f"not run: {self.outcome['reason']}"))
                continue
            self._bind(cell, ns, owned, from_student)
            deadline = self._deadline(cell)
            timeout = deadline.seconds
            self.peer.deadline = time.monotonic() + timeout
            self.peer.on_deadline = deadline
            # the judge's own alarm is a backstop for the instructor's code
            request = CellRequest(cell["index"], cell["source"], timeout + 3 * KILL_GRACE)
            result = kernel.run(request)
            if deadline.killed:
                self._stop("killed", f"{cell_name(cell)}: the submission's code {deadline.killed}")
            elif self.peer.gone and self.outcome["status"] == "ok":
                why = self._gone_reason()
                self._stop("died", f"the notebook's process died in {cell_name(cell)}: {why}")
            self._release()
            for name, value in ns.items():
                if name not in from_student or from_student[name] is not value:
                    owned.add(name)
            self.emit(judge_result(result, cell))

    def _bind(
        self, cell: dict[str, Any], ns: dict[str, Any], owned: set[str], got: dict[str, Any]
    ) -> None:
        wanted = sorted(names_used(cell["source"]) - owned - _BUILTINS)
        if not wanted or self.peer.gone:
            return
        self.peer.on_deadline = self._deadline(cell)
        self.peer.deadline = time.monotonic() + self.peer.on_deadline.seconds
        try:
            values = self.peer.request("lookup", wanted)
        except (Exception, CellTimeoutError):  # the tests then fail with NameError
            return
        if isinstance(values, dict):
            for name, value in values.items():
                if name in wanted:
                    ns[name] = got[name] = value

    def _release(self) -> None:
        if not self.peer.gone:
            try:
                self.peer.deadline = time.monotonic() + 5.0
                self.peer.on_deadline = None
                self.peer.request("release")
            except (Exception, CellTimeoutError):
                pass
        self.peer.release()


def names_used(source: str) -> set[str]:
    """Names a cell may read: its ``Name`` nodes and identifier-like string constants.

    String constants count because tests look students' answers up with
    ``globals()[name]``.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.isidentifier() and len(node.value) < 80:
                names.add(node.value)
    return names
