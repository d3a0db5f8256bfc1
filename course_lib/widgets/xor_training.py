"""The XOR explorer's network and how it is trained: full-batch gradient descent on the MSE.

The network ``yhat = w^T ReLU(W^T x + c) + b`` is a ``Sequential(Linear(2, 2), ReLU(),
Linear(2, 1))``. ``Linear`` computes ``x @ weight.T``, so the book's ``W`` (``W[i, j]`` connects
input ``i`` to hidden unit ``j``) is ``weight.T`` of the first layer, and ``w`` the single row of
the second layer's ``weight``.

:func:`gradient_descent` is the training loop behind the explorer's *train* button. A step size
that is too large makes the loss overflow: the loop then undoes the step that overflowed and
stops, so the explorer keeps showing finite weights.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from ..activations import ReLU
from ..losses import MSELoss
from ..modules import Linear, Sequential
from ..optim import SGD

__all__ = ["xor_network", "random_start", "load_weights", "weights_of", "gradient_descent"]


def xor_network() -> Sequential:
    """``Linear(2, 2), ReLU(), Linear(2, 1)``: maps ``(N, 2)`` to ``yhat`` ``(N, 1)``."""
    return Sequential(Linear(2, 2), ReLU(), Linear(2, 1))


def random_start(model: Sequential, rng: np.random.Generator) -> None:
    """``W, w ~ N(0, 1)``, ``c = 0.1`` (ReLU units start active), ``b = 0``, in place."""
    lin1, _, lin2 = model
    lin1.weight.data[...] = rng.standard_normal((2, 2))
    lin1.bias.data[...] = 0.1
    lin2.weight.data[...] = rng.standard_normal((1, 2))
    lin2.bias.data[...] = 0.0


def load_weights(model: Sequential, W: np.ndarray, c: np.ndarray, w: np.ndarray, b: float) -> None:
    """Set the network to ``W (2, 2)``, ``c (2,)``, ``w (2,)`` and ``b``, in place."""
    lin1, _, lin2 = model
    lin1.weight.data[...] = W.T  # Linear computes x @ weight.T, and h = W^T x: weight = W^T
    lin1.bias.data[...] = c
    lin2.weight.data[...] = w[None, :]
    lin2.bias.data[...] = b


def weights_of(model: Sequential) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The network's ``W (2, 2)``, ``c (2,)``, ``w (2,)`` and ``b`` (copies)."""
    lin1, _, lin2 = model
    return (
        lin1.weight.data.T.copy(),
        lin1.bias.data.copy(),
        lin2.weight.data[0].copy(),
        float(lin2.bias.data[0]),
    )


def gradient_descent(
    model: Sequential,
    X: np.ndarray,
    T: np.ndarray,
    steps: int,
    lr: float,
    stop: threading.Event | None = None,
    frame_every: int = 0,
    on_frame: Callable[[int, np.ndarray], None] | None = None,
) -> tuple[np.ndarray, bool]:
    """Full-batch gradient descent (``SGD``) on the MSE of ``model`` on ``(X, T)``, in place.

    Parameters
    ----------
    model : Sequential
        Maps ``(N, D)`` to ``(N, 1)``.
    X, T : np.ndarray
        Inputs ``(N, D)`` and targets ``(N, 1)``.
    steps : int
        Number of gradient steps.
    lr : float
        Step size.
    stop : threading.Event, optional
        Training stops before the next step once this is set.
    frame_every : int
        Call ``on_frame(done, losses_so_far)`` (``losses_so_far`` of shape ``(done,)``) every
        ``frame_every`` steps, except after the last step (0: never).
    on_frame : callable, optional

    Returns
    -------
    losses : np.ndarray
        The loss before each completed step, shape ``(K,)`` with ``K <= steps``.
    diverged : bool
        The loss or a weight overflowed: that step was undone and training stopped.
    """
    loss_fn = MSELoss()
    optimizer = SGD(model.parameters(), lr=lr)
    losses = np.empty(steps)
    done = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps):
            if stop is not None and stop.is_set():
                break
            value = _step_or_undo(model, loss_fn, optimizer, X, T)
            if value is None:
                return losses[:done].copy(), True
            losses[k] = value
            done = k + 1
            if frame_every and done % frame_every == 0 and done < steps and on_frame is not None:
                on_frame(done, losses[:done])
    return losses[:done].copy(), False


def _step_or_undo(
    model: Sequential, loss_fn: MSELoss, optimizer: SGD, X: np.ndarray, T: np.ndarray
) -> float | None:
    """One gradient step on ``X (N, D)``, ``T (N, 1)``; the loss before it.

    ``None`` when the loss or a weight overflowed: the step is then undone.
    """
    params = model.parameters()
    before = [p.data.copy() for p in params]
    out = model.forward(X)
    value = loss_fn.forward(out, T) if np.isfinite(out).all() else np.inf
    model.backward(loss_fn.backward(), input_grad=False)
    optimizer.step()
    optimizer.zero_grad()
    if np.isfinite(value) and all(np.isfinite(p.data).all() for p in params):
        return value
    for p, old in zip(params, before, strict=True):
        p.data[...] = old
    return None
