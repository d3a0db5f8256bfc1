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

This module defines the checks a notebook's visible cells use (arrays, numbers, gradient checks,
the form of quiz answers). The checks hidden tests run against the reference implementation
(:func:`hidden_test`, :func:`assert_module_matches`, :func:`assert_loss_matches`...) live in
:mod:`course_lib.hidden_checks` and are importable from here too, e.g.::

    import course_lib.testing as ct


    @ct.hidden_test(seed=7)
    def _test(rng):
        from course_lib.activations import ReLU as RefReLU

        ct.assert_own_implementation(ReLU, reference=RefReLU)
        ct.check_elementwise(ReLU, RefReLU, rng, name="ReLU", kinks=(0.0,))

This file stays a single module on purpose: while ``course grade`` runs a submission, the
submission's process gets ``course_lib.testing`` as stubs of the functions defined in this file
(the checks themselves run in the judge), so what a locked set-up cell imports is defined here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import numpy as np

from ._trusted import (
    _REAL_SCALAR_TYPES,
    REL_FLOOR,
    _abs,
    _argmax,
    _array_equal,
    _catch_warnings,
    _count_nonzero,
    _default_rng,
    _describe_error,
    _dtype,
    _errstate,
    _fail,
    _float,
    _float64,
    _fmt_index,
    _fmt_value,
    _getattr,
    _int,
    _isfinite,
    _isfinite_scalar,
    _isinstance,
    _isnan,
    _len,
    _list,
    _Mapping,
    _maximum,
    _named_parameters,
    _ndarray,
    _np_array,
    _preview,
    _repr,
    _Sequence,
    _simplefilter,
    _str,
    _tuple,
    _type,
    _type_name,
    _unravel_index,
    _walk_tb,
    _warning_note,
    _where,
    _zeros_like,
)

_F = TypeVar("_F", bound=Callable[..., Any])


def _quiet(func: _F) -> _F:
    """Run a helper with numpy's floating-point warnings off: comparing a student's ``inf``
    with the expected value must not print a warning (nbgrader scores a cell that writes to
    stderr 0). Student code called inside runs under :class:`calling`, which turns them back on
    and records them."""

    @functools.wraps(func)
    def quiet(*args: Any, **kwargs: Any) -> Any:
        with _errstate(all="ignore"):
            return func(*args, **kwargs)

    return quiet  # type: ignore[return-value]


#: The helpers of :mod:`course_lib.hidden_checks`, importable from this module too.
HIDDEN_CHECKS = (
    "hidden_test",
    "assert_module_matches",
    "assert_forward_matches",
    "assert_loss_matches",
    "assert_kink_convention",
    "check_elementwise",
    "assert_local_backward",
    "assert_backward",
    "accumulating_ops",
    "paired_graphs",
    "chain_graph",
    "shared_graph",
    "assert_train_matches",
    "assert_gradient_check",
    "assert_settings_reach",
    "assert_own_implementation",
    "randomize_parameters",
    "set_parameter",
    "get_grad",
    "away_from",
)

__all__ = [
    "REL_FLOOR",
    "calling",
    "as_mapping",
    "as_numbers",
    "assert_array",
    "assert_shape",
    "assert_close",
    "as_number",
    "assert_scalar_close",
    "assert_not_mutated",
    "max_rel_error",
    "max_rel_error_of",
    "check_gradients",
    "assert_choice",
    "assert_choice_format",
    "assert_number_close",
    "assert_number_format",
    *HIDDEN_CHECKS,
]


