"""Full-batch gradient descent against mini-batch stochastic gradient descent.

A mini-batch gradient is an unbiased but noisy estimate of the full gradient; it is ``N / B``
times cheaper, so SGD takes ``N / B`` steps for the price of one full-batch step. These helpers
measure that trade on a network (loss per epoch and per update) and draw it for a two-weight
logistic regression, whose loss surface fits on a page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..losses import BCEWithLogitsLoss, Loss
from ..modules import Linear, Module
from ..optim import SGD
from ..train import fit

__all__ = [
    "DescentRun",
    "run_descent",
    "plot_descent_runs",
    "logistic_data",
    "logistic_gradient",
    "logistic_loss_surface",
    "minibatch_gradients",
    "plot_gradient_samples",
    "descent_path",
    "plot_descent_paths",
]


@dataclass
class DescentRun:
    """Full training loss of one run, measured before training and after every epoch.

    Attributes
    ----------
    batch_size : int
        Examples per update ``B`` (``N`` for full-batch gradient descent).
    updates_per_epoch : int
        ``ceil(N / B)``.
    loss : np.ndarray
        Shape ``(E + 1,)``: the loss on the whole training set after ``0 .. E`` epochs.
    """

    batch_size: int
    updates_per_epoch: int
    loss: np.ndarray

    @property
    def label(self) -> str:
        """``"batch size B"``."""
        return f"batch size {self.batch_size}"

    @property
    def updates(self) -> np.ndarray:
        """Number of updates after ``0 .. E`` epochs, shape ``(E + 1,)``."""
        return self.updates_per_epoch * np.arange(len(self.loss))


def run_descent(
    model: Module,
    loss: Loss,
    X: np.ndarray,
    Y: np.ndarray,
    batch_size: int,
    epochs: int,
    lr: float,
    rng: np.random.Generator,
) -> DescentRun:
    """Train with plain SGD (no momentum) and record the *full* training loss after each epoch.

    ``fit`` reports the mean of the mini-batch losses seen during an epoch, which mixes the
    parameters of many steps; here the loss of the whole set is recomputed after the epoch, so
    runs with different batch sizes are compared at the same parameters-per-epoch footing.

    Parameters
    ----------
    model : Module
        A fresh model; it is trained in place.
    loss : Loss
        E.g. ``BCEWithLogitsLoss()``.
    X, Y : np.ndarray
        Shapes ``(N, D)`` and the loss's target shape with ``N`` rows.
    batch_size : int
        ``B``; ``B >= N`` is full-batch gradient descent.
    epochs : int
        Passes over the data, ``E``.
    lr : float
        Step size.
    rng : np.random.Generator
        Shuffles the mini-batches.

    Returns
    -------
    DescentRun
    """
    n = len(X)
    batch_size = min(int(batch_size), n)
    losses = [loss(model(X), Y)]
    fit(
        model,
        loss,
        X,
        Y,
        epochs=epochs,
        optimizer=SGD(model.parameters(), lr=lr),
        batch_size=batch_size,
        rng=rng,
        progress=False,
        callback=lambda epoch, history: losses.append(loss(model(X), Y)),
    )
    return DescentRun(batch_size, -(-n // batch_size), np.array(losses))


def plot_descent_runs(runs: Sequence[DescentRun], axes: Sequence[Axes] | None = None) -> Figure:
    """Training loss against epochs (left) and against updates (right, log scale)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    left, right = axes
    for run in runs:
        (line,) = left.plot(np.arange(len(run.loss)), run.loss, label=run.label)
        right.semilogx(run.updates[1:], run.loss[1:], color=line.get_color(), label=run.label)
    left.set_xlabel("epochs (= gradient evaluations / N)")
    right.set_xlabel("parameter updates")
    left.set_ylabel("training loss (whole set)")
    left.set_title("same compute: smaller batches get further")
    right.set_title("per update: about the same progress")
    for ax in axes:
        ax.legend(fontsize="small")
    return left.figure


