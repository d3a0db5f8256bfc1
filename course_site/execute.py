"""Execute lecture notebooks in fresh kernels, once per change of the notebook or of course_lib.

:func:`execute_notebook` runs one notebook top to bottom (nbclient) with the widget state kept,
in an environment made reproducible by :func:`kernel_env`. :func:`execute_cached` keys the
executed copy by a hash of the notebook and of every ``course_lib`` source file, so building
the site twice executes nothing the second time. Nothing is ever written into ``lectures/``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

from course_site.layout import REPO_ROOT

__all__ = ["execute_cached", "execute_notebook", "kernel_env", "source_hash"]

_POLL_SLICE = 0.25
"""Seconds per wait on a kernel channel (see :class:`_SlicedPollingClient`)."""


def _sliced(
    get_msg: Callable[..., Awaitable[dict[str, Any]]], slice_s: float = _POLL_SLICE
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Wrap an async ``channel.get_msg(timeout)`` to wait in short slices up to ``timeout``."""

    async def get_msg_sliced(timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            step = slice_s if remaining is None else min(slice_s, remaining)
            try:
                return await get_msg(timeout=step)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return get_msg_sliced


class _SlicedPollingClient(NotebookClient):
    """A NotebookClient whose waits on the kernel's shell and IOPub channels are sliced.

    With pyzmq's asyncio sockets a wake-up is occasionally missed (seen after cells that display
    ``interact`` widgets): ``get_msg(timeout=T)`` then sleeps for the whole ``T`` although the
    reply arrived at once. Waiting in slices of :data:`_POLL_SLICE` seconds bounds such a stall
    to one slice; results are unchanged.
    """

    async def async_start_new_kernel_client(self) -> Any:
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            channel.get_msg = _sliced(channel.get_msg)
        return kc


def kernel_env(progress_path: Path | None = None, root: Path = REPO_ROOT) -> dict[str, str]:
    """The environment for a lecture kernel: this process's, made reproducible.

    The repository root first on ``PYTHONPATH`` (the lectures import this checkout's
    ``course_lib``), one BLAS thread, no inherited ``MPLBACKEND`` (the notebooks choose
    ``%matplotlib inline``), and the quiz progress file at ``progress_path`` if given, so
    building pages never reads or writes a person's own progress.

    Parameters
    ----------
    progress_path : Path, optional
        Value for ``COURSE_QUIZ_PROGRESS``.
    root : Path
        The checkout whose ``course_lib`` the kernel imports.

    Returns
    -------
    dict of str to str
    """
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    paths = [str(root), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    if progress_path is not None:
        env["COURSE_QUIZ_PROGRESS"] = str(progress_path)
    return env


def execute_notebook(
    path: Path,
    *,
    timeout: int = 600,
    env: Mapping[str, str] | None = None,
    allow_errors: bool = False,
    kernel_name: str = "python3",
    kernel_log: Path | None = None,
) -> tuple[NotebookNode, float]:
    """Execute a notebook top to bottom in a fresh kernel, in the notebook's own folder.

    Parameters
    ----------
    path : Path
        The ``.ipynb`` file; it is not modified.
    timeout : int
        Seconds allowed per cell.
    env : mapping, optional
        The kernel's environment; default :func:`kernel_env`.
    allow_errors : bool
        Keep going after a failing cell (its error is recorded as an ``error`` output);
        otherwise raise nbclient's ``CellExecutionError``.
    kernel_name : str
    kernel_log : Path, optional
        Append the kernel process's own stderr (start-up warnings, crashes) to this file
        instead of this process's stderr.

    Returns
    -------
    notebook : NotebookNode
        The executed notebook, with outputs and the widget state in its metadata.
    seconds : float
        Wall time, kernel start and shutdown included.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = _SlicedPollingClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        allow_errors=allow_errors,
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    start = time.perf_counter()
    kernel_env_ = dict(kernel_env() if env is None else env)
    if kernel_log is None:
        client.execute(env=kernel_env_)
    else:
        kernel_log.parent.mkdir(parents=True, exist_ok=True)
        with kernel_log.open("ab") as log:
            client.execute(env=kernel_env_, stderr=log)
    return nb, time.perf_counter() - start


def source_hash(notebook: Path, library: Path | None = None) -> str:
    """A hash of a notebook's bytes and of the library it imports (``*.py`` and ``*.json``).

    Parameters
    ----------
    notebook : Path
    library : Path, optional
        The ``course_lib`` folder (default: the one beside this package).

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    library = Path(library or REPO_ROOT / "course_lib")
    h = hashlib.sha256(Path(notebook).read_bytes())
    files = sorted(p for ext in ("*.py", "*.json") for p in library.rglob(ext))
    for file in files:
        h.update(str(file.relative_to(library)).encode())
        h.update(file.read_bytes())
    return h.hexdigest()


def execute_cached(
    path: Path,
    cache_dir: Path,
    *,
    timeout: int = 600,
    env: Mapping[str, str] | None = None,
    library: Path | None = None,
    kernel_log: Path | None = None,
) -> tuple[NotebookNode, float, bool]:
    """Execute a notebook, or read its executed copy from ``cache_dir`` if nothing changed.

    Parameters
    ----------
    path : Path
        The notebook (never written to).
    cache_dir : Path
        Holds ``<stem>-<hash>.ipynb``; older copies of the same notebook are removed.
    timeout : int
        Seconds allowed per cell.
    env : mapping, optional
        The kernel's environment (default :func:`kernel_env`).
    library : Path, optional
        The ``course_lib`` folder whose sources are part of the key.
    kernel_log : Path, optional
        Where the kernel's own stderr goes (see :func:`execute_notebook`).

    Returns
    -------
    notebook : NotebookNode
        The executed notebook.
    seconds : float
        Execution time (0 when cached).
    cached : bool
        Whether the copy came from the cache.
    """
    path, cache_dir = Path(path), Path(cache_dir)
    key = source_hash(path, library)[:20]
    target = cache_dir / f"{path.stem}-{key}.ipynb"
    if target.is_file():
        return nbformat.read(target, as_version=4), 0.0, True
    nb, seconds = execute_notebook(path, timeout=timeout, env=env, kernel_log=kernel_log)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for old in cache_dir.glob(f"{path.stem}-*.ipynb"):
        old.unlink()
    tmp = target.with_suffix(".tmp")
    nbformat.write(nb, tmp)
    tmp.replace(target)
    return nb, seconds, False
