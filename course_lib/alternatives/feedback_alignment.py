"""Training without backpropagation (b): feedback alignment (Lillicrap et al., 2016).

The backward pass sends errors down through fixed random matrices ``B_l`` where backprop uses
``W_l^T``, so no neuron needs to know the weights downstream of it. The forward weights then come
to align with ``B_l``, and the network learns.
"""

from __future__ import annotations

import numpy as np

from ..losses import Loss
from ..modules import Linear, Sequential
from ..utils import as_rng
from .training import TrainingRun, train_with

__all__ = ["FeedbackAlignment", "feedback_alignment_train"]


class FeedbackAlignment:
    """A backward pass through a Sequential that sends errors back through fixed random matrices.

    Backprop sends the error ``delta_l`` (``dL/d`` output of Linear ``l``, shape ``(N, d_l)``) to
    the layer below as ``delta_l @ W_l``; feedback alignment uses ``delta_l @ B_l`` with a
    random ``B_l`` of ``W_l``'s shape ``(d_l, d_{l-1})``, drawn once and never trained. Weight
    gradients stay local: ``dW_l = delta_l^T x_l``, ``db_l = sum_n delta_l``. Activations
    backpropagate with their true derivative (it is local to the neuron).

    Parameters
    ----------
    model : Sequential
        Of :class:`Linear` layers and elementwise activations. Its parameters are the ones trained.
    rng : np.random.Generator, int or None
        For the feedback matrices, ``B_l ~ N(0, 1/d_l)``.

    Attributes
    ----------
    feedback : dict of int to np.ndarray
        Module index -> ``B_l``, shape ``(d_l, d_{l-1})``, for every Linear but the first (the
        first layer's input is data, which needs no error signal).
    """

    def __init__(self, model: Sequential, rng: np.random.Generator | int | None = None) -> None:
        g = as_rng(rng)
        self.model = model
        linear = [i for i, m in enumerate(model) if isinstance(m, Linear)]
        self.feedback = {
            i: g.standard_normal(model[i].weight.shape) / np.sqrt(model[i].out_features)
            for i in linear[1:]
        }
        self._inputs: list[np.ndarray] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``model`` forward, keeping each module's input. ``x``: ``(N, d_0)`` -> ``(N, d_L)``."""
        self._inputs = []
        for module in self.model:
            self._inputs.append(x)
            x = module.forward(x)
        return x

    def backward(self, grad_output: np.ndarray) -> None:
        """Accumulate (``+=``) every parameter's grad from ``dL/dy`` ``(N, d_L)``, errors sent
        back through ``B_l`` instead of ``W_l``."""
        if self._inputs is None:
            raise RuntimeError("FeedbackAlignment: backward() called before forward()")
        delta = grad_output
        for i in range(len(self.model) - 1, -1, -1):
            module, x = self.model[i], self._inputs[i]
            if isinstance(module, Linear):
                module.weight.grad += delta.T @ x
                if module.bias is not None:
                    module.bias.grad += delta.sum(axis=0)
                if i in self.feedback:
                    delta = delta @ self.feedback[i]  # backprop would use module.weight.data
            else:
                delta = module.backward(delta)

    def alignment_angles(self) -> dict[int, float]:
        """Angle in degrees between ``W_l`` and ``B_l`` for each feedback layer (90 = unrelated)."""
        angles = {}
        for i, b in self.feedback.items():
            w = self.model[i].weight.data
            cos = np.sum(w * b) / (np.linalg.norm(w) * np.linalg.norm(b))
            angles[i] = float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
        return angles


def feedback_alignment_train(
    model: Sequential,
    X: np.ndarray,
    y: np.ndarray,
    *,
    steps: int = 600,
    lr: float = 0.5,
    momentum: float = 0.9,
    rng: np.random.Generator | int | None = None,
    target: float = 0.95,
    stop_at_target: bool = False,
) -> tuple[TrainingRun, FeedbackAlignment]:
    """Train with feedback alignment: one forward and one (random-feedback) backward per step.

    Parameters
    ----------
    model, X, y, steps, lr, momentum, target, stop_at_target
        As in :func:`~course_lib.alternatives.backprop_train`: ``X (N, D)``, labels ``y (N,)``.
    rng : np.random.Generator, int or None
        For the feedback matrices.

    Returns
    -------
    run : TrainingRun
    fa : FeedbackAlignment
        Holds the matrices ``B_l``; ``fa.alignment_angles()`` shows how ``W_l`` turned to them.
    """
    fa = FeedbackAlignment(model, rng)

    def gradients(T: np.ndarray, loss: Loss, value: float) -> tuple[int, int]:
        fa.backward(loss.backward())  # the evaluation pass was fa.forward: its inputs are kept
        return 0, 1

    settings = dict(lr=lr, momentum=momentum, target=target, stop_at_target=stop_at_target)
    run = train_with(
        "feedback alignment", gradients, model, X, y, steps=steps, forward=fa.forward, **settings
    )
    return run, fa
