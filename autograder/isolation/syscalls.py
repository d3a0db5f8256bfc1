"""The Linux calls a sandbox is built with (``unshare``, ``mount``, ``prctl``, ``capset``).

Thin ``ctypes`` wrappers around libc: each raises :class:`SandboxError`, naming the call and
the ``errno``, when the kernel refuses. The flag constants are the kernel's own values.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os

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


class SandboxError(RuntimeError):
    """The sandbox could not be set up."""


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
