"""Experiments and figures of part 5 (activation functions): dead units, GELU, a comparison.

- :func:`off_everywhere` and :func:`train_tracking_off_units` count the hidden units that are off
  on every training input, epoch by epoch; :func:`gradient_to_off_units` checks whether such units
  still receive a gradient (a ReLU's do not, a Leaky ReLU's do).
- :func:`plot_gelu_comparison` draws GELU (exact and tanh form) beside ReLU and ELU.
- :func:`compare_hidden_activations` trains one small network per hidden activation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..activations import ELU, GELU, LeakyReLU, ReLU
from ..losses import CrossEntropyLoss
from ..modules import Linear, Module, Sequential
from ..train import History, accuracy, fit
from ._adam import fit_adam

__all__ = [
    "off_everywhere",
    "train_tracking_off_units",
    "gradient_to_off_units",
    "plot_off_fraction",
    "plot_gelu_comparison",
    "ActivationResult",
    "compare_hidden_activations",
]


def off_everywhere(model: Sequential, X: np.ndarray) -> np.ndarray:
    """Which hidden units output ``<= 0`` on every row of ``X``.

    The hidden units are the outputs of the model's ``ReLU`` and ``LeakyReLU`` modules.

    Parameters
    ----------
    model : Sequential
        A network of ``Linear`` and activation modules.
    X : np.ndarray
        Inputs, shape ``(N, D)``.

    Returns
    -------
    np.ndarray
        Booleans, shape ``(U,)`` with ``U`` the total number of hidden units, first layer first.
    """
    h, off = np.asarray(X, dtype=np.float64), []
    for layer in model:
        h = layer(h)
        if isinstance(layer, ReLU | LeakyReLU):
            off.append(np.all(h <= 0, axis=0))
    if not off:
        raise ValueError("off_everywhere: the model has no ReLU or LeakyReLU layer")
    return np.concatenate(off)


def train_tracking_off_units(
    model: Sequential,
    X: np.ndarray,
    y: np.ndarray,
    *,
    lr: float,
    epochs: int = 100,
    rng: np.random.Generator | int | None = 0,
) -> tuple[History, np.ndarray]:
    """Full-batch gradient descent with cross-entropy, counting the units off everywhere.

    Parameters
    ----------
    model : Sequential
        A classifier with ``ReLU`` or ``LeakyReLU`` hidden layers, ``(N, D) -> (N, C)``.
    X : np.ndarray
        Inputs, shape ``(N, D)``.
    y : np.ndarray
        Integer labels, shape ``(N,)``.
    lr : float
        Learning rate of plain SGD on the whole batch.
    epochs : int
        Number of steps (one per epoch).
    rng : np.random.Generator, int or None
        Passed to :func:`course_lib.fit` (unused by full-batch training, kept for symmetry).

    Returns
    -------
    history : History
        Loss and accuracy per epoch.
    off_fraction : np.ndarray
        Shape ``(epochs + 1,)``: the fraction of hidden units off on every input, before
        training and after each epoch.
    """
    trace = [off_everywhere(model, X).mean()]

    def record(epoch: int, history: History) -> None:
        trace.append(off_everywhere(model, X).mean())

    history = fit(
        model,
        CrossEntropyLoss(),
        X,
        y,
        epochs=epochs,
        lr=lr,
        rng=rng,
        progress=False,
        callback=record,
    )
    return history, np.array(trace)


def gradient_to_off_units(model: Sequential, X: np.ndarray, y: np.ndarray) -> tuple[int, float]:
    """Largest ``|dL/dW|`` reaching the first-layer units that are off on every input.

    One forward and backward pass of ``CrossEntropyLoss`` over ``(X, y)``; the model's
    gradients are reset first.

    Parameters
    ----------
    model : Sequential
        Starts with ``Linear(D, H)`` followed by a ``ReLU`` or ``LeakyReLU``.
    X : np.ndarray
        Inputs, shape ``(N, D)``.
    y : np.ndarray
        Integer labels, shape ``(N,)``.

    Returns
    -------
    n_off : int
        How many of the ``H`` first-layer units are off everywhere.
    max_grad : float
        ``max |dL/dW_1[j, :]|`` over those units (0.0 when there are none).
    """
    first = model[0]
    if not isinstance(first, Linear):
        raise TypeError("gradient_to_off_units: the model must start with a Linear layer")
    off = off_everywhere(model, X)[: first.out_features]
    loss = CrossEntropyLoss()
    model.zero_grad()
    loss(model(X), y)
    model.backward(loss.backward())
    grads = np.abs(first.weight.grad[off])
    return int(off.sum()), float(grads.max()) if grads.size else 0.0


def plot_off_fraction(traces: Mapping[str, np.ndarray], ax: Axes | None = None) -> Axes:
    """Plot the fraction of hidden units off on every input against the epoch.

    Parameters
    ----------
    traces : mapping of str to np.ndarray
        Label -> fractions, shape ``(epochs + 1,)`` (as from :func:`train_tracking_off_units`).
    ax : Axes, optional
        Where to draw; a new figure otherwise.

    Returns
    -------
    Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.2))
    for label, trace in traces.items():
        ax.plot(trace, label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("fraction of hidden units")
    ax.set_title("hidden units that are off on every training input", fontsize="medium")
    ax.legend(fontsize="small")
    return ax


def plot_gelu_comparison(lo: float = -4.0, hi: float = 3.0, points: int = 701) -> Figure:
    """GELU (exact and tanh form) beside ReLU and ELU, and the derivatives of GELU and ELU.

    Parameters
    ----------
    lo, hi : float
        The plotted interval of pre-activations ``a``.
    points : int
        Samples on it.

    Returns
    -------
    Figure
        Two axes: the functions, then the derivatives.
    """
    a = np.linspace(lo, hi, points)
    exact, approx = GELU("none"), GELU("tanh")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    axes[0].plot(a, exact.function(a), label="GELU exact")
    axes[0].plot(a, approx.function(a), "--", label="GELU tanh approx.")
    axes[0].plot(a, ReLU().function(a), ":", color="gray", label="ReLU")
    axes[0].plot(a, ELU().function(a), ":", label="ELU")
    axes[0].set_ylim(-1.2, hi)
    axes[0].set_title("GELU next to ReLU and ELU", fontsize="medium")
    axes[1].plot(a, exact.derivative(a), label="GELU'")
    axes[1].plot(a, ELU().derivative(a), label="ELU'")
    axes[1].axhline(0, color="k", lw=0.5)
    axes[1].set_title("derivatives: GELU' < 0 for a < -0.75", fontsize="medium")
    for ax in axes:
        ax.set_xlabel("a")
        ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


@dataclass
class ActivationResult:
    """One trained network of :func:`compare_hidden_activations`.

    Attributes
    ----------
    model : Sequential
    train_accuracy, test_accuracy : float
    """

    model: Sequential
    train_accuracy: float
    test_accuracy: float


def compare_hidden_activations(
    candidates: Mapping[str, Callable[[], Module]],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    hidden: int = 32,
    epochs: int = 100,
    lr: float = 0.03,
    seeds: tuple[int, int, int] = (3, 4, 5),
) -> dict[str, ActivationResult]:
    """Train ``D-hidden-hidden-C`` networks that differ only in their hidden activation.

    Every network starts from the same weights (the ``Linear`` layers are seeded with
    ``seeds``) and is trained with ``Adam(lr)`` on the full batch for ``epochs`` steps with
    cross-entropy.

    Parameters
    ----------
    candidates : mapping of str to callable
        Name -> a factory of the activation module, e.g. ``{"ReLU": ReLU}``.
    X_train, X_test : np.ndarray
        Inputs, shapes ``(N, D)`` and ``(M, D)``.
    y_train, y_test : np.ndarray
        Integer labels, shapes ``(N,)`` and ``(M,)``; ``C = max label + 1``.
    hidden, epochs : int
        Hidden width and training steps.
    lr : float
        Adam's learning rate.
    seeds : tuple of int
        Seeds of the three ``Linear`` layers.

    Returns
    -------
    dict of str to ActivationResult
        In the order of ``candidates``.
    """
    d, c = X_train.shape[1], int(max(y_train.max(), y_test.max())) + 1
    results = {}
    for name, act in candidates.items():
        model = Sequential(
            Linear(d, hidden, rng=seeds[0]),
            act(),
            Linear(hidden, hidden, rng=seeds[1]),
            act(),
            Linear(hidden, c, rng=seeds[2]),
        )
        fit_adam(model, CrossEntropyLoss(), X_train, y_train, epochs=epochs, lr=lr)
        results[name] = ActivationResult(
            model, accuracy(model, X_train, y_train), accuracy(model, X_test, y_test)
        )
    return results
