"""Learning without backpropagation: finite differences and feedback alignment, against backprop.

The lecture's "why backprop?" slide makes two points, and this module turns both into training
methods that really work on the XOR family of data sets (:func:`course_lib.data.xor`,
:func:`course_lib.data.noisy_xor`):

1. *"A 3x3x3 MLP can be trained without backpropagation magic"*: :func:`finite_difference_train`
   estimates every partial derivative ``dL/dtheta_i`` by perturbing that one weight,
   ``(L(theta + eps e_i) - L(theta - eps e_i)) / 2 eps`` (weight perturbation). It needs only
   forward passes, but ``2 P`` of them per step for ``P`` parameters, where backprop needs one
   forward and one backward pass whatever ``P`` is. Our "3x3x3" network is
   :func:`mlp_333`: 2 inputs (the XOR coordinates), two hidden layers of 3 tanh units and one
   output logit, ``Sequential(Linear(2, 3), Tanh(), Linear(3, 3), Tanh(), Linear(3, 1))``,
   25 parameters. (Three 3-unit layers would need a third input that XOR does not have.)
2. *"The brain uses random synaptic weights to propagate errors"*: :class:`FeedbackAlignment`
   runs the backward pass with a fixed random matrix ``B_l`` where backprop uses ``W_l^T``
   (Lillicrap et al., 2016), so no neuron needs to know the weights downstream of it. The
   forward weights then come to align with ``B_l``, and the network learns.

:func:`compare_training` trains the same initial network with all three and reports the cost:
forward and backward passes and wall time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from .activations import Tanh
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, Loss
from .modules import Linear, Module, Sequential
from .optim import SGD
from .utils import as_rng

__all__ = [
    "mlp_333",
    "TrainingRun",
    "finite_difference_gradients",
    "finite_difference_train",
    "FeedbackAlignment",
    "feedback_alignment_train",
    "backprop_train",
    "TrainingComparison",
    "compare_training",
]


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
    g = as_rng(rng)
    layers: list[Module] = []
    for l in range(1, len(widths)):
        layers.append(Linear(widths[l - 1], widths[l], init="xavier", rng=g))
        if l < len(widths) - 1:
            layers.append(Tanh())
    return Sequential(*layers)


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


def _run(
    method: str,
    model: Sequential,
    X: np.ndarray,
    y: np.ndarray,
    step_fn: Callable[[np.ndarray, Loss, float], tuple[int, int]],
    *,
    steps: int,
    target: float,
    stop_at_target: bool,
    forward: Callable[[np.ndarray], np.ndarray] | None = None,
) -> TrainingRun:
    """The shared training loop: evaluate, record, let ``step_fn`` update; count passes.

    ``step_fn(T, loss, value)`` is called right after ``value = loss.forward(forward(X), T)``
    (``forward`` defaults to ``model.forward``), so the caches and the loss are fresh; it sets
    the parameters' grads, steps the optimizer and returns the ``(forward, backward)`` passes it
    used on top of that evaluation.
    """
    X = np.asarray(X, dtype=np.float64)
    T, loss = _targets(y, _out_features(model))
    forward = model.forward if forward is None else forward
    run = TrainingRun(method, n_parameters=sum(p.data.size for p in model.parameters()))
    start = time.perf_counter()
    for step in range(steps):
        out = forward(X)
        run.forward_passes += 1
        value = loss.forward(out, T)
        run.losses.append(value)
        run.accuracies.append(_accuracy(out, y))
        if run.steps_to_target is None and run.accuracies[-1] >= target:
            run.steps_to_target = step
            run.passes_to_target = run.forward_passes + run.backward_passes
            if stop_at_target:
                break
        fwd, bwd = step_fn(T, loss, value)
        run.forward_passes += fwd
        run.backward_passes += bwd
        run.steps += 1
    else:  # evaluate the weights after the last update
        out = forward(X)
        run.forward_passes += 1
        run.accuracies.append(_accuracy(out, y))
        run.losses.append(loss.forward(out, T))
        if run.steps_to_target is None and run.accuracies[-1] >= target:
            run.steps_to_target = steps
            run.passes_to_target = run.forward_passes + run.backward_passes
    run.accuracy = run.accuracies[-1]
    run.seconds = time.perf_counter() - start
    return run


# ================================================================================================
# (a) finite differences / weight perturbation
# ================================================================================================
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
    model : Sequential
        Maps ``(N, D)`` to logits ``(N, 1)`` or ``(N, C)``, e.g. :func:`mlp_333`.
    X : np.ndarray
        ``(N, D)`` inputs.
    y : np.ndarray
        ``(N,)`` integer labels.
    steps, lr, momentum : int, float, float
        Number of updates and SGD settings.
    eps, method
        See :func:`finite_difference_gradients`.
    target : float
        Accuracy whose first reaching is recorded (``steps_to_target``).
    stop_at_target : bool
        Stop as soon as the training accuracy reaches ``target``.

    Returns
    -------
    TrainingRun
    """
    X = np.asarray(X, dtype=np.float64)
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)

    def step(T: np.ndarray, loss: Loss, value: float) -> tuple[int, int]:
        passes = finite_difference_gradients(
            model, lambda: loss.forward(model.forward(X), T), eps, method, base=value
        )
        optimizer.step()
        return passes, 0

    return _run(
        f"finite differences ({method})",
        model,
        X,
        y,
        step,
        steps=steps,
        target=target,
        stop_at_target=stop_at_target,
    )


