"""The sandboxed "kernel": runs notebook cells with IPython semantics and records their outputs.

This runs inside a fork of a warm worker (see :mod:`autograder.isolation.worker`), after the
sandbox is
in place. It replaces a Jupyter kernel for grading, keeping what nbgrader's scoring depends on:

- cells run in order in one namespace (``get_ipython().user_ns``), each through IPython's own
  input transformer, so ``%magics``, ``!shell`` lines and cell magics work;
- the last expression is shown as an ``execute_result`` unless the cell ends with ``;``,
  formatted by IPython's plain-text formatter (nbgrader reads partial credit from it);
- ``print`` and warnings land in ``stream`` outputs named ``stdout`` / ``stderr``, and so do
  writes to file descriptors 1 and 2 (C code, subprocesses);
- an exception, ``SystemExit`` included, becomes an ``error`` output and execution goes on;
- a cell that runs past the per-cell timeout is interrupted and gets a ``CellTimeoutError``
  error, like nbgrader's ``Execute`` preprocessor does.

It serves two processes: the submission's runner (:mod:`autograder.isolation.runner`) runs the
student's notebook with it, and the judge (:mod:`autograder.isolation.judge`) runs the test
cells with
it. Nothing it records in the runner decides a score: the judge's own outputs do.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import inspect
import io
import linecache
import os
import signal
import sys
import time
import traceback
import types
import warnings
from dataclasses import dataclass, field
from typing import Any

from IPython.core.displayhook import DisplayHook
from IPython.core.formatters import PlainTextFormatter
from IPython.core.inputtransformer2 import TransformerManager

#: Characters of output kept per cell; the rest is counted and dropped.
DEFAULT_OUTPUT_CAP = 1_000_000
#: Longest exception name kept (a class can be given a 30 MB name).
MAX_ENAME = 200
_BUILTIN_NAMES = frozenset(k for k in vars(builtins) if not k.startswith("_"))
_KERNEL_FILE = __file__


class CellTimeoutError(BaseException):
    """Raised inside a cell that ran past the per-cell timeout (like nbclient's interrupt)."""


class StdinNotImplementedError(RuntimeError):
    """``input()`` was called: grading is non-interactive (ipykernel raises the same)."""


def _no_input(prompt: object = "") -> str:
    raise StdinNotImplementedError(
        "input() was called, but the grader does not support input requests."
    )


@dataclass
class CellRequest:
    """One code cell to run.

    Attributes
    ----------
    index : int
        Position of the cell in the notebook.
    source : str
        Its source.
    timeout : float
        Seconds before the cell is interrupted.
    """

    index: int
    source: str
    timeout: float = 30.0


@dataclass
class OutputCollector:
    """Accumulates nbformat outputs for one cell, capping their total size."""

    cap: int = DEFAULT_OUTPUT_CAP
    outputs: list[dict[str, Any]] = field(default_factory=list)
    used: int = 0
    dropped: int = 0

    def _room(self, text: str) -> str:
        room = self.cap - self.used
        if len(text) <= room:
            self.used += len(text)
            return text
        kept = text[: max(room, 0)]
        self.used += len(kept)
        self.dropped += len(text) - len(kept)
        return kept

    def stream(self, name: str, text: str) -> None:
        """Append text to the ``stdout`` / ``stderr`` stream (merging consecutive writes)."""
        if not text:
            return
        kept = self._room(text)
        if not kept and self.outputs and self.outputs[-1].get("name") == name:
            return
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += kept
        else:
            self.outputs.append({"output_type": "stream", "name": name, "text": kept})

    def truncated(self) -> None:
        """Say, at the end of the cell's output, how much was dropped (beyond the cap)."""
        self.outputs.append(
            {
                "output_type": "stream",
                "name": "stdout",
                "text": f"\n... output truncated: {self.dropped} characters ...\n",
            }
        )

    def display(self, data: dict[str, Any], output_type: str = "display_data") -> None:
        """Append a rich output, keeping its text and (if it fits) PNG representations."""
        bundle = {}
        for mime in ("text/plain", "text/html", "image/png", "text/markdown"):
            value = data.get(mime)
            if isinstance(value, str):
                kept = self._room(value)
                if len(kept) == len(value):
                    bundle[mime] = value
        if "text/plain" not in bundle and "text/plain" in data:
            bundle["text/plain"] = self._room(str(data["text/plain"]))
        output = {"output_type": output_type, "data": bundle, "metadata": {}}
        self.outputs.append(output)

    def error(self, ename: str, evalue: str, lines: list[str]) -> None:
        """Append an ``error`` output (the name too counts against the cap, and is short)."""
        self.outputs.append(
            {
                "output_type": "error",
                "ename": self._room(ename[:MAX_ENAME]),
                "evalue": self._room(evalue),
                "traceback": [self._room(line) for line in lines[-60:]],
            }
        )


class CaptureStream(io.TextIOBase):
    """``sys.stdout`` / ``sys.stderr`` replacement feeding an :class:`OutputCollector`."""

    def __init__(self, collector: OutputCollector, name: str, fd: int) -> None:
        super().__init__()
        self._collector = collector
        self._name = name
        self._fd = fd

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"<{self._name}>"

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._collector.stream(self._name, text)
        return len(text)

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self._fd

    def flush(self) -> None:
        return None


class _NoStdin(io.TextIOBase):
    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        return _no_input()

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        return _no_input()


class _Publisher:
    """Stand-in for IPython's ``display_pub``: ``display(...)`` becomes a ``display_data``."""

    is_publishing = False

    def __init__(self, collector: OutputCollector) -> None:
        self._collector = collector

    def publish(self, data: dict, metadata: dict | None = None, **kwargs: Any) -> None:
        self._collector.display(dict(data))

    def clear_output(self, wait: bool = False) -> None:
        return None


class Kernel:
    """Run cells in one namespace with nbgrader-faithful outputs.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        Created before the fork; its ``user_ns`` is the cells' namespace.
    output_cap : int
        Characters of output kept per cell.
    fd_paths : tuple of str or None
        Files that descriptors 1 and 2 were redirected to, read after each cell.
    """

    def __init__(
        self,
        shell: Any,
        output_cap: int = DEFAULT_OUTPUT_CAP,
        fd_paths: tuple[str, str] | None = None,
    ) -> None:
        self.shell = shell
        self.ns: dict[str, Any] = shell.user_ns
        self.output_cap = output_cap
        self.transformer = TransformerManager()
        self.plain = PlainTextFormatter()
        self.count = 0
        self.pid = os.getpid()
        self._armed = False
        self._fd_files = [open(p, "rb") for p in fd_paths] if fd_paths else []  # noqa: SIM115
        # captured now, before any cell runs
        self._getpid, self._exit, self._setitimer = os.getpid, os._exit, signal.setitimer
        self._signal = signal.signal
        self._monotonic = time.perf_counter
        # an ipykernel shows a warning once per location *per cell*: the "already shown"
        # registries are invalidated before every cell
        self._reset_warnings = getattr(warnings, "_filters_mutated", lambda: None)

    # -- timeouts -----------------------------------------------------------------------
    def _on_alarm(self, signum: int, frame: Any) -> None:
        if self._armed:
            self._armed = False
            raise CellTimeoutError("cell exceeded the time limit")

    def _arm(self, seconds: float) -> None:
        self._signal(signal.SIGALRM, self._on_alarm)
        self._armed = True
        self._setitimer(signal.ITIMER_REAL, max(seconds, 0.001))

    def _disarm(self) -> None:
        self._armed = False
        self._setitimer(signal.ITIMER_REAL, 0)

    # -- one cell ---------------------------------------------------------------------
    def run(self, cell: CellRequest) -> dict[str, Any]:
        """Run one cell and describe what happened.

        Parameters
        ----------
        cell : CellRequest
            The cell.

        Returns
        -------
        dict
            ``{"index", "outputs", "status", "ename", "evalue", "duration", "dropped"}``.
        """
        collector = OutputCollector(cap=self.output_cap)
        self._install_io(collector)
        start = self._monotonic()
        error = self._execute(cell, collector)
        duration = self._monotonic() - start
        if self._getpid() != self.pid:  # a fork made by student code: it must not report
            self._exit(0)
        self._restore_io()
        self._read_fd_output(collector)
        if collector.dropped:
            collector.truncated()
        return {
            "index": cell.index,
            "outputs": collector.outputs,
            "status": "error" if error else "ok",
            "ename": error[0][:MAX_ENAME] if error else None,
            "evalue": error[1][: self.output_cap] if error else None,
            "duration": duration,
            "dropped": collector.dropped,
        }

    def _install_io(self, collector: OutputCollector) -> None:
        self._saved_io = (sys.stdout, sys.stderr)
        sys.stdout = CaptureStream(collector, "stdout", 1)
        sys.stderr = CaptureStream(collector, "stderr", 2)
        sys.stdin = _NoStdin()
        self.shell.display_pub = _Publisher(collector)
        self.shell.showtraceback = lambda *a, **k: self._formatter_error(collector)
        self._collector = collector

    def _restore_io(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        sys.stdout = sys.__stdout__
        sys.stderr = sys.__stderr__

    def _formatter_error(self, collector: OutputCollector) -> None:
        etype, value, tb = sys.exc_info()
        if etype is not None:
            collector.error(*_describe(etype, value, tb))

    def _read_fd_output(self, collector: OutputCollector) -> None:
        for handle, name in zip(self._fd_files, ("stdout", "stderr"), strict=False):
            data = handle.read(self.output_cap + 1)
            if data:
                collector.stream(name, data.decode("utf-8", errors="replace"))
                rest = 0
                while chunk := handle.read(1 << 20):  # discard what is over the cap
                    rest += len(chunk)
                collector.dropped += rest

    def _execute(self, cell: CellRequest, collector: OutputCollector) -> tuple[str, str] | None:
        try:
            return self._execute_inner(cell, collector)
        except CellTimeoutError:  # the alarm fired in the gap after the cell finished
            self._disarm()
            collector.error("CellTimeoutError", "", ["CellTimeoutError: cell timed out"])
            return ("CellTimeoutError", f"cell timed out after {cell.timeout:g} s")

    def _execute_inner(
        self, cell: CellRequest, collector: OutputCollector
    ) -> tuple[str, str] | None:
        self.count += 1
        self._reset_warnings()
        filename = f"<cell {cell.index}>"
        try:
            source = self.transformer.transform_cell(cell.source)
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            tree = ast.parse(source, filename=filename)
            flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
            last = None
            body = tree.body
            if body and isinstance(body[-1], ast.Expr):
                last = ast.Expression(body[-1].value)
                body = body[:-1]
            module = compile(ast.Module(body=body, type_ignores=[]), filename, "exec", flags=flags)
            expr = compile(last, filename, "eval", flags=flags) if last is not None else None
        except BaseException as exc:  # SyntaxError, bad magic
            collector.error(*_describe(type(exc), exc, None))
            return (type(exc).__name__, _safe_str(exc))
        self._arm(cell.timeout)
        try:
            _run_code(module, self.ns)
            if expr is not None:
                value = _run_code(expr, self.ns)
                quiet = DisplayHook.semicolon_at_end_of_expression(cell.source)
                if value is not None and not quiet:
                    self.ns["___"], self.ns["__"] = self.ns.get("__"), self.ns.get("_")
                    self.ns["_"] = value
                    collector.display({"text/plain": self.plain(value)}, "execute_result")
                    collector.outputs[-1]["execution_count"] = self.count
            self._disarm()
            return None
        except BaseException as exc:
            self._disarm()
            if self._getpid() != self.pid:
                self._exit(0)
            ename, evalue, lines = _describe(type(exc), exc, exc.__traceback__)
            if isinstance(exc, CellTimeoutError):
                ename, evalue = "CellTimeoutError", f"cell timed out after {cell.timeout:g} s"
                lines = [f"CellTimeoutError: {evalue}"]
            collector.error(ename, evalue, lines)
            return (ename, evalue)


def _run_code(code: types.CodeType, ns: dict[str, Any]) -> Any:
    if code.co_flags & inspect.CO_COROUTINE:  # top-level await, as IPython allows
        return asyncio.new_event_loop().run_until_complete(eval(code, ns))
    return eval(code, ns)


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except BaseException:
        return "<exception could not be printed>"


def _describe(etype: type, exc: BaseException, tb: Any) -> tuple[str, str, list[str]]:
    """ename, evalue and traceback lines, skipping the kernel's own frames."""
    while tb is not None and tb.tb_frame.f_code.co_filename == _KERNEL_FILE:
        tb = tb.tb_next
    try:
        ename = etype.__name__
    except BaseException:
        ename = "Exception"
    evalue = _safe_str(exc)
    try:
        lines = traceback.format_exception(etype, exc, tb)
    except BaseException:
        lines = [f"{ename}: {evalue}\n"]
    return ename, evalue, [line.rstrip("\n") for line in lines]
