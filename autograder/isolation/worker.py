"""A warm grading worker: ``python -m autograder.isolation.worker`` (started by
:mod:`autograder.isolation.pool`).

Start-up happens once per worker. First it starts its zygote (:mod:`autograder.isolation.runner`), a
pristine process that will fork one sandboxed runner per submission and that never imports
the reference ``course_lib`` nor sees a job. Then it imports numpy, matplotlib, IPython and
``course_lib`` for itself, builds an IPython shell and probes the sandbox.

Each submission is graded by a fork of this warm process, the judge
(:mod:`autograder.isolation.judge`):
it gets a runner from the zygote, has the student's cells run there, runs the test cells
itself against proxies of the student's objects, and streams every cell's result to the
grader as soon as it is known, so the points of cells already graded are kept whatever
happens next. The worker only waits for the judge and reports how it ended.

Messages (length-prefixed JSON, :mod:`autograder.isolation.protocol`) on stdin / stdout:

- grader -> worker: ``{"op": "init", ...}`` once, then ``{"op": "job", ...}`` or ``{"op": "exit"}``
- worker -> grader: ``{"type": "ready"}``, then per job ``{"type": "cell"}`` x n and
  ``{"type": "done"}``.
"""

from __future__ import annotations

import base64
import builtins
import importlib
import json
import os
import pkgutil
import signal
import sys
import time
import traceback
from typing import Any

from autograder.isolation import confinement
from autograder.isolation.protocol import ChannelClosed, FrameReader, write_message
from autograder.isolation.runner import ZYGOTE_PRELOAD

#: Seconds the judge may run past a submission's wall-clock limit before it is killed.
JUDGE_GRACE = 60.0
PR_SET_DUMPABLE = 4
#: Address space a judge may add to the warm worker's (MB).
JUDGE_MEMORY_MB = 4096
#: Modules every worker (the judge's side) imports before forking: the runners' and course_lib.
DEFAULT_PRELOAD = (*ZYGOTE_PRELOAD, "course_lib")


def make_shell() -> Any:
    """An IPython shell for magics and display, with history and config files off."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    shell = InteractiveShell.instance(config=config)
    # get_ipython in builtins, as in a kernel; entered (not just activated) so that the
    # `with builtin_trap` of magics nests inside it instead of undoing it
    shell.builtin_trap.__enter__()
    return shell


def preload(modules: list[str]) -> list[str]:
    """Import modules (and every submodule of course packages); return those that failed.

    Parameters
    ----------
    modules : list of str
        Module names.

    Returns
    -------
    list of str
        ``"name: error"`` for each module that could not be imported.
    """
    failed = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            failed.append(f"{name}: {exc}")
            continue
        path = getattr(module, "__path__", None)
        if path and name.split(".")[0] in ("course_lib",):
            for info in pkgutil.walk_packages(path, name + "."):
                try:
                    importlib.import_module(info.name)
                except Exception as exc:
                    failed.append(f"{info.name}: {exc}")
    return failed


def signal_name(number: int) -> str:
    """``"SIGSEGV"`` for 11, etc."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


_SIGNAL_MEANING = {
    "SIGSEGV": "segmentation fault",
    "SIGBUS": "bus error",
    "SIGABRT": "aborted",
    "SIGFPE": "floating-point exception",
    "SIGILL": "illegal instruction",
    "SIGXCPU": "CPU time limit exceeded",
    "SIGXFSZ": "file size limit exceeded",
}


def death_reason(status: int) -> str:
    """Explain a ``waitpid`` status of a kernel that died.

    Parameters
    ----------
    status : int
        As returned by ``os.waitpid``.

    Returns
    -------
    str
        E.g. ``"segmentation fault (SIGSEGV)"`` or ``"exited with code 3 (os._exit?)"``.
    """
    if os.WIFSIGNALED(status):
        name = signal_name(os.WTERMSIG(status))
        meaning = _SIGNAL_MEANING.get(name)
        return f"{meaning} ({name})" if meaning else f"killed by {name}"
    if os.WIFEXITED(status):
        return f"exited with code {os.WEXITSTATUS(status)} (os._exit or a crash in C code)"
    return f"stopped (status {status})"


