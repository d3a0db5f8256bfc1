"""Assertion helpers with hints, used by the exercises' public and hidden tests.

A failing check raises ``AssertionError`` with a message that says what was expected, what came
out, where (the index of the worst element) and, when the test author gave one, a hint about the
typical mistake::

    Linear.backward: bias.grad has shape (1, 3), expected (3,)
      hint: sum the upstream gradient over the batch axis: grad_output.sum(axis=0)

The helpers do not trust the objects they check. Student results are type-checked first, then
copied into plain float64 ndarrays (``np.array(x, dtype=float64, copy=True)``) before any
comparison, and every numpy function used for comparing was bound when this module was imported,
so rebinding ``np.allclose`` (or ``np.abs``...) later in a notebook changes nothing here. No
``==`` is ever evaluated on a student's object.

Import this module in a notebook's first (locked) cell, before any student code runs.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import numpy as np

from .modules import Parameter as _Parameter

__all__ = [
    "assert_close",
    "assert_scalar_close",
    "assert_shape",
    "assert_array",
    "assert_not_mutated",
    "check_gradients",
    "assert_module_matches",
    "assert_own_implementation",
    "set_parameter",
    "get_grad",
    "as_number",
    "assert_choice",
    "assert_choice_format",
    "assert_number_close",
    "assert_number_format",
    "away_from",
    "max_rel_error",
]

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
_callable = builtins.callable
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


def assert_array(actual: object, *, name: str = "output", hint: str | None = None) -> np.ndarray:
    """Check that ``actual`` is a real-valued ndarray and return a float64 copy of it.

    Parameters
    ----------
    actual : object
        What the student's code returned.
    name : str
        How to call it in messages, e.g. ``"Linear.forward(x)"``.
    hint : str, optional
        Added to the failure message.

    Returns
    -------
    np.ndarray
        A plain float64 copy, same shape as ``actual``.
    """
    if not _isinstance(actual, _ndarray):
        extra = ""
        if actual is None:
            extra = " (did you forget a `return` statement?)"
        _fail(f"{name} must be a numpy array (np.ndarray), got {_type_name(actual)}{extra}", hint)
    kind = actual.dtype.kind
    if kind not in "biuf":
        _fail(f"{name} must hold real numbers, got an array of dtype {actual.dtype}", hint)
    return _np_array(actual, dtype=_float64, copy=True, subok=False)


def assert_shape(
    actual: object, shape: Sequence[int], *, name: str = "output", hint: str | None = None
) -> None:
    """Check that ``actual`` is an ndarray of shape ``shape``.

    Parameters
    ----------
    actual : object
        The array to check.
    shape : tuple of int
        The expected shape.
    name : str
        How to call the array in messages.
    hint : str, optional
        Added to the failure message, e.g. ``"sum over the batch axis"``.
    """
    shape = _tuple(_int(s) for s in shape)
    a = assert_array(actual, name=name, hint=hint)
    if a.shape != shape:
        _fail(f"{name} has shape {a.shape}, expected {shape}", hint)


def _check_dtype(actual: np.ndarray, dtype: Any, name: str, hint: str | None) -> None:
    if dtype is None:
        return
    want = _dtype(dtype)
    if actual.dtype != want:
        extra = ""
        if want == _float64 and actual.dtype.kind == "f":
            extra = f": keep float64 all the way (something turned the result into {actual.dtype})"
        elif want.kind == "f" and actual.dtype.kind in "biu":
            extra = ": the result was computed with integers (e.g. a boolean mask) and never cast"
        _fail(f"{name} has dtype {actual.dtype}, expected {want}{extra}", hint)


def max_rel_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """The largest elementwise ``|a - e| / max(1e-8, |a| + |e|)`` (0.0 for empty arrays).

    Parameters
    ----------
    actual, expected : np.ndarray
        Same shape; trusted float arrays.
    """
    a = _np_array(actual, dtype=_float64)
    e = _np_array(expected, dtype=_float64)
    if a.size == 0:
        return 0.0
    rel = _abs(a - e) / _maximum(REL_FLOOR, _abs(a) + _abs(e))
    return _float(rel.max())


def assert_close(
    actual: object,
    expected: object,
    *,
    name: str = "output",
    max_rel_error: float = 1e-7,
    rtol: float | None = None,
    atol: float = 0.0,
    dtype: Any = None,
    hint: str | None = None,
) -> None:
    """Check an array against the expected one: type, shape, dtype, finiteness, then values.

    Values are compared elementwise with the relative error of gradient checks,
    ``|a - e| / max(1e-8, |a| + |e|) <= max_rel_error``, or, when ``rtol`` is given, with
    ``|a - e| <= atol + rtol |e|``. An element also passes when ``|a - e| <= atol``.

    Parameters
    ----------
    actual : object
        The student's result; must be an ndarray.
    expected : array-like
        The correct result (trusted), any shape ``S``.
    name : str
        How to call the result in messages, e.g. ``"dL/dW"``.
    max_rel_error : float
        Threshold of the relative error (ignored when ``rtol`` is given).
    rtol, atol : float
        Tolerances of the ``allclose``-style comparison.
    dtype : numpy dtype, optional
        When given, ``actual`` must have exactly this dtype (hidden tests ask for float64).
    hint : str, optional
        Added to every failure message: the typical mistake behind this kind of failure.

    Raises
    ------
    AssertionError
        Naming what was expected, what came out, the index of the worst element and the hint.
    """
    e = _np_array(expected, dtype=_float64, copy=True)
    if _isinstance(actual, _ndarray):
        _check_dtype(actual, dtype, name, hint)
    a = assert_array(actual, name=name, hint=hint)
    if a.shape != e.shape:
        extra = ""
        if a.size == e.size:
            extra = " (same number of elements: a transpose or a reshape is off)"
        _fail(f"{name} has shape {a.shape}, expected {e.shape}{extra}", hint)
    if a.size == 0:
        return
    finite_e = _isfinite(e)
    bad_finite = ~_isfinite(a) & finite_e
    if bad_finite.any():
        idx = _tuple(_int(i) for i in _unravel_index(_argmax(bad_finite), a.shape))
        what = "nan" if _isnan(a[idx]) else _repr(_float(a[idx]))
        _fail(
            f"{name} contains {what} at index {_fmt_index(idx)} (expected {_fmt_value(e[idx])} "
            f"there); {_int(_count_nonzero(bad_finite))} of {a.size} elements are not finite",
            hint or "look for an overflow in exp (subtract the maximum first) or a division by 0",
        )
    diff = _abs(a - e)
    diff = _where(finite_e, diff, _where(a == e, 0.0, _np_array(float("inf"))))
    if rtol is not None:
        allowed = atol + rtol * _abs(e)
        score = diff / _maximum(allowed, 1e-300)
        bad = diff > allowed
        measure = "allowed |a - e| <= atol + rtol |e|"
    else:
        rel = diff / _maximum(REL_FLOOR, _abs(a) + _abs(e))
        score = rel
        bad = (rel > max_rel_error) & (diff > atol)
        measure = f"allowed relative error {max_rel_error:.0e}"
    n_bad = _int(_count_nonzero(bad))
    if n_bad == 0:
        return
    score = _where(bad, score, -1.0)
    idx = _tuple(_int(i) for i in _unravel_index(_argmax(score), a.shape))
    rel_at = diff[idx] / _float(_maximum(REL_FLOOR, _abs(a[idx]) + _abs(e[idx])))
    lines = [
        f"{name} is wrong at {n_bad} of {a.size} elements ({measure}).",
        f"  worst at index {_fmt_index(idx)}: expected {_fmt_value(e[idx])}, "
        f"got {_fmt_value(a[idx])} (relative error {rel_at:.2e})",
    ]
    pe, pa = _preview(e), _preview(a)
    if pe is not None and pa is not None:
        lines.append(f"  expected: {pe}")
        lines.append(f"  got:      {pa}")
    both = (a != 0) & (e != 0) & finite_e
    if _int(_count_nonzero(both)) >= 2 and _int(_count_nonzero((a == 0) != (e == 0))) == 0:
        ratio = e[both] / a[both]
        if _abs(ratio - ratio[0]).max() <= 1e-9 * _abs(ratio[0]):
            lines.append(
                f"  note: every element is off by the same factor, expected / got = "
                f"{_fmt_value(ratio[0])} (a missing or extra scale, such as 1/N?)"
            )
    _fail("\n".join(lines), hint)


def as_number(actual: object, *, name: str = "value", hint: str | None = None) -> float:
    """Return ``actual`` as a Python float after checking it is a real number.

    Accepts Python ``float`` / ``int``, numpy real scalars and 0-d arrays; rejects ``bool``,
    other objects and 1-element arrays of a higher dimension (say which shape was given).
    """
    if actual is None:
        _fail(f"{name} must be a number, got None (did you forget a `return` statement?)", hint)
    t = _type(actual)
    if t in _REAL_SCALAR_TYPES:
        value = _float(actual)
    elif _isinstance(actual, _ndarray):
        if actual.shape != ():
            _fail(
                f"{name} must be a single number (a float), got an array of shape {actual.shape}",
                hint or "reduce it, e.g. with .mean() or .sum(), and return float(...)",
            )
        value = _float(_np_array(actual, dtype=_float64, copy=True, subok=False).reshape(())[()])
    else:
        _fail(f"{name} must be a number (a float), got {_type_name(actual)}", hint)
    return value


def assert_scalar_close(
    actual: object,
    expected: float,
    *,
    name: str = "value",
    max_rel_error: float = 1e-7,
    atol: float = 0.0,
    hint: str | None = None,
) -> None:
    """Check a scalar (e.g. a loss value) against the expected float.

    Parameters
    ----------
    actual : object
        The student's number: a float, a numpy scalar or a 0-d array.
    expected : float
        The correct value.
    name : str
        How to call it in messages.
    max_rel_error : float
        Allowed ``|a - e| / max(1e-8, |a| + |e|)``.
    atol : float
        An absolute difference at most this large always passes.
    hint : str, optional
        Added to the failure message.
    """
    value = as_number(actual, name=name, hint=hint)
    e = _float(expected)
    if not _isfinite_scalar(value):
        _fail(
            f"{name} is {value!r}, expected {_fmt_value(e)}",
            hint or "look for an overflow in exp (subtract the maximum first) or log(0)",
        )
    diff = abs(value - e)
    rel = diff / max(REL_FLOOR, abs(value) + abs(e))
    if rel > max_rel_error and diff > atol:
        extra = ""
        if value != 0 and e != 0:
            extra = f"; expected / got = {_fmt_value(e / value)}"
        _fail(
            f"{name} is {_fmt_value(value)}, expected {_fmt_value(e)} (relative error "
            f"{rel:.2e}, allowed {max_rel_error:.0e}{extra})",
            hint,
        )


@contextmanager
def assert_not_mutated(hint: str | None = None, **arrays: np.ndarray) -> Iterator[None]:
    """Context manager: fail if code inside the block changes any of the given arrays.

    Parameters
    ----------
    hint : str, optional
        Added to the failure message.
    **arrays : np.ndarray
        The inputs handed to the student's code, by name, e.g. ``x=x, grad_output=g``.

    Examples
    --------
    >>> with assert_not_mutated(x=x):
    ...     y = layer.forward(x)
    """
    before = {k: (_np_array(v, copy=True), v) for k, v in arrays.items()}
    yield
    for key, (old, arr) in before.items():
        if not _isinstance(arr, _ndarray):
            continue
        if arr.shape != old.shape or arr.dtype != old.dtype:
            _fail(
                f"the input {key} was changed in place: shape/dtype {old.shape}/{old.dtype} "
                f"became {arr.shape}/{arr.dtype}",
                hint,
            )
        now = _np_array(arr, copy=True)
        if not _array_equal(old, now, equal_nan=True):
            changed = ~((old == now) | (_isnan(old) & _isnan(now)))
            idx = _tuple(_int(i) for i in _unravel_index(_argmax(changed), old.shape))
            _fail(
                f"the input {key} was modified in place: element {_fmt_index(idx)} was "
                f"{_fmt_value(old[idx])}, now {_fmt_value(now[idx])} "
                f"({_int(_count_nonzero(changed))} of {old.size} elements changed)",
                hint
                or "never write into an input array; work on a copy (x = x.copy()) or use "
                "out-of-place operations such as np.maximum(x, 0) and a = a + b",
            )


def _named_parameters(module: Any, name: str) -> list[tuple[str, Any]]:
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


def _numerical_vjp(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, w: np.ndarray, eps: float
) -> np.ndarray:
    """Central differences of ``sum(w * f(x))`` with respect to ``x`` (modified, then restored).

    The outputs are differenced before the weighted sum, so outputs that a perturbed entry does
    not touch cancel exactly and the round-off stays small. Returns an array shaped like ``x``.
    """
    grad = _zeros_like(x)
    flat = x.reshape(-1)
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = f(x)
        flat[i] = old - eps
        fm = f(x)
        flat[i] = old
        gflat[i] = _float((w * (fp - fm)).sum()) / (2 * eps)
    return grad


def check_gradients(
    module_factory: Callable[[], Any],
    x: np.ndarray,
    *,
    seed: int = 0,
    eps: float = 1e-6,
    max_rel_error: float = 1e-6,
    atol: float = 1e-8,
    name: str | None = None,
    hint: str | None = None,
) -> dict[str, float]:
    """Compare a module's backward with central differences of ``L = sum(w * module(x))``.

    A fresh module from ``module_factory()`` is used, so nothing the caller holds is touched.
    The projection ``w`` is seeded; ``x`` is copied.

    Parameters
    ----------
    module_factory : callable
        ``() -> Module`` with float64 parameters.
    x : np.ndarray
        Input batch, shape ``(N, D)`` (any shape the module accepts), float64.
    seed : int
        Seed of ``w``.
    eps : float
        Central-difference step.
    max_rel_error, atol : float
        Thresholds handed to :func:`assert_close` for every gradient.
    name : str, optional
        Module name in messages (default: its class name).
    hint : str, optional
        Added to failure messages.

    Returns
    -------
    dict
        ``{"input": rel_error, "<param name>": rel_error, ...}``.
    """
    x = _np_array(x, dtype=_float64, copy=True)
    module = module_factory()
    who = name or _type_name(module)
    raw = module.forward(x.copy())
    out = assert_array(raw, name=f"{who}.forward(x)")
    if raw.dtype != _float64:
        _fail(
            f"{who}.forward(x) returned dtype {raw.dtype} for a float64 input: a gradient check "
            "needs float64 all the way",
            hint,
        )
    w = _default_rng(seed).standard_normal(out.shape)
    params = _named_parameters(module, who)
    for pname, p in params:
        if not (_isinstance(p.data, _ndarray) and p.data.dtype == _float64):
            _fail(f"{who}: parameter {pname} must hold a float64 ndarray for a gradient check")
        p.grad = _zeros_like(p.data)
    module.forward(x.copy())
    dx = module.backward(w.copy())
    analytic = {pn: assert_array(p.grad, name=f"{who} {pn}.grad") for pn, p in params}

    def outputs(xx: np.ndarray) -> np.ndarray:
        return _np_array(module.forward(xx), dtype=_float64, copy=True)

    errors: dict[str, float] = {}
    num_dx = _numerical_vjp(outputs, x.copy(), w, eps)
    assert_close(
        dx,
        num_dx,
        name=f"{who}.backward: dL/dx",
        max_rel_error=max_rel_error,
        atol=atol,
        hint=hint,
    )
    errors["input"] = max_rel_error_of(dx, num_dx)
    for pname, p in params:
        num = _numerical_vjp(lambda _: outputs(x.copy()), p.data, w, eps)
        assert_close(
            analytic[pname],
            num,
            name=f"{who}.backward: {pname}.grad",
            max_rel_error=max_rel_error,
            atol=atol,
            hint=hint,
        )
        errors[pname] = max_rel_error_of(analytic[pname], num)
    return errors


def assert_module_matches(
    student: Any,
    reference: Any,
    x: np.ndarray,
    grad_output: np.ndarray,
    *,
    name: str,
    max_rel_error: float = 1e-7,
    dtype: Any = np.float64,
    hint_forward: str | None = None,
    hint_dx: str | None = None,
    param_hints: dict[str, str] | None = None,
    twice: bool = True,
) -> None:
    """Run a student's module and the reference on the same batch and compare everything.

    The reference's parameters are copied into the student's (matched by order and shape),
    then ``forward(x)``, ``backward(grad_output)``, ``dL/dx`` and each parameter gradient are
    compared; neither input may be modified. With ``twice``, a second forward/backward must
    double every parameter gradient (gradients accumulate with ``+=`` until ``zero_grad``).

    Parameters
    ----------
    student, reference : Module
        Same architecture; ``reference`` is trusted (course_lib).
    x : np.ndarray
        Input batch, shape ``(N, D_in)``, float64.
    grad_output : np.ndarray
        Upstream gradient, shape of the output ``(N, D_out)``.
    name : str
        The module in messages, e.g. ``"Linear(3 -> 4)"``.
    max_rel_error : float
        Tolerance of every comparison.
    dtype : numpy dtype or None
        Required dtype of the student's results.
    hint_forward, hint_dx : str, optional
        Hints for a wrong output and a wrong input gradient.
    param_hints : dict, optional
        Hint per parameter name (the last dotted component, e.g. ``"bias"``).
    twice : bool
        Also check the accumulation of gradients over two backward calls.
    """
    x = _np_array(x, dtype=_float64, copy=True)
    g = _np_array(grad_output, dtype=_float64, copy=True)
    s_params = _named_parameters(student, name)
    r_params = [(n, p) for n, p in reference.named_parameters()]
    if _len(s_params) != _len(r_params):
        _fail(
            f"{name} has {_len(s_params)} parameters {[n for n, _ in s_params]}, expected "
            f"{_len(r_params)}: {[n for n, _ in r_params]}",
            "store each weight and bias as a Parameter attribute (or in self.layers)",
        )
    for (sn, sp), (rn, rp) in zip(s_params, r_params, strict=True):
        set_parameter(sp, rp.data, name=f"{name}: parameter {sn!r} (expected like {rn!r})")
    reference.zero_grad()
    hints = param_hints or {}

    with assert_not_mutated(x=x):
        y = student.forward(x)
    ry = reference.forward(x.copy())
    assert_close(
        y,
        ry,
        name=f"{name}: forward(x)",
        max_rel_error=max_rel_error,
        dtype=dtype,
        hint=hint_forward,
    )
    with assert_not_mutated(x=x, grad_output=g):
        dx = student.backward(g)
    rdx = reference.backward(g.copy())
    assert_close(
        dx,
        rdx,
        name=f"{name}: dL/dx returned by backward(grad_output)",
        max_rel_error=max_rel_error,
        dtype=dtype,
        hint=hint_dx,
    )
    expected = {}
    for (sn, sp), (_, rp) in zip(s_params, r_params, strict=True):
        short = sn.rsplit(".", 1)[-1]
        expected[sn] = _np_array(rp.grad, dtype=_float64, copy=True)
        assert_close(
            get_grad(sp, name=f"{name}: {sn}.grad", hint=hints.get(short)),
            expected[sn],
            name=f"{name}: {sn}.grad",
            max_rel_error=max_rel_error,
            dtype=dtype,
            hint=hints.get(short),
        )
    if not twice:
        return
    student.forward(x)
    student.backward(g)
    for sn, sp in s_params:
        assert_close(
            get_grad(sp, name=f"{name}: {sn}.grad"),
            2.0 * expected[sn],
            name=f"{name}: {sn}.grad after two forward/backward passes",
            max_rel_error=max_rel_error,
            hint="parameter gradients must accumulate: write p.grad += ..., not p.grad = ...",
        )


def max_rel_error_of(actual: object, expected: np.ndarray) -> float:
    """:func:`max_rel_error` of an already checked array ``actual`` against ``expected``."""
    return max_rel_error(_np_array(actual, dtype=_float64, copy=True, subok=False), expected)


_FORBIDDEN_PREFIX = "course_lib"


def assert_own_implementation(
    cls: object,
    *,
    name: str,
    reference: type | Sequence[type] | None = None,
    methods: Sequence[str] = ("forward", "backward"),
) -> None:
    """Check that a graded class was written in the notebook, not taken from ``course_lib``.

    The class must be defined in the notebook (``__module__ == "__main__"``), must not be or
    subclass the reference implementation, and each listed method must be defined in the
    notebook too (not borrowed from a ``course_lib`` class).

    Parameters
    ----------
    cls : object
        What the notebook calls ``name`` (should be a class).
    name : str
        The class name in messages, e.g. ``"Linear"``.
    reference : type or sequence of types, optional
        course_lib's implementation(s) of the same thing.
    methods : sequence of str
        Method names that must be the student's own.
    """
    msg_tail = (
        "graded code must be your own implementation; do not import it from course_lib "
        "(the reference solution), write it in this notebook"
    )
    if _getattr(_type(cls), "__remote__", False):
        # a class of the graded notebook's own process, seen through the grader's judge:
        # course_lib's reference implementation does not exist in that process at all
        return
    if not _isinstance(cls, _type):
        _fail(f"{name} must be a class defined in this notebook, got {_type_name(cls)}")
    refs: tuple[type, ...] = ()
    if reference is not None:
        refs = (reference,) if _isinstance(reference, _type) else _tuple(reference)
    for ref in refs:
        if cls is ref or _issubclass(cls, ref):
            _fail(f"{name} is (or subclasses) {ref.__module__}.{ref.__qualname__}: {msg_tail}")
    module = _getattr(cls, "__module__", None)
    if module != "__main__":
        _fail(f"{name} comes from the module {module!r}, not from this notebook: {msg_tail}")
    for meth in methods:
        func = _getattr(cls, meth, None)
        if func is None:
            _fail(f"{name} has no method {meth}()")
        func = _getattr(func, "__func__", func)
        fmod = _getattr(func, "__module__", None)
        if fmod != "__main__":
            _fail(f"{name}.{meth} is defined in {fmod!r}, not in this notebook: {msg_tail}")


def set_parameter(param: object, value: np.ndarray, *, name: str, hint: str | None = None) -> None:
    """Overwrite a student's parameter in place with ``value`` and zero its gradient.

    Checks first that ``param`` is a :class:`course_lib.modules.Parameter` holding a float64
    array of ``value``'s shape, so the test controls the weights exactly.

    Parameters
    ----------
    param : object
        E.g. ``layer.weight``.
    value : np.ndarray
        The new values, shape ``S``.
    name : str
        E.g. ``"Linear(3 -> 4).weight"``.
    """
    value = _np_array(value, dtype=_float64, copy=True)
    if not _isinstance(param, _Parameter):
        _fail(
            f"{name} must be a Parameter (from course_lib.modules, imported in the first cell), "
            f"got {_type_name(param)}",
            hint,
        )
    data = param.data
    if not _isinstance(data, _ndarray):
        _fail(f"{name}.data must be an ndarray, got {_type_name(data)}", hint)
    if data.shape != value.shape:
        _fail(f"{name} has shape {data.shape}, expected {value.shape}", hint)
    if data.dtype != _float64:
        _fail(f"{name} has dtype {data.dtype}, expected float64", hint)
    data[...] = value
    param.grad = _zeros_like(value)


def get_grad(
    param: object, *, name: str, shape: Sequence[int] | None = None, hint: str | None = None
) -> np.ndarray:
    """Return a float64 copy of ``param.grad`` after checking its type and shape.

    Parameters
    ----------
    param : object
        The student's Parameter.
    name : str
        E.g. ``"weight.grad"``.
    shape : tuple of int, optional
        The required shape (that of ``param.data`` by default).
    """
    if not _isinstance(param, _Parameter):
        _fail(f"{name}: expected a Parameter, got {_type_name(param)}", hint)
    grad = assert_array(param.grad, name=name, hint=hint)
    want = _tuple(shape) if shape is not None else _tuple(param.data.shape)
    if grad.shape != want:
        _fail(f"{name} has shape {grad.shape}, expected {want}", hint)
    return grad


def _normalize_choice(answer: object, name: str, options: str | Sequence[str]) -> str:
    opts = _tuple(options)
    shown = ", ".join(_repr(o) for o in opts)
    if answer is None:
        _fail(f"{name}: no answer yet (it is None); set it to one of {shown}")
    if _type(answer) is not _str:
        _fail(f"{name} must be a string, one of {shown}; got {_type_name(answer)}")
    value = _str.lower(_str.strip(answer))
    if value not in opts:
        _fail(f"{name} must be one of {shown}, got {answer!r}")
    return value


def assert_choice_format(
    answer: object, *, name: str, options: str | Sequence[str] = "abcd"
) -> None:
    """Check that a multiple-choice answer is one of ``options`` (not whether it is right).

    ``options`` is a string of option letters (``"abcd"``) or a sequence of lowercase words.
    Case and surrounding spaces of the answer are ignored.
    """
    _normalize_choice(answer, name, options)


def assert_choice(
    answer: object, expected: str, *, name: str, options: str | Sequence[str] = "abcd"
) -> None:
    """Check a multiple-choice answer (case and spaces ignored) against the key ``expected``."""
    value = _normalize_choice(answer, name, options)
    if value != expected:
        _fail(f"{name}: {answer!r} is not the right answer")


def assert_number_format(answer: object, *, name: str) -> float:
    """Check that a numeric answer is a finite real number and return it as a float."""
    value = as_number(answer, name=name)
    if not _isfinite_scalar(value):
        _fail(f"{name} must be a finite number, got {value!r}")
    return value


def assert_number_close(
    answer: object, expected: float, *, name: str, rtol: float = 1e-3, atol: float = 1e-9
) -> None:
    """Check a numeric answer within ``|a - e| <= atol + rtol |e|``."""
    value = assert_number_format(answer, name=name)
    if not abs(value - expected) <= atol + rtol * abs(expected):
        _fail(f"{name}: {value!r} is not the right value")


def away_from(
    rng: np.random.Generator,
    shape: Sequence[int],
    kinks: Sequence[float] = (0.0,),
    *,
    margin: float = 1e-2,
    scale: float = 1.0,
) -> np.ndarray:
    """Random normal values ``scale * N(0, 1)`` that keep a distance ``margin`` from each kink.

    Values that fall within ``margin`` of a kink are pushed out to ``kink +- margin``, so
    numerical derivatives never straddle a non-differentiable point.

    Parameters
    ----------
    rng : np.random.Generator
    shape : tuple of int
    kinks : sequence of float
        The points to avoid (0 for ReLU; ``+-delta`` for Huber residuals).
    margin : float
    scale : float

    Returns
    -------
    np.ndarray
        float64, shape ``shape``.
    """
    x = scale * rng.standard_normal(_tuple(shape))
    for k in kinks:
        close = _abs(x - k) < margin
        x = _where(close, k + _where(x >= k, margin, -margin), x)
    return x