# ================================================================================================
# (b) feedback alignment
# ================================================================================================
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
    model : Sequential
        Maps ``(N, D)`` to logits ``(N, 1)`` or ``(N, C)``.
    X : np.ndarray
        ``(N, D)``.
    y : np.ndarray
        ``(N,)`` integer labels.
    steps, lr, momentum : int, float, float
        Full-batch SGD settings.
    rng : np.random.Generator, int or None
        For the feedback matrices.
    target, stop_at_target
        As in :func:`finite_difference_train`.

    Returns
    -------
    run : TrainingRun
    fa : FeedbackAlignment
        Holds the matrices ``B_l``; ``fa.alignment_angles()`` shows how ``W_l`` turned to them.
    """
    X = np.asarray(X, dtype=np.float64)
    fa = FeedbackAlignment(model, rng)
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)

    def step(T: np.ndarray, loss: Loss, value: float) -> tuple[int, int]:
        optimizer.zero_grad()
        fa.backward(loss.backward())  # the evaluation pass was fa.forward: its inputs are kept
        optimizer.step()
        return 0, 1

    run = _run(
        "feedback alignment",
        model,
        X,
        y,
        step,
        steps=steps,
        target=target,
        stop_at_target=stop_at_target,
        forward=fa.forward,
    )
    return run, fa


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

    Parameters and return value as in :func:`finite_difference_train`.
    """
    X = np.asarray(X, dtype=np.float64)
    optimizer = SGD(model.parameters(), lr=lr, momentum=momentum)

    def step(T: np.ndarray, loss: Loss, value: float) -> tuple[int, int]:
        optimizer.zero_grad()
        model.backward(loss.backward())
        optimizer.step()
        return 0, 1

    return _run(
        "backprop", model, X, y, step, steps=steps, target=target, stop_at_target=stop_at_target
    )


