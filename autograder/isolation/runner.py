"""The submission's process: a pristine zygote, and one sandboxed runner per submission.

``python -m autograder.isolation.runner FD`` is the zygote. A worker starts it once, before it
has seen
any submission: it imports numpy, matplotlib and IPython, never the real ``course_lib`` (the
reference implementation) and never a job, then waits on the control socket ``FD``. For each
submission the judge asks it for a runner; the zygote forks an intermediate process that enters
the sandbox's namespaces (:mod:`autograder.isolation.confinement`) and forks the runner, and
hands the judge
two descriptors: its end of the runner's object channel and a pipe on which the intermediate
process writes the runner's pid, then its wait status. A runner therefore starts from a process
that never held another student's data.

The runner confines itself, puts the assignment's *public* ``course_lib``
(:mod:`autograder.isolation.public_lib`, the base classes without the graded reference) first on
``sys.path``, and serves the judge (:class:`autograder.isolation.remote.Peer`): ``cell`` runs
one of the
student's (or a locked) cells with IPython semantics and returns its outputs; ``lookup``,
``getattr``, ``call``... give the judge the student's objects. Nothing it reports decides a
score: the judge runs the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import sys
from dataclasses import dataclass
from typing import Any

from autograder.isolation import confinement, wire
from autograder.isolation.remote import Peer, Policy

#: Modules the zygote imports once (never course_lib: runners must not inherit it).
ZYGOTE_PRELOAD = (
    "numpy",
    "numpy.linalg",
    "numpy.random",
    "numpy.testing",
    "matplotlib",
    "matplotlib.pyplot",
    "IPython",
)
#: Folder (inside the submission's working directory) holding the public course_lib.
PUBLIC_LIB_DIR = ".course_lib"
PR_SET_DUMPABLE = 4
#: The worker's request to the zygote after a judge died.
KILL_ALL = b"kill-all"


@dataclass
class SpawnRequest:
    """What the judge asks the zygote for: where and how to confine one runner.

    Attributes
    ----------
    spec : confinement.SandboxSpec
        Mode, ids, limits, exposed and hidden paths.
    staging : str
        Private temporary folder of this submission (host side).
    files_dir : str
        Its files (notebook data files, the public course_lib) inside ``staging``.
    root_dir : str
        Empty folder for the sandbox root inside ``staging``.
    output_cap : int
        Characters of output kept per cell.
    """

    spec: confinement.SandboxSpec
    staging: str
    files_dir: str
    root_dir: str
    output_cap: int

    def to_json(self) -> bytes:
        """The request as sent on the control socket."""
        spec = {**self.spec.__dict__, "expose": list(self.spec.expose)}
        spec["hide"] = list(self.spec.hide)
        body = {**self.__dict__, "spec": spec}
        return json.dumps(body).encode()

    @classmethod
    def from_json(cls, data: bytes) -> SpawnRequest:
        """Parse a request (the zygote trusts its worker: both are the grader's)."""
        body = json.loads(data)
        spec = body.pop("spec")
        spec["expose"] = tuple(spec["expose"])
        spec["hide"] = tuple(spec["hide"])
        return cls(spec=confinement.SandboxSpec(**spec), **body)


# -- the judge's side -------------------------------------------------------------------
class SubmissionProcess:
    """A runner seen from the judge: its channel, pid, and how it ended.

    Parameters
    ----------
    channel : socket.socket
        The judge's end of the object channel.
    status_fd : int
        Pipe from the intermediate process: the runner's pid, later its wait status.
    """

    def __init__(self, channel: socket.socket, status_fd: int, mode: str = "") -> None:
        self.channel = channel
        self.status_fd = status_fd
        self.mode = mode
        self.pid: int | None = None
        self.status: int | None = None
        raw = _read_exact(status_fd, 8, timeout=sandbox_setup_timeout())
        if raw:
            pid = struct.unpack("<q", raw)[0]
            self.pid = pid if pid > 1 else None

    def interrupt(self) -> None:
        """SIGINT the runner: a running student call raises KeyboardInterrupt."""
        if self.mode != "bwrap" or self.pid is None:
            self._signal(signal.SIGINT)
            return
        from autograder.isolation.watchdog import descendants

        for pid in descendants(self.pid)[1:]:  # bwrap itself would die of it
            try:
                os.kill(pid, signal.SIGINT)
            except OSError:
                pass

    def kill(self) -> None:
        """SIGKILL the runner and, in ``none`` mode, its process group."""
        self._signal(signal.SIGKILL)

    def _signal(self, number: int) -> None:
        if self.pid is None or self.status is not None:
            return
        for target in (self.pid, -self.pid):
            try:
                os.kill(target, number)
            except (ProcessLookupError, PermissionError):
                pass

    def wait_status(self, timeout: float = 5.0) -> int | None:
        """The runner's wait status once it has ended (None if still running)."""
        if self.status is None:
            raw = _read_exact(self.status_fd, 8, timeout=timeout)
            if raw:
                self.status = struct.unpack("<q", raw)[0]
                code = os.WEXITSTATUS(self.status) if os.WIFEXITED(self.status) else 0
                if self.mode == "bwrap" and code > 128:  # bwrap's exit code for a signal
                    self.status = code - 128
        return self.status

    def close(self) -> None:
        """Kill the runner if it still runs, and close the descriptors."""
        if self.wait_status(timeout=0) is None:
            self.kill()
            self.wait_status(timeout=5.0)
        self.channel.close()
        wire.close_quietly(self.status_fd)


def sandbox_setup_timeout() -> float:
    """Seconds a runner gets to report its pid."""
    return 30.0


def request_runner(control: socket.socket, request: SpawnRequest) -> SubmissionProcess:
    """Ask the zygote for a runner; return the judge's handle on it.

    Raises
    ------
    confinement.SandboxError
        If the zygote does not answer.
    """
    control.sendall(request.to_json())
    control.settimeout(sandbox_setup_timeout())
    try:
        message, fds, _, _ = socket.recv_fds(control, 1024, 2)
    except (OSError, TimeoutError) as exc:
        raise confinement.SandboxError(f"the zygote did not answer: {exc}") from None
    finally:
        control.settimeout(None)
    if message != b"spawned" or len(fds) != 2:
        for fd in fds:
            wire.close_quietly(fd)
        raise confinement.SandboxError(f"the zygote refused: {message[:200]!r}")
    return SubmissionProcess(wire.socket_from_fd(fds[0]), fds[1], request.spec.mode)


def start_zygote(log_fd: int | None = None) -> tuple[Any, socket.socket]:
    """Start ``python -m autograder.isolation.runner`` and return ``(process, control socket)``."""
    import subprocess

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder.isolation.runner", str(theirs.fileno())],
        pass_fds=(theirs.fileno(),),
        stdin=subprocess.DEVNULL,
        stdout=log_fd if log_fd is not None else subprocess.DEVNULL,
        stderr=log_fd if log_fd is not None else None,
        close_fds=True,
    )
    theirs.close()
    return process, ours


