"""Confine a submission's runner: the sandbox's description, its limits, environment and ids.

A runner runs a submission. Before it runs a single student line it builds its world, in one of
four modes, strongest first:

``root`` (the grader runs as root, Linux namespaces available)
    New mount, PID, network, IPC and UTS namespaces and a minimal read-only root directory
    (:mod:`autograder.isolation.sandbox_root`); then the runner drops to a dedicated
    unprivileged uid/gid (no supplementary groups, ``no_new_privs``). The repository
    (``solutions/``), the workspace (gradebook, other students), the submissions folder and
    ``/root`` simply do not exist inside; the network has only a down loopback interface.
``userns`` (not root, unprivileged user namespaces allowed)
    The same world built inside a new user namespace, then every capability dropped. Files of
    the invoking user outside the new root are unreachable; inside it only ``/tmp`` is writable.
``bwrap`` (user namespaces refused to the grader but allowed to bubblewrap)
    The same world built by ``bwrap`` (:mod:`autograder.isolation.bwrap`).
``none`` (neither available)
    Only resource limits, a scrubbed environment and a private temporary working directory.
    Student code can read whatever the grading user can: say so loudly, grade on a throwaway
    account or container.

This module holds what every mode shares: the :class:`SandboxSpec`, the ``setrlimit`` limits
(address space, CPU seconds, processes, open files, file size, no core dumps), the scrubbed
environment (no inherited variables: no tokens, no ``HOME``), dropping privileges, the paths
exposed to the sandbox and the choice of a mode. The Linux calls are in
:mod:`autograder.isolation.syscalls`. See ``autograder/SECURITY.md`` for the full threat model.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

from autograder.isolation.sandbox_root import WORKDIR
from autograder.isolation.syscalls import (
    PR_SET_NO_NEW_PRIVS,
    PR_SET_PDEATHSIG,
    SandboxError,
    drop_capabilities,
    prctl,
)

MODES = ("root", "userns", "bwrap", "none")
__all__ = [
    "MODES",
    "SandboxError",
    "SandboxSpec",
    "address_space_in_use",
    "apply_limits",
    "best_mode",
    "describe",
    "drop_privileges",
    "exposed_paths",
    "pick_uid",
    "prctl",
    "scrubbed_environment",
    "userns_refused",
]


@dataclass(frozen=True)
class SandboxSpec:
    """Everything a forked kernel needs to confine itself.

    Attributes
    ----------
    mode : str
        ``"root"``, ``"userns"`` or ``"none"``.
    uid, gid : int
        Unprivileged ids the kernel runs as (``root`` mode).
    expose : tuple of str
        Absolute directories made visible read-only (Python installation, packages).
    memory_mb : int
        Address space allowed beyond what the warm interpreter already maps.
    cpu_seconds : int
        CPU time limit of the kernel process (SIGXCPU / SIGKILL past it).
    max_processes : int
        Processes the sandbox uid may own (fork bombs stop there; ``root`` mode).
    max_file_mb : int
        Largest file the kernel may write.
    tmpfs_mb : int
        Size of the in-memory root file system (its writable ``/tmp`` included).
    hide : tuple of str
        Absolute directories covered by an empty read-only file system inside the root even
        when an exposed directory contains them (the real ``course_lib`` in site-packages).
    """

    mode: str = "none"
    uid: int = 65534
    gid: int = 65534
    expose: tuple[str, ...] = ()
    memory_mb: int = 1024
    cpu_seconds: int = 600
    max_processes: int = 64
    max_file_mb: int = 64
    tmpfs_mb: int = 256
    env: dict[str, str] = field(default_factory=dict)
    hide: tuple[str, ...] = ()


def pick_uid(seed: int) -> int:
    """An unprivileged uid that no account uses, derived from ``seed`` (a worker's pid).

    Parameters
    ----------
    seed : int
        Distinct per concurrently running worker.

    Returns
    -------
    int
        A uid in [1_800_000, 1_900_000).
    """
    import pwd

    uid = 1_800_000 + seed % 100_000
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
        uid += 1


def apply_limits(spec: SandboxSpec, baseline: int) -> None:
    """Set resource limits (soft = hard, so they cannot be raised again).

    Parameters
    ----------
    spec : SandboxSpec
        Gives the memory budget, CPU seconds, process count and file size.
    baseline : int
        Bytes of address space the warm interpreter already maps
        (:func:`address_space_in_use`, read before ``chroot``).
    """
    limits = {
        resource.RLIMIT_AS: baseline + spec.memory_mb * 2**20,
        resource.RLIMIT_CPU: spec.cpu_seconds,
        resource.RLIMIT_FSIZE: spec.max_file_mb * 2**20,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NOFILE: 256,
    }
    if spec.mode in ("root", "userns", "bwrap"):
        # counted per user namespace since Linux 5.14: in `userns` mode this bounds the
        # sandbox's own processes (its uid 0 has no capability of the initial namespace)
        limits[resource.RLIMIT_NPROC] = spec.max_processes
    for which, value in limits.items():
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))
    # writing past the file-size limit raises OSError(EFBIG) instead of killing the kernel
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def address_space_in_use() -> int:
    """Bytes of virtual address space this process maps (``VmSize``), 0 if unknown."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def drop_privileges(spec: SandboxSpec) -> None:
    """Become the unprivileged sandbox user (``root`` mode) or lose all capabilities.

    Parameters
    ----------
    spec : SandboxSpec
        Gives the mode and ids.
    """
    if spec.mode == "root":
        os.setgroups([])
        os.setresgid(spec.gid, spec.gid, spec.gid)
        os.setresuid(spec.uid, spec.uid, spec.uid)
        if os.geteuid() == 0 or os.getegid() == 0:
            raise SandboxError("privileges were not dropped")
    elif spec.mode == "userns":
        drop_capabilities()
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    # die with the intermediate process (setuid resets this: set it now)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def scrubbed_environment(home: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The only environment a kernel gets: nothing inherited, so no secrets.

    Parameters
    ----------
    home : str
        ``HOME`` (and the IPython / matplotlib config directories under it).
    extra : dict, optional
        Added on top.

    Returns
    -------
    dict
        The environment.
    """
    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": "/tmp" if home.startswith(WORKDIR) else home,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
        "IPYTHONDIR": os.path.join(home, ".ipython"),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NBGRADER_EXECUTION": "autograde",
    }
    env.update(extra or {})
    return env


def exposed_paths(secrets: list[str], packages: list[str]) -> tuple[str, ...]:
    """Directories to bind read-only: the Python installation and ``packages``' directories.

    A candidate that is, or contains, one of ``secrets`` (the repository, the workspace, the
    submissions) is never exposed: ``sys.path`` often holds the repository root itself.

    Parameters
    ----------
    secrets : list of str
        Paths that must stay invisible.
    packages : list of str
        Imported top-level package names whose directories must be visible (``course_lib``).

    Returns
    -------
    tuple of str
        Absolute real paths.
    """
    candidates = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    cwd = os.getcwd()  # `python -m` puts the working directory on sys.path: never expose it
    candidates.update(
        p for p in sys.path if p and os.path.isabs(p) and os.path.isdir(p) and p != cwd
    )
    for name in packages:
        module = sys.modules.get(name)
        for location in getattr(module, "__path__", []) or []:
            candidates.add(location)
    secret_real = [os.path.realpath(s) for s in secrets]
    exposed = []
    for candidate in sorted(candidates):
        real = os.path.realpath(candidate)
        if real == "/" or any(
            s == real or s.startswith(real.rstrip("/") + "/") for s in secret_real
        ):
            continue
        exposed.append(real)
    return tuple(dict.fromkeys(exposed))


def best_mode(requested: str = "auto") -> tuple[str, str]:
    """Pick a sandbox mode without trying it (the worker then probes it for real).

    Parameters
    ----------
    requested : str
        ``"auto"`` or one of :data:`MODES`.

    Returns
    -------
    (mode, why) : tuple of str
    """
    if requested != "auto":
        if requested not in MODES:
            raise ValueError(f"sandbox mode must be auto, {', '.join(MODES)}, got {requested!r}")
        return requested, "requested"
    if not sys.platform.startswith("linux"):
        return "none", f"no Linux namespaces on {sys.platform}"
    if os.geteuid() == 0:
        return "root", "running as root"
    refused = userns_refused()
    if refused:
        if shutil.which("bwrap"):
            return "bwrap", f"{refused}; bubblewrap has its own permission"
        return "none", refused
    return "userns", "unprivileged user namespaces"


def userns_refused() -> str | None:
    """Why this (unprivileged) process may not create user namespaces itself, or None."""
    switches = {
        "/proc/sys/kernel/unprivileged_userns_clone": ("0", "are disabled"),
        # Ubuntu 23.10+: AppArmor refuses them to programs without a profile
        "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": ("1", "are refused by AppArmor"),
    }
    for path, (value, why) in switches.items():
        try:
            if Path(path).read_text().strip() == value:
                return f"unprivileged user namespaces {why}"
        except OSError:
            continue
    return None


def describe(spec: SandboxSpec) -> str:
    """One line for the summary: what the sandbox guarantees in this mode."""
    if spec.mode == "root":
        return (
            f"root: private mount/pid/net namespaces, read-only chroot, uid {spec.uid}, "
            f"{spec.memory_mb} MB, {spec.max_processes} processes"
        )
    if spec.mode == "userns":
        return f"userns: private namespaces, read-only chroot, no capabilities, {spec.memory_mb} MB"
    if spec.mode == "bwrap":
        return (
            f"bwrap: bubblewrap's private namespaces, read-only binds, no capabilities, "
            f"{spec.memory_mb} MB"
        )
    return (
        f"none: resource limits only ({spec.memory_mb} MB); student code can read "
        "files the grading user can read"
    )
