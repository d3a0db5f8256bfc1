"""Errors across the object channel: what the judge raises for the other process's failures.

An exception raised by code in the other process is never rebuilt as itself: it becomes a
:class:`RemoteError` made here, a subclass of the matching builtin (``ValueError``...) so that
``pytest.raises`` and ``except`` clauses in the tests work, carrying the remote type's name and
a capped message. :func:`describe` is the other direction: an exception of this process in the
form that crosses the channel.
"""

from __future__ import annotations

import builtins
from typing import Any

#: Longest error message or ``repr`` kept from the other side (characters).
MAX_MESSAGE = 2000
#: Ends the message of every exception raised by the other process's code.
FROM_OTHER_SIDE = " [raised by your code]"
_BUILTIN_ERRORS = frozenset(
    "ValueError TypeError IndexError KeyError AttributeError ZeroDivisionError ArithmeticError "
    "AssertionError RuntimeError NotImplementedError RecursionError OverflowError NameError "
    "FloatingPointError LookupError MemoryError ImportError ModuleNotFoundError "
    "PermissionError".split()
)


class RemoteError(Exception):
    """An exception raised by code in the other process (its type name and message only)."""

    remote_type: str = "Exception"


class CellTimeoutError(BaseException):
    """The submission's code did not answer before the cell's deadline."""


class ProcessGone(RuntimeError):
    """The submission's process has ended; nothing more can be asked of it."""


_error_classes: dict[str, type[RemoteError]] = {}


def remote_error(name: str, message: str) -> RemoteError:
    """An exception standing for one raised remotely, of a class made here.

    Parameters
    ----------
    name : str
        The remote exception's type name (only builtin names get a builtin base).
    message : str
        Its message, already capped.
    """
    if name not in _error_classes:
        base = getattr(builtins, name) if name in _BUILTIN_ERRORS else None
        bases = (RemoteError, base) if base is not None else (RemoteError,)
        label = name if base is not None else "RemoteError"
        _error_classes[name] = type(label, bases, {"remote_type": name})
    cls = _error_classes[name]
    exc = cls.__new__(cls)
    Exception.__init__(exc, message if cls.__name__ == name else f"{name}: {message}")
    return exc


def describe(exc: BaseException, frames: bool = True) -> dict[str, Any]:
    """The wire form of an exception: type name, capped message, frames in notebook cells."""
    try:
        message = str(exc)[:MAX_MESSAGE]
    except Exception:
        message = "(the exception's message could not be read)"
    where: list[str] = []
    tb = exc.__traceback__ if frames else None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.startswith("<cell "):
            where.append(f"{code.co_filename[1:-1]}, line {tb.tb_lineno}, in {code.co_name}")
        tb = tb.tb_next
    return {"type": type(exc).__name__[:80], "message": message, "where": where[-3:]}
