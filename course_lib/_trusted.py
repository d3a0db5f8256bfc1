"""What the test helpers share: functions captured when they were imported, and message helpers.

:mod:`course_lib.testing` (the checks a notebook's visible cells use) and
:mod:`course_lib.hidden_checks` (the checks hidden tests run against the reference) compare
students' results with the functions bound here, when ``course_lib.testing`` was first imported
(a notebook's first, locked cell), so a notebook that later rebinds ``np.allclose`` or
``builtins.isinstance`` changes nothing in them.
"""

from __future__ import annotations

import builtins
import collections.abc
import contextvars
import linecache
import math
import traceback
import warnings
from typing import Any, NoReturn

import numpy as np

from .modules import Parameter as _Parameter

# -- trusted functions, captured at import time ---------------------------------------------------
_ndarray = np.ndarray
_np_array = np.array
_float64 = np.float64
_dtype = np.dtype
_abs = np.abs
_maximum = np.maximum
_isfinite = np.isfinite
_isnan = np.isnan
_argmax = np.argmax
_unravel_index = np.unravel_index
_array_equal = np.array_equal
_count_nonzero = np.count_nonzero
_where = np.where
_full = np.full
_array2string = np.array2string
_zeros_like = np.zeros_like
_default_rng = np.random.default_rng
_isinstance = builtins.isinstance
_issubclass = builtins.issubclass
_type = builtins.type
_getattr = builtins.getattr
_len = builtins.len
_float = builtins.float
_int = builtins.int
_str = builtins.str
_repr = builtins.repr
_tuple = builtins.tuple
_list = builtins.list
_callable = builtins.callable
_zip = builtins.zip
_isfinite_scalar = math.isfinite
_sorted = builtins.sorted
_dict = builtins.dict
_hasattr = builtins.hasattr
_Mapping = collections.abc.Mapping
_Sequence = collections.abc.Sequence
_catch_warnings = warnings.catch_warnings
_simplefilter = warnings.simplefilter
_errstate = np.errstate
_walk_tb = traceback.walk_tb
_getline = linecache.getline

_REAL_SCALAR_TYPES = (
    float,
    int,
    np.float64,
    np.float32,
    np.float16,
    np.longdouble,
    np.int64,
    np.int32,
    np.int16,
    np.int8,
    np.uint64,
    np.uint32,
    np.uint16,
    np.uint8,
)

#: Denominator floor of the relative error, as in :func:`course_lib.gradcheck.rel_error`.
REL_FLOOR = 1e-8

#: True while a hidden test runs: messages then leave out what the student's code chose (an
#: exception's message, a function's name, a line of the notebook), which could carry the
#: hidden test's inputs out; the grader drops such messages altogether.
IN_HIDDEN_TEST: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "in_hidden_test", default=False
)


def _fail(message: str, hint: str | None = None) -> NoReturn:
    """Raise ``AssertionError(message)``, with ``hint`` on an indented second line.

    The hint comes right after the message's first line, before any detail, so that it
    survives when a grader keeps only the start of a long message.
    """
    if hint:
        first, _, rest = message.partition("\n")
        message = f"{first}\n  hint: {hint}" + (f"\n{rest}" if rest else "")
    raise AssertionError(message)


def _type_name(obj: object) -> str:
    return _type(obj).__name__


def _fmt_index(index: tuple[int, ...]) -> str:
    if _len(index) == 0:
        return "()"
    if _len(index) == 1:
        return f"[{index[0]}]"
    return "(" + ", ".join(_str(i) for i in index) + ")"


def _fmt_value(v: float) -> str:
    return f"{v:.10g}"


def _preview(a: np.ndarray, limit: int = 12) -> str | None:
    if a.size > limit:
        return None
    return _array2string(a, precision=6, separator=", ", max_line_width=90).replace("\n", " ")


def _named_parameters(module: Any, name: str) -> list[tuple[str, Any]]:
    """``module.named_parameters()`` after checking it gives ``(str, Parameter)`` pairs."""
    getter = _getattr(module, "named_parameters", None)
    if not _callable(getter):
        _fail(f"{name} has no named_parameters() method: subclass Module")
    params = getter()
    out = []
    for item in params:
        if not (_isinstance(item, _tuple) and _len(item) == 2):
            _fail(f"{name}.named_parameters() must give (name, Parameter) pairs, got {item!r}")
        pname, p = item
        if not _isinstance(p, _Parameter):
            _fail(f"{name}: parameter {pname!r} must be a Parameter, got {_type_name(p)}")
        out.append((_str(pname), p))
    return out


