"""What a step of training costs, and what a fixed compute budget buys.

Cost is counted in multiply-adds of the matrix products, which dominate an MLP's work: a
``Linear(n_in, n_out)`` layer does ``n_in * n_out`` per example forward, and twice that backward
(one product for the input gradient, one for the weight gradient). Counts are exact and
machine-independent; :func:`time_forward_backward` measures wall time for comparison.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..losses import BCEWithLogitsLoss
from ..mlp import mlp
from ..modules import Linear, Module, Sequential
from ._adam import fit_adam

__all__ = [
    "mlp",
    "multiply_adds_per_step",
    "BudgetRun",
    "train_run",
    "plot_budget_runs",
    "time_forward_backward",
    "plot_timings",
]


def multiply_adds_per_step(model: Sequential, n: int) -> int:
    """Multiply-adds of one full-batch training step: ``3 * n * sum(n_in * n_out)``.

    Forward: one product per ``Linear`` (``n * n_in * n_out``); backward: two of the same size.
    Activations, biases and the optimizer's update are lower-order and not counted.
    """
    per_example = sum(m.in_features * m.out_features for m in model if isinstance(m, Linear))
    return 3 * int(n) * per_example


@dataclass
class BudgetRun:
    """Validation curve of one training run, step by step.

    Attributes
    ----------
    label : str
        E.g. ``"2-16-1"``.
    cost_per_step : int
        Multiply-adds of one step (:func:`multiply_adds_per_step`).
    val_loss, val_accuracy : np.ndarray
        Shape ``(S,)``: after steps ``1 .. S``.
    """

    label: str
    cost_per_step: int
    val_loss: np.ndarray
    val_accuracy: np.ndarray

    @property
    def compute(self) -> np.ndarray:
        """Cumulative multiply-adds after steps ``1 .. S``, shape ``(S,)``."""
        return self.cost_per_step * np.arange(1, len(self.val_loss) + 1)

    def step_within(self, budget: float) -> int:
        """Index (0-based) of the last step whose cumulative cost is at most ``budget``."""
        steps = int(budget // self.cost_per_step)
        if steps < 1 or steps > len(self.val_loss):
            raise ValueError(
                f"BudgetRun {self.label}: a budget of {budget:.3g} multiply-adds is {steps} steps, "
                f"outside the {len(self.val_loss)} steps that were run"
            )
        return steps - 1


def train_run(
    sizes: Sequence[int],
    X: np.ndarray,
    y: np.ndarray,
    X_val: np.ndarray,
    y_val: np.ndarray,
    steps: int,
    rng: np.random.Generator,
    lr: float = 0.01,
) -> BudgetRun:
    """Train ``mlp(sizes)`` full-batch with Adam for ``steps`` steps on a binary task.

    Parameters
    ----------
    sizes : sequence of int
        Widths, input first, one output logit last.
    X, X_val : np.ndarray
        Inputs, shapes ``(N, D)`` and ``(M, D)``.
    y, y_val : np.ndarray
        0/1 targets, shapes ``(N, 1)`` and ``(M, 1)``.
    steps : int
        Optimizer steps (= epochs: each step uses the whole training set).
    rng : np.random.Generator
        Initialises the weights.
    lr : float
        Adam's step size.

    Returns
    -------
    BudgetRun
        Validation loss and accuracy after every step.
    """
    model = mlp(sizes, rng)
    history = fit_adam(
        model, BCEWithLogitsLoss(), X, y, epochs=steps, lr=lr, X_val=X_val, y_val=y_val
    )
    return BudgetRun(
        label="-".join(map(str, sizes)),
        cost_per_step=multiply_adds_per_step(model, len(X)),
        val_loss=np.array(history.val_loss),
        val_accuracy=np.array(history.val_accuracy),
    )


def plot_budget_runs(
    runs: Sequence[BudgetRun], budget: float, axes: Sequence[Axes] | None = None
) -> Figure:
    """Validation loss against steps (left) and against multiply-adds (right), budget marked.

    Returns
    -------
    Figure
        Two axes, one line per run on each.
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
    left, right = axes
    for run in runs:
        steps = np.arange(1, len(run.val_loss) + 1)
        (line,) = left.semilogx(steps, run.val_loss, label=run.label)
        right.semilogx(run.compute, run.val_loss, color=line.get_color(), label=run.label)
    right.axvline(budget, color="k", ls=":", label="the budget")
    left.set_xlabel("optimizer steps")
    right.set_xlabel("multiply-adds spent")
    left.set_ylabel("validation loss")
    left.set_title("per step: the larger model learns faster")
    right.set_title("per multiply-add: the smaller one wins this budget")
    for ax in axes:
        ax.legend(fontsize="small")
    return left.figure


def time_forward_backward(
    modules: Mapping[str, Module], x: np.ndarray, repeats: int = 5
) -> dict[str, float]:
    """Best-of-``repeats`` wall time of ``module.backward(ones)`` after ``module(x)``, in ms.

    Parameters
    ----------
    modules : mapping of str to Module
        Shape-preserving modules (activations), by name.
    x : np.ndarray
        Input, any shape the modules accept.
    repeats : int
        Runs per module; the fastest counts (less noise from other work on the machine).

    Returns
    -------
    dict of str to float
        Milliseconds per forward + backward, in the order of ``modules``.
    """
    times = {}
    for name, module in modules.items():
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            module.backward(np.ones_like(module(x)))
            best = min(best, time.perf_counter() - start)
        times[name] = best * 1e3
    return times


def plot_timings(timings: Mapping[str, float], ax: Axes | None = None) -> Axes:
    """Horizontal bars of milliseconds per module, first on top."""
    ax = ax if ax is not None else plt.subplots(figsize=(5, 2.4))[1]
    ax.barh(list(timings), list(timings.values()), color="#9ecae1")
    ax.invert_yaxis()
    ax.set_xlabel("forward + backward time (ms)")
    return ax