# -- the zygote -------------------------------------------------------------------------
def _forget_course_lib() -> None:
    """Make sure no real course_lib can be imported from here or inherited by runners.

    Its modules are dropped, and so are the editable-install finders and the ``sys.path``
    entries that hold it beside the repository (not site-packages: numpy lives there; in the
    namespace modes the sandbox covers it there).
    """
    for name in [m for m in sys.modules if m == "course_lib" or m.startswith("course_lib.")]:
        del sys.modules[name]
    sys.path[:] = [
        p
        for p in sys.path
        if "-packages" in p or not os.path.isdir(os.path.join(p or ".", "course_lib"))
    ]
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in type(f).__module__.lower()]
    sys.path_importer_cache.clear()


def zygote_main(control_fd: int) -> int:
    """Serve spawn requests until the control socket closes."""
    confinement.prctl(confinement.PR_SET_PDEATHSIG, signal.SIGKILL)
    import importlib

    os.environ["MPLBACKEND"] = "Agg"
    for name in ZYGOTE_PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as exc:
            print(f"zygote: could not preload {name}: {exc}", file=sys.stderr)
    from autograder.isolation.cell_executor import Kernel  # noqa: F401  (imported before any fork)
    from autograder.isolation.worker import make_shell

    shell = make_shell()
    _forget_course_lib()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # intermediate processes reap themselves
    control = socket.socket(fileno=control_fd)
    spawned: list[int] = []
    while True:
        try:
            data = control.recv(1 << 20)
        except OSError:
            return 0
        if not data:
            return 0
        if data == KILL_ALL:  # the judge died: nothing of its submission may outlive it
            for pid in spawned:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            spawned.clear()
            control.sendall(b"killed")
            continue
        try:
            request = SpawnRequest.from_json(data)
            judge_end, status_r, pid = _spawn(request, shell, control)
            spawned[:] = [p for p in spawned if _alive(p)] + [pid]
        except Exception as exc:
            control.sendall(f"error: {type(exc).__name__}: {exc}".encode()[:1000])
            continue
        socket.send_fds(control, [b"spawned"], [judge_end.fileno(), status_r])
        judge_end.close()
        os.close(status_r)


