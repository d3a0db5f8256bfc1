"""Losses against the reference: value, gradient, and the gradient of a second backward()."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._trusted import (
    _float64,
    _isinstance,
    _ndarray,
    _np_array,
)
from ..testing import (
    _quiet,
    assert_close,
    assert_scalar_close,
    calling,
)

__all__ = ["assert_loss_matches"]

_LOSS_AGAIN_HINT = (
    "backward() must not change what forward cached: called twice it returns the same gradient "
    "(an in-place -= on a cached array changes it for the next call: work on a copy)"
)


def _kept(result: object) -> object:
    """A copy of an array result taken at once (the student's code may change it later)."""
    if _isinstance(result, _ndarray):
        return _np_array(result, copy=True, subok=False)
    return result


@_quiet
def assert_loss_matches(
    student: Any,
    reference: Any,
    prediction: np.ndarray,
    target: np.ndarray,
    *,
    name: str,
    max_rel_error: float = 1e-7,
    hint_forward: str | None = None,
    hint_backward: str | None = None,
) -> None:
    """Compare a student's loss with the reference: value, gradient, gradient again.

    ``forward(prediction, target)`` must return the reference's value, ``backward()`` its
    float64 gradient, and a second ``backward()`` the same gradient again (nothing cached was
    modified in place); neither input may be modified.

    Parameters
    ----------
    student, reference : loss objects
        Fresh instances, e.g. ``HuberLoss(0.3)`` and ``RefHuberLoss(0.3)``.
    prediction : np.ndarray
        Shape ``(N, C)`` (logits or predictions), float64.
    target : np.ndarray
        Shape ``(N,)`` (integer labels) or ``(N, C)``.
    name : str
        E.g. ``"HuberLoss(delta=0.3) on (9, 3)"``.
    max_rel_error : float
    hint_forward, hint_backward : str, optional
    """
    p = _np_array(prediction, dtype=_float64, copy=True)
    t = _np_array(target, copy=True)
    expected = reference.forward(p.copy(), t.copy())
    rgrad = _np_array(reference.backward(), dtype=_float64, copy=True)
    with calling(f"{name}: forward(prediction, target)", hint=hint_forward, prediction=p, target=t):
        value = _kept(student.forward(p, t))
        assert_scalar_close(
            value, expected, name=f"{name}: forward", max_rel_error=max_rel_error, hint=hint_forward
        )
    with calling(f"{name}: backward()", hint=hint_backward, prediction=p, target=t):
        grad = _kept(student.backward())
        assert_close(
            grad,
            rgrad,
            name=f"{name}: backward()",
            max_rel_error=max_rel_error,
            dtype=_float64,
            hint=hint_backward,
        )
    with calling(f"{name}: backward() called a second time", prediction=p, target=t):
        again = _kept(student.backward())
        assert_close(
            again,
            rgrad,
            name=f"{name}: backward() called a second time",
            max_rel_error=max_rel_error,
            hint=_LOSS_AGAIN_HINT,
        )
