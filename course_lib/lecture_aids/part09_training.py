"""Experiments and figures of part 9 (training deep networks): the learning rate of (stochastic)
gradient descent on a problem small enough to draw.

:func:`least_squares_problem` makes a two-weight least-squares problem, :func:`sgd_paths` runs
full-batch gradient descent and mini-batch SGD on it step by step with ``course_lib``'s
``Linear``, ``MSELoss`` and ``SGD``, and :func:`plot_paths` draws the trajectories on the contours
of the loss. (The activations and gradients of deep networks are in :mod:`.training_diagnostics`.)
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from ..losses import MSELoss
from ..modules import Linear
from ..optim import SGD
from ..utils import as_rng

__all__ = ["least_squares_problem", "sgd_paths", "plot_paths"]


def least_squares_problem(
    n: int = 200,
    scales: tuple[float, float] = (1.0, 0.3),
    w_true: tuple[float, float] = (1.0, -2.0),
    noise: float = 0.5,
    rng: np.random.Generator | int | None = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Data for ``y = w_1 x_1 + w_2 x_2 + noise`` with features of different scales.

    Parameters
    ----------
    n : int
        Examples ``N``.
    scales : (float, float)
        Standard deviations of ``x_1`` and ``x_2`` (unequal scales make elongated contours).
    w_true : (float, float)
        The weights that generate ``y``.
    noise : float
        Standard deviation of the Gaussian noise added to ``y``.
    rng : np.random.Generator, int or None
        Randomness.

    Returns
    -------
    X : np.ndarray
        Shape ``(N, 2)``.
    y : np.ndarray
        Shape ``(N, 1)``.
    """
    g = as_rng(rng)
    X = g.standard_normal((n, 2)) * np.asarray(scales)
    y = X @ np.asarray(w_true) + noise * g.standard_normal(n)
    return X, y[:, None]


def sgd_paths(
    X: np.ndarray,
    y: np.ndarray,
    settings: Mapping[str, tuple[int | None, float]],
    *,
    steps: int = 300,
    start: tuple[float, float] = (-1.5, 1.5),
    rng: np.random.Generator | int | None = 0,
) -> dict[str, np.ndarray]:
    """Weights of ``Linear(2, 1, bias=False)`` under SGD with ``MSELoss``, step by step.

    Each step draws a fresh mini-batch of ``B`` examples without replacement (``B = None``:
    the whole set, i.e. gradient descent).

    Parameters
    ----------
    X : np.ndarray
        Shape ``(N, 2)``.
    y : np.ndarray
        Shape ``(N, 1)``.
    settings : mapping of str to (int or None, float)
        Label -> ``(B, learning rate)``.
    steps : int
        Parameter updates per setting.
    start : (float, float)
        The common initial weights.
    rng : np.random.Generator, int or None
        Sampling of the mini-batches.

    Returns
    -------
    dict of str to np.ndarray
        Label -> weights after each update, shape ``(steps + 1, 2)`` (the start first).
    """
    g = as_rng(rng)
    n = len(X)
    paths = {}
    for label, (batch, lr) in settings.items():
        model = Linear(2, 1, bias=False)
        model.weight.data[:] = start
        opt, loss = SGD(model.parameters(), lr=lr), MSELoss()
        path = [model.weight.data[0].copy()]
        for _ in range(steps):
            idx = slice(None) if batch is None else g.choice(n, batch, replace=False)
            loss(model(X[idx]), y[idx])
            model.backward(loss.backward())
            opt.step()
            opt.zero_grad()
            path.append(model.weight.data[0].copy())
        paths[label] = np.array(path)
    return paths


def plot_paths(
    paths: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray, ax: Axes | None = None
) -> Axes:
    """Draw weight trajectories on the contours of the full-batch loss ``mean((X w - y)^2)``.

    Parameters
    ----------
    paths : mapping of str to np.ndarray
        Label -> weights, shape ``(T, 2)`` each (from :func:`sgd_paths`).
    X : np.ndarray
        Shape ``(N, 2)``.
    y : np.ndarray
        Shape ``(N, 1)``.
    ax : Axes, optional
        Where to draw; a new figure otherwise.

    Returns
    -------
    Axes
        The least-squares solution is marked with a star.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    every = np.concatenate(list(paths.values()))
    w_hat = np.linalg.lstsq(X, y[:, 0], rcond=None)[0]
    lo = np.minimum(every.min(axis=0), w_hat) - 0.5
    hi = np.maximum(every.max(axis=0), w_hat) + 0.5
    a, b = np.meshgrid(np.linspace(lo[0], hi[0], 120), np.linspace(lo[1], hi[1], 120))
    W = np.stack([a.ravel(), b.ravel()], axis=1)  # (M, 2)
    L = np.mean((X @ W.T - y) ** 2, axis=0).reshape(a.shape)
    ax.contour(a, b, L, levels=np.quantile(L, np.linspace(0.01, 0.9, 12)), colors="0.75")
    for label, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], ".-", ms=2, lw=0.8, label=label)
    ax.plot(*w_hat, "k*", ms=12, label="least-squares solution")
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.legend(fontsize="small")
    return ax