def _spawn(
    request: SpawnRequest, shell: Any, control: socket.socket
) -> tuple[socket.socket, int, int]:
    judge_end, runner_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    status_r, status_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the intermediate process
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            control.close()
            judge_end.close()
            os.close(status_r)
            _intermediate(request, shell, runner_end, status_w)
        finally:
            os._exit(70)
    runner_end.close()
    os.close(status_w)
    return judge_end, status_r, pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def kill_all(control: socket.socket) -> None:
    """Ask the zygote to kill every sandbox it started (after a judge died)."""
    try:
        control.sendall(KILL_ALL)
        control.settimeout(5.0)
        control.recv(64)
    except OSError:
        pass
    finally:
        control.settimeout(None)


def _intermediate(
    request: SpawnRequest, shell: Any, runner_end: socket.socket, status_w: int
) -> None:  # pragma: no cover - runs in a fork
    """Enter the namespaces, fork the runner, report its pid and then its wait status."""
    spec = request.spec
    if spec.mode == "bwrap":
        _exec_bwrap(request, runner_end, status_w)
        return
    try:
        confinement.enter_namespaces(spec)
    except Exception as exc:
        _say_setup_failed(runner_end, f"{type(exc).__name__}: {exc}")
        os.write(status_w, struct.pack("<q", -1))
        os.write(status_w, struct.pack("<q", 70 << 8))
        return
    _fork_and_report(lambda: runner_main(request, shell, runner_end), runner_end, status_w)


def _fork_and_report(
    body: Any, runner_end: socket.socket, status_w: int
) -> None:  # pragma: no cover - runs in a fork
    """Fork the runner (``body``); write its pid, then its wait status, on ``status_w``."""
    pid = os.fork()
    if pid == 0:
        os.close(status_w)
        try:
            body()
        except BaseException as exc:
            _say_setup_failed(runner_end, f"{type(exc).__name__}: {exc}")
        os._exit(70)
    runner_end.close()
    os.write(status_w, struct.pack("<q", pid))
    _, status = os.waitpid(pid, 0)
    os.write(status_w, struct.pack("<q", status))
    os._exit(0)


def _exec_bwrap(
    request: SpawnRequest, runner_end: socket.socket, status_w: int
) -> None:  # pragma: no cover - runs in a fork
    """Start the runner through bubblewrap; report its pid and then its wait status."""
    from autograder.isolation import bwrap

    fd = runner_end.fileno()
    args = bwrap.command(request.spec, request.staging, request.files_dir, fd)
    args += [request.to_json().decode()]

    def start() -> None:
        os.set_inheritable(fd, True)
        os.execvp(args[0], args)

    _fork_and_report(start, runner_end, status_w)


def _say_setup_failed(sock: socket.socket, detail: str) -> None:
    try:
        wire.send_frame(sock, {"k": "setup_failed", "detail": detail[:2000]}, [])
    except wire.WireError:
        pass


# -- the runner -------------------------------------------------------------------------
def runner_main(request: SpawnRequest, shell: Any, sock: socket.socket) -> None:
    """Confine this process, then serve the judge until it says ``end`` or goes away."""
    spec = request.spec
    baseline = confinement.address_space_in_use()
    if spec.mode == "none":
        os.setsid()
        home = os.path.join(request.staging, "work")
        shutil.copytree(request.files_dir, home)
        os.chdir(home)
        out_dir = request.staging
    else:
        confinement.build_root(spec, request.root_dir, request.files_dir)
        home, out_dir = confinement.WORKDIR, "/tmp"
    _serve_confined(request, shell, sock, home, out_dir, baseline)


def _serve_confined(
    request: SpawnRequest, shell: Any, sock: socket.socket, home: str, out_dir: str, baseline: int
) -> None:
    """Limits, a scrubbed environment, no stray descriptors, no privileges; then serve."""
    from autograder.isolation.cell_executor import Kernel

    spec = request.spec
    out_paths = _redirect_output(out_dir)
    confinement.apply_limits(spec, baseline)
    os.environ.clear()
    os.environ.update(confinement.scrubbed_environment(home))
    sys.argv = ["ipykernel_launcher.py"]
    sys.path.insert(0, os.path.join(home, PUBLIC_LIB_DIR))
    kernel = Kernel(shell, output_cap=request.output_cap, fd_paths=out_paths)
    keep = {0, 1, 2, sock.fileno()} | {h.fileno() for h in kernel._fd_files}
    for fd in range(3, 1024):
        if fd not in keep:
            wire.close_quietly(fd)
    if spec.mode != "bwrap":  # bwrap has dropped every capability already
        confinement.drop_privileges(spec)
    if spec.mode == "none":  # no PID namespace: other processes of this user could read us
        confinement.prctl(PR_SET_DUMPABLE, 0)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    serve_judge(kernel, sock, spec.mode)


