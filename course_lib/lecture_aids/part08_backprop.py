"""Figures and measurements of part 8 (backpropagation).

- :func:`plot_batch_jacobians`: the sparsity of the batch Jacobians of an elementwise
  activation, a linear layer and a softmax, and the check that each module's ``backward``
  computes the vector-Jacobian product without the matrix.
- :func:`time_forward_backward`, :func:`plot_gradient_costs`: measured cost of one gradient by
  backprop against ``2P`` forward passes of weight perturbation.
- :func:`plot_training_comparison`: loss curves of backprop, feedback alignment and finite
  differences from :func:`course_lib.alternatives.compare_training`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..activations import ReLU
from ..alternatives import TrainingComparison
from ..gradcheck import numerical_jacobian
from ..modules import Linear, Module, Sequential

__all__ = [
    "JacobianPicture",
    "plot_batch_jacobians",
    "GradientCost",
    "time_forward_backward",
    "plot_gradient_costs",
    "plot_training_comparison",
]


@dataclass
class JacobianPicture:
    """One panel of :func:`plot_batch_jacobians`.

    Attributes
    ----------
    nonzero : int
        Non-zero entries of the batch Jacobian.
    size : int
        All its entries, ``(N D_out) (N D_in)``.
    vjp_error : float
        ``max |g^T J - module.backward(g)|`` (``J`` from central differences).
    """

    nonzero: int
    size: int
    vjp_error: float


def plot_batch_jacobians(
    modules: Mapping[str, Module],
    x: np.ndarray,
    upstream: np.ndarray,
    tol: float = 1e-9,
) -> tuple[Figure, dict[str, JacobianPicture]]:
    """Draw each module's batch Jacobian (black = non-zero) and check its backward against it.

    Parameters
    ----------
    modules : mapping of str to Module
        Title -> module mapping ``(N, D)`` to ``(N, D)`` (an activation, a square ``Linear``, a
        ``Softmax``...).
    x : np.ndarray
        Input batch, float64, shape ``(N, D)``.
    upstream : np.ndarray
        The gradient ``g = dL/dy``, shape ``(N, D)``.
    tol : float
        Entries with ``|J_ij| <= tol`` count as zero.

    Returns
    -------
    fig : Figure
        One panel per module.
    pictures : dict of str to JacobianPicture
        Per module: the non-zero count and the VJP check.
    """
    n, d = x.shape
    fig, axes = plt.subplots(1, len(modules), figsize=(3.7 * len(modules), 3.6), squeeze=False)
    pictures = {}
    for ax, (name, module) in zip(axes[0], modules.items(), strict=True):
        J = numerical_jacobian(
            lambda v, m=module: m.forward(v.reshape(n, d)).ravel(), x.ravel().copy()
        )
        module.forward(x)  # the cache backward reads
        by_backward = module.backward(upstream.copy())
        nonzero = int(np.count_nonzero(np.abs(J) > tol))
        pictures[name] = JacobianPicture(
            nonzero, J.size, float(np.max(np.abs(upstream.ravel() @ J - by_backward.ravel())))
        )
        ax.imshow(np.abs(J) > tol, cmap="Greys")
        ax.set_title(f"{name}\n{nonzero} of {J.size} entries non-zero", fontsize="medium")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("batch Jacobians (black = non-zero): (N x D_out) x (N x D_in)")
    fig.tight_layout()
    return fig, pictures


@dataclass
class GradientCost:
    """Measured cost of one gradient of an MLP (see :func:`time_forward_backward`).

    Attributes
    ----------
    n_params : int
        ``P``.
    forward_seconds : float
        One forward pass.
    forward_backward_seconds : float
        One forward and one backward pass (what backprop needs for all ``P`` derivatives).
    """

    n_params: int
    forward_seconds: float
    forward_backward_seconds: float

    @property
    def perturbation_seconds(self) -> float:
        """``2P`` forward passes: weight perturbation with central differences."""
        return 2 * self.n_params * self.forward_seconds


def _best_time(fn: Callable[[], object], repeats: int) -> float:
    """The fastest of ``repeats`` runs: the least disturbed by other work on the machine."""
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return float(best)


def time_forward_backward(
    widths: Sequence[int] = (16, 64, 256, 512),
    *,
    batch: int = 64,
    d_in: int = 32,
    d_out: int = 10,
    repeats: int = 5,
    rng: np.random.Generator | int | None = 0,
) -> list[GradientCost]:
    """Time forward and forward + backward of ``d_in-w-w-d_out`` ReLU MLPs for each width ``w``.

    Parameters
    ----------
    widths : sequence of int
        Hidden widths to measure.
    batch, d_in, d_out : int
        Batch size ``N``, input and output widths.
    repeats : int
        Each time is the best of this many runs.
    rng : np.random.Generator, int or None
        Seeds the input batch ``(N, d_in)``.

    Returns
    -------
    list of GradientCost
        One per width, in order.
    """
    x = np.random.default_rng(rng).standard_normal((batch, d_in))
    g_out = np.ones((batch, d_out))
    costs = []
    for width in widths:
        net = Sequential(
            Linear(d_in, width, rng=0),
            ReLU(),
            Linear(width, width, rng=1),
            ReLU(),
            Linear(width, d_out, rng=2),
        )
        P = int(sum(p.data.size for p in net.parameters()))
        t_fwd = _best_time(lambda net=net: net.forward(x), repeats)
        t_both = _best_time(lambda net=net: (net.forward(x), net.backward(g_out)), repeats)
        costs.append(GradientCost(P, t_fwd, t_both))
    return costs


def plot_gradient_costs(costs: Sequence[GradientCost], ax: Axes | None = None) -> Axes:
    """Seconds per gradient against ``P``: backprop (measured) and weight perturbation (``2P``).

    Parameters
    ----------
    costs : sequence of GradientCost
        From :func:`time_forward_backward`.
    ax : Axes, optional
        Where to draw; a new figure otherwise.

    Returns
    -------
    Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 3.4))
    P = np.array([c.n_params for c in costs])
    ax.loglog(
        P,
        [c.forward_backward_seconds for c in costs],
        "o-",
        label="backprop: forward + backward (measured)",
    )
    ax.loglog(
        P,
        [c.perturbation_seconds for c in costs],
        "s--",
        label="weight perturbation: 2P forward passes",
    )
    ax.set_xlabel("number of parameters P")
    ax.set_ylabel("seconds per gradient")
    ax.legend(fontsize="small")
    return ax


