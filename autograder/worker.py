"""A warm grading worker: ``python -m autograder.worker`` (started by :mod:`autograder.pool`).

Start-up happens once per worker: import numpy, matplotlib, IPython and ``course_lib``, build
an IPython shell, take the tamper guard's snapshot and probe the sandbox. Each submission is
then a fork of this warm process — a fresh, clean namespace in a few milliseconds instead of a
Jupyter kernel start-up per notebook — which confines itself (:mod:`autograder.sandbox`) and
runs the cells (:mod:`autograder.kernel`).

The worker itself never runs student code. It feeds the kernel one cell at a time (the source
of a test cell does not exist inside the sandbox before the student's code ran), enforces the
per-cell and per-submission time limits from outside (SIGKILL when the in-kernel alarm was
ignored), turns a dead kernel into a reason ("segmentation fault (SIGSEGV) in cell 12"), and
forwards every cell's result to the grader as soon as it arrives, so the points of cells
already graded are kept whatever happens next.

Messages (length-prefixed JSON, :mod:`autograder.protocol`) on stdin / stdout:

- grader -> worker: ``{"op": "init", ...}`` once, then ``{"op": "job", ...}`` or ``{"op": "exit"}``
- worker -> grader: ``{"type": "ready"}``, then per job ``{"type": "cell"}`` x n and
  ``{"type": "done"}``.
"""

from __future__ import annotations

import base64
import builtins
import importlib
import os
import pkgutil
import random
import secrets
import shutil
import signal
import struct
import sys
import tempfile
import time
import traceback
from pathlib import Path, PurePosixPath
from typing import Any

from autograder import sandbox
from autograder.protocol import ChannelClosed, FrameReader, write_message