def bwrap_main(fd: int, request_json: str) -> int:  # pragma: no cover - inside bubblewrap
    """``python -m autograder.isolation.runner --serve FD REQUEST``: a runner that bwrap started."""
    import importlib

    confinement.prctl(confinement.PR_SET_PDEATHSIG, signal.SIGKILL)
    confinement.prctl(confinement.PR_SET_NO_NEW_PRIVS, 1)
    for name in ZYGOTE_PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as exc:
            print(f"runner: could not preload {name}: {exc}", file=sys.stderr)
    from autograder.isolation.worker import make_shell

    request = SpawnRequest.from_json(request_json.encode())
    sock = wire.socket_from_fd(fd)
    baseline = confinement.address_space_in_use()
    _serve_confined(request, make_shell(), sock, confinement.WORKDIR, "/tmp", baseline)
    return 0


def _redirect_output(out_dir: str) -> tuple[str, str]:
    paths = (os.path.join(out_dir, ".stdout"), os.path.join(out_dir, ".stderr"))
    null = os.open("/dev/null", os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd, path in zip((1, 2), paths, strict=True):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
        os.dup2(handle, fd)
        os.close(handle)
    sys.stdout = sys.__stdout__ = os.fdopen(1, "w", closefd=False)  # type: ignore[misc]
    sys.stderr = sys.__stderr__ = os.fdopen(2, "w", closefd=False)  # type: ignore[misc]
    return paths


def serve_judge(kernel: Any, sock: socket.socket, mode: str) -> None:
    """The runner's loop: answer the judge's requests until ``end`` (then exit)."""
    from autograder.isolation.cell_executor import CellRequest

    peer = Peer(wire.FrameSocket(sock), "r", Policy())
    ns = kernel.ns

    def run_cell(_: Peer, cell: Any) -> dict[str, Any]:
        if not isinstance(cell, dict):
            raise TypeError("malformed cell")
        result = kernel.run(
            CellRequest(int(cell["index"]), str(cell["source"]), float(cell["timeout"]))
        )
        if kernel._getpid() != kernel.pid:  # a fork made by student code must not answer
            kernel._exit(0)
        _update_kinds(peer)
        return {k: result[k] for k in ("outputs", "status", "ename", "evalue", "dropped")}

    def lookup(_: Peer, names: Any) -> dict[str, Any]:
        _update_kinds(peer)
        if not isinstance(names, list):
            raise TypeError("malformed lookup")
        return {n: ns[n] for n in names if isinstance(n, str) and n in ns}

    def release(_: Peer) -> None:
        peer.release()

    def end(_: Peer) -> None:
        os._exit(0)

    peer.handlers.update(
        {
            "cell": run_cell,
            "lookup": lookup,
            "release": release,
            "end": end,
            "ping": lambda _: {"pid": os.getpid(), "mode": mode},
        }
    )
    while True:
        try:
            got = peer.channel.recv(None)
        except wire.WireError:
            os._exit(0)
        if got is None:
            continue
        header, buffers = got
        try:
            peer._apply(header.get("sync"), buffers)
        except wire.WireError:
            os._exit(0)
        if header.get("k") == "req":
            peer.serve(header, buffers)


def _update_kinds(peer: Peer) -> None:
    """Let proxies of the judge's parameters and modules be instances of the public bases."""
    modules = sys.modules.get("course_lib.modules")
    for name in ("Parameter", "Module"):
        base = getattr(modules, name, None) if modules is not None else None
        if isinstance(base, type):
            peer.kinds[name] = base


def _read_exact(fd: int, n: int, timeout: float) -> bytes:
    import select
    import time

    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < n:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        try:
            chunk = os.read(fd, n - len(data))
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data if len(data) == n else b""


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        sys.exit(bwrap_main(int(sys.argv[2]), sys.argv[3]))
    sys.exit(zygote_main(int(sys.argv[1])))
