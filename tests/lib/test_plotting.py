"""The plotting helpers draw what they say (checked on the artists, headless)."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import CrossEntropyLoss, Linear, ReLU, Sequential, data, fit
from course_lib.plotting import (
    grid_points,
    plot_activation,
    plot_activations,
    plot_decision_boundary,
    plot_history,
    plot_loss_curves,
)


def test_decision_boundary_colours_the_plane_by_predicted_class() -> None:
    X, y = data.xor()
    model = Sequential(Linear(2, 8, rng=0), ReLU(), Linear(8, 2, rng=1))
    fit(model, CrossEntropyLoss(), X, y, epochs=300, lr=0.5, progress=False)
    ax = plot_decision_boundary(model, X, y, resolution=50)
    assert len(ax.collections) >= 2  # the filled contour and the scatter
    offsets = ax.collections[-1].get_offsets()
    np.testing.assert_array_equal(np.asarray(offsets), X)


def test_grid_points_cover_the_data() -> None:
    X = np.array([[0.0, -1.0], [2.0, 3.0]])
    xx, yy, pts = grid_points(X, resolution=11, margin=0.5)
    assert xx.shape == (11, 11) and pts.shape == (121, 2)
    assert pts[:, 0].min() == -0.5 and pts[:, 1].max() == 3.5


def test_history_plot_has_loss_and_accuracy_lines() -> None:
    X, y = data.xor()
    h = fit(
        Sequential(Linear(2, 4, rng=0), ReLU(), Linear(4, 2, rng=0)),
        CrossEntropyLoss(),
        X,
        y,
        epochs=7,
        X_val=X,
        y_val=y,
        progress=False,
    )
    fig = plot_history(h)
    ax_loss, ax_acc = fig.axes
    assert len(ax_loss.lines) == 2 and len(ax_acc.lines) == 2
    np.testing.assert_allclose(ax_loss.lines[0].get_ydata(), h.loss)


def test_activation_plot_draws_function_derivative_and_saturation() -> None:
    ax = plot_activation("sigmoid")
    f_line, d_line = ax.lines[:2]
    x = f_line.get_xdata()
    np.testing.assert_allclose(f_line.get_ydata(), 1 / (1 + np.exp(-x)), rtol=1e-12)
    assert d_line.get_ydata().max() == pytest.approx(0.25)
    assert any(c.get_label() == "saturated" for c in ax.collections)
    # ReLU's zero slope for x < 0 is shaded too: a dead unit gets no gradient there
    relu_ax = plot_activation("relu")
    shade = [c for c in relu_ax.collections if c.get_label() == "saturated"]
    assert len(shade) == 1
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        plot_activation("swish")


def test_activation_grid_and_loss_curves() -> None:
    fig = plot_activations(["relu", "tanh", "gelu"])
    assert sum(ax.get_visible() for ax in fig.axes) == 3
    ax = plot_loss_curves(deltas=(1.0, 2.0))
    assert len(ax.lines) == 3
