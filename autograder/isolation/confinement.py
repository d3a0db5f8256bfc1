"""Confine a forked grading kernel: namespaces, a minimal read-only root, no privileges, limits.

The kernel that runs a submission is a fork of a warm worker. Before it runs a single student
line, this module (in that fork) builds its world. Three modes, strongest first:

``root`` (the grader runs as root, Linux namespaces available)
    New mount, PID, network, IPC and UTS namespaces; a fresh tmpfs as the root directory holding
    read-only bind mounts of the system directories (``/usr``, ``/etc``, ``/lib*``...), of the
    Python installation and of the packages the tests import (``course_lib``), a private
    ``/proc``, a few device nodes and a writable ``/tmp`` (the submission's working copy); then
    ``chroot`` into it and drop to a dedicated unprivileged uid/gid (no supplementary groups,
    ``no_new_privs``). The repository (``solutions/``), the workspace (gradebook, other
    students), the submissions folder and ``/root`` simply do not exist inside; the network has
    only a down loopback interface.
``userns`` (not root, unprivileged user namespaces allowed)
    The same world built inside a new user namespace, then every capability dropped. Files of
    the invoking user outside the new root are unreachable; inside it only ``/tmp`` is writable.
``none`` (neither available)
    Only resource limits, a scrubbed environment and a private temporary working directory.
    Student code can read whatever the grading user can: say so loudly, grade on a throwaway
    account or container.

All modes apply the same ``setrlimit`` limits (address space, CPU seconds, processes, open
files, file size, no core dumps) and a scrubbed environment (no inherited variables: no tokens,
no ``HOME``). See ``autograder/SECURITY.md`` for the full threat model.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os
import resource
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MS_RELATIME = 1 << 21
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
PR_SET_CHILD_SUBREAPER = 36
_LINUX_CAPABILITY_VERSION_3 = 0x20080522

#: System directories bound read-only into the sandbox root (symlinks are recreated).
SYSTEM_DIRS = ("usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "opt")
DEVICES = ("null", "zero", "full", "random", "urandom")
#: Working directory of the kernel inside the sandbox.
WORKDIR = "/tmp/work"
MODES = ("root", "userns", "bwrap", "none")


class SandboxError(RuntimeError):
    """The sandbox could not be set up."""


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


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SandboxError(f"{what} failed: {os.strerror(err)} (errno {errno.errorcode.get(err)})")


def unshare(flags: int) -> None:
    """Call ``unshare(2)``."""
    _check(_libc().unshare(flags), f"unshare({flags:#x})")


def mount(
    source: str | None, target: str, fstype: str | None, flags: int, data: str | None
) -> None:
    """Call ``mount(2)``."""
    enc = [None if s is None else os.fsencode(s) for s in (source, target, fstype, data)]
    _check(
        _libc().mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]),
        f"mount {source} -> {target}",
    )


def prctl(option: int, value: int) -> None:
    """Call ``prctl(2)`` with one argument."""
    _check(_libc().prctl(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl({option})")


def set_child_subreaper() -> None:
    """Make orphaned descendants (the sandbox's PID 1) children of this process."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)


def drop_capabilities() -> None:
    """Clear the effective, permitted and inheritable capability sets (``capset(2)``)."""

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [(n, ctypes.c_uint32) for n in ("effective", "permitted", "inheritable")]

    header = Header(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (Data * 2)()
    _check(_libc().capset(ctypes.byref(header), ctypes.byref(data)), "capset")


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


def namespace_flags(mode: str) -> int:
    """The ``unshare`` flags for a mode (0 for ``none``)."""
    base = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    return {"root": base, "userns": base | CLONE_NEWUSER, "bwrap": 0, "none": 0}[mode]


def enter_namespaces(spec: SandboxSpec) -> None:
    """In the intermediate process: create the namespaces (its next child is PID 1 inside).

    Parameters
    ----------
    spec : SandboxSpec
        The sandbox description.
    """
    if spec.mode in ("none", "bwrap"):
        return
    uid, gid = os.getuid(), os.getgid()
    unshare(namespace_flags(spec.mode))
    if spec.mode == "userns":
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
        Path("/proc/self/gid_map").write_text(f"0 {gid} 1")


def _ro_flags(path: str) -> int:
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
    try:
        st = os.statvfs(path).f_flag
    except OSError:
        return flags
    if st & os.ST_NOEXEC:
        flags |= MS_NOEXEC
    if st & os.ST_NOATIME:
        flags |= MS_NOATIME
    if st & os.ST_NODIRATIME:
        flags |= MS_NODIRATIME
    if st & os.ST_RELATIME:
        flags |= MS_RELATIME
    return flags


def _bind_readonly(source: str, target: str) -> None:
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        Path(target).touch()
    mount(source, target, None, MS_BIND | MS_REC, None)
    mount(None, target, None, _ro_flags(source), None)


def build_root(spec: SandboxSpec, new_root: str, files_dir: str | None) -> None:
    """In the sandbox's PID 1, as (namespace) root: assemble the root and ``chroot`` into it.

    Parameters
    ----------
    spec : SandboxSpec
        The sandbox description.
    new_root : str
        An empty directory to mount the sandbox's tmpfs on.
    files_dir : str or None
        Host directory whose files are copied into the working directory before ``chroot``.
    """
    mount("none", "/", None, MS_REC | MS_PRIVATE, None)
    mount("tmpfs", new_root, "tmpfs", MS_NOSUID, f"size={spec.tmpfs_mb}m,mode=755")
    for name in SYSTEM_DIRS:
        source = "/" + name
        target = os.path.join(new_root, name)
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
        elif os.path.isdir(source):
            _bind_readonly(source, target)
    covered = [os.path.realpath("/" + n) for n in SYSTEM_DIRS if os.path.isdir("/" + n)]
    for path in spec.expose:
        real = os.path.realpath(path)
        if not os.path.exists(real) or any(
            real == c or real.startswith(c.rstrip("/") + "/") for c in covered
        ):
            continue
        _bind_readonly(real, new_root + real)
        covered.append(real)
    for path in spec.hide:
        target = new_root + os.path.realpath(path)
        if os.path.isdir(target):
            mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=555")
    dev = os.path.join(new_root, "dev")
    os.makedirs(dev)
    for name in DEVICES:
        if os.path.exists("/dev/" + name):
            target = os.path.join(dev, name)
            Path(target).touch()
            mount("/dev/" + name, target, None, MS_BIND, None)
    for link, to in (
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ):
        os.symlink(to, os.path.join(dev, link))
    os.makedirs(os.path.join(dev, "shm"), mode=0o1777)
    os.chmod(os.path.join(dev, "shm"), 0o1777)
    proc = os.path.join(new_root, "proc")
    os.makedirs(proc)
    try:
        mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    except SandboxError:
        if spec.mode == "root":
            raise
        # inside a user namespace a masked host /proc forbids a new proc mount: go without
    tmp = os.path.join(new_root, "tmp")
    os.makedirs(tmp, exist_ok=True)
    os.chmod(tmp, 0o1777)
    work = new_root + WORKDIR
    os.makedirs(work)
    if files_dir:
        shutil.copytree(files_dir, work, dirs_exist_ok=True)
    if spec.mode == "root":
        for directory, _, names in os.walk(work):
            os.chown(directory, spec.uid, spec.gid)
            for name in names:
                os.chown(os.path.join(directory, name), spec.uid, spec.gid, follow_symlinks=False)
    os.chmod(work, 0o700)
    os.chdir(new_root)
    os.chroot(".")
    os.chdir(WORKDIR)


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
