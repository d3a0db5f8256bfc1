"""The sandboxed "kernel": runs notebook cells with IPython semantics and records their outputs.

This runs inside a fork of a warm worker (see :mod:`autograder.worker`), after the sandbox is
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

The result of every cell is decided *here*, by code captured before the student's code
existed: replacing ``sys.excepthook``, ``get_ipython().showtraceback``, ``IPython``'s
``run_cell`` or ``AssertionError`` does not hide an exception. Instructor cells (locked and
test cells) run with the protected modules restored (:mod:`autograder.guard`), with names
that earlier instructor cells bound (``np``, test helpers) restored if student code rebound
them, and without student globals that shadow builtins (``len = lambda x: 0``).
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

from autograder.guard import PROTECTED_PREFIXES, Guard, Snapshot
from autograder.protocol import ChannelClosed, FrameReader, write_message

#: Characters of output kept per cell; the rest is counted and dropped.
DEFAULT_OUTPUT_CAP = 1_000_000
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
    trusted : bool
        Instructor-written (locked or test cell): runs with protected state restored.
    test : bool
        A graded test cell: protected state must be unchanged when it ends.
    timeout : float
        Seconds before the cell is interrupted.
    """

    index: int
    source: str
    trusted: bool = False
    test: bool = False
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
        """Append an ``error`` output."""
        self.outputs.append(
            {
                "output_type": "error",
                "ename": ename,
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
    """Run cells in one namespace with nbgrader-faithful outputs and tamper-proof results.

    Parameters
    ----------
    shell : IPython.core.interactiveshell.InteractiveShell
        Created in the worker before the fork; its ``user_ns`` is the cells' namespace.
    snapshot : Snapshot
        Protected state taken in the worker before any student code existed.
    protected_names : set of str
        Names the assignment asks students to define (never restored to an instructor value).
    output_cap : int
        Characters of output kept per cell.
    fd_paths : tuple of str or None
        Files that descriptors 1 and 2 were redirected to, read after each cell.
    """

    def __init__(
        self,
        shell: Any,
        snapshot: Snapshot,
        protected_names: set[str] | frozenset[str] = frozenset(),
        output_cap: int = DEFAULT_OUTPUT_CAP,
        fd_paths: tuple[str, str] | None = None,
    ) -> None:
        self.shell = shell
        self.ns: dict[str, Any] = shell.user_ns
        self.guard = Guard(snapshot)
        self.protected_names = frozenset(protected_names)
        self.output_cap = output_cap
        self.transformer = TransformerManager()
        self.plain = PlainTextFormatter()
        self.trusted_bindings: dict[str, Any] = {}
        self.trusted_files: set[str] = set()
        self.count = 0
        self.pid = os.getpid()
        self._armed = False
        self._fd_files = [open(p, "rb") for p in fd_paths] if fd_paths else []  # noqa: SIM115
        # captured now: student code cannot swap what the kernel itself calls later
        self._getpid, self._exit, self._setitimer = os.getpid, os._exit, signal.setitimer
        self._signal = signal.signal
        self._monotonic = time.perf_counter
        # an ipykernel shows a warning once per location *per cell*: the "already shown"
        # registries are invalidated before every cell (a stderr output costs a test its points)
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
            ``{"type": "result", "index", "outputs", "status", "ename", "evalue",
            "duration", "tamper", "notes", "dropped"}``.
        """
        collector = OutputCollector(cap=self.output_cap)
        tamper: list[str] = []
        notes: list[str] = []
        shadowed: dict[str, Any] = {}
        before: dict[str, int] = {}
        if cell.trusted:
            tamper += self._prepare_trusted(shadowed)
            before = {k: id(v) for k, v in self.ns.items()}
        self._install_io(collector)
        start = self._monotonic()
        error = self._execute(cell, collector)
        duration = self._monotonic() - start
        if self._getpid() != self.pid:  # a fork made by student code: it must not report
            self._exit(0)
        self._restore_io()
        self._read_fd_output(collector)
        if cell.trusted:
            for name, value in shadowed.items():
                self.ns.setdefault(name, value)
            if cell.test:
                changed = [str(c) for c in self.guard.changes()]
                if changed:
                    self.guard.restore()
                    detail = ", ".join(changed[:5])
                    collector.error(
                        "IntegrityError",
                        f"protected state was modified while the test ran: {detail}",
                        [f"IntegrityError: protected state was modified during the test: {detail}"],
                    )
                    tamper += [f"{c} during test cell" for c in changed]
                    error = error or ("IntegrityError", detail)
            else:
                self.guard.accept()
            self._record_trusted_bindings(before, cell)
        else:
            tamper += self.guard.restore()
        if collector.dropped:
            collector.truncated()
            notes.append(f"output truncated ({collector.dropped} characters over the cap)")
        return {
            "type": "result",
            "index": cell.index,
            "outputs": collector.outputs,
            "status": "error" if error else "ok",
            "ename": error[0] if error else None,
            "evalue": error[1] if error else None,
            "duration": duration,
            "tamper": tamper,
            "notes": notes,
            "dropped": collector.dropped,
        }

    def _prepare_trusted(self, shadowed: dict[str, Any]) -> list[str]:
        tamper = self.guard.restore()
        ns = self.ns
        if ns.get("__builtins__") is not builtins:
            ns["__builtins__"] = builtins
            tamper.append("__builtins__ rebound in the notebook namespace")
        for name, value in self.trusted_bindings.items():
            if ns.get(name, _MISSING) is not value:
                ns[name] = value
                tamper.append(f"'{name}' (bound by an instructor cell) was rebound by student code")
        for name in [k for k in ns if k in _BUILTIN_NAMES and k not in self.trusted_bindings]:
            shadowed[name] = ns.pop(name)
        return tamper

    def _record_trusted_bindings(self, before: dict[str, int], cell: CellRequest) -> None:
        for name, value in self.ns.items():
            if before.get(name) == id(value) or name in self.protected_names:
                continue
            if name.startswith("_"):
                continue
            if _is_trusted_object(value, self.trusted_files):
                self.trusted_bindings[name] = value

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
            if cell.trusted:
                self.trusted_files.add(filename)
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


_MISSING = object()


def _run_code(code: types.CodeType, ns: dict[str, Any]) -> Any:
    if code.co_flags & inspect.CO_COROUTINE:  # top-level await, as IPython allows
        return asyncio.new_event_loop().run_until_complete(eval(code, ns))
    return eval(code, ns)


def _is_trusted_object(value: Any, trusted_files: set[str]) -> bool:
    """Modules, and callables that come from instructor cells or protected modules."""
    if isinstance(value, types.ModuleType):
        return True
    if isinstance(value, types.FunctionType) and value.__code__.co_filename in trusted_files:
        return True
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, type)):
        module = getattr(value, "__module__", None)
        return isinstance(module, str) and any(
            module == p or module.startswith(p + ".") for p in PROTECTED_PREFIXES
        )
    return type(value).__name__ in ("ufunc", "_ArrayFunctionDispatcher")


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


def serve(
    kernel: Kernel, read_fd: int, write_fd: int, limits: dict[str, Any] | None = None
) -> None:
    """Answer cell requests from the worker until told to stop, then exit the process.

    Parameters
    ----------
    kernel : Kernel
        Ready to run cells.
    read_fd, write_fd : int
        Pipe ends shared with the worker.
    limits : dict, optional
        Echoed back in the first message (for the record).
    """
    reader = FrameReader(read_fd)
    write_message(write_fd, {"type": "started", "pid": os.getpid(), "limits": limits or {}})
    while True:
        try:
            message = reader.read()
        except ChannelClosed:
            break
        if message is None or message.get("op") != "cell":
            break
        cell = CellRequest(
            index=int(message["index"]),
            source=str(message["source"]),
            trusted=bool(message.get("trusted")),
            test=bool(message.get("test")),
            timeout=float(message.get("timeout", 30.0)),
        )
        result = kernel.run(cell)
        if kernel._getpid() != kernel.pid:
            kernel._exit(0)
        result["nonce"] = str(message.get("nonce", ""))
        try:
            write_message(write_fd, result)
        except (OSError, TypeError, ValueError) as exc:
            write_message(
                write_fd,
                {
                    "type": "result",
                    "index": cell.index,
                    "outputs": [],
                    "status": "error",
                    "ename": "GraderError",
                    "evalue": f"could not send the cell's outputs: {exc}",
                    "duration": result.get("duration", 0.0),
                    "tamper": result.get("tamper", []),
                    "notes": [],
                    "dropped": 0,
                    "nonce": result["nonce"],
                },
            )
    kernel._exit(0)
