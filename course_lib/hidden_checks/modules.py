"""Modules (layers, activations, networks) against the reference: forward, backward, twice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._trusted import (
    REL_FLOOR,
    _abs,
    _argmax,
    _fail,
    _float,
    _float64,
    _fmt_index,
    _fmt_value,
    _full,
    _int,
    _isinstance,
    _len,
    _list,
    _maximum,
    _named_parameters,
    _ndarray,
    _np_array,
    _Parameter,
    _tuple,
    _type_name,
    _unravel_index,
    _zeros_like,
    _zip,
)
from ..testing import (
    _quiet,
    assert_array,
    assert_close,
    calling,
)
from .core import away_from

__all__ = [
    "ELEMENTWISE_SHAPES",
    "set_parameter",
    "get_grad",
    "assert_forward_matches",
    "assert_module_matches",
    "check_elementwise",
    "assert_kink_convention",
]

#: Batch shapes of :func:`check_elementwise`: a single number, a single sample, small batches.
ELEMENTWISE_SHAPES = ((1, 1), (1, 7), (6, 4), (32, 10))

_AGAIN_HINT = (
    "backward must not change what forward cached: called twice with the same gradient it "
    "returns the same result (an in-place *= or -= on a cached array changes it for next time)"
)
_ACCUMULATE_HINT = (
    "parameter gradients accumulate until zero_grad(): backward adds its share into p.grad "
    "(+=) instead of replacing what is there"
)


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


def _copy_parameters(student: Any, reference: Any, name: str) -> list[tuple[str, Any, Any]]:
    """Give the student's module the reference's parameter values (matched by order)."""
    with calling(f"{name}.named_parameters()"):
        s_params = _named_parameters(student, name)
    r_params = _list(reference.named_parameters())
    if _len(s_params) != _len(r_params):
        _fail(
            f"{name} has {_len(s_params)} parameters {[n for n, _ in s_params]}, expected "
            f"{_len(r_params)}: {[n for n, _ in r_params]}",
            "store each weight and bias as a Parameter attribute (or in self.layers)",
        )
    for (sn, sp), (rn, rp) in _zip(s_params, r_params, strict=True):
        set_parameter(sp, rp.data, name=f"{name}: parameter {sn!r} (expected like {rn!r})")
    reference.zero_grad()
    return [(sn, sp, rp) for (sn, sp), (_, rp) in _zip(s_params, r_params, strict=True)]


@_quiet
def assert_forward_matches(
    student: Any,
    reference: Any,
    x: np.ndarray,
    *,
    name: str,
    max_rel_error: float = 1e-7,
    dtype: Any = np.float64,
    hint: str | None = None,
) -> None:
    """Give the student's module the reference's parameters and compare ``forward(x)``.

    Parameters
    ----------
    student, reference : Module
        Same architecture; ``reference`` is trusted (course_lib).
    x : np.ndarray
        Input batch, shape ``(N, D_in)``; must not be modified.
    name : str
        The module in messages, e.g. ``"Linear(3, 4) with N = 1"``.
    max_rel_error : float
    dtype : numpy dtype or None
        Required dtype of the output.
    hint : str, optional
    """
    x = _np_array(x, dtype=_float64, copy=True)
    _copy_parameters(student, reference, name)
    expected = reference.forward(x.copy())
    with calling(f"{name}: forward(x)", hint=hint, x=x):
        y = student.forward(x)
        assert_close(
            y,
            expected,
            name=f"{name}: forward(x)",
            max_rel_error=max_rel_error,
            dtype=dtype,
            hint=hint,
        )


@_quiet
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
    compared; neither input may be modified. With ``twice``, ``backward(grad_output)`` is
    called a second time after the same forward: it must return the same ``dL/dx`` (nothing
    cached was modified in place) and double every parameter gradient (``+=``).

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
        Also call backward a second time (same result, accumulated gradients).
    """
    x = _np_array(x, dtype=_float64, copy=True)
    g = _np_array(grad_output, dtype=_float64, copy=True)
    params = _copy_parameters(student, reference, name)
    hints = param_hints or {}

    ry = reference.forward(x.copy())
    rdx = _np_array(reference.backward(g.copy()), dtype=_float64, copy=True)
    with calling(f"{name}: forward(x)", hint=hint_forward, x=x):
        y = student.forward(x)
        assert_close(
            y,
            ry,
            name=f"{name}: forward(x)",
            max_rel_error=max_rel_error,
            dtype=dtype,
            hint=hint_forward,
        )
    with calling(f"{name}: backward(grad_output)", hint=hint_dx, x=x, grad_output=g):
        dx = student.backward(g)
        assert_close(
            dx,
            rdx,
            name=f"{name}: dL/dx returned by backward(grad_output)",
            max_rel_error=max_rel_error,
            dtype=dtype,
            hint=hint_dx,
        )
        expected = {}
        for sn, sp, rp in params:
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
    what = f"{name}: a second backward(grad_output) after the same forward"
    with calling(what, hint=_AGAIN_HINT, x=x, grad_output=g):
        dx_again = student.backward(g)
        assert_close(
            dx_again,
            rdx,
            name=f"{name}: dL/dx of a second backward(grad_output) after the same forward",
            max_rel_error=max_rel_error,
            hint=_AGAIN_HINT,
        )
        for sn, sp, _ in params:
            assert_close(
                get_grad(sp, name=f"{name}: {sn}.grad"),
                2.0 * expected[sn],
                name=f"{name}: {sn}.grad after two backward calls",
                max_rel_error=max_rel_error,
                hint=_ACCUMULATE_HINT,
            )