class calling:  # noqa: N801 - a context manager, named like np.errstate
    """Context manager around a call into the student's code, with the checks of its result.

    Every test cell runs the student's functions and methods inside one of these::

        with calling("Linear(3, 2).backward(grad_output)", x=x, grad_output=g):
            dx = layer.backward(g)
            assert_close(dx, expected, name="dL/dx")

    - **Warnings are recorded, never printed.** A correct result earns its points even if numpy
      warned on the way (an ``exp`` that overflowed in the branch ``np.where`` does not take):
      nbgrader would score a test cell that writes to stderr 0. When a check inside the block
      fails, the warnings are added to its message as a clue.
    - **numpy's error state** is its default (warn on division by zero, overflow and invalid
      values, ignore underflow) whatever the notebook set with ``np.seterr``.
    - **An exception raised by the student's code** (numpy's broadcasting errors...) becomes an
      ``AssertionError`` that names the call, the error, the line of the notebook, the shapes
      of the inputs, the test's hint and what numpy's message usually means.
    - **The arrays passed as keywords** must be unchanged at the end of the block.

    Parameters
    ----------
    what : str
        The call as the student would write it, e.g. ``"softmax(z)"``.
    hint : str, optional
        The idea behind the typical mistake here, added when the student's code raises.
    **inputs : object
        The inputs handed to the student's code, by name; arrays among them are guarded.

    Attributes
    ----------
    warnings : list
        The ``warnings.WarningMessage`` records of the block (after it ended).
    """

    def __init__(self, what: str, *, hint: str | None = None, **inputs: object) -> None:
        self.what = _str(what)
        self.hint = hint
        self.inputs = inputs
        self.warnings: list[Any] = []

    def __enter__(self) -> calling:
        self._before = [
            (k, _np_array(v, copy=True), v)
            for k, v in self.inputs.items()
            if _isinstance(v, _ndarray)
        ]
        self._catcher = _catch_warnings(record=True)
        self.warnings = self._catcher.__enter__()
        _simplefilter("always")
        self._state = _errstate(divide="warn", over="warn", invalid="warn", under="ignore")
        self._state.__enter__()
        return self

    def __exit__(self, etype: Any, exc: BaseException | None, tb: Any) -> bool:
        self._state.__exit__(None, None, None)
        self._catcher.__exit__(None, None, None)
        note = _warning_note(self.what, self.warnings)
        if exc is None:
            try:
                _check_unchanged(self._before, None)
            except AssertionError as failure:
                _raise_with_note(failure, note)
            return False
        if not _isinstance(exc, Exception):
            return False  # an interrupt or a timeout: not the student's mistake to explain
        if _isinstance(exc, AssertionError) and not _raised_by_student(exc):
            _raise_with_note(exc, note)
            return False
        message = _describe_error(self.what, exc, self.inputs, self.hint)
        raise AssertionError(message + (f"\n{note}" if note else "")) from None


def _raised_by_student(exc: BaseException) -> bool:
    """Whether an exception came from the notebook's code (its own ``assert``, say)."""
    if _getattr(_type(exc), "remote_type", None) is not None:  # the judge: another process
        return True
    last = None
    for frame, _ in _walk_tb(exc.__traceback__):
        last = frame
    return last is not None and last.f_globals.get("__name__") == "__main__"


def _raise_with_note(failure: AssertionError, note: str | None) -> None:
    """Re-raise a failed check with the warnings note appended (once)."""
    message = _str(failure)
    if note is None or note in message:
        raise failure
    raise AssertionError(f"{message}\n{note}") from None


def as_mapping(
    actual: object,
    *,
    name: str,
    keys: Sequence[object] | None = None,
    hint: str | None = None,
) -> dict[Any, Any]:
    """Check that ``actual`` behaves as a mapping and return a plain dict of its items.

    Any mapping is accepted (``dict``, ``OrderedDict``, any ``collections.abc.Mapping``, or an
    object with ``keys()`` and item access): what matters is what it maps, not its type.

    Parameters
    ----------
    actual : object
        The student's result.
    name : str
        How to call it in messages, e.g. ``"gradient_check(...)"``.
    keys : sequence, optional
        When given, the keys it must have (in any order), no more, no fewer.
    hint : str, optional
        Added to failure messages.
    """
    getter = None if _isinstance(actual, _Mapping) else _getattr(actual, "keys", None)
    if not _isinstance(actual, _Mapping) and (getter is None or not callable(getter)):
        extra = " (did you forget a `return` statement?)" if actual is None else ""
        _fail(f"{name} must be a mapping such as a dict, got {_type_name(actual)}{extra}", hint)
    found = {k: actual[k] for k in _list(actual.keys())}
    if keys is not None:
        want = _list(keys)
        missing = [k for k in want if k not in found]
        extra_keys = [k for k in found if k not in want]
        if missing or extra_keys:
            parts = []
            if missing:
                parts.append(f"missing {missing}")
            if extra_keys:
                parts.append(f"unexpected {extra_keys}")
            _fail(f"{name} must have the keys {want}: {', '.join(parts)}", hint)
    return found


