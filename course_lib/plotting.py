"""Plots the lectures use: decision boundaries, training histories, activation curves.

Every function draws on a given matplotlib ``Axes`` (or makes a new figure) and returns what
it drew, so notebooks and widgets can update the artists instead of redrawing.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .modules import Module
from .train import History

__all__ = [
    "grid_points",
    "plot_decision_boundary",
    "plot_history",
    "plot_activation",
    "plot_activations",
    "plot_loss_curves",
]

CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")


def _axes(ax: Axes | None, figsize: tuple[float, float] = (4.5, 4.0)) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def grid_points(
    X: np.ndarray, resolution: int = 200, margin: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A regular grid covering the data.

    Parameters
    ----------
    X : np.ndarray
        Points, shape ``(N, 2)``.
    resolution : int
        Grid points per axis, ``R``.

    Returns
    -------
    xx, yy : np.ndarray
        Coordinates, shape ``(R, R)`` each.
    points : np.ndarray
        The grid as a batch, shape ``(R * R, 2)``.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"grid_points: expected 2-D points of shape (N, 2), got {X.shape}")
    lo = X.min(axis=0) - margin
    hi = X.max(axis=0) + margin
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def plot_decision_boundary(
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    ax: Axes | None = None,
    resolution: int = 200,
    title: str | None = None,
) -> Axes:
    """Colour the plane by the model's predicted class and scatter the data on top.

    Parameters
    ----------
    model : Module
        Maps ``(M, 2)`` to logits ``(M, C)`` (or ``(M, 1)`` for a binary logit).
    X : np.ndarray
        Shape ``(N, 2)``.
    y : np.ndarray
        Integer labels, shape ``(N,)``.

    Returns
    -------
    Axes
    """
    ax = _axes(ax)
    xx, yy, pts = grid_points(X, resolution)
    out = model.forward(pts)
    if out.ndim == 2 and out.shape[1] > 1:
        labels = out.argmax(axis=1)
        n_classes = out.shape[1]
    else:
        labels = (out.reshape(-1) > 0).astype(int)
        n_classes = 2
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(CLASS_COLORS[: max(2, n_classes)])
    ax.contourf(
        xx,
        yy,
        labels.reshape(xx.shape),
        levels=np.arange(n_classes + 1) - 0.5,
        cmap=cmap,
        alpha=0.25,
    )
    y = np.asarray(y).reshape(-1)
    ax.scatter(
        X[:, 0],
        X[:, 1],
        c=[CLASS_COLORS[int(k) % len(CLASS_COLORS)] for k in y],
        s=18,
        edgecolors="k",
        linewidths=0.4,
    )
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


def plot_history(history: History, axes: Sequence[Axes] | None = None) -> Figure:
    """Loss and accuracy per epoch, training and (if present) validation.

    Returns
    -------
    Figure
        Two panels: loss (log scale) and accuracy.
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    else:
        fig = axes[0].figure
    ep = np.arange(1, history.epochs + 1)
    ax_l, ax_a = axes
    ax_l.plot(ep, history.loss, label="train")
    if history.val_loss:
        ax_l.plot(ep, history.val_loss, label="validation")
    ax_l.set_yscale("log")
    ax_l.set_xlabel("epoch")
    ax_l.set_ylabel("loss")
    ax_l.legend()
    acc = np.asarray(history.accuracy, dtype=float)
    if acc.size and np.isfinite(acc).any():
        ax_a.plot(ep, acc, label="train")
        if history.val_accuracy:
            ax_a.plot(ep, history.val_accuracy, label="validation")
        ax_a.set_ylim(-0.02, 1.02)
        ax_a.legend()
    else:
        ax_a.text(0.5, 0.5, "no accuracy (regression)", ha="center", va="center")
    ax_a.set_xlabel("epoch")
    ax_a.set_ylabel("accuracy")
    fig.tight_layout()
    return fig


def plot_activation(
    activation: Module | str,
    ax: Axes | None = None,
    x: np.ndarray | None = None,
    saturation_threshold: float = 0.05,
) -> Axes:
    """Plot an elementwise activation and its derivative; shade where it saturates.

    Parameters
    ----------
    activation : Module or str
        An activation module (``ReLU()``, ``ELU(alpha=0.5)``, ...) or a name from
        :data:`course_lib.activations.ACTIVATIONS`.
    x : np.ndarray, optional
        Inputs, shape ``(M,)``; default 400 points in [-5, 5].
    saturation_threshold : float
        Shade where ``|f'(x)|`` is below this (the gradient vanishes there).

    Returns
    -------
    Axes
    """
    from .activations import ACTIVATIONS

    if isinstance(activation, str):
        key = activation.lower()
        if key not in ACTIVATIONS or key == "softmax":
            names = sorted(k for k in ACTIVATIONS if k != "softmax")
            raise ValueError(
                f"plot_activation: unknown activation {activation!r}; use one of {names}"
            )
        activation = ACTIVATIONS[key]()
    if not hasattr(activation, "derivative"):
        raise TypeError(
            f"plot_activation: {type(activation).__name__} is not elementwise (no derivative)"
        )
    ax = _axes(ax, (4.5, 3.2))
    x = np.linspace(-5, 5, 401) if x is None else np.asarray(x, dtype=np.float64)
    f = activation.function(x)
    d = activation.derivative(x)
    ax.plot(x, f, lw=2, label="f(x)")
    ax.plot(x, d, lw=1.5, ls="--", label="f'(x)")
    flat = np.abs(d) < saturation_threshold
    if flat.any():
        ax.fill_between(
            x,
            0,
            1,
            where=flat,
            transform=ax.get_xaxis_transform(),
            color="0.85",
            label="saturated",
            zorder=0,
        )
    ax.axhline(0, color="k", lw=0.5)
    ax.axvline(0, color="k", lw=0.5)
    ax.set_title(repr(activation))
    ax.set_xlabel("x")
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_activations(names: Sequence[str] | None = None) -> Figure:
    """A grid of :func:`plot_activation` panels, one per activation name."""
    from .activations import ACTIVATIONS

    names = list(names or [k for k in ACTIVATIONS if k != "softmax"])
    cols = min(4, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        plot_activation(name, ax=ax)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def plot_loss_curves(
    residuals: np.ndarray | None = None, deltas: Sequence[float] = (1.0,), ax: Axes | None = None
) -> Axes:
    """Squared (Euclidean) loss against Huber loss as a function of the residual.

    Parameters
    ----------
    residuals : np.ndarray, optional
        Shape ``(M,)``; default [-4, 4].
    deltas : sequence of float
        Huber thresholds to draw.
    """
    ax = _axes(ax, (4.5, 3.2))
    r = np.linspace(-4, 4, 401) if residuals is None else np.asarray(residuals, dtype=float)
    ax.plot(r, 0.5 * r**2, lw=2, label=r"$\frac{1}{2} r^2$ (Euclidean)")
    for d in deltas:
        a = np.abs(r)
        ax.plot(r, np.where(a <= d, 0.5 * r**2, d * (a - 0.5 * d)), label=f"Huber, delta={d:g}")
    ax.set_xlabel("residual r = prediction - target")
    ax.set_ylabel("loss")
    ax.legend(fontsize="small")
    return ax
