"""The runner: the sandboxed process that runs one submission and serves the judge.

Forked by the zygote's intermediate process inside the sandbox's namespaces
(:func:`runner_main`), or started as a fresh interpreter by bubblewrap
(:func:`autograder.isolation.runner.bwrap_main`), it confines itself
(:mod:`autograder.isolation.confinement`: its root directory, limits, environment,
descriptors and privileges), puts the assignment's *public* ``course_lib``
(:mod:`autograder.isolation.public_lib`) first on ``sys.path``, and serves the judge
(:func:`serve_judge`): ``cell`` runs one of the student's (or a locked) cells with IPython
semantics and returns its outputs; ``lookup``, ``getattr``, ``call``... give the judge the
student's objects. Nothing it reports decides a score: the judge runs the tests.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sys
from typing import Any

from autograder.isolation import confinement, wire
from autograder.isolation.remote import Peer, Policy
from autograder.isolation.runner_handle import PUBLIC_LIB_DIR, SpawnRequest
from autograder.isolation.sandbox_root import WORKDIR, build_root
from autograder.isolation.syscalls import prctl

PR_SET_DUMPABLE = 4


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
        build_root(spec, request.root_dir, request.files_dir)
        home, out_dir = WORKDIR, "/tmp"
    serve_confined(request, shell, sock, home, out_dir, baseline)


def serve_confined(
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
        prctl(PR_SET_DUMPABLE, 0)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    serve_judge(kernel, sock, spec.mode)


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