class Worker:
    """One warm worker: the judge's host, with its own zygote for the submissions' runners.

    Parameters
    ----------
    init : dict
        The ``init`` message: ``preload``, ``sandbox`` (mode), ``secrets``, ``memory_mb``,
        ``max_processes``.
    out_fd : int
        Where messages to the grader go.
    """

    def __init__(self, init: dict[str, Any], out_fd: int) -> None:
        from autograder.isolation import runner

        self.out_fd = out_fd
        # the zygote first: it must never inherit course_lib or a job from this process
        self.zygote, self.control = runner.start_zygote()
        self.shell = make_shell()
        self.preload_errors = preload(list(DEFAULT_PRELOAD) + list(init.get("preload", [])))
        from autograder.isolation import cell_executor

        builtins.input = cell_executor._no_input  # type: ignore[assignment]
        import autograder  # the whole grader (assignments, pipeline) is hidden, not only this layer
        import course_lib
        import course_lib.modules as reference

        hidden = [os.path.dirname(course_lib.__file__), os.path.dirname(autograder.__file__)]
        expose = confinement.exposed_paths(list(init.get("secrets", [])), [])
        requested = init.get("sandbox", "auto")
        mode, why = confinement.best_mode(requested)
        self.spec = confinement.SandboxSpec(
            mode=mode,
            uid=confinement.pick_uid(os.getpid()),
            gid=confinement.pick_uid(os.getpid()),
            expose=expose,
            memory_mb=int(init.get("memory_mb", 1024)),
            max_processes=int(init.get("max_processes", 64)),
            hide=tuple(hidden),
        )
        self.kinds = {"Parameter": reference.Parameter, "Module": reference.Module}
        self.sandbox_note = why
        confinement.prctl(PR_SET_DUMPABLE, 0)  # no process of this user may read the judge's memory
        self._probe(requested)

    def context(self, spec: confinement.SandboxSpec | None = None) -> Any:
        """What the judge needs: shell, zygote, sandbox, proxy bases."""
        from autograder.isolation.judge import JudgeContext

        return JudgeContext(self.shell, self.control, spec or self.spec, self.kinds)

    def _probe(self, requested: str) -> None:
        """Try the chosen mode once; under ``auto`` fall back to weaker modes if it fails."""
        order = [self.spec.mode]
        if requested == "auto":
            fallbacks = ("userns", "bwrap", "none") if os.geteuid() else ("userns", "none")
            order += [m for m in fallbacks if m not in order]
        failures = []
        for mode in order:
            spec = confinement.SandboxSpec(**{**self.spec.__dict__, "mode": mode})
            outcome = self._in_judge(spec, {"id": "probe", "cells": [], "wall_clock": 30.0}, None)
            if outcome.get("status") == "ok":
                self.spec = spec
                if failures:
                    self.sandbox_note = "; ".join(failures)
                return
            failures.append(f"{mode} unavailable: {outcome.get('reason')}")
            if requested != "auto":
                break
        raise confinement.SandboxError("; ".join(failures))

    # -- one submission -------------------------------------------------------------------
    def run_job(self, job: dict[str, Any]) -> None:
        """Grade one submission in a forked judge, streaming results to the grader."""
        start = time.monotonic()
        try:
            done = self._in_judge(self.spec, job, self.out_fd)
        except Exception:
            done = {"status": "grader_error", "reason": "worker error: " + traceback.format_exc(5)}
        done["duration"] = time.monotonic() - start
        write_message(self.out_fd, {"type": "done", "job": job.get("id"), **done})

    def _in_judge(
        self, spec: confinement.SandboxSpec, job: dict[str, Any], out_fd: int | None
    ) -> dict[str, Any]:
        """Fork a judge for ``job``; return its outcome (or why it failed)."""
        report_r, report_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the judge
            os.close(report_r)
            _judge_child(self.context(spec), job, out_fd, report_w)
        os.close(report_w)
        wall = float(job.get("wall_clock", 600.0)) + JUDGE_GRACE
        raw = _read_all(report_r, wall)
        os.close(report_r)
        status = _reap(pid)
        if raw:
            try:
                return json.loads(raw)
            except ValueError:
                pass
        from autograder.isolation import runner

        runner.kill_all(self.control)  # its submission's sandbox must not outlive it
        why = death_reason(status) if status is not None else "ran past the wall-clock limit"
        return {"status": "grader_error", "reason": f"the judge process failed: {why}"}


