"""The helpers of parts 5 and 9 that look inside deep networks, and part 9's SGD experiments."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import Identity, Linear, MSELoss, ReLU, Sigmoid, Tanh
from course_lib.lecture_aids.part09_training import (
    least_squares_problem,
    plot_paths,
    sgd_paths,
)
from course_lib.lecture_aids.training_diagnostics import (
    backward_gains,
    deep_mlp,
    deep_network_statistics,
    gradient_norms_per_layer,
    layer_statistics,
    plot_layer_histograms,
    plot_scale_per_layer,
    rms,
    saturated_fraction,
)


# ------------------------------------------------------------------------------------------------
# training_diagnostics
# ------------------------------------------------------------------------------------------------
def test_deep_mlp_alternates_linear_and_activation_and_scales_only_hidden_weights() -> None:
    plain = deep_mlp(Tanh, depth=3, width=5, in_features=2, out_features=4, init="xavier", rng=0)
    scaled = deep_mlp(
        Tanh, depth=3, width=5, in_features=2, out_features=4, init="xavier", gain=3.0, rng=0
    )
    assert len(plain) == 7
    assert [type(m).__name__ for m in plain] == ["Linear", "Tanh"] * 3 + ["Linear"]
    assert plain(np.zeros((6, 2))).shape == (6, 4)
    for k in (0, 2, 4):
        np.testing.assert_allclose(scaled[k].weight.data, 3.0 * plain[k].weight.data)
    np.testing.assert_array_equal(scaled[6].weight.data, plain[6].weight.data)


def test_deep_mlp_rejects_empty_sizes() -> None:
    with pytest.raises(ValueError, match="depth"):
        deep_mlp(ReLU, depth=0)


def test_layer_statistics_keeps_every_array_and_matches_the_modules_gradients() -> None:
    rng = np.random.default_rng(0)
    net = deep_mlp(ReLU, depth=3, width=6, in_features=4, out_features=2, rng=1)
    X, T = rng.standard_normal((10, 4)), rng.standard_normal((10, 2))
    stats = layer_statistics(net, X, T)
    assert len(stats.pre_activations) == len(stats.activations) == len(stats.activation_grads) == 3
    assert len(stats.weight_grads) == 4
    assert all(a.shape == (10, 6) for a in stats.activations + stats.activation_grads)
    np.testing.assert_array_equal(stats.activations[0], np.maximum(stats.pre_activations[0], 0))
    loss = MSELoss()
    net.zero_grad()
    assert np.isclose(loss(net(X), T), stats.loss)
    net.backward(loss.backward())
    for lin, grad in zip(
        [m for m in net if isinstance(m, Linear)], stats.weight_grads, strict=True
    ):
        np.testing.assert_allclose(grad, lin.weight.grad)


def test_layer_statistics_gradient_of_a_hidden_layer_matches_finite_differences() -> None:
    rng = np.random.default_rng(1)
    net = deep_mlp(Tanh, depth=2, width=3, in_features=2, init="xavier", rng=2)
    X, T = rng.standard_normal((4, 2)), rng.standard_normal((4, 1))
    stats = layer_statistics(net, X, T)
    h1 = stats.activations[0].copy()
    tail = [net[2], net[3], net[4]]

    def loss_from_h1(h: np.ndarray) -> float:
        for m in tail:
            h = m(h)
        return float(MSELoss()(h, T))

    eps, numeric = 1e-6, np.zeros_like(h1)
    for idx in np.ndindex(h1.shape):
        up, down = h1.copy(), h1.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (loss_from_h1(up) - loss_from_h1(down)) / (2 * eps)
    np.testing.assert_allclose(stats.activation_grads[0], numeric, rtol=1e-6, atol=1e-10)


def test_layer_statistics_without_a_target_is_forward_only() -> None:
    net = deep_mlp(ReLU, depth=2, width=4, rng=0)
    stats = layer_statistics(net, np.ones((3, 4)))
    assert len(stats.activations) == 2
    assert stats.activation_grads == [] and stats.weight_grads == [] and np.isnan(stats.loss)


def test_gradient_norms_per_layer_is_reproducible_and_shows_the_sigmoid_collapse() -> None:
    a = gradient_norms_per_layer(Sigmoid, "xavier", depth=6, width=32, batch=64, seed=3)
    b = gradient_norms_per_layer(Sigmoid, "xavier", depth=6, width=32, batch=64, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (6,) and a[-1] / a[0] > 4**4  # at least a factor 4 per layer
    stats = deep_network_statistics(Sigmoid, "xavier", depth=6, width=32, batch=64, seed=3)
    np.testing.assert_allclose(a, [np.linalg.norm(g) for g in stats.weight_grads[:6]])


def test_rms_and_saturated_fraction() -> None:
    np.testing.assert_allclose(rms([np.array([3.0, -4.0]), np.zeros(3)]), [np.sqrt(12.5), 0.0])
    frac = saturated_fraction(
        Tanh(), [np.zeros((2, 2)), np.full((2, 2), 10.0), np.array([[0.0, 9.0]])]
    )
    np.testing.assert_allclose(frac, [0.0, 1.0, 0.5])


@pytest.mark.parametrize(
    ("act", "init", "expected"), [(ReLU, "he", 1.0), (ReLU, "xavier", 2**-0.5)]
)
def test_backward_gains_measured_matches_predicted(act, init, expected: float) -> None:
    rng = np.random.default_rng(0)
    net = deep_mlp(act, depth=6, width=128, init=init, rng=1)
    measured, predicted = backward_gains(
        net, layer_statistics(net, rng.standard_normal((100, 128)), rng.standard_normal((100, 1)))
    )
    assert measured.shape == predicted.shape == (5,)
    np.testing.assert_allclose(measured, predicted, rtol=0.15)
    assert abs(np.exp(np.mean(np.log(predicted))) - expected) < 0.05


def test_backward_gains_of_a_linear_network_is_the_weight_scale() -> None:
    net = deep_mlp(Identity, depth=3, width=16, init="xavier", gain=2.0, rng=0)
    stats = layer_statistics(net, np.ones((5, 16)), np.zeros((5, 1)))
    _, predicted = backward_gains(net, stats)
    for k, lin in enumerate((net[2], net[4])):
        assert np.isclose(predicted[k], np.sqrt(16 * np.mean(lin.weight.data**2)))


def test_backward_gains_rejects_a_model_that_does_not_match() -> None:
    net = deep_mlp(ReLU, depth=3, width=4, rng=0)
    stats = layer_statistics(
        deep_mlp(ReLU, depth=2, width=4, rng=0), np.ones((2, 4)), np.zeros((2, 1))
    )
    with pytest.raises(ValueError, match="hidden layers"):
        backward_gains(net, stats)


def test_plot_layer_histograms_draws_one_line_per_layer_also_on_a_log_scale() -> None:
    arrays = [np.array([0.0, 1e-3, -1e-2]), np.array([1.0, -2.0, 0.5])]
    ax = plot_layer_histograms(arrays, bins=10, title="t", xlabel="x")
    assert len(ax.lines) == 2
    ax = plot_layer_histograms(arrays, log_abs=True)
    assert len(ax.lines) == 2
    total = sum(line.get_ydata().sum() for line in ax.lines)
    assert 0 < total <= 2.0 + 1e-12  # fractions of each layer's non-zero values
    with pytest.raises(ValueError):
        plot_layer_histograms([])


def test_plot_scale_per_layer_one_line_per_setting() -> None:
    ax = plot_scale_per_layer(
        {"a": np.array([1.0, 0.1]), "b": np.array([1.0, 2.0, 4.0])}, title="t"
    )
    assert len(ax.lines) == 2 and ax.get_yscale() == "log"


# ------------------------------------------------------------------------------------------------
# part09_training
# ------------------------------------------------------------------------------------------------
def test_least_squares_problem_shapes_and_scales() -> None:
    X, y = least_squares_problem(n=5000, scales=(2.0, 0.5), rng=0)
    assert X.shape == (5000, 2) and y.shape == (5000, 1)
    np.testing.assert_allclose(X.std(axis=0), [2.0, 0.5], rtol=0.05)
    w_hat = np.linalg.lstsq(X, y[:, 0], rcond=None)[0]
    np.testing.assert_allclose(w_hat, [1.0, -2.0], atol=0.05)


def test_sgd_paths_full_batch_descent_reaches_the_least_squares_solution() -> None:
    X, y = least_squares_problem(n=100, rng=1)
    paths = sgd_paths(
        X, y, {"GD": (None, 0.3), "SGD": (5, 0.05)}, steps=400, start=(0.5, 0.5), rng=0
    )
    assert set(paths) == {"GD", "SGD"}
    assert paths["GD"].shape == paths["SGD"].shape == (401, 2)
    np.testing.assert_array_equal(paths["GD"][0], [0.5, 0.5])
    w_hat = np.linalg.lstsq(X, y[:, 0], rcond=None)[0]
    np.testing.assert_allclose(paths["GD"][-1], w_hat, atol=1e-6)
    assert np.linalg.norm(paths["SGD"][-1] - w_hat) < 0.5


def test_sgd_paths_is_reproducible_with_a_seed() -> None:
    X, y = least_squares_problem(n=50, rng=2)
    a = sgd_paths(X, y, {"s": (1, 0.05)}, steps=20, rng=3)["s"]
    b = sgd_paths(X, y, {"s": (1, 0.05)}, steps=20, rng=3)["s"]
    np.testing.assert_array_equal(a, b)


def test_plot_paths_draws_every_path_and_the_solution() -> None:
    X, y = least_squares_problem(n=50, rng=0)
    paths = sgd_paths(X, y, {"a": (None, 0.1), "b": (2, 0.1)}, steps=10)
    ax = plot_paths(paths, X, y)
    assert len(ax.lines) == 3  # two paths and the star
