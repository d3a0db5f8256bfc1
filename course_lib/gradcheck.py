"""Numerical gradients by central differences, and checks of modules and losses against them.

All checks run in float64. ``numerical_gradient`` and ``numerical_jacobian`` are the plain
two-point central difference students write themselves (``eps = 1e-6``: truncation ``O(eps^2)``,
round-off ``O(1e-16 / eps)``, agreement to about 1e-9). ``check_module`` and ``check_loss`` use
the fourth-order central difference with ``eps = 1e-4`` (agreement to about 1e-11), so that
the 1e-7 threshold holds even for gradient entries that are small next to the outputs.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from .losses import Loss
from .modules import Module
from .utils import as_rng

__all__ = [
    "numerical_gradient",
    "numerical_jacobian",
    "rel_error",
    "check_module",
    "check_loss",
]


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest elementwise relative error ``max |a - b| / max(1e-8, |a| + |b|)``.

    Parameters
    ----------
    a, b : array-like
        Same shape (broadcastable).

    Returns
    -------
    float
        0 for identical arrays; about 1e-9 or less for a correct gradient against a
        central-difference estimate in float64.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ, got {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``. It is called with ``x`` modified in place (then restored).
    x : np.ndarray
        The point, any shape; should be float64.
    eps : float
        The step.

    Returns
    -------
    np.ndarray
        ``df/dx``, same shape as ``x``.
    """
    x = np.asarray(x)
    if x.dtype != np.float64:
        raise TypeError(f"numerical_gradient: x must be float64 for accuracy, got {x.dtype}")
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = float(f(x))
        flat[i] = old - eps
        fm = float(f(x))
        flat[i] = old
        gflat[i] = (fp - fm) / (2 * eps)
    return grad


def numerical_jacobian(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference Jacobian ``J[i, j] = d f(x).flat[i] / d x.flat[j]``.

    Parameters
    ----------
    f : callable
        ``f(x) -> ndarray`` of any shape ``S_out``.
    x : np.ndarray
        float64, any shape ``S_in``; modified in place during the call, then restored.

    Returns
    -------
    np.ndarray
        Shape ``(prod(S_out), prod(S_in))``.
    """
    x = np.asarray(x)
    if x.dtype != np.float64:
        raise TypeError(f"numerical_jacobian: x must be float64 for accuracy, got {x.dtype}")
    flat = x.reshape(-1)
    cols = []
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        fp = np.array(f(x), dtype=np.float64).reshape(-1)
        flat[j] = old - eps
        fm = np.array(f(x), dtype=np.float64).reshape(-1)
        flat[j] = old
        cols.append((fp - fm) / (2 * eps))
    return np.stack(cols, axis=1)


def check_module(
    module: Module, x: np.ndarray, seed: int = 0, eps: float = 1e-4
) -> dict[str, float]:
    """Compare a module's backward with numerical gradients of ``L = sum(w * module(x))``.

    A random projection ``w`` (seeded) makes the scalar loss sensitive to every output.
    The module is deep-copied, so the caller's parameters and grads are left untouched.

    Parameters
    ----------
    module : Module
        Any module with float64 parameters.
    x : np.ndarray
        Input batch, float64, shape ``(N, D)`` (any shape the module accepts).
    seed : int
        Seed of the projection ``w``.
    eps : float
        Step of the fourth-order central difference (error ``O(eps^4)``, about 1e-12 here).
        Keep inputs at least ``2 * eps`` away from kinks such as ReLU's 0, and out of deep
        saturation (e.g. ``|x| > 6`` for tanh), where gradients fall to the round-off level.

    Returns
    -------
    dict
        ``{"input": err, "<param name>": err, ...}``: the :func:`rel_error` of each gradient.
    """
    x = np.array(x, dtype=np.float64)
    m = copy.deepcopy(module)
    out = m.forward(x.copy())
    w = as_rng(seed).standard_normal(np.shape(out))
    m.zero_grad()
    m.forward(x.copy())
    dx = m.backward(w.copy())
    analytic = {name: p.grad.copy() for name, p in m.named_parameters()}
    errors = {"input": rel_error(dx, _numerical_vjp(m.forward, x.copy(), w, eps))}
    for name, p in m.named_parameters():
        numeric = _numerical_vjp(lambda _: m.forward(x), p.data, w, eps)
        errors[name] = rel_error(analytic[name], numeric)
    return errors


def _numerical_vjp(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, w: np.ndarray, eps: float
) -> np.ndarray:
    """Fourth-order central difference of ``sum(w * f(x))``, differencing outputs first.

    ``g_i = sum(w * (-f(x + 2h e_i) + 8 f(x + h e_i) - 8 f(x - h e_i) + f(x - 2h e_i))) / 12h``:
    truncation error ``O(h^4)`` instead of ``O(h^2)``, so a larger step (less round-off) can be
    used. Subtracting the outputs elementwise before summing makes every output that entry
    ``i`` does not touch cancel exactly. ``x`` (float64, any shape) is modified in place during
    the call and restored; returns an array shaped like ``x``.
    """
    grad = np.zeros_like(x)
    flat = x.reshape(-1)
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        outs = []
        for step in (2.0, 1.0, -1.0, -2.0):
            flat[i] = old + step * eps
            outs.append(np.array(f(x), dtype=np.float64))
        flat[i] = old
        diff = (outs[3] - outs[0]) + 8.0 * (outs[1] - outs[2])
        gflat[i] = np.sum(w * diff) / (12.0 * eps)
    return grad


def check_loss(loss: Loss, prediction: np.ndarray, target: np.ndarray, eps: float = 1e-6) -> float:
    """Compare ``loss.backward()`` with the numerical gradient w.r.t. the prediction.

    Parameters
    ----------
    loss : Loss
        The loss to check (a deep copy is used).
    prediction : np.ndarray
        float64, the loss's prediction shape.
    target : np.ndarray
        The matching target.
    eps : float
        Step of the fourth-order central difference (see :func:`check_module`).

    Returns
    -------
    float
        :func:`rel_error` of the analytic against the numerical gradient.
    """
    lo = copy.deepcopy(loss)
    p = np.array(prediction, dtype=np.float64)
    lo.forward(p.copy(), target)
    analytic = np.array(lo.backward(), copy=True)
    numeric = _numerical_vjp(lambda pp: np.array(lo.forward(pp, target)), p.copy(), 1.0, eps)
    return rel_error(analytic, numeric)