# ================================================================================================
# comparison
# ================================================================================================
@dataclass
class TrainingComparison:
    """Result of :func:`compare_training`.

    Attributes
    ----------
    runs : dict of (str, tuple of int) to TrainingRun
        Keyed by ``(method, widths)``, method one of ``"backprop"``, ``"feedback_alignment"``,
        ``"finite_differences"``.
    n_samples : int
    target : float
    """

    runs: dict[tuple[str, tuple[int, ...]], TrainingRun]
    n_samples: int
    target: float

    def to_markdown(self) -> str:
        """A Markdown table of accuracy and cost per run, with ratios to backprop on the same
        network."""
        lines = [
            f"{self.n_samples} training points, full batch, target accuracy {self.target:.0%}; "
            "a pass is one forward or backward pass over the whole batch",
            "",
            "| network | params | method | accuracy | steps to target | passes / step | "
            "passes to target | x backprop | time to target / end | x backprop |",
            "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for (_, widths), run in self.runs.items():
            bp = self.runs[("backprop", widths)]
            reached = run.passes_to_target is not None
            ratio = f"{run.passes_to_target / bp.passes_to_target:.3g}" if reached else "-"
            t_ratio = f"{run.seconds / bp.seconds:.3g}" if bp.seconds else "-"
            lines.append(
                f"| {'-'.join(map(str, widths))} | {run.n_parameters} | {run.method} | "
                f"{run.accuracy:.1%} | "
                f"{run.steps_to_target if reached else f'not in {run.steps}'} | "
                f"{run.passes_per_step:.3g} | {run.passes_to_target if reached else '-'} | "
                f"{ratio} | {run.seconds * 1e3:.3g} ms | {t_ratio} |"
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def compare_training(
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    *,
    architectures: Sequence[Sequence[int]] = ((2, 3, 3, 1), (2, 8, 8, 1)),
    steps: int = 600,
    lr: float = 0.5,
    momentum: float = 0.9,
    target: float = 0.95,
    stop_at_target: bool = True,
    rng: np.random.Generator | int | None = 0,
) -> TrainingComparison:
    """Train the same initial networks with backprop, feedback alignment and finite differences.

    For each architecture the three methods start from identical weights and share the SGD
    settings; each run stops when its training accuracy reaches ``target`` (unless
    ``stop_at_target=False``), so passes and time are the cost of getting there.

    What to expect: finite differences follow backprop's trajectory step for step (central
    differences are that accurate) at ``2 P`` forward passes per step instead of one forward and
    one backward; feedback alignment costs what backprop costs per step but needs room to align:
    with 3-unit hidden layers it is stuck on most seeds, with 8 units it learns reliably.

    Parameters
    ----------
    X, y : np.ndarray, optional
        ``(N, D)`` inputs and ``(N,)`` labels; default ``course_lib.data.noisy_xor(200, rng=0)``.
    architectures : sequence of sequence of int
        Widths passed to :func:`mlp_333`.
    steps, lr, momentum : int, float, float
        Full-batch SGD settings shared by every run; ``steps`` is the maximum.
    target : float
        Accuracy to reach.
    stop_at_target : bool
        Stop each run at ``target``.
    rng : np.random.Generator, int or None
        Seeds of the initial weights and of the feedback matrices.

    Returns
    -------
    TrainingComparison
        ``print(result)`` shows the table.
    """
    if X is None or y is None:
        from .data import noisy_xor

        X, y = noisy_xor(200, rng=0)
    g = as_rng(rng)
    common = dict(steps=steps, lr=lr, momentum=momentum, target=target)
    runs: dict[tuple[str, tuple[int, ...]], TrainingRun] = {}
    for widths in architectures:
        widths = tuple(int(w) for w in widths)
        init_seed, fa_seed = (int(v) for v in g.integers(0, 2**31, size=2))
        runs["backprop", widths] = backprop_train(
            mlp_333(init_seed, widths), X, y, stop_at_target=stop_at_target, **common
        )
        runs["feedback_alignment", widths] = feedback_alignment_train(
            mlp_333(init_seed, widths), X, y, rng=fa_seed, stop_at_target=stop_at_target, **common
        )[0]
        runs["finite_differences", widths] = finite_difference_train(
            mlp_333(init_seed, widths), X, y, stop_at_target=stop_at_target, **common
        )
    return TrainingComparison(runs, len(np.asarray(y)), target)
