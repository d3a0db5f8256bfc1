"""Training without backpropagation (a): finite differences, also called weight perturbation.

Every partial derivative ``dL/dtheta_i`` is estimated by nudging that one weight,
``(L(theta + eps e_i) - L(theta - eps e_i)) / 2 eps``: forward passes only, but ``2 P`` of them
per step for ``P`` parameters, where backprop needs one forward and one backward pass whatever
``P`` is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np

from ..losses import Loss
from ..modules import Module, Sequential
from .training import TrainingRun, train_with

__all__ = ["finite_difference_gradients", "finite_difference_train"]


def finite_difference_gradients(
    model: Module,
    loss_of_model: Callable[[], float],
    eps: float = 1e-4,
    method: Literal["central", "forward"] = "central",
    base: float | None = None,
) -> int:
    """Estimate ``dL/dtheta`` for every parameter by perturbing one weight at a time.

    Writes the estimates into each ``p.grad`` (overwriting) and restores every weight.

    Parameters
    ----------
    model : Module
    loss_of_model : callable
        ``() -> float``, one forward pass of ``model`` over the training batch plus the loss.
    eps : float
        The perturbation.
    method : {"central", "forward"}
        ``(L(+eps) - L(-eps)) / 2 eps`` (2 passes per parameter, error ``O(eps^2)``) or
        ``(L(+eps) - L) / eps`` (1 pass per parameter plus one for ``L``, error ``O(eps)``).
    base : float, optional
        ``L`` at the current weights, if already known (saves a pass for ``"forward"``).

    Returns
    -------
    int
        Forward passes used: ``2 P`` (central) or ``P`` (+1 without ``base``) for ``P``
        parameters.
    """
    if method not in ("central", "forward"):
        raise ValueError(f"finite_difference_gradients: unknown method {method!r}")
    passes = 0
    if method == "forward" and base is None:
        base = loss_of_model()
        passes += 1
    for p in model.parameters():
        flat, gflat = p.data.reshape(-1), p.grad.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            plus = loss_of_model()
            if method == "central":
                flat[i] = old - eps
                gflat[i] = (plus - loss_of_model()) / (2 * eps)
                passes += 2
            else:
                gflat[i] = (plus - base) / eps
                passes += 1
            flat[i] = old
    return passes


def finite_difference_train(
    model: Sequential,
    X: np.ndarray,
    y: np.ndarray,
    *,
    steps: int = 600,
    lr: float = 0.5,
    momentum: float = 0.9,
    eps: float = 1e-4,
    method: Literal["central", "forward"] = "central",
    target: float = 0.95,
    stop_at_target: bool = False,
) -> TrainingRun:
    """Train a classifier with finite-difference gradients: forward passes only.

    Each step estimates all ``P`` partial derivatives with :func:`finite_difference_gradients`
    (``2 P`` forward passes for central differences) and takes an SGD step with momentum.
    Full batch; binary cross-entropy on a single logit (or cross-entropy for ``C > 1``).

    Parameters
    ----------
    model, X, y, steps, lr, momentum, target, stop_at_target
        As in :func:`~course_lib.alternatives.backprop_train`: ``X (N, D)``, labels ``y (N,)``.
    eps, method
        See :func:`finite_difference_gradients`.

    Returns
    -------
    TrainingRun
    """
    X = np.asarray(X, dtype=np.float64)

    def gradients(T: np.ndarray, loss: Loss, value: float) -> tuple[int, int]:
        def loss_of_model() -> float:
            return loss.forward(model.forward(X), T)

        return finite_difference_gradients(model, loss_of_model, eps, method, base=value), 0

    settings = dict(lr=lr, momentum=momentum, target=target, stop_at_target=stop_at_target)
    name = f"finite differences ({method})"
    return train_with(name, gradients, model, X, y, steps=steps, **settings)
