"""The activation explorer's experiment: train a small MLP with one activation, count its units.

:func:`train_mlp` trains ``2 -> 16 -> 16 -> 16 -> 2`` (the activation after each hidden layer) by
full-batch gradient descent on cross-entropy and measures every hidden layer before and after:

- **dead** units: ``f'(z) = 0`` for every training point, i.e. a ReLU that is never active
  (no gradient ever flows through it again);
- **saturated** units: ``|f'(z)| < SATURATION`` for at least the fraction ``MOST`` of the points
  (a ReLU that is off for half the points is sparse, not saturated);
- the mean ``|f'(z)|`` over points and units, the factor by which the layer scales gradients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..activations import ACTIVATIONS, ELU, GELU, LeakyReLU, PReLU
from ..losses import CrossEntropyLoss
from ..mlp import mlp
from ..modules import Module, Sequential
from ..optim import SGD

__all__ = [
    "ELEMENTWISE",
    "SATURATION",
    "DEAD",
    "MOST",
    "make_activation",
    "TrainingStats",
    "train_mlp",
]

#: Names of the elementwise activations (those with a ``derivative``), in ACTIVATIONS' order.
ELEMENTWISE: tuple[str, ...] = tuple(
    name for name, cls in ACTIVATIONS.items() if hasattr(cls, "derivative")
)

SATURATION = 0.05
"""``|f'| below this`` counts as saturated."""
DEAD = 1e-8
"""``|f'| below this`` counts as no gradient at all (a dead unit)."""
MOST = 0.9
"""A unit is saturated when ``|f'| < SATURATION`` on at least this fraction of the points."""


def make_activation(name: str, params: dict[str, Any]) -> Module:
    """Build the activation ``name`` with its parameter taken from ``params``.

    Parameters
    ----------
    name : str
        A key of :data:`ELEMENTWISE`.
    params : dict
        The explorer's parameters (``negative_slope``, ``prelu_a``, ``elu_alpha``,
        ``gelu_approximate``); only the one that belongs to ``name`` is read.

    Returns
    -------
    Module
        E.g. ``ELU(alpha=params["elu_alpha"])``.
    """
    if name == "leaky_relu":
        return LeakyReLU(negative_slope=float(params["negative_slope"]))
    if name == "prelu":
        return PReLU(init=float(params["prelu_a"]))
    if name == "elu":
        return ELU(alpha=float(params["elu_alpha"]))
    if name == "gelu":
        return GELU(approximate=str(params["gelu_approximate"]))
    if name not in ELEMENTWISE:
        raise ValueError(f"activation_explorer: unknown activation {name!r}; use {ELEMENTWISE}")
    return ACTIVATIONS[name]()


@dataclass
class TrainingStats:
    """What one training run of the explorer's MLP found.

    Attributes
    ----------
    losses : np.ndarray
        Cross-entropy before each step, shape ``(K,)`` (shorter than ``steps`` if it diverged).
    accuracy : float
        Training accuracy after the run.
    dead, saturated, mean_grad : np.ndarray
        Per hidden layer after training, shape ``(L,)``: fraction of dead units, fraction of
        saturated units, mean ``|f'(z)|`` over points and units.
    dead_init, saturated_init, mean_grad_init : np.ndarray
        The same at initialisation, shape ``(L,)``.
    diverged : bool
        The loss became NaN or infinite (the step size is too large); training stopped there.
    extra : dict
        Activation-specific results, e.g. ``learned_a`` (per layer) for PReLU.
    model : Sequential
        The trained network (``Linear, act, Linear, act, Linear, act, Linear``).
    """

    losses: np.ndarray
    accuracy: float
    dead: np.ndarray
    saturated: np.ndarray
    mean_grad: np.ndarray
    dead_init: np.ndarray
    saturated_init: np.ndarray
    mean_grad_init: np.ndarray
    diverged: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    model: Sequential | None = field(default=None, repr=False)


def _unit_stats(
    model: Sequential, X: np.ndarray, n_hidden: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dead / saturated fractions and mean ``|f'|`` per hidden layer, each shape ``(L,)``."""
    dead, saturated, mean_grad = (np.zeros(n_hidden) for _ in range(3))
    h = X
    for i in range(n_hidden):
        linear, act = model[2 * i], model[2 * i + 1]
        z = linear.forward(h)  # (N, width)
        h = act.forward(z)
        d = np.abs(act.derivative(z))  # (N, width)
        d = np.where(np.isfinite(d), d, 0.0)
        dead[i] = np.mean(np.all(d < DEAD, axis=0))
        saturated[i] = np.mean(np.mean(d < SATURATION, axis=0) >= MOST)
        mean_grad[i] = np.mean(d)
    return dead, saturated, mean_grad


def train_mlp(
    name: str,
    params: dict[str, Any],
    lr: float,
    X: np.ndarray,
    y: np.ndarray,
    *,
    steps: int = 300,
    width: int = 16,
    n_hidden: int = 3,
    seed: int = 0,
) -> TrainingStats:
    """Train ``2 -> width x n_hidden -> 2`` with activation ``name`` and measure its units.

    Parameters
    ----------
    name : str
        Activation name (see :data:`ELEMENTWISE`); ``params`` holds its parameter.
    lr : float
        Step size of full-batch gradient descent on cross-entropy.
    X : np.ndarray
        Inputs, shape ``(N, 2)``.
    y : np.ndarray
        Labels in {0, 1}, shape ``(N,)``.
    steps : int
        Gradient steps.
    seed : int
        Seed of the He-initialised weights (the same for every activation).

    Returns
    -------
    TrainingStats
    """
    rng = np.random.default_rng(seed)
    sizes = (X.shape[1], *[width] * n_hidden, 2)
    model = mlp(sizes, rng, lambda: make_activation(name, params))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        dead0, sat0, grad0 = _unit_stats(model, X, n_hidden)
        losses, diverged = _descend(model, X, y, lr, steps)
        dead, sat, grad = _unit_stats(model, X, n_hidden)
        out = model.forward(X)
        accuracy = float(np.mean(out.argmax(axis=1) == y)) if np.isfinite(out).all() else 0.5
    extra = {}
    if name == "prelu":
        extra["learned_a"] = [float(model[2 * i + 1].weight.data) for i in range(n_hidden)]
    return TrainingStats(
        losses=losses,
        accuracy=accuracy,
        dead=dead,
        saturated=sat,
        mean_grad=grad,
        dead_init=dead0,
        saturated_init=sat0,
        mean_grad_init=grad0,
        diverged=diverged,
        extra=extra,
        model=model,
    )


def _descend(
    model: Sequential, X: np.ndarray, y: np.ndarray, lr: float, steps: int
) -> tuple[np.ndarray, bool]:
    """Full-batch gradient descent on the cross-entropy of ``X (N, D)``, labels ``y (N,)``.

    Returns the loss before each step, shape ``(K,)``, and whether it diverged: training stops,
    before stepping, at the first loss that is not finite (then ``K < steps``).
    """
    loss_fn = CrossEntropyLoss()
    optimizer = SGD(model.parameters(), lr=lr)
    losses = np.empty(steps)
    for k in range(steps):
        out = model.forward(X)
        value = loss_fn.forward(out, y) if np.isfinite(out).all() else np.inf
        if not np.isfinite(value):
            return losses[:k].copy(), True
        losses[k] = value
        model.backward(loss_fn.backward(), input_grad=False)
        optimizer.step()
        optimizer.zero_grad()
    return losses, False