def check_elementwise(
    student: Callable[[], Any],
    reference: Callable[[], Any],
    rng: np.random.Generator,
    *,
    name: str,
    shapes: Sequence[Sequence[int]] = ELEMENTWISE_SHAPES,
    kinks: Sequence[float] = (),
    margin: float = 1e-3,
    scale: float = 1.0,
    hint_dx: str | None = None,
) -> None:
    """:func:`assert_module_matches` of an activation on a random batch of each shape.

    Parameters
    ----------
    student, reference : callable
        ``() -> Module``: the student's class (or a lambda giving an instance) and the
        reference's.
    rng : np.random.Generator
    name : str
        E.g. ``"LeakyReLU(0.2)"``.
    shapes : sequence of tuple of int
        Batch shapes, e.g. ``(1, 1)`` and ``(32, 10)``.
    kinks, margin, scale : see :func:`away_from`
        Inputs are ``scale * N(0, 1)``, at least ``margin`` away from each kink.
    hint_dx : str, optional
    """
    for shape in shapes:
        x = away_from(rng, shape, kinks, margin=margin, scale=scale)
        g = rng.standard_normal(_tuple(shape))
        assert_module_matches(
            student(), reference(), x, g, name=f"{name} on {_tuple(shape)}", hint_dx=hint_dx
        )


@_quiet
def assert_kink_convention(
    student: Any, reference: Any, kink: float = 0.0, *, name: str, hint: str | None = None
) -> None:
    """Check an activation exactly at its kink, where its derivative is a convention.

    Every entry of the batch ``x`` (shape ``(2, 3)``) is the kink (the second row ``-0.0``
    when the kink is 0); the upstream gradient is fixed and non-zero. The output and ``dL/dx``
    must be the reference's, whose derivative there is the one the exercise states
    (``ReLU'(0) = 0``, ``LeakyReLU'(0) = negative_slope``).

    Parameters
    ----------
    student, reference : Module
        Fresh instances (e.g. ``LeakyReLU(0.2)`` and ``RefLeakyReLU(0.2)``).
    kink : float
        Where the derivative jumps.
    name : str
        E.g. ``"LeakyReLU(0.2)"``.
    hint : str, optional
    """
    x = _full((2, 3), _float(kink))
    if kink == 0:
        x[1] = -0.0
    g = _np_array([[1.0, -2.0, 0.5], [3.0, -0.25, 1.5]])
    ry = reference.forward(x.copy())
    rdx = _np_array(reference.backward(g.copy()), dtype=_float64, copy=True)
    slope = _float(rdx[0, 0] / g[0, 0])
    who = f"{name} at x = {kink:g}, its kink"
    with calling(f"{who}: forward(x), then backward(grad_output)", x=x, grad_output=g):
        y = student.forward(x)
        dx = student.backward(g)
        assert_close(y, ry, name=f"{who}: forward(x)")
        dx = assert_array(dx, name=f"{who}: backward(grad_output)")
    if dx.shape != g.shape:
        _fail(f"{who}: backward(grad_output) has shape {dx.shape}, expected {g.shape}")
    rel = _abs(dx - rdx) / _maximum(REL_FLOOR, _abs(dx) + _abs(rdx))
    bad = ~(rel <= 1e-9)
    if bad.any():
        idx = _tuple(_int(i) for i in _unravel_index(_argmax(bad), bad.shape))
        _fail(
            f"{who}: backward passes {_fmt_value(dx[idx] / g[idx])} times the upstream gradient "
            f"at index {_fmt_index(idx)}, expected {_fmt_value(slope)}. The derivative at a "
            f"kink is a convention, and this exercise takes {name}'({kink:g}) = {slope:g}",
            hint,
        )