#: Seconds the kernel gets to stop by itself after its alarm, before it is killed.
KILL_GRACE = 2.0
#: Seconds allowed for building the sandbox.
SETUP_TIMEOUT = 30.0
#: Modules every worker imports before forking.
DEFAULT_PRELOAD = (
    "numpy",
    "numpy.linalg",
    "numpy.random",
    "numpy.testing",
    "matplotlib",
    "matplotlib.pyplot",
    "course_lib",
)


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
    """State of one worker process: shell, snapshot, sandbox spec and the grader channel.

    Parameters
    ----------
    init : dict
        The ``init`` message: ``preload``, ``sandbox`` (mode), ``secrets``, ``packages``,
        ``memory_mb``, ``max_processes``.
    out_fd : int
        Where messages to the grader go.
    """

    def __init__(self, init: dict[str, Any], out_fd: int) -> None:
        self.out_fd = out_fd
        self.shell = make_shell()
        self.preload_errors = preload(list(DEFAULT_PRELOAD) + list(init.get("preload", [])))
        from autograder import kernel  # noqa: F401  (imported before the snapshot)
        from autograder.guard import take_snapshot

        builtins.input = kernel._no_input  # type: ignore[assignment]
        self.snapshot = take_snapshot()
        expose = sandbox.exposed_paths(
            list(init.get("secrets", [])), list(init.get("packages", ["course_lib"]))
        )
        requested = init.get("sandbox", "auto")
        mode, why = sandbox.best_mode(requested)
        self.spec = sandbox.SandboxSpec(
            mode=mode,
            uid=sandbox.pick_uid(os.getpid()),
            gid=sandbox.pick_uid(os.getpid()),
            expose=expose,
            memory_mb=int(init.get("memory_mb", 1024)),
            max_processes=int(init.get("max_processes", 64)),
        )
        self.sandbox_note = why
        try:
            sandbox.set_child_subreaper()
        except sandbox.SandboxError:
            pass
        self._probe(requested)

    def _probe(self, requested: str) -> None:
        """Try the chosen mode once; under ``auto`` fall back to weaker modes if it fails."""
        order = [self.spec.mode]
        if requested == "auto":
            order += [m for m in ("userns", "none") if m not in order]
        failures = []
        for mode in order:
            spec = sandbox.SandboxSpec(**{**self.spec.__dict__, "mode": mode})
            result = self._run(
                spec, {"id": "probe", "cells": [], "wall_clock": SETUP_TIMEOUT}, forward=False
            )
            if result["status"] == "ok":
                self.spec = spec
                if failures:
                    self.sandbox_note = "; ".join(failures)
                return
            failures.append(f"{mode} unavailable: {result['reason']}")
            if requested != "auto":
                break
        raise sandbox.SandboxError("; ".join(failures))

    # -- one submission -------------------------------------------------------------------
    def run_job(self, job: dict[str, Any]) -> None:
        """Grade one submission, streaming results to the grader."""
        try:
            done = self._run(self.spec, job, forward=True)
        except Exception:
            done = {
                "status": "grader_error",
                "reason": "worker error: " + traceback.format_exc(limit=5),
                "duration": 0.0,
            }
        write_message(self.out_fd, {"type": "done", "job": job.get("id"), **done})

    def _run(self, spec: sandbox.SandboxSpec, job: dict[str, Any], forward: bool) -> dict:
        staging = tempfile.mkdtemp(prefix="course-sandbox-")
        try:
            files_dir = os.path.join(staging, "files")
            os.makedirs(files_dir)
            _write_files(files_dir, job.get("files", []))
            root_dir = os.path.join(staging, "root")
            os.makedirs(root_dir)
            return self._supervise(spec, job, staging, files_dir, root_dir, forward)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            _reap_strays()

    def _supervise(
        self,
        spec: sandbox.SandboxSpec,
        job: dict[str, Any],
        staging: str,
        files_dir: str,
        root_dir: str,
        forward: bool,
    ) -> dict[str, Any]:
        start = time.monotonic()
        to_kernel_r, to_kernel_w = os.pipe()
        from_kernel_r, from_kernel_w = os.pipe()
        sync_r, sync_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            os.close(to_kernel_w)
            os.close(from_kernel_r)
            os.close(sync_r)
            self._child(spec, job, staging, files_dir, root_dir, to_kernel_r, from_kernel_w, sync_w)
        os.close(to_kernel_r)
        os.close(from_kernel_w)
        os.close(sync_w)
        if spec.mode == "none":
            os.close(sync_r)
            kernel = _Process(pid)
        else:  # pid is the intermediate process; it reports the kernel's status on sync_r
            kernel = _Process(pid, status_fd=sync_r)
        reader = FrameReader(from_kernel_r)
        outcome: dict[str, Any] = {"status": "ok", "reason": None}
        cells_done = 0
        try:
            first = _read_or_none(reader, SETUP_TIMEOUT)
            if first is None or first.get("type") != "started":
                detail = (first or {}).get("detail") or "no answer from the sandboxed kernel"
                outcome = {"status": "sandbox_error", "reason": f"sandbox setup failed: {detail}"}
                return outcome
            wall = float(job.get("wall_clock", 600.0))
            wall_deadline = start + wall
            for cell in job["cells"]:
                timeout = float(cell.get("timeout", job.get("timeout", 30.0)))
                where = _where(cell)
                nonce = secrets.token_hex(16)  # a result must echo it: no forging in advance
                try:
                    request = {"op": "cell", **cell, "timeout": timeout, "nonce": nonce}
                    write_message(to_kernel_w, request)
                except OSError:
                    outcome = self._died(kernel, cell, "before")
                    break
                cell_deadline = min(time.monotonic() + timeout + KILL_GRACE, wall_deadline)
                result = self._await_result(reader, cell, nonce, cell_deadline)
                if result is None:  # a deadline passed and the kernel did not stop by itself
                    kernel.kill()
                    if time.monotonic() >= wall_deadline - 1e-3:
                        reason = f"wall-clock limit of {wall:g} s reached in {where}: kernel killed"
                    else:
                        reason = f"{where} ignored its {timeout:g} s time limit: kernel killed"
                    outcome = {"status": "killed", "reason": reason, "cell": cell["index"]}
                    break
                if result.get("type") == "died":
                    outcome = self._died(kernel, cell, "in")
                    break
                cells_done += 1
                if forward:
                    write_message(self.out_fd, {"type": "cell", "job": job.get("id"), **result})
            else:
                try:
                    write_message(to_kernel_w, {"op": "end"})
                except OSError:
                    pass
                kernel.wait(timeout=5.0)
            return outcome
        finally:
            for fd in (to_kernel_w, from_kernel_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            kernel.kill()
            kernel.wait()
            outcome["duration"] = time.monotonic() - start
            outcome["cells_done"] = cells_done

    def _await_result(
        self, reader: FrameReader, cell: dict[str, Any], nonce: str, deadline: float
    ) -> dict[str, Any] | None:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                message = reader.read(timeout=remaining)
            except ChannelClosed:
                return {"type": "died"}
            if message is None:
                return None
            if (
                message.get("type") == "result"
                and message.get("index") == cell["index"]
                and message.get("nonce") == nonce
            ):
                return _clean_result(message, cell["index"])
            # anything else (a forged or stray frame) is ignored

    def _died(self, kernel: _Process, cell: dict[str, Any], where: str) -> dict[str, Any]:
        status = kernel.wait(timeout=5.0)
        why = death_reason(status) if status is not None else "stopped answering"
        return {
            "status": "died",
            "reason": f"kernel died {where} {_where(cell)}: {why}",
            "cell": cell["index"],
        }

    def _child(
        self,
        spec: sandbox.SandboxSpec,
        job: dict[str, Any],
        staging: str,
        files_dir: str,
        root_dir: str,
        read_fd: int,
        write_fd: int,
        sync_fd: int,
    ) -> None:  # pragma: no cover - runs in forked children, reported through the pipe
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            if spec.mode != "none":
                # this intermediate process stays until the kernel (PID 1 of the new PID
                # namespace) ends, then reports its wait status; if the worker kills it,
                # the kernel dies with it (parent-death signal)
                sandbox.prctl(sandbox.PR_SET_PDEATHSIG, signal.SIGKILL)
                sandbox.enter_namespaces(spec)
                kernel_pid = os.fork()
                if kernel_pid:
                    os.close(read_fd)
                    os.close(write_fd)
                    _, status = os.waitpid(kernel_pid, 0)
                    os.write(sync_fd, struct.pack("<q", status))
                    os._exit(0)
            os.close(sync_fd)
            self._kernel_main(spec, job, staging, files_dir, root_dir, read_fd, write_fd)
        except BaseException as exc:
            try:
                write_message(
                    write_fd,
                    {"type": "sandbox_error", "detail": f"{type(exc).__name__}: {exc}"},
                )
            finally:
                os._exit(70)

    def _kernel_main(
        self,
        spec: sandbox.SandboxSpec,
        job: dict[str, Any],
        staging: str,
        files_dir: str,
        root_dir: str,
        read_fd: int,
        write_fd: int,
    ) -> None:  # pragma: no cover - runs in the sandboxed kernel
        from autograder.kernel import Kernel, serve

        baseline = sandbox.address_space_in_use()
        if spec.mode == "none":
            os.setsid()
            work = os.path.join(staging, "work")
            shutil.copytree(files_dir, work)
            os.chdir(work)
            home, out_dir = work, staging
        else:
            sandbox.build_root(spec, root_dir, files_dir)
            home, out_dir = sandbox.WORKDIR, "/tmp"
        out_paths = (os.path.join(out_dir, ".stdout"), os.path.join(out_dir, ".stderr"))
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        for fd, path in zip((1, 2), out_paths, strict=True):
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
            os.dup2(handle, fd)
            os.close(handle)
        sys.stdout = sys.__stdout__ = os.fdopen(1, "w", closefd=False)  # type: ignore[misc]
        sys.stderr = sys.__stderr__ = os.fdopen(2, "w", closefd=False)  # type: ignore[misc]
        sandbox.apply_limits(spec, baseline)
        os.environ.clear()
        os.environ.update(sandbox.scrubbed_environment(home))
        sys.argv = ["ipykernel_launcher.py"]
        kernel = Kernel(
            self.shell,
            self.snapshot,
            protected_names=set(job.get("protected_names", [])),
            output_cap=int(job.get("output_cap", 1_000_000)),
            fd_paths=out_paths,
        )
        # move the channel to unpredictable descriptors, close everything else
        taken = {0, 1, 2} | {h.fileno() for h in kernel._fd_files}
        choices = [fd for fd in range(64, 250) if fd not in taken]
        new_read, new_write = random.SystemRandom().sample(choices, 2)
        os.dup2(read_fd, new_read)
        os.dup2(write_fd, new_write)
        read_fd, write_fd = new_read, new_write
        keep = taken | {read_fd, write_fd}
        for fd in range(3, 256):
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        sandbox.drop_privileges(spec)
        serve(kernel, read_fd, write_fd, {"mode": spec.mode})


def _where(cell: dict[str, Any]) -> str:
    label = str(cell.get("label") or f"#{cell['index']}")
    return f"cell {label}" if label.startswith("#") else f"cell '{label}'"


def _clean_result(message: dict[str, Any], index: int) -> dict[str, Any]:
    """Keep only the expected fields of a kernel result, with the expected types."""
    outputs = message.get("outputs")
    return {
        "index": index,
        "outputs": [o for o in outputs if isinstance(o, dict)] if isinstance(outputs, list) else [],
        "status": "error" if message.get("status") != "ok" else "ok",
        "ename": str(message["ename"]) if message.get("ename") else None,
        "evalue": str(message["evalue"])[:2000] if message.get("evalue") else None,
        "duration": float(message.get("duration") or 0.0),
        "tamper": [str(t) for t in message.get("tamper") or []][:50],
        "notes": [str(t) for t in message.get("notes") or []][:20],
        "dropped": int(message.get("dropped") or 0),
    }


def _write_files(directory: str, files: list[dict[str, str]]) -> None:
    """Write the submission's extra files (relative paths only, no escaping the folder)."""
    for entry in files:
        rel = PurePosixPath(entry["path"])
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            continue
        target = Path(directory, *rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(base64.b64decode(entry["data"]))


def _read_exact(fd: int, n: int, timeout: float) -> bytes:
    import select

    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < n:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, n - len(data))
        if not chunk:
            break
        data += chunk
    return data if len(data) == n else b""


def _read_or_none(reader: FrameReader, timeout: float) -> dict[str, Any] | None:
    try:
        return reader.read(timeout=timeout)
    except ChannelClosed:
        return None


class _Process:
    """The kernel, seen from the worker: kill it and learn how it ended, exactly once.

    In the namespace modes the worker's child is an intermediate process that waits for the
    kernel and writes its wait status to ``status_fd``; killing the intermediate process kills
    the kernel (parent-death signal), and pids are never signalled after being reaped.
    """

    def __init__(self, pid: int, status_fd: int | None = None) -> None:
        self.pid = pid
        self.status_fd = status_fd
        self.status: int | None = None
        self.reaped = False

    def kill(self) -> None:
        """SIGKILL the kernel (through the intermediate process), unless already reaped."""
        if self.reaped:
            return
        targets = (self.pid,) if self.status_fd is not None else (self.pid, -self.pid)
        for target in targets:  # -pid: the process group of a "none"-mode kernel
            try:
                os.kill(target, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def wait(self, timeout: float = 10.0) -> int | None:
        """Reap and return the kernel's wait status (None if still running at the timeout)."""
        if self.reaped:
            return self.status
        deadline = time.monotonic() + timeout
        while True:
            try:
                done, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                done, status = self.pid, None
            if done:
                self.reaped = True
                self.status = status
                if self.status_fd is not None:
                    raw = _read_exact(self.status_fd, 8, timeout=0.5)
                    os.close(self.status_fd)
                    self.status_fd = None
                    # the kernel's own status; if the intermediate process was killed first,
                    # the kernel died of the parent-death signal
                    self.status = struct.unpack("<q", raw)[0] if raw else signal.SIGKILL
                return self.status
            if time.monotonic() > deadline:
                return None
            time.sleep(0.005)


def _reap_strays() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> int:
    """Entry point of ``python -m autograder.worker``."""
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
            "sandbox_detail": sandbox.describe(worker.spec),
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
