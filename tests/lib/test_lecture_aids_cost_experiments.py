"""course_lib.lecture_aids.cost_experiments: outliers, saturation, softmax, output units."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import HuberLoss, MSELoss, Softmax
from course_lib.activations import sigmoid
from course_lib.lecture_aids import cost_experiments as ce


def test_gaussian_nll_is_scaled_squared_error_plus_a_constant() -> None:
    p, t = np.array([[0.0], [1.0]]), np.array([[1.0], [1.0]])
    expected = np.mean([1 / (2 * 0.25), 0.0]) + 0.5 * np.log(2 * np.pi * 0.25)
    assert ce.gaussian_nll(p, t, sigma=0.5) == pytest.approx(expected)


def test_fit_line_recovers_a_clean_line() -> None:
    x = np.linspace(-2, 2, 30).reshape(-1, 1)
    line = ce.fit_line(MSELoss(), x, 2 * x + 1, epochs=400)
    assert line.weight.data.item() == pytest.approx(2, abs=0.05)
    assert line.bias.data.item() == pytest.approx(1, abs=0.05)


def test_per_point_pull_is_two_residuals_for_mse_and_capped_for_huber() -> None:
    p, t = np.array([[0.0], [0.0], [0.0]]), np.array([[0.5], [-3.0], [10.0]])
    np.testing.assert_allclose(ce.per_point_pull(p, t, MSELoss()), [1.0, 6.0, 20.0])
    np.testing.assert_allclose(ce.per_point_pull(p, t, HuberLoss(1.0)), [0.5, 1.0, 1.0])


def test_line_and_pull_plots() -> None:
    x = np.linspace(-2, 2, 10).reshape(-1, 1)
    t = 2 * x + 1
    t[-2:] += 15
    ax = ce.plot_line_fits(x, t, {"mse": ce.fit_line(MSELoss(), x, t, epochs=5)}, n_outliers=2)
    assert len(ax.collections) == 2 and len(ax.get_lines()) == 2  # data + outliers; true + fit
    np.testing.assert_array_equal(ax.collections[1].get_offsets(), np.hstack([x, t])[-2:])
    ax = ce.plot_pulls({"a": np.ones(10), "b": np.ones(10)})
    assert len(ax.patches) == 20


def test_saturation_curves_follow_the_formulas() -> None:
    z = np.linspace(-8, 8, 33).reshape(-1, 1)
    c = ce.saturation_curves(z)
    s = sigmoid(z)
    np.testing.assert_allclose(c["mse"], (s - 1) ** 2)
    np.testing.assert_allclose(c["mse_grad"], 2 * (s - 1) * s * (1 - s), atol=1e-12)
    np.testing.assert_allclose(c["ce"], np.log1p(np.exp(-z)))
    np.testing.assert_allclose(c["ce_grad"], s - 1, atol=1e-12)
    left, right = ce.plot_saturation(z, c).axes
    assert len(left.get_lines()) == 2 and len(right.get_lines()) == 2


def test_two_blobs_and_the_logistic_weight_trajectories() -> None:
    X, Y = ce.two_blobs(50, np.random.default_rng(0))
    assert X.shape == (100, 1) and Y.shape == (100, 1) and Y[:50].sum() == 0 and Y[50:].all()
    w_ce = ce.logistic_weight_trajectory(X, Y, cross_entropy=True, epochs=40)
    w_mse = ce.logistic_weight_trajectory(X, Y, cross_entropy=False, epochs=40)
    assert w_ce.shape == w_mse.shape == (40,)
    assert ce.first_positive(w_ce) is not None and ce.first_positive(w_mse) is None
    assert w_mse[-1] > -6.0  # it moves, slowly


def test_first_positive_is_a_one_based_epoch() -> None:
    assert ce.first_positive(np.array([-1.0, -0.5, 0.2, 1.0])) == 3
    assert ce.first_positive(np.array([-1.0, 0.0])) is None


def test_softmax_gradient_plot_shows_the_gradient_and_the_jacobian() -> None:
    z = np.array([2.0, -1.0, 0.5])
    fig = ce.plot_softmax_gradient(z, 1)
    left, right = fig.axes[:2]
    s = Softmax().function(z)
    heights = np.array([p.get_height() for p in left.patches]).reshape(3, 3)
    np.testing.assert_allclose(heights[2], s - np.eye(3)[1])
    np.testing.assert_allclose(right.images[0].get_array(), np.diag(s) - np.outer(s, s))


def test_output_units_have_gradient_prediction_minus_target() -> None:
    a = np.linspace(-5, 5, 21)
    curves = ce.output_unit_curves(a)
    loss, grad = curves["linear + squared error"]
    np.testing.assert_allclose(grad, 2 * (a - 1))
    np.testing.assert_allclose(loss, (a - 1) ** 2)
    np.testing.assert_allclose(curves["sigmoid + binary cross-entropy"][1], sigmoid(a) - 1)
    loss, grad = curves["softmax + cross-entropy"]
    s0 = Softmax().function(np.column_stack([a, np.zeros((21, 2))]))[:, 0]
    np.testing.assert_allclose(grad, s0 - 1)
    np.testing.assert_allclose(loss, -np.log(s0))
    assert len(ce.plot_output_units(a).axes) == 3
