"""Backprop, feedback alignment and finite differences trained from the same initial weights.

:func:`compare_training` reports what each method costs to reach a target accuracy: steps,
forward and backward passes, and wall time, with ratios to backprop on the same network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..utils import as_rng
from .feedback_alignment import feedback_alignment_train
from .finite_differences import finite_difference_train
from .training import TrainingRun, backprop_train, mlp_333

__all__ = ["TrainingComparison", "compare_training"]


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
        from ..data import noisy_xor

        X, y = noisy_xor(200, rng=0)
    g = as_rng(rng)
    settings = dict(steps=steps, lr=lr, momentum=momentum, target=target)
    runs: dict[tuple[str, tuple[int, ...]], TrainingRun] = {}
    for widths in architectures:
        widths = tuple(int(w) for w in widths)
        init_seed, fa_seed = (int(v) for v in g.integers(0, 2**31, size=2))
        runs |= _same_start_runs(widths, init_seed, fa_seed, X, y, stop_at_target, settings)
    return TrainingComparison(runs, len(np.asarray(y)), target)


def _same_start_runs(
    widths: tuple[int, ...],
    init_seed: int,
    fa_seed: int,
    X: np.ndarray,
    y: np.ndarray,
    stop_at_target: bool,
    settings: dict[str, float],
) -> dict[tuple[str, tuple[int, ...]], TrainingRun]:
    """The three methods, each on a fresh ``mlp_333(init_seed, widths)``: the same start.

    ``X (N, D)``, ``y (N,)``; ``settings`` are the shared ``steps``, ``lr``, ``momentum`` and
    ``target``; ``fa_seed`` draws the feedback matrices.
    """
    start = {"stop_at_target": stop_at_target, **settings}
    fa_run, _ = feedback_alignment_train(mlp_333(init_seed, widths), X, y, rng=fa_seed, **start)
    return {
        ("backprop", widths): backprop_train(mlp_333(init_seed, widths), X, y, **start),
        ("feedback_alignment", widths): fa_run,
        ("finite_differences", widths): finite_difference_train(
            mlp_333(init_seed, widths), X, y, **start
        ),
    }
