"""What the test helpers share: functions captured when they were imported, and message helpers.

:mod:`course_lib.testing` (the checks a notebook's visible cells use) and
:mod:`course_lib.hidden_checks` (the checks hidden tests run against the reference) compare
students' results with the functions bound here, when ``course_lib.testing`` was first imported
(a notebook's first, locked cell), so a notebook that later rebinds ``np.allclose`` or
``builtins.isinstance`` changes nothing in them.
"""

from __future__ import annotations

import builtins
import math
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


def _fail(message: str, hint: str | None = None) -> NoReturn:
    """Raise ``AssertionError(message)``, with ``hint`` on an indented second line."""
    if hint:
        message = f"{message}\n  hint: {hint}"
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