# -- what happened inside a student's call ------------------------------------------------------
#: numpy's own words -> what they usually mean in a student's code. Checked in order.
_NUMPY_HINTS = (
    (
        "non-broadcastable output operand",
        "an in-place `a += b` (or `-=`) keeps the shape of `a`, so `b` must fit it: a "
        "gradient added into p.grad must have the shape of p itself",
    ),
    (
        "could not be broadcast",
        "two arrays whose shapes do not fit were combined elementwise: compare their shapes "
        "(a sum over the wrong axis, a missing keepdims=True, or a transpose?)",
    ),
    (
        "matmul",
        "the inner dimensions of a matrix product must agree, (N, D) @ (D, M) -> (N, M): "
        "check which operand needs a transpose",
    ),
    (
        "not aligned",
        "the inner dimensions of a matrix product must agree, (N, D) @ (D, M) -> (N, M): "
        "check which operand needs a transpose",
    ),
    ("out of bounds", "an index is out of range: check which axis you index along"),
    ("too many indices", "an array was indexed with more indices than it has axes"),
    ("NoneType", "a value is None where an array was expected: a missing `return`?"),
    ("recursion depth", "the recursion went too deep: does it stop, and visit a node only once?"),
)

#: Warnings numpy gives -> what they usually mean.
_WARNING_HINTS = (
    (
        "overflow encountered in exp",
        "an exp overflowed to inf (its argument was above about 709): harmless when the inf "
        "cancels out, as in 1 / (1 + inf) = 0, wrong when it becomes inf / inf = nan",
    ),
    (
        "divide by zero encountered in log",
        "log(0) = -inf: a probability underflowed to 0, or a zero target was not skipped",
    ),
    ("divide by zero", "a division by zero"),
    ("invalid value", "an operation such as 0/0, inf - inf or 0 * inf produced nan"),
    ("overflow", "a number grew beyond float64's range (about 1e308)"),
)


def _shape_text(value: object) -> str:
    """``(4, 3) float64`` for an array, the type's name for anything else."""
    if _isinstance(value, _ndarray):
        return f"{value.shape} {value.dtype}"
    if _type(value) in _REAL_SCALAR_TYPES:
        return _repr(value)
    return _type_name(value)


def _numpy_hint(message: str) -> str | None:
    """What numpy's error message usually means, or None."""
    for pattern, hint in _NUMPY_HINTS:
        if pattern in message:
            return hint
    return None


def _student_line(exc: BaseException) -> str | None:
    """The innermost line of the notebook's own code below the test's call (plain
    ``nbgrader autograde``), e.g. ``in backward, line 9: self.bias.grad += grad_output``.

    The first frame of the traceback is the test's own (where the call was made) and is
    skipped. Under ``course grade`` the student's code runs in another process, whose error
    message already says where (``raised in your code at cell 3, line 12``): None then.
    """
    if _getattr(_type(exc), "remote_type", None) is not None:
        return None
    found = None
    for depth, (frame, lineno) in enumerate(_walk_tb(exc.__traceback__)):
        if depth and frame.f_globals.get("__name__") == "__main__":
            code = frame.f_code
            text = _getline(code.co_filename, lineno).strip()
            found = f"in {code.co_name}, line {lineno}" + (f": {text}" if text else "")
    return found


def _describe_error(what: str, exc: BaseException, inputs: dict[str, Any], hint: str | None) -> str:
    """The message of a failure raised inside a student's call.

    What was called and the error first, then the test's hint and what numpy's message
    usually means, then the shapes of the inputs and where in the notebook (what comes first
    survives when a grader keeps only the start of a message). In a hidden test the student's
    own words (the error's message, the line) are left out: see :data:`IN_HIDDEN_TEST`.
    """
    try:
        message = _str(exc)
    except Exception:
        message = "(its message could not be read)"
    first, _, rest = message.partition("\n")
    hidden = IN_HIDDEN_TEST.get()
    lines = [f"{what} raised {_type_name(exc)}" + ("" if hidden else f": {first}")]
    if hint:
        lines.append(f"  hint: {hint}")
    general = _numpy_hint(message)
    if general:
        lines.append(f"  what the error means: {general}")
    if inputs:
        lines.append("  inputs: " + ", ".join(f"{k} {_shape_text(v)}" for k, v in inputs.items()))
    if not hidden:
        where = _student_line(exc)
        if where:
            lines.append(f"  in your code {where}")
        elif rest.strip():
            lines.append(rest.rstrip())
    return "\n".join(lines)


def _warning_note(what: str, records: list[Any]) -> str | None:
    """One line naming the warnings a student's call raised (each once), with their meaning.

    In a hidden test only the meaning of numpy's own warnings is given (see
    :data:`IN_HIDDEN_TEST`): a warning's text can be chosen by the student's code.
    """
    seen: list[str] = []
    for record in records:
        try:
            text = f"{record.category.__name__}: {record.message}"
        except Exception:
            continue
        if text not in seen:
            seen.append(text)
    if not seen:
        return None
    meaning = next((m for p, m in _WARNING_HINTS if any(p in s for s in seen)), None)
    if IN_HIDDEN_TEST.get():
        return f"  while running {what}, numpy warned: {meaning}" if meaning else None
    note = f"  while running {what}, numpy warned: " + "; ".join(seen[:3])
    return note + (f" ({meaning})" if meaning else "")
