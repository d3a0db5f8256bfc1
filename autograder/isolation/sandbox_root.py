"""The sandbox's world: its namespaces, and the minimal read-only root it ``chroot``\\ s into.

In the ``root`` and ``userns`` modes the zygote's intermediate process enters new mount, PID,
network, IPC and UTS namespaces (:func:`enter_namespaces`; in ``userns`` mode inside a new
user namespace too), and the runner, PID 1 there, assembles its root directory
(:func:`build_root`): a fresh tmpfs holding read-only bind mounts of the system directories
(``/usr``, ``/etc``, ``/lib*``...), of the Python installation and of the exposed packages, the
real ``course_lib`` covered by an empty read-only file system, a few device nodes, a private
``/proc`` and a writable ``/tmp`` whose ``work`` folder is the submission's working copy. The
repository, the workspace, the submissions and ``/root`` simply do not exist inside; the
network has only a down loopback interface.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.isolation.syscalls import (
    CLONE_NEWIPC,
    CLONE_NEWNET,
    CLONE_NEWNS,
    CLONE_NEWPID,
    CLONE_NEWUSER,
    CLONE_NEWUTS,
    MS_BIND,
    MS_NOATIME,
    MS_NODEV,
    MS_NODIRATIME,
    MS_NOEXEC,
    MS_NOSUID,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_RELATIME,
    MS_REMOUNT,
    SandboxError,
    mount,
    unshare,
)

if TYPE_CHECKING:
    from autograder.isolation.confinement import SandboxSpec

#: System directories bound read-only into the sandbox root (symlinks are recreated).
SYSTEM_DIRS = ("usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "opt")
DEVICES = ("null", "zero", "full", "random", "urandom")
#: Working directory of the kernel inside the sandbox.
WORKDIR = "/tmp/work"


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
    _bind_system_and_exposed(spec, new_root)
    _cover_hidden(spec, new_root)
    _make_dev(new_root)
    _mount_proc(spec, new_root)
    _make_workdir(spec, new_root, files_dir)
    os.chdir(new_root)
    os.chroot(".")
    os.chdir(WORKDIR)


def _bind_system_and_exposed(spec: SandboxSpec, new_root: str) -> None:
    """Read-only binds of :data:`SYSTEM_DIRS`, then of exposed paths they do not contain."""
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


def _cover_hidden(spec: SandboxSpec, new_root: str) -> None:
    """An empty read-only tmpfs over each hidden directory (the real ``course_lib``)."""
    for path in spec.hide:
        target = new_root + os.path.realpath(path)
        if os.path.isdir(target):
            mount("tmpfs", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=555")


def _make_dev(new_root: str) -> None:
    """A ``/dev`` with :data:`DEVICES`, the ``fd``/``std*`` links and a writable ``shm``."""
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


def _mount_proc(spec: SandboxSpec, new_root: str) -> None:
    """The PID namespace's own ``/proc`` (optional in ``userns`` mode, required as root)."""
    proc = os.path.join(new_root, "proc")
    os.makedirs(proc)
    try:
        mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    except SandboxError:
        if spec.mode == "root":
            raise
        # inside a user namespace a masked host /proc forbids a new proc mount: go without


def _make_workdir(spec: SandboxSpec, new_root: str, files_dir: str | None) -> None:
    """A sticky ``/tmp`` holding :data:`WORKDIR`, the submission's files, owned by its uid."""
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
