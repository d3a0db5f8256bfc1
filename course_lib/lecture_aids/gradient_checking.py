"""Gradient checking as a procedure: finite differences in any precision, and their errors.

``course_lib.gradcheck`` holds the checks themselves (float64 only). These helpers show *why*
they are set up as they are: how the error of a central difference depends on the step ``eps``
(truncation against round-off), on the order of the stencil, and on the floating-point type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from ..gradcheck import rel_error

__all__ = ["STENCILS", "central_difference", "eps_sweep", "plot_eps_sweep"]

#: Offsets (in units of ``eps``) and weights of the central differences, divided by ``eps``:
#: order 2 is ``(f(x + h) - f(x - h)) / 2h``; order 4 is
#: ``(-f(x + 2h) + 8 f(x + h) - 8 f(x - h) + f(x - 2h)) / 12h``.
STENCILS: dict[int, tuple[tuple[float, ...], tuple[float, ...]]] = {
    2: ((1.0, -1.0), (0.5, -0.5)),
    4: ((2.0, 1.0, -1.0, -2.0), (-1 / 12, 8 / 12, -8 / 12, 1 / 12)),
}


def central_difference(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float, order: int = 2
) -> np.ndarray:
    """Gradient of a scalar function by a central difference, in the precision of ``x``.

    Unlike :func:`course_lib.gradcheck.numerical_gradient` this accepts float32 inputs, to show
    what goes wrong in single precision: the step ``x + eps`` is rounded to ``x.dtype``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``; called with ``x`` modified in place (restored afterwards).
    x : np.ndarray
        Floating-point point, any shape ``S``.
    eps : float
        The step ``h``.
    order : int
        2 (two evaluations per entry, error ``O(h^2)``) or 4 (four, error ``O(h^4)``).

    Returns
    -------
    np.ndarray
        Shape ``S``, dtype of ``x``.
    """
    if order not in STENCILS:
        raise ValueError(f"central_difference: order must be 2 or 4, got {order!r}")
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(f"central_difference: x must be floating point, got {x.dtype}")
    offsets, weights = STENCILS[order]
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        total = 0.0
        for offset, weight in zip(offsets, weights, strict=True):
            flat[i] = old + x.dtype.type(offset * eps)
            total += weight * float(f(x))
        flat[i] = old
        gflat[i] = total / eps
    return grad


def eps_sweep(
    f: Callable[[np.ndarray], float],
    exact: np.ndarray,
    x: np.ndarray,
    eps_values: Sequence[float],
    order: int = 2,
) -> np.ndarray:
    """Relative error of the central difference against the exact gradient, for each step.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``.
    exact : np.ndarray
        The true gradient at ``x``, same shape as ``x`` (computed in float64).
    x : np.ndarray
        The point, float32 or float64; copied, never modified.
    eps_values : sequence of float
        ``E`` steps.
    order : int
        Stencil order, 2 or 4.

    Returns
    -------
    np.ndarray
        Shape ``(E,)``: :func:`course_lib.gradcheck.rel_error` for each step.
    """
    x = np.array(x, copy=True)
    return np.array([rel_error(central_difference(f, x, eps, order), exact) for eps in eps_values])


def plot_eps_sweep(
    eps_values: Sequence[float], curves: Mapping[str, np.ndarray], ax: Axes | None = None
) -> Axes:
    """Relative error against the step on log-log axes, with the usual verdict bands.

    Parameters
    ----------
    eps_values : sequence of float
        ``E`` steps (the x values).
    curves : mapping of str to np.ndarray
        Label -> relative errors, shape ``(E,)`` each (from :func:`eps_sweep`).
    ax : Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    Axes
        One line per curve; the band below 1e-7 is labelled "correct", above 1e-2 "wrong".
    """
    ax = ax if ax is not None else plt.subplots(figsize=(6, 3.6))[1]
    for label, errors in curves.items():
        errors = np.asarray(errors)
        if errors.shape != (len(eps_values),):
            raise ValueError(
                f"plot_eps_sweep: {label!r} has shape {errors.shape}, expected ({len(eps_values)},)"
            )
        ax.loglog(eps_values, np.maximum(errors, 1e-16), "o-", ms=3, label=label)
    ax.axhspan(1e-17, 1e-7, color="tab:green", alpha=0.08, label="< 1e-7: correct")
    ax.axhspan(1e-2, 10.0, color="tab:red", alpha=0.08, label="> 1e-2: wrong")
    ax.set_ylim(1e-16, 10.0)
    ax.set_xlabel(r"step $\varepsilon$")
    ax.set_ylabel("relative error")
    ax.legend(fontsize="small", loc="lower left", ncol=2)
    return ax
