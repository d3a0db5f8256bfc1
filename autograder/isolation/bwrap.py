"""The ``bwrap`` sandbox mode: the runner started by bubblewrap.

On Ubuntu 24.04 and other systems where AppArmor refuses unprivileged user namespaces to
programs without a profile, the ``userns`` mode is unavailable to an ordinary instructor
account, but ``bwrap`` (bubblewrap, which has such a profile) still may create them. In this
mode the zygote's intermediate process execs ``bwrap`` instead of forking the runner: bwrap
builds the same world as the other modes (new user, PID, network, IPC, UTS and mount
namespaces; read-only binds of the system and Python directories; the real ``course_lib``
covered by an empty file system; a private ``/tmp`` holding the submission's working copy;
a scrubbed environment; no capabilities, ``no_new_privs``; it dies with its parent), then runs
a *fresh* interpreter, so the runner is pristine by construction. The runner's own code comes
from a copy of the few grader modules it needs (the isolation layer only).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from autograder.isolation import confinement
from autograder.isolation.sandbox_root import SYSTEM_DIRS, WORKDIR

#: The grader modules a runner imports (copied into the sandbox, read-only), relative to the
#: ``autograder`` package: the isolation layer only, never the assignments or the pipeline.
RUNNER_MODULES = (
    "__init__.py",
    "isolation/__init__.py",
    "isolation/runner.py",
    "isolation/confined_runner.py",
    "isolation/runner_handle.py",
    "isolation/remote/__init__.py",
    "isolation/remote/errors.py",
    "isolation/remote/policy.py",
    "isolation/remote/proxies.py",
    "isolation/remote/decode.py",
    "isolation/remote/handlers.py",
    "isolation/remote/peer.py",
    "isolation/wire.py",
    "isolation/confinement.py",
    "isolation/sandbox_root.py",
    "isolation/syscalls.py",
    "isolation/cell_executor.py",
    "isolation/worker.py",
    "isolation/protocol.py",
    "isolation/bwrap.py",
)
#: Where that copy is mounted inside the sandbox.
RUNNER_CODE = "/course-runner"


def available() -> bool:
    """Whether a ``bwrap`` executable is installed."""
    return shutil.which("bwrap") is not None


def stage_runner_code(staging: str) -> str:
    """Copy :data:`RUNNER_MODULES` to ``staging/runner-code/autograder``; return the folder."""
    source = Path(__file__).resolve().parents[1]
    target = Path(staging, "runner-code", "autograder")
    for name in RUNNER_MODULES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / name, target / name)
    return str(target.parent)


def command(spec: confinement.SandboxSpec, staging: str, files_dir: str, fd: int) -> list[str]:
    """The ``bwrap`` command line that starts one runner serving the judge on ``fd``.

    Parameters
    ----------
    spec : confinement.SandboxSpec
        Exposed and hidden directories (limits are applied by the runner itself).
    staging : str
        The submission's private folder (host side): its ``work`` copy becomes ``/tmp/work``.
    files_dir : str
        The submission's files (copied to the working copy).
    fd : int
        The runner's end of the object channel (inherited through bwrap).
    """
    work = os.path.join(staging, "work")
    shutil.copytree(files_dir, work, dirs_exist_ok=True)
    code = stage_runner_code(staging)
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--as-pid-1"]
    args += ["--cap-drop", "ALL"]
    for name in SYSTEM_DIRS:
        path = "/" + name
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in spec.expose:
        if os.path.isdir(path) and not path.startswith(("/usr/", "/etc/", "/opt/")):
            args += ["--ro-bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    bound = [os.path.realpath(p) for p in spec.expose]
    for path in (os.path.realpath(p) for p in spec.hide):
        if os.path.isdir(path) and any(path.startswith(b.rstrip("/") + "/") for b in bound):
            args += ["--tmpfs", path, "--remount-ro", path]
    args += ["--ro-bind", code, RUNNER_CODE, "--bind", work, WORKDIR]
    args += ["--chdir", WORKDIR, "--clearenv"]
    environment = confinement.scrubbed_environment(WORKDIR, {"PYTHONPATH": RUNNER_CODE})
    for key, value in environment.items():
        args += ["--setenv", key, value]
    return [*args, "--", sys.executable, "-m", "autograder.isolation.runner", "--serve", str(fd)]