def plot_training_comparison(comparison: TrainingComparison) -> Figure:
    """Training loss against passes over the data, one panel per architecture.

    Parameters
    ----------
    comparison : TrainingComparison
        From :func:`course_lib.alternatives.compare_training`.

    Returns
    -------
    Figure
    """
    architectures = list(dict.fromkeys(widths for _, widths in comparison.runs))
    methods = list(dict.fromkeys(method for method, _ in comparison.runs))
    fig, axes = plt.subplots(
        1, len(architectures), figsize=(5.5 * len(architectures), 3.4), sharey=True, squeeze=False
    )
    for ax, widths in zip(axes[0], architectures, strict=True):
        for method in methods:
            run = comparison.runs[method, widths]
            passes = np.linspace(0, run.forward_passes + run.backward_passes, len(run.losses))
            ax.plot(np.maximum(passes, 1), run.losses, label=f"{run.method} ({run.accuracy:.0%})")
        ax.set_xscale("log")
        ax.set_xlabel("forward + backward passes over the data")
        n_params = comparison.runs[methods[0], widths].n_parameters
        ax.set_title(
            f"{'-'.join(map(str, widths))} network, {n_params} parameters", fontsize="medium"
        )
        ax.legend(fontsize="small")
    axes[0][0].set_ylabel("training loss")
    fig.tight_layout()
    return fig
