"""A tiny neural-network library on :class:`~course_lib.autograd.engine.Value`: enough to learn XOR.

:class:`Neuron` computes ``act(w . x + b)``, a :class:`Layer` is a list of neurons reading the same
inputs, an :class:`MLP` chains layers; every weight is a scalar ``Value``, so ``loss.backward()``
fills each weight's ``.grad``. :func:`train` runs full-batch gradient descent on them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from course_lib.utils import as_rng

from .engine import Number, Value

__all__ = ["Module", "Neuron", "Layer", "MLP", "TrainResult", "train"]

ActivationName = Literal["tanh", "relu", "sigmoid", "linear"]


class Module:
    """Base of :class:`Neuron`, :class:`Layer` and :class:`MLP`: parameters and ``zero_grad``."""

    def parameters(self) -> list[Value]:
        """Every weight and bias, in a stable order."""
        return []

    def zero_grad(self) -> None:
        """Set ``.grad`` of every parameter to 0."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """One unit: ``act(sum_i w_i x_i + b)``.

    Parameters
    ----------
    n_inputs : int
        Number of inputs ``D``.
    activation : {"tanh", "relu", "sigmoid", "linear"}
    rng : np.random.Generator, int or None
        Weights are drawn from ``N(0, 1 / D)`` (Xavier-like), the bias starts at 0.
    """

    def __init__(
        self,
        n_inputs: int,
        activation: ActivationName = "tanh",
        *,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        if activation not in ("tanh", "relu", "sigmoid", "linear"):
            raise ValueError(f"Neuron: unknown activation {activation!r}")
        rng = as_rng(rng)
        scale = 1.0 / math.sqrt(n_inputs)
        self.w = [Value(float(v), label="w") for v in rng.normal(0.0, scale, size=n_inputs)]
        self.b = Value(0.0, label="b")
        self.activation = activation

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        """``D`` inputs -> one ``Value``, ``act(w . x + b)``."""
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        act = self.b
        for wi, xi in zip(self.w, x, strict=True):
            act = act + wi * xi
        if self.activation == "linear":
            return act
        return getattr(act, self.activation)()

    def parameters(self) -> list[Value]:
        """The ``D`` weights, then the bias."""
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, {self.activation})"


class Layer(Module):
    """``n_outputs`` neurons reading the same ``n_inputs`` inputs."""

    def __init__(
        self,
        n_inputs: int,
        n_outputs: int,
        activation: ActivationName = "tanh",
        *,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        rng = as_rng(rng)
        self.neurons = [Neuron(n_inputs, activation, rng=rng) for _ in range(n_outputs)]

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        """``n_inputs`` inputs -> ``n_outputs`` Values, one per neuron."""
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        """Each neuron's parameters, neuron by neuron."""
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer([{', '.join(map(repr, self.neurons))}])"


class MLP(Module):
    """A multilayer perceptron of :class:`Layer` s; hidden layers use ``activation``, the last is
    linear.

    Parameters
    ----------
    n_inputs : int
    layer_sizes : sequence of int
        Widths of the hidden layers and the output layer, e.g. ``[4, 1]``.
    activation : {"tanh", "relu", "sigmoid"}
    rng : np.random.Generator, int or None

    Calling the MLP on ``D`` inputs returns a list of ``layer_sizes[-1]`` Values (a single Value if
    the output layer has one unit).
    """

    def __init__(
        self,
        n_inputs: int,
        layer_sizes: Sequence[int],
        activation: ActivationName = "tanh",
        *,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        rng = as_rng(rng)
        sizes = [n_inputs, *layer_sizes]
        last = len(layer_sizes) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else "linear", rng=rng)
            for i in range(len(layer_sizes))
        ]

    def __call__(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        """``D`` inputs -> ``layer_sizes[-1]`` Values (one Value for a single output)."""
        # One leaf per input (labelled x0, x1, ...) shared by all first-layer neurons.
        out = [xi if isinstance(xi, Value) else Value(xi, label=f"x{i}") for i, xi in enumerate(x)]
        for layer in self.layers:
            out = layer(out)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        """Each layer's parameters, first layer first."""
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP([{', '.join(map(repr, self.layers))}])"


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    losses : list of float
        The loss after each step.
    accuracy : float
        Final training accuracy in [0, 1].
    steps : int
        Number of gradient steps taken (training stops early at 100 % accuracy and a small loss).
    """

    losses: list[float] = field(default_factory=list)
    accuracy: float = 0.0
    steps: int = 0


def _predict_scores(model: MLP, X: np.ndarray) -> list[Value]:
    return [model([float(v) for v in row]) for row in X]  # type: ignore[misc]


def train(
    model: MLP,
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    *,
    steps: int = 500,
    lr: float = 0.1,
    tol: float = 1e-3,
) -> TrainResult:
    """Train a one-output :class:`MLP` as a binary classifier with full-batch gradient descent.

    The loss is the mean squared error between the output and the targets ``2 y - 1`` in
    ``{-1, +1}``; a point is classified as 1 when the output is positive.

    Parameters
    ----------
    model : MLP
        With a single output unit.
    X : np.ndarray, shape (N, D), optional
        Inputs; default ``course_lib.data.xor()``.
    y : np.ndarray, shape (N,), optional
        Labels in ``{0, 1}``; default the XOR labels.
    steps : int
        Maximum number of gradient steps.
    lr : float
        Learning rate.
    tol : float
        Stop once the accuracy is 100 % and the loss is below ``tol``.

    Returns
    -------
    TrainResult
    """
    if X is None or y is None:
        from course_lib.data import xor

        X, y = xor()
    X = np.asarray(X, dtype=np.float64)
    targets = 2.0 * np.asarray(y, dtype=np.float64) - 1.0
    result = TrainResult()
    params = model.parameters()
    for step in range(1, steps + 1):
        scores = _predict_scores(model, X)
        loss = sum(((s - t) ** 2 for s, t in zip(scores, targets, strict=True)), Value(0.0))
        loss = loss / len(targets)
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        result.losses.append(loss.data)
        result.steps = step
        predictions = np.array([s.data > 0 for s in scores])
        result.accuracy = float(np.mean(predictions == (targets > 0)))
        if result.accuracy == 1.0 and loss.data < tol:
            break
    scores = _predict_scores(model, X)
    result.accuracy = float(np.mean(np.array([s.data > 0 for s in scores]) == (targets > 0)))
    return result
