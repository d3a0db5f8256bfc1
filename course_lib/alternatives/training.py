"""The network, the record and the training loop that every method of the comparison shares.

:func:`mlp_333` is the lecture's small tanh MLP; :func:`train_with` is one full-batch SGD loop
that evaluates, records a :class:`TrainingRun` and lets a method compute the gradients, counting
the forward and backward passes each method spends. :func:`backprop_train` is the baseline in
that loop; the alternatives (:mod:`.finite_differences`, :mod:`.feedback_alignment`) plug their
own gradients into it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..activations import Tanh
from ..losses import BCEWithLogitsLoss, CrossEntropyLoss, Loss
from ..mlp import mlp
from ..modules import Linear, Sequential
from ..optim import SGD

__all__ = ["mlp_333", "TrainingRun", "train_with", "backprop_train"]

# gradients(T, loss, value) -> (forward passes, backward passes) it used; see train_with
Gradients = Callable[[np.ndarray, Loss, float], tuple[int, int]]


def mlp_333(
    rng: np.random.Generator | int | None = None,
    widths: Sequence[int] = (2, 3, 3, 1),
) -> Sequential:
    """The small MLP of the lecture's "3x3x3" slide: tanh hidden layers, one output logit.

    Parameters
    ----------
    rng : np.random.Generator, int or None
        Initialisation (Xavier, suited to tanh).
    widths : sequence of int
        ``(d_0, ..., d_L)``; the default ``(2, 3, 3, 1)`` has 25 parameters.

    Returns
    -------
    Sequential
        Maps ``(N, d_0)`` to logits ``(N, d_L)``.
    """
    return mlp(widths, rng, Tanh, init="xavier")


@dataclass
class TrainingRun:
    """The record of one training run.

    Attributes
    ----------
    method : str
    losses : list of float
        Training loss at the start of each step, and after the last one.
    accuracies : list of float
        Training accuracy at the start of each step, and after the last one.
    accuracy : float
        Final training accuracy (after the last step).
    steps : int
        Parameter updates made.
    forward_passes, backward_passes : int
        Passes of the model over the whole training batch (the final evaluation included).
    seconds : float
        Wall time.
    steps_to_target : int or None
        First step whose starting accuracy reached ``target`` (``None`` if never).
    passes_to_target : int or None
        Forward + backward passes spent until then.
    n_parameters : int
        ``P``, the number of trained scalars.
    """

    method: str
    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)
    accuracy: float = 0.0
    steps: int = 0
    forward_passes: int = 0
    backward_passes: int = 0
    seconds: float = 0.0
    steps_to_target: int | None = None
    passes_to_target: int | None = None
    n_parameters: int = 0

    @property
    def passes_per_step(self) -> float:
        """Forward + backward passes per update."""
        return (self.forward_passes + self.backward_passes - 1) / max(1, self.steps)


def _targets(y: np.ndarray, out_features: int) -> tuple[np.ndarray, Loss]:
    """Targets and loss for a classifier with ``out_features`` outputs (1: logistic)."""
    y = np.asarray(y)
    if out_features == 1:
        return y.reshape(-1, 1).astype(np.float64), BCEWithLogitsLoss()
    return y.astype(np.int64), CrossEntropyLoss()


def _accuracy(out: np.ndarray, y: np.ndarray) -> float:
    labels = (out[:, 0] > 0).astype(np.int64) if out.shape[1] == 1 else out.argmax(axis=1)
    return float(np.mean(labels == np.asarray(y).reshape(-1)))


def _out_features(model: Sequential) -> int:
    last = [m for m in model if isinstance(m, Linear)][-1]
    return last.out_features


def train_with(
    method: str,
    gradients: Gradients,
    model: Sequential,
    X: np.ndarray,
    y: np.ndarray,
    *,
    steps: int,
    lr: float,
    momentum: float,
    target: float,
    stop_at_target: bool,
    forward: Callable[[np.ndarray], np.ndarray] | None = None,
) -> TrainingRun:
    """Full-batch SGD with momentum, the gradients from ``gradients``: evaluate, record, update.

    Each step evaluates ``value = loss.forward(forward(X), T)`` (``forward`` defaults to
    ``model.forward``) and records the loss and accuracy; then, with the caches and the loss
    fresh, ``gradients(T, loss, value)`` fills every parameter's (zeroed) ``grad`` and returns the
    ``(forward, backward)`` passes it used on top of that evaluation, and the optimizer steps.
    The weights after the last step are evaluated too.

    Parameters
    ----------
    method : str
        Name of the run.
    gradients : callable
        ``(T, loss, value) -> (forward passes, backward passes)``; the targets ``T`` are
        ``(N, 1)`` floats for one logit, else the ``(N,)`` labels.
    model, X, y, steps, lr, momentum, target, stop_at_target
        As in :func:`backprop_train`.
    forward : callable, optional
        ``(N, D) -> (N, C)``, a forward pass that keeps what ``gradients`` needs.

    Returns
    -------
    TrainingRun
    """
    X = np.asarray(X, dtype=np.float64)
    T, loss = _targets(y, _out_features(model))
    forward = model.forward if forward is None else forward
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)
    run = TrainingRun(method, n_parameters=sum(p.data.size for p in model.parameters()))
    start = time.perf_counter()
    for step in range(steps + 1):  # the last evaluation is of the weights after the last update
        value = _evaluate(run, forward(X), loss, T, y)
        if (_reaches_target(run, step, target) and stop_at_target) or step == steps:
            break
        optimizer.zero_grad()
        fwd, bwd = gradients(T, loss, value)
        optimizer.step()
        run.forward_passes += fwd
        run.backward_passes += bwd
        run.steps += 1
    run.accuracy = run.accuracies[-1]
    run.seconds = time.perf_counter() - start
    return run


def _reaches_target(run: TrainingRun, step: int, target: float) -> bool:
    """Whether the latest accuracy reaches ``target`` for the first time; if so, record when."""
    if run.steps_to_target is not None or run.accuracies[-1] < target:
        return False
    run.steps_to_target = step
    run.passes_to_target = run.forward_passes + run.backward_passes
    return True


def _evaluate(run: TrainingRun, out: np.ndarray, loss: Loss, T: np.ndarray, y: np.ndarray) -> float:
    """Record the loss and accuracy of one forward pass, logits ``out`` ``(N, C)``; return the loss.

    ``T`` are the loss's targets, ``y`` ``(N,)`` the labels.
    """
    run.forward_passes += 1
    value = loss.forward(out, T)
    run.losses.append(value)
    run.accuracies.append(_accuracy(out, y))
    return value


def backprop_train(
    model: Sequential,
    X: np.ndarray,
    y: np.ndarray,
    *,
    steps: int = 600,
    lr: float = 0.5,
    momentum: float = 0.9,
    target: float = 0.95,
    stop_at_target: bool = False,
) -> TrainingRun:
    """The baseline: full-batch SGD with gradients from ``model.backward`` (one forward and one
    backward pass per step), in the same loop as the alternatives so the costs compare.

    Parameters
    ----------
    model : Sequential
        Maps ``(N, D)`` to logits ``(N, 1)`` or ``(N, C)``, e.g. :func:`mlp_333`.
    X : np.ndarray
        ``(N, D)`` inputs.
    y : np.ndarray
        ``(N,)`` integer labels.
    steps, lr, momentum : int, float, float
        Number of updates and SGD settings.
    target : float
        Accuracy whose first reaching is recorded (``steps_to_target``).
    stop_at_target : bool
        Stop as soon as the training accuracy reaches ``target``.

    Returns
    -------
    TrainingRun
    """

    def gradients(T: np.ndarray, loss: Loss, value: float) -> tuple[int, int]:
        model.backward(loss.backward())
        return 0, 1

    settings = dict(lr=lr, momentum=momentum, target=target, stop_at_target=stop_at_target)
    return train_with("backprop", gradients, model, X, y, steps=steps, **settings)
