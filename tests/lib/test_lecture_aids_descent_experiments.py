"""course_lib.lecture_aids.descent_experiments: full-batch against mini-batch gradient descent."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import (
    BCEWithLogitsLoss,
    Linear,
    ReLU,
    Sequential,
    data,
    numerical_gradient,
    rel_error,
)
from course_lib.lecture_aids import descent_experiments as de


def _data(n: int = 64):
    return de.logistic_data(n, np.random.default_rng(0))


def test_logistic_data_has_two_overlapping_classes() -> None:
    X, Y = _data(400)
    assert X.shape == (400, 2) and Y.shape == (400, 1)
    assert set(np.unique(Y)) == {0.0, 1.0}
    assert X[Y[:, 0] == 1, 0].mean() > 0.5 > -0.5 > X[Y[:, 0] == 0, 0].mean()


def test_logistic_gradient_is_the_gradient_of_the_loss_surface() -> None:
    X, Y = _data()
    w = np.array([0.3, -0.7])
    surface = lambda v: de.logistic_loss_surface(X, Y, v[:1], v[1:]).item()  # noqa: E731
    assert rel_error(de.logistic_gradient(w, X, Y), numerical_gradient(surface, w.copy())) < 1e-7


def test_loss_surface_matches_the_library_loss_on_a_grid() -> None:
    X, Y = _data()
    w1, w2 = np.linspace(-1, 1, 5), np.linspace(-2, 2, 3)
    surface = de.logistic_loss_surface(X, Y, w1, w2)
    assert surface.shape == (3, 5)
    layer = Linear(2, 1, bias=False, rng=0)
    layer.weight.data[:] = [[w1[4], w2[0]]]
    assert surface[0, 4] == pytest.approx(BCEWithLogitsLoss()(layer(X), Y))


def test_minibatch_gradients_average_to_the_full_gradient() -> None:
    X, Y = _data()
    w = np.array([-1.0, 1.0])
    full = de.logistic_gradient(w, X, Y)
    whole = de.minibatch_gradients(w, X, Y, 64, 3, np.random.default_rng(0))
    np.testing.assert_allclose(whole, np.tile(full, (3, 1)))  # B = N: no noise
    many = de.minibatch_gradients(w, X, Y, 8, 4000, np.random.default_rng(1))
    assert many.shape == (4000, 2)
    np.testing.assert_allclose(many.mean(axis=0), full, atol=0.02)  # unbiased
    with pytest.raises(ValueError, match=r"batch_size must be in 1\.\.64"):
        de.minibatch_gradients(w, X, Y, 65, 1, np.random.default_rng(0))


def test_descent_path_takes_one_step_per_minibatch() -> None:
    X, Y = _data()
    w0 = np.array([-1.5, 2.5])
    full = de.descent_path(X, Y, w0, lr=0.5, batch_size=64, epochs=2, rng=np.random.default_rng(0))
    assert full.shape == (3, 2)
    np.testing.assert_allclose(full[1], w0 - 0.5 * de.logistic_gradient(w0, X, Y))
    sgd = de.descent_path(X, Y, w0, lr=0.5, batch_size=8, epochs=2, rng=np.random.default_rng(0))
    assert sgd.shape == (2 * 8 + 1, 2)
    np.testing.assert_array_equal(sgd[0], w0)


def test_run_descent_records_the_full_loss_before_and_after_each_epoch() -> None:
    X, y = data.moons(n=50, noise=0.2, rng=0)
    Y = y.reshape(-1, 1).astype(float)
    model = Sequential(Linear(2, 8, rng=0), ReLU(), Linear(8, 1, rng=1))
    start = BCEWithLogitsLoss()(model(X), Y)
    run = de.run_descent(model, BCEWithLogitsLoss(), X, Y, 16, 3, 0.1, np.random.default_rng(0))
    assert run.loss.shape == (4,) and run.loss[0] == pytest.approx(start)
    assert run.updates_per_epoch == 4 and run.label == "batch size 16"
    np.testing.assert_array_equal(run.updates, [0, 4, 8, 12])
    assert run.loss[-1] == pytest.approx(BCEWithLogitsLoss()(model(X), Y))
    full = de.run_descent(model, BCEWithLogitsLoss(), X, Y, 500, 1, 0.1, np.random.default_rng(0))
    assert full.batch_size == 50 and full.updates_per_epoch == 1


def test_plots_draw_what_they_are_given() -> None:
    X, Y = _data()
    runs = [
        de.DescentRun(64, 1, np.linspace(1, 0.5, 4)),
        de.DescentRun(8, 8, np.linspace(1, 0.2, 4)),
    ]
    left, right = de.plot_descent_runs(runs).axes
    assert len(left.get_lines()) == 2
    np.testing.assert_array_equal(right.get_lines()[1].get_xdata(), [8, 16, 24])
    path = np.array([[-1.5, 2.5], [0.0, 1.0]])
    ax = de.plot_descent_paths(X, Y, {"gd": path})
    assert any(line.get_label() == "gd" for line in ax.get_lines())
    samples = {"B = 8": np.zeros((5, 2))}
    ax = de.plot_gradient_samples(samples, np.array([0.1, 0.2]))
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), samples["B = 8"])
