"""XOR experiments: the learned feature space, random restarts, and the loss between two minima.

Helpers for the feature-learning lecture: a scatter of the hidden representation with the
read-out's decision line, a small XOR training run, and the training loss along the straight
segment between two parameter vectors (which shows that a network's loss is not convex).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from ..activations import ReLU
from ..losses import BCEWithLogitsLoss, Loss
from ..modules import Linear, Module, Sequential
from ..optim import SGD
from ..plotting import CLASS_COLORS
from ..train import History, fit

__all__ = [
    "plot_feature_space",
    "train_xor",
    "get_theta",
    "set_theta",
    "loss_along_segment",
]


def plot_feature_space(
    H: np.ndarray,
    y: np.ndarray,
    ax: Axes | None = None,
    readout: tuple[np.ndarray, float] | None = None,
    X: np.ndarray | None = None,
    s: float = 120,
    label: str = "read-out: logit = 0",
) -> Axes:
    """Scatter hidden representations by class, with the read-out's decision line.

    Parameters
    ----------
    H : np.ndarray
        Hidden features, shape ``(N, 2)``.
    y : np.ndarray
        Integer class labels, shape ``(N,)``.
    ax : Axes, optional
        Where to draw; a new figure by default.
    readout : (np.ndarray, float), optional
        ``(w, b)`` with ``w`` of shape ``(2,)``: draws the line ``w . h + b = 0``.
    X : np.ndarray, optional
        The inputs, shape ``(N, 2)``; each distinct ``h`` is annotated with the inputs mapped to
        it (``"x = (0,1) and (1,0)"``), so a fold is visible.
    s : float
        Marker size.
    label : str
        Legend entry of the decision line.

    Returns
    -------
    Axes
    """
    H, y = np.asarray(H, dtype=np.float64), np.asarray(y).reshape(-1)
    if H.ndim != 2 or H.shape[1] != 2 or len(y) != len(H):
        raise ValueError(
            f"plot_feature_space: expected H (N, 2) and y (N,), got {H.shape}, {y.shape}"
        )
    ax = ax if ax is not None else plt.subplots(figsize=(4.5, 4))[1]
    colours = [CLASS_COLORS[int(k) % len(CLASS_COLORS)] for k in y]
    ax.scatter(H[:, 0], H[:, 1], c=colours, s=s, edgecolors="k", linewidths=0.5, zorder=3)
    if X is not None:
        for h in np.unique(H, axis=0):
            same = np.all(H == h, axis=1)
            names = " and ".join(f"({a:g},{b:g})" for a, b in np.asarray(X)[same])
            ax.annotate("x = " + names, h, textcoords="offset points", xytext=(8, -14))
    if readout is not None:
        w, b = np.asarray(readout[0], dtype=np.float64).reshape(2), float(readout[1])
        lo, hi = H.min(axis=0) - 0.5, H.max(axis=0) + 0.5
        if abs(w[1]) > 1e-12:
            h1 = np.array([lo[0], hi[0]])
            ax.plot(h1, -(w[0] * h1 + b) / w[1], "k-", lw=1.2, label=label)
        else:
            ax.axvline(-b / w[0], color="k", lw=1.2, label=label)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.legend(fontsize="small", loc="upper left")
    ax.set_xlabel("$h_1$")
    ax.set_ylabel("$h_2$")
    return ax


def train_xor(
    X: np.ndarray,
    Y: np.ndarray,
    hidden_units: int,
    seed: int,
    init: str = "he",
    epochs: int = 100,
) -> tuple[Sequential, History]:
    """Train a ``2-hidden_units-1`` ReLU network on XOR with SGD (lr 1, momentum 0.9), full batch.

    Parameters
    ----------
    X : np.ndarray
        Inputs, shape ``(N, 2)``.
    Y : np.ndarray
        0/1 targets, shape ``(N, 1)``.
    hidden_units : int
        Width of the hidden layer.
    seed : int
        Seeds the two layers' initialisation (``seed`` and ``1000 + seed``).
    init : str
        Initialiser of both layers, e.g. ``"he"`` or ``"zeros"``.
    epochs : int
        Full-batch steps.

    Returns
    -------
    (Sequential, History)
        The trained network and its per-epoch loss and accuracy.
    """
    model = Sequential(
        Linear(2, hidden_units, init=init, rng=seed),
        ReLU(),
        Linear(hidden_units, 1, init=init, rng=1000 + seed),
    )
    optimizer = SGD(model.parameters(), lr=1.0, momentum=0.9)
    history = fit(
        model, BCEWithLogitsLoss(), X, Y, epochs=epochs, optimizer=optimizer, progress=False
    )
    return model, history


def get_theta(model: Module) -> list[np.ndarray]:
    """Copies of all parameter arrays, in ``model.parameters()`` order."""
    return [p.data.copy() for p in model.parameters()]


def set_theta(model: Module, theta: Sequence[np.ndarray]) -> None:
    """Write ``theta`` (as from :func:`get_theta`, same shapes) into the model's parameters."""
    params = model.parameters()
    if len(params) != len(theta):
        raise ValueError(f"set_theta: the model has {len(params)} parameters, got {len(theta)}")
    for p, value in zip(params, theta, strict=True):
        if p.data.shape != np.shape(value):
            raise ValueError(
                f"set_theta: got shape {np.shape(value)} for a parameter of shape {p.data.shape}"
            )
        p.data[:] = value


def loss_along_segment(
    model: Module,
    theta_a: Sequence[np.ndarray],
    theta_b: Sequence[np.ndarray],
    ts: np.ndarray,
    loss: Loss,
    X: np.ndarray,
    Y: np.ndarray,
) -> np.ndarray:
    """Training loss at ``(1 - t) theta_a + t theta_b`` for each ``t``.

    Parameters
    ----------
    model : Module
        Its parameters are overwritten (use a spare copy of the architecture).
    theta_a, theta_b : sequence of np.ndarray
        Two parameter vectors of the model (lists of arrays as from :func:`get_theta`).
    ts : np.ndarray
        Shape ``(T,)``; 0 gives ``theta_a``, 1 gives ``theta_b``.
    loss : Loss
        E.g. ``BCEWithLogitsLoss()``.
    X, Y : np.ndarray
        Data, shapes ``(N, D)`` and the loss's target shape.

    Returns
    -------
    np.ndarray
        Shape ``(T,)``.
    """
    values = []
    for t in np.asarray(ts, dtype=np.float64):
        set_theta(model, [(1 - t) * a + t * b for a, b in zip(theta_a, theta_b, strict=True)])
        values.append(loss(model(X), Y))
    return np.array(values)
