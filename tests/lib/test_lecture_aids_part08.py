"""Part 8's helpers: batch Jacobians and VJPs, gradient timing, the training comparison figure."""

from __future__ import annotations

import numpy as np

from course_lib import Linear, ReLU, Softmax, Tanh
from course_lib.alternatives import compare_training
from course_lib.lecture_aids.part08_backprop import (
    GradientCost,
    plot_batch_jacobians,
    plot_gradient_costs,
    plot_training_comparison,
    time_forward_backward,
)


def test_plot_batch_jacobians_sparsity_and_vjp() -> None:
    rng = np.random.default_rng(0)
    N, D = 2, 3
    modules = {"tanh": Tanh(), "linear": Linear(D, D, rng=1), "softmax": Softmax(), "relu": ReLU()}
    fig, pictures = plot_batch_jacobians(
        modules, rng.standard_normal((N, D)), rng.standard_normal((N, D))
    )
    assert len(fig.axes) == 4
    assert all(p.size == (N * D) ** 2 and p.vjp_error < 1e-8 for p in pictures.values())
    assert pictures["tanh"].nonzero == N * D  # diagonal, tanh' > 0
    assert pictures["linear"].nonzero == pictures["softmax"].nonzero == N * D * D  # block diagonal
    assert pictures["relu"].nonzero <= N * D


def test_time_forward_backward_counts_parameters() -> None:
    costs = time_forward_backward(widths=(4, 8), batch=5, d_in=3, d_out=2, repeats=2)
    assert [c.n_params for c in costs] == [(3 + 1) * 4 + 5 * 4 + 5 * 2, (3 + 1) * 8 + 9 * 8 + 9 * 2]
    for c in costs:
        assert 0 < c.forward_seconds and 0 < c.forward_backward_seconds
        assert c.perturbation_seconds == 2 * c.n_params * c.forward_seconds


def test_plot_gradient_costs_two_curves() -> None:
    costs = [GradientCost(10, 1e-5, 3e-5), GradientCost(100, 1e-4, 3e-4)]
    ax = plot_gradient_costs(costs)
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [2e-4, 2e-2])


def test_plot_training_comparison_one_panel_per_architecture() -> None:
    comparison = compare_training(
        architectures=[(2, 3, 1), (2, 4, 1)], steps=5, stop_at_target=False
    )
    fig = plot_training_comparison(comparison)
    assert len(fig.axes) == 2
    assert all(len(ax.lines) == 3 for ax in fig.axes)
