"""course_lib.lecture_aids.compute_cost and .sensor_fusion: budgets, timings, the brake task."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import Linear, ReLU, Sigmoid, data
from course_lib.lecture_aids import compute_cost, sensor_fusion


def test_mlp_alternates_linear_and_relu() -> None:
    model = compute_cost.mlp((2, 16, 8, 1), np.random.default_rng(0))
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert model(np.zeros((3, 2))).shape == (3, 1)
    with pytest.raises(ValueError, match="at least an input and an output"):
        compute_cost.mlp((2,), np.random.default_rng(0))


def test_multiply_adds_count_forward_once_and_backward_twice() -> None:
    model = compute_cost.mlp((2, 16, 1), np.random.default_rng(0))
    assert compute_cost.multiply_adds_per_step(model, 200) == 3 * 200 * (2 * 16 + 16 * 1)
    big = compute_cost.mlp((2, 64, 64, 1), np.random.default_rng(0))
    assert compute_cost.multiply_adds_per_step(big, 1) == 3 * (128 + 4096 + 64)


def test_budget_run_maps_a_budget_to_steps() -> None:
    run = compute_cost.BudgetRun(
        "x", cost_per_step=10, val_loss=np.ones(5), val_accuracy=np.ones(5)
    )
    np.testing.assert_array_equal(run.compute, [10, 20, 30, 40, 50])
    assert run.step_within(35) == 2  # three steps fit
    with pytest.raises(ValueError, match="outside the 5 steps"):
        run.step_within(9)
    with pytest.raises(ValueError, match="outside the 5 steps"):
        run.step_within(1000)


def test_train_run_is_reproducible_and_records_every_step() -> None:
    X, y = data.moons(n=60, noise=0.2, rng=0)
    Y = y.reshape(-1, 1).astype(float)
    runs = [
        compute_cost.train_run((2, 4, 1), X, Y, X, Y, steps=7, rng=np.random.default_rng(1))
        for _ in range(2)
    ]
    assert runs[0].label == "2-4-1" and runs[0].val_loss.shape == (7,)
    assert runs[0].cost_per_step == 3 * 60 * (8 + 4)
    np.testing.assert_array_equal(runs[0].val_loss, runs[1].val_loss)
    assert runs[0].val_loss[-1] < runs[0].val_loss[0]


def test_budget_plot_has_a_curve_per_run_on_both_axes() -> None:
    runs = [
        compute_cost.BudgetRun("a", 10, np.linspace(1, 0.5, 20), np.ones(20)),
        compute_cost.BudgetRun("b", 100, np.linspace(1, 0.2, 5), np.ones(5)),
    ]
    fig = compute_cost.plot_budget_runs(runs, budget=150)
    left, right = fig.axes
    assert len(left.get_lines()) == 2 and len(right.get_lines()) == 3  # plus the budget line
    np.testing.assert_array_equal(right.get_lines()[1].get_xdata(), runs[1].compute)


def test_timings_are_positive_milliseconds_per_module() -> None:
    modules = {"ReLU": ReLU(), "Sigmoid": Sigmoid(), "Linear": Linear(3, 3, rng=0)}
    times = compute_cost.time_forward_backward(modules, np.ones((4, 3)), repeats=2)
    assert list(times) == list(modules) and all(t > 0 for t in times.values())
    ax = compute_cost.plot_timings(times)
    assert len(ax.patches) == 3


def test_brake_data_brakes_exactly_for_red_and_close_objects() -> None:
    X, y = sensor_fusion.brake_data(4000, np.random.default_rng(0))
    assert X.shape == (4000, 5) and y.shape == (4000, 1)
    np.testing.assert_array_equal(y[:, 0] == 1, (X[:, 0] > 0.5) & (X[:, 3] < 1.0))
    assert 0.22 < y.mean() < 0.28
    assert X[:, :3].min() >= 0 and X[:, :3].max() <= 1 and X[:, 3].max() <= 2
    X2, _ = sensor_fusion.brake_data(4000, np.random.default_rng(0))
    np.testing.assert_array_equal(X, X2)
    with pytest.raises(ValueError, match="at least 1"):
        sensor_fusion.brake_data(0, np.random.default_rng(0))
