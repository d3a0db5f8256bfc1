"""A runner as the grader sees it: the request that asks the zygote for one, and its handle.

The judge sends a :class:`SpawnRequest` on the zygote's control socket
(:func:`request_runner`); the zygote (:mod:`autograder.isolation.runner`) answers with two
descriptors, which become a :class:`SubmissionProcess`: the judge's end of the runner's object
channel, and a pipe on which the intermediate process writes the runner's pid, then its wait
status.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
from dataclasses import dataclass

from autograder.isolation import confinement, wire

#: Folder (inside the submission's working directory) holding the public course_lib.
PUBLIC_LIB_DIR = ".course_lib"


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
