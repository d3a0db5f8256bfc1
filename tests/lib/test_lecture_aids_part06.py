"""Part 6's helpers: the constructive approximation, initial kinks, depth versus width."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import Identity, Linear, ReLU, data
from course_lib.lecture_aids.part06_architecture import (
    depth_vs_width,
    first_layer,
    hidden_unit_mosaic,
    kinks,
    mlp,
    n_params,
    plot_accuracy_by_architecture,
    plot_hidden_units,
    plot_interpolant,
    relu_interpolant,
    spread_kinks,
    torch_default_init,
    train_one_hidden_layer,
)


def test_mlp_and_n_params() -> None:
    net = mlp([2, 5, 4, 3], rng=0)
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert n_params(net) == 3 * 5 + 6 * 4 + 5 * 3
    linear = mlp([2, 4, 1], rng=0, activation=Identity)
    assert isinstance(linear[1], Identity)
    with pytest.raises(ValueError):
        mlp([3])


def test_relu_interpolant_is_exact_at_the_knots_and_linear_in_between() -> None:
    def f(x):
        return np.sin(3 * x) + 0.3 * x**2

    net = relu_interpolant(f, 8)
    knots = np.linspace(-2, 2, 9)[:, None]
    np.testing.assert_allclose(net(knots), f(knots), atol=1e-12)
    mid = 0.5 * (knots[:-1] + knots[1:])
    np.testing.assert_allclose(net(mid), 0.5 * (f(knots[:-1]) + f(knots[1:])), atol=1e-12)
    line = relu_interpolant(lambda x: 2 * x - 1, 3, lo=0.0, hi=1.0)
    xs = np.linspace(0, 1, 11)[:, None]
    np.testing.assert_allclose(line(xs), 2 * xs - 1, atol=1e-12)
    with pytest.raises(ValueError):
        relu_interpolant(f, 0)


def test_plot_interpolant_error_shrinks_like_one_over_n_squared() -> None:
    def f(x):
        return np.sin(3 * x)

    e16 = plot_interpolant(f, 16)
    e32 = plot_interpolant(f, 32)
    assert 3.0 < e16 / e32 < 5.0


def test_torch_default_init_draws_weight_and_bias_from_the_same_uniform() -> None:
    layer = torch_default_init(Linear(16, 2000), rng=0)
    bound = 1 / 4
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert abs(layer.bias.data.var() - bound**2 / 3) < 0.1 * bound**2 / 3
    k = kinks(torch_default_init(Linear(1, 200_000), rng=1))
    assert abs(np.mean(np.abs(k) <= 2) - 0.75) < 0.01  # P(|b/w| <= c) = 1 - 1/(2c)


def test_kinks_of_the_three_first_layers() -> None:
    assert np.all(kinks(first_layer(10, "course_lib")) == 0)
    spread = kinks(first_layer(50, "spread", lo=-1.0, hi=3.0))
    assert spread.min() >= -1 and spread.max() <= 3 and len(np.unique(spread)) == 50
    layer = spread_kinks(Linear(1, 5, rng=0), 0.0, 1.0, rng=0)
    np.testing.assert_allclose(
        layer.weight.data[:, 0] * kinks(layer) + layer.bias.data, 0, atol=1e-12
    )
    with pytest.raises(ValueError):
        first_layer(4, "nope")
    with pytest.raises(ValueError):
        kinks(Linear(2, 3))


def test_train_one_hidden_layer_where_the_kinks_start_matters() -> None:
    def wave(x):
        return np.sin(3 * x)

    _, mse_zero = train_one_hidden_layer(wave, 16, "course_lib", epochs=150)
    _, mse_spread = train_one_hidden_layer(wave, 16, "spread", epochs=150)
    _, mse_torch = train_one_hidden_layer(wave, 16, "torch", epochs=150)
    assert np.isfinite(mse_torch) and mse_spread < mse_zero
    _, mse_abs = train_one_hidden_layer(np.abs, 16, "course_lib", epochs=150)
    assert mse_abs < 1e-3  # |x| has its one kink at 0, where course_lib's default puts them all
    with pytest.raises(ValueError):
        train_one_hidden_layer(wave, 4, "nope")


def test_depth_vs_width_records_every_seed() -> None:
    X, y = data.spirals(n=90, classes=3, noise=0.1, rng=0)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_fraction=0.5, rng=0)
    res = depth_vs_width(
        [[2, 6, 3], [2, 4, 4, 3]], X_tr, y_tr, X_te, y_te, seeds=range(2), epochs=5
    )
    assert list(res.test_accuracy) == ["2-6-3", "2-4-4-3"]
    assert res.n_params == {"2-6-3": 39, "2-4-4-3": 47}
    assert len(res.models) == 4 and all(0 <= a <= 1 for a in res.test_accuracy["2-6-3"])
    assert res.spread("2-6-3") >= 0 and 0 <= res.mean("2-6-3") <= 1
    ax = plot_accuracy_by_architecture(res.test_accuracy, title="t")
    assert len(ax.collections) == 2


def test_hidden_unit_mosaic_one_row_of_tiles_per_layer() -> None:
    X = np.random.default_rng(0).standard_normal((20, 2))
    model = mlp([2, 3, 3, 2], rng=0)
    mosaic, n_layers = hidden_unit_mosaic(model, X, resolution=10)
    assert n_layers == 2 and mosaic.shape == (2 * 14, 3 * 14)
    finite = mosaic[np.isfinite(mosaic)]
    assert finite.min() >= 0 and finite.max() <= 1
    assert plot_hidden_units(model, X).images
    with pytest.raises(ValueError):
        hidden_unit_mosaic(mlp([2, 2], rng=0), X)


def test_relu_in_mlp_is_relu() -> None:
    assert isinstance(mlp([1, 2, 1])[1], ReLU)