def _judge_child(ctx: Any, job: dict[str, Any], out_fd: int | None, report_w: int) -> None:
    """Body of the forked judge: grade, report the outcome on ``report_w``, exit."""
    from autograder.isolation.judge import grade_job

    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _limit_judge(float(job.get("wall_clock", 600.0)))
        job = {**job, "files": _decode_files(job.get("files", []))}

        def emit(result: dict[str, Any]) -> None:
            if out_fd is not None:
                write_message(out_fd, {"type": "cell", "job": job.get("id"), **result})

        outcome = grade_job(ctx, job, emit)
    except BaseException:  # noqa: BLE001 - reported, never raised in a fork
        outcome = {"status": "grader_error", "reason": "judge error: " + traceback.format_exc(5)}
    try:
        os.write(report_w, json.dumps(outcome, default=str).encode())
    finally:  # a fork never returns into the worker's loop, even if its parent is gone
        os._exit(0)


def _limit_judge(wall_clock: float) -> None:
    """The judge's own limits: whatever a submission asks of it stays bounded."""
    import resource

    in_use = confinement.address_space_in_use()
    limits = {
        resource.RLIMIT_AS: in_use + JUDGE_MEMORY_MB * 2**20 if in_use else None,
        resource.RLIMIT_CPU: int(wall_clock + JUDGE_GRACE),
    }
    for which, value in limits.items():
        _, hard = resource.getrlimit(which)
        if value is not None and (hard == resource.RLIM_INFINITY or value < hard):
            resource.setrlimit(which, (value, hard))


def _decode_files(entries: list[dict[str, str]]) -> dict[str, bytes]:
    return {e["path"]: base64.b64decode(e["data"]) for e in entries}


def _read_all(fd: int, timeout: float) -> bytes:
    import select

    data = b""
    deadline = time.monotonic() + timeout
    while True:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return b""
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return data
        data += chunk


def _reap(pid: int) -> int | None:
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
        if not done:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        return status
    except ChildProcessError:
        return None


def main() -> int:
    """Entry point of ``python -m autograder.isolation.worker``."""
    out_fd = os.dup(1)
    os.dup2(2, 1)  # stray prints go to the log, never into the protocol
    reader = FrameReader(0)
    init = reader.read()
    if not init or init.get("op") != "init":
        return 2
    try:
        worker = Worker(init, out_fd)
    except Exception as exc:
        write_message(out_fd, {"type": "failed", "reason": f"{type(exc).__name__}: {exc}"})
        return 1
    write_message(
        out_fd,
        {
            "type": "ready",
            "pid": os.getpid(),
            "sandbox": worker.spec.mode,
            "sandbox_detail": confinement.describe(worker.spec),
            "sandbox_note": worker.sandbox_note,
            "preload_errors": worker.preload_errors,
        },
    )
    while True:
        try:
            job = reader.read()
        except ChannelClosed:
            break
        if not job or job.get("op") != "job":
            break
        worker.run_job(job)
    return 0


if __name__ == "__main__":
    sys.exit(main())
