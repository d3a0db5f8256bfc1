"""The submission's process: a pristine zygote, and the entry points of the runner.

``python -m autograder.isolation.runner FD`` is the zygote. A worker starts it once, before it
has seen any submission: it imports numpy, matplotlib and IPython, never the real
``course_lib`` (the reference implementation) and never a job, then waits on the control socket
``FD``. For each submission the judge asks it for a runner
(:mod:`autograder.isolation.runner_handle`); the zygote forks an intermediate process that
enters the sandbox's namespaces (:mod:`autograder.isolation.sandbox_root`) and forks the runner
(:mod:`autograder.isolation.confined_runner`), and hands the judge two descriptors: its end of
the runner's object channel and a pipe on which the intermediate process writes the runner's
pid, then its wait status. A runner therefore starts from a process that never held another
student's data.

``python -m autograder.isolation.runner --serve FD REQUEST`` is a runner that bubblewrap
started (the ``bwrap`` mode, :mod:`autograder.isolation.bwrap`): a fresh interpreter, pristine
by construction.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import sys
from typing import Any

from autograder.isolation import confinement, wire
from autograder.isolation.confined_runner import runner_main, serve_confined
from autograder.isolation.runner_handle import PUBLIC_LIB_DIR, SpawnRequest
from autograder.isolation.sandbox_root import WORKDIR, enter_namespaces
from autograder.isolation.syscalls import PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, prctl

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
#: The worker's request to the zygote after a judge died.
KILL_ALL = b"kill-all"
#: ``PUBLIC_LIB_DIR`` is the runner's (:mod:`~autograder.isolation.runner_handle`), named here
#: too for the pipeline, which writes the public course_lib there.
__all__ = [
    "KILL_ALL",
    "PUBLIC_LIB_DIR",
    "ZYGOTE_PRELOAD",
    "bwrap_main",
    "kill_all",
    "start_zygote",
    "zygote_main",
]


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
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
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
        enter_namespaces(spec)
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


def bwrap_main(fd: int, request_json: str) -> int:  # pragma: no cover - inside bubblewrap
    """``python -m autograder.isolation.runner --serve FD REQUEST``: a runner that bwrap started."""
    import importlib

    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    for name in ZYGOTE_PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as exc:
            print(f"runner: could not preload {name}: {exc}", file=sys.stderr)
    from autograder.isolation.worker import make_shell

    request = SpawnRequest.from_json(request_json.encode())
    sock = wire.socket_from_fd(fd)
    baseline = confinement.address_space_in_use()
    serve_confined(request, make_shell(), sock, WORKDIR, "/tmp", baseline)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        sys.exit(bwrap_main(int(sys.argv[2]), sys.argv[3]))
    sys.exit(zygote_main(int(sys.argv[1])))
