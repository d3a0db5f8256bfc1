"""Part 5's helpers: dead units, the GELU figure, the comparison of hidden activations."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import Identity, LeakyReLU, Linear, ReLU, Sequential, Tanh, data
from course_lib.lecture_aids.part05_activations import (
    compare_hidden_activations,
    gradient_to_off_units,
    off_everywhere,
    plot_gelu_comparison,
    plot_off_fraction,
    train_tracking_off_units,
)


def net_with_a_dead_unit(act=ReLU) -> Sequential:
    """2-3-2 network whose first hidden unit is off for every input in [-1, 1]^2."""
    net = Sequential(Linear(2, 3, rng=0), act(), Linear(3, 2, rng=1))
    net[0].weight.data[0] = [0.1, 0.1]
    net[0].bias.data[:] = [-5.0, 0.1, 0.1]
    return net


def test_off_everywhere_finds_the_dead_unit() -> None:
    X = np.random.default_rng(0).uniform(-1, 1, size=(50, 2))
    off = off_everywhere(net_with_a_dead_unit(), X)
    assert off.shape == (3,) and off[0] and off.sum() == 1


def test_off_everywhere_needs_a_relu_layer() -> None:
    with pytest.raises(ValueError, match="ReLU"):
        off_everywhere(Sequential(Linear(2, 2), Tanh()), np.ones((1, 2)))


def test_gradient_to_off_units_is_zero_for_relu_and_not_for_leaky_relu() -> None:
    X = np.random.default_rng(1).uniform(-1, 1, size=(40, 2))
    y = (X[:, 0] > 0).astype(int)
    n_off, largest = gradient_to_off_units(net_with_a_dead_unit(ReLU), X, y)
    assert n_off == 1 and largest == 0.0
    n_off, largest = gradient_to_off_units(net_with_a_dead_unit(LeakyReLU), X, y)
    assert n_off == 1 and largest > 0.0


def test_gradient_to_off_units_wants_a_linear_first() -> None:
    with pytest.raises(TypeError):
        gradient_to_off_units(
            Sequential(ReLU(), Linear(2, 2)), np.ones((2, 2)), np.zeros(2, dtype=int)
        )


def test_train_tracking_off_units_records_one_fraction_per_epoch() -> None:
    X, y = data.spirals(n=60, classes=3, rng=0)
    model = Sequential(Linear(2, 8, rng=1), ReLU(), Linear(8, 3, rng=2))
    history, off = train_tracking_off_units(model, X, y, lr=0.1, epochs=5)
    assert history.epochs == 5 and off.shape == (6,)
    assert np.all((0 <= off) & (off <= 1))
    assert off[-1] == off_everywhere(model, X).mean()


def test_a_huge_step_kills_relu_units() -> None:
    X, y = data.spirals(n=150, classes=3, noise=0.1, rng=0)
    model = Sequential(
        Linear(2, 32, rng=1), ReLU(), Linear(32, 32, rng=2), ReLU(), Linear(32, 3, rng=3)
    )
    _, off = train_tracking_off_units(model, X, y, lr=3.0, epochs=40)
    assert off[-1] > off[0] + 0.2


def test_plot_off_fraction_and_gelu_figure() -> None:
    ax = plot_off_fraction({"a": np.array([0.0, 0.5]), "b": np.array([0.1, 0.2])})
    assert len(ax.lines) == 2
    fig = plot_gelu_comparison()
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 4 and len(fig.axes[1].lines) == 3


def test_compare_hidden_activations_same_start_and_identity_is_linear() -> None:
    X, y = data.xor()
    results = compare_hidden_activations(
        {"Identity": Identity, "Tanh": Tanh}, X, y, X, y, hidden=8, epochs=150, lr=0.05
    )
    assert list(results) == ["Identity", "Tanh"]
    assert results["Identity"].test_accuracy <= 0.75  # a linear classifier cannot do XOR
    assert results["Tanh"].train_accuracy == 1.0
    first = [r.model[0].weight.data for r in results.values()]
    assert first[0].shape == (8, 2)