def as_numbers(
    actual: object, *, name: str, length: int | None = None, hint: str | None = None
) -> np.ndarray:
    """Check that ``actual`` is a sequence of real numbers and return them as a float64 array.

    A list, a tuple, a 1-D array or any other sequence is accepted (not a string); each item
    must be a number (see :func:`as_number`).

    Parameters
    ----------
    actual : object
        The student's result.
    name : str
        How to call it in messages, e.g. ``"the history returned by train"``.
    length : int, optional
        When given, the number of items it must have.
    hint : str, optional
        Added to failure messages.

    Returns
    -------
    np.ndarray
        Shape ``(length,)``, float64.
    """
    if _isinstance(actual, _ndarray):
        if actual.ndim != 1:
            _fail(
                f"{name} must be a sequence of numbers, got an array of shape {actual.shape}", hint
            )
        items = [actual[i] for i in range(actual.shape[0])]
    elif _isinstance(actual, _Sequence) and not _isinstance(actual, (str, bytes)):
        items = _list(actual)
    else:
        extra = " (did you forget a `return` statement?)" if actual is None else ""
        _fail(
            f"{name} must be a sequence of numbers (a list), got {_type_name(actual)}{extra}", hint
        )
    if length is not None and _len(items) != length:
        _fail(f"{name} has {_len(items)} entries, expected {length}", hint)
    values = [as_number(v, name=f"{name}[{i}]", hint=hint) for i, v in enumerate(items)]
    return _np_array(values, dtype=_float64).reshape(-1)


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


@_quiet
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


@_quiet
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
    both = (a != 0) & (e != 0) & finite_e
    if _int(_count_nonzero(both)) >= 2 and _int(_count_nonzero((a == 0) != (e == 0))) == 0:
        ratio = e[both] / a[both]
        if _abs(ratio - ratio[0]).max() <= 1e-9 * _abs(ratio[0]):
            lines.append(
                f"  note: every element is off by the same factor, expected / got = "
                f"{_fmt_value(ratio[0])} (a missing or extra scale, such as 1/N?)"
            )
    pe, pa = _preview(e), _preview(a)
    if pe is not None and pa is not None:
        lines.append(f"  expected: {pe}")
        lines.append(f"  got:      {pa}")
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


@_quiet
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

    :class:`calling` does this too, and more; this one only guards the arrays.

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
    before = [
        (k, _np_array(v, copy=True), v) for k, v in arrays.items() if _isinstance(v, _ndarray)
    ]
    yield
    _check_unchanged(before, hint)


def _check_unchanged(before: list[tuple[str, np.ndarray, np.ndarray]], hint: str | None) -> None:
    """Fail if an array changed since its copy ``old`` was taken (``(name, old, array)``)."""
    for key, old, arr in before:
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
                or "never write into an input array: work on a copy, or use operations that "
                "make a new array (np.maximum(x, 0), a = a + b) instead of in-place ones",
            )


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


@_quiet
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
    with calling("creating the module to check", hint=hint):
        module = module_factory()
    who = name or _type_name(module)
    with calling(f"{who}.forward(x)", hint=hint, x=x):
        raw = module.forward(x.copy())
        out = assert_array(raw, name=f"{who}.forward(x)")
        if raw.dtype != _float64:
            _fail(
                f"{who}.forward(x) returned dtype {raw.dtype} for a float64 input: a gradient "
                "check needs float64 all the way",
                hint,
            )
    w = _default_rng(seed).standard_normal(out.shape)
    params = _named_parameters(module, who)
    for pname, p in params:
        if not (_isinstance(p.data, _ndarray) and p.data.dtype == _float64):
            _fail(f"{who}: parameter {pname} must hold a float64 ndarray for a gradient check")
        p.grad = _zeros_like(p.data)
    with calling(f"{who}.backward(grad_output)", hint=hint, x=x, grad_output=w):
        module.forward(x.copy())
        dx = module.backward(w.copy())
        analytic = {pn: assert_array(p.grad, name=f"{who} {pn}.grad") for pn, p in params}

    def outputs(xx: np.ndarray) -> np.ndarray:
        return _np_array(module.forward(xx), dtype=_float64, copy=True)

    errors: dict[str, float] = {}
    with calling(f"{who}.forward(x) for the numerical gradient", hint=hint):
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


def max_rel_error_of(actual: object, expected: np.ndarray) -> float:
    """:func:`max_rel_error` of an already checked array ``actual`` against ``expected``."""
    return max_rel_error(_np_array(actual, dtype=_float64, copy=True, subok=False), expected)


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


def __getattr__(name: str) -> Any:
    """Serve the names of :mod:`course_lib.hidden_checks` (imported on first use)."""
    if name in HIDDEN_CHECKS:
        from . import hidden_checks

        return _getattr(hidden_checks, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(HIDDEN_CHECKS))