def logistic_data(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two overlapping Gaussian classes in the plane, centred at ``+-(0.8, 0.4)``.

    Returns
    -------
    X : np.ndarray
        Shape ``(n, 2)``.
    Y : np.ndarray
        0/1 labels as a column, shape ``(n, 1)``.
    """
    y = (rng.random(n) < 0.5).astype(np.float64)
    X = rng.standard_normal((n, 2)) + np.outer(2 * y - 1, [0.8, 0.4])
    return X, y.reshape(-1, 1)


def logistic_gradient(w: np.ndarray, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Gradient of the mean binary cross-entropy of the logits ``X @ w``, via ``course_lib``.

    Parameters
    ----------
    w : np.ndarray
        Weights, shape ``(2,)`` (no bias).
    X, Y : np.ndarray
        Shapes ``(B, 2)`` and ``(B, 1)``.

    Returns
    -------
    np.ndarray
        Shape ``(2,)``: the backward pass of ``Linear(2, 1, bias=False)`` and
        ``BCEWithLogitsLoss``.
    """
    layer = Linear(2, 1, bias=False, rng=0)
    layer.weight.data[:] = np.reshape(w, (1, 2))
    loss = BCEWithLogitsLoss()
    loss(layer(X), Y)
    layer.backward(loss.backward())
    return layer.weight.grad.reshape(2).copy()


def logistic_loss_surface(
    X: np.ndarray, Y: np.ndarray, w1: np.ndarray, w2: np.ndarray
) -> np.ndarray:
    """Mean binary cross-entropy of the logits ``X @ (w1, w2)`` on a grid of weights.

    Parameters
    ----------
    X, Y : np.ndarray
        Shapes ``(N, 2)`` and ``(N, 1)``.
    w1, w2 : np.ndarray
        Grid axes, shapes ``(P,)`` and ``(Q,)``.

    Returns
    -------
    np.ndarray
        Shape ``(Q, P)`` (rows follow ``w2``, as ``contour`` expects).
    """
    W1, W2 = np.meshgrid(w1, w2)
    z = X[:, 0, None, None] * W1 + X[:, 1, None, None] * W2  # (N, Q, P)
    t = np.reshape(Y, (-1, 1, 1))
    per_example = np.logaddexp(0.0, z) - t * z  # -log p(t | z), stable for any z
    return per_example.mean(axis=0)


def minibatch_gradients(
    w: np.ndarray,
    X: np.ndarray,
    Y: np.ndarray,
    batch_size: int,
    n_batches: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Logistic-loss gradients at ``w`` of ``n_batches`` random mini-batches.

    Each mini-batch is ``batch_size`` distinct examples drawn uniformly (without replacement
    inside the batch), as one step of SGD on shuffled data sees them.

    Parameters
    ----------
    w : np.ndarray
        Weights, shape ``(2,)``.
    X, Y : np.ndarray
        Shapes ``(N, 2)`` and ``(N, 1)``.
    batch_size : int
        ``B <= N``.
    n_batches : int
        Number of samples ``S``.
    rng : np.random.Generator
        Draws the batches.

    Returns
    -------
    np.ndarray
        Shape ``(S, 2)``.
    """
    if not 1 <= batch_size <= len(X):
        raise ValueError(
            f"minibatch_gradients: batch_size must be in 1..{len(X)}, got {batch_size}"
        )
    grads = []
    for _ in range(n_batches):
        idx = rng.choice(len(X), size=batch_size, replace=False)
        grads.append(logistic_gradient(w, X[idx], Y[idx]))
    return np.array(grads)


def plot_gradient_samples(
    samples: Mapping[str, np.ndarray], full: np.ndarray, ax: Axes | None = None
) -> Axes:
    """Scatter mini-batch gradients around the full gradient, one colour per batch size.

    Parameters
    ----------
    samples : mapping of str to np.ndarray
        Label -> gradients of shape ``(S, 2)`` (from :func:`minibatch_gradients`).
    full : np.ndarray
        The full-batch gradient, shape ``(2,)``.
    ax : Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    Axes
    """
    ax = ax if ax is not None else plt.subplots(figsize=(5, 4.2))[1]
    for label, grads in samples.items():
        ax.scatter(grads[:, 0], grads[:, 1], s=8, alpha=0.5, label=label)
        mean = grads.mean(axis=0)
        ax.plot(*mean, "x", ms=9, mew=2, color="k")
    ax.plot(*np.reshape(full, 2), "r*", ms=14, label="full gradient (x: sample means)")
    ax.set_xlabel(r"$\partial J / \partial w_1$")
    ax.set_ylabel(r"$\partial J / \partial w_2$")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize="small")
    return ax


def descent_path(
    X: np.ndarray,
    Y: np.ndarray,
    w0: np.ndarray,
    lr: float,
    batch_size: int,
    epochs: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Weights after every update of (mini-batch) gradient descent on the logistic loss.

    Parameters
    ----------
    X, Y : np.ndarray
        Shapes ``(N, 2)`` and ``(N, 1)``.
    w0 : np.ndarray
        Start, shape ``(2,)``.
    lr : float
        Step size.
    batch_size : int
        ``B``; ``B >= N`` is full-batch gradient descent.
    epochs : int
        Passes over the shuffled data.
    rng : np.random.Generator
        Shuffles the mini-batches.

    Returns
    -------
    np.ndarray
        Shape ``(U + 1, 2)``: the start and the weights after each of the ``U`` updates.
    """
    n = len(X)
    w = np.array(w0, dtype=np.float64).reshape(2)
    path = [w.copy()]
    for _ in range(epochs):
        order = rng.permutation(n) if batch_size < n else np.arange(n)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            w = w - lr * logistic_gradient(w, X[idx], Y[idx])
            path.append(w.copy())
    return np.array(path)


def plot_descent_paths(
    X: np.ndarray,
    Y: np.ndarray,
    paths: Mapping[str, np.ndarray],
    ax: Axes | None = None,
    extent: tuple[float, float, float, float] = (-2.0, 3.0, -1.5, 3.0),
) -> Axes:
    """Contours of the logistic loss over ``(w1, w2)``, with descent paths on top.

    Parameters
    ----------
    X, Y : np.ndarray
        Shapes ``(N, 2)`` and ``(N, 1)``.
    paths : mapping of str to np.ndarray
        Label -> path of shape ``(U + 1, 2)`` (from :func:`descent_path`).
    ax : Axes, optional
        Where to draw; a new figure by default.
    extent : tuple of float
        ``(w1_min, w1_max, w2_min, w2_max)``.

    Returns
    -------
    Axes
    """
    ax = ax if ax is not None else plt.subplots(figsize=(5.5, 4.5))[1]
    w1 = np.linspace(extent[0], extent[1], 121)
    w2 = np.linspace(extent[2], extent[3], 111)
    surface = logistic_loss_surface(X, Y, w1, w2)
    low = surface.min()
    levels = low + np.geomspace(1e-3, surface.max() - low, 16)  # dense near the minimum
    ax.contour(w1, w2, surface, levels=levels, cmap="Greys_r", linewidths=0.7)
    q, p = np.unravel_index(np.argmin(surface), surface.shape)
    ax.plot(w1[p], w2[q], "k*", ms=10, label="minimum")
    for label, path in paths.items():
        ax.plot(path[:, 0], path[:, 1], ".-", ms=3, lw=1, label=label)
    start = next(iter(paths.values()))[0]
    ax.plot(*start, "ko", ms=6, label="start")
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    ax.legend(fontsize="small", loc="upper right")
    return ax
