"""course_lib.lecture_aids.xor_experiments: feature space, restarts, loss along a segment."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import BCEWithLogitsLoss, Linear, ReLU, Sequential, data
from course_lib.lecture_aids import xor_experiments as xe


def _xor():
    X, y = data.xor()
    return X, y, y.reshape(-1, 1).astype(float)


def test_feature_space_scatter_annotates_folded_points_and_draws_the_readout() -> None:
    X, y, _ = _xor()
    H = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 0.0], [2.0, 1.0]])
    ax = xe.plot_feature_space(H, y, readout=([1.0, -2.0], -0.5), X=X, label="line")
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), H)
    texts = {t.get_text() for t in ax.texts}
    assert "x = (0,1) and (1,0)" in texts and len(texts) == 3
    (line,) = ax.get_lines()
    h1, h2 = line.get_xydata().T
    np.testing.assert_allclose(h1 - 2 * h2, 0.5)  # on the line w . h + b = 0
    assert line.get_label() == "line"


def test_feature_space_handles_a_vertical_readout_and_rejects_bad_shapes() -> None:
    ax = xe.plot_feature_space(np.eye(2), np.array([0, 1]), readout=([1.0, 0.0], -0.5))
    assert len(ax.get_lines()) == 1
    with pytest.raises(ValueError, match=r"expected H \(N, 2\)"):
        xe.plot_feature_space(np.zeros((3, 3)), np.zeros(3))


def test_train_xor_solves_it_wide_and_fails_from_zeros() -> None:
    X, _, Y = _xor()
    model, history = xe.train_xor(X, Y, hidden_units=8, seed=1)
    assert model[0].out_features == 8 and history.epochs == 100
    assert history.accuracy[-1] == 1.0
    _, stuck = xe.train_xor(X, Y, hidden_units=2, seed=0, init="zeros")
    assert stuck.loss[-1] == pytest.approx(np.log(2))  # the symmetric, dead start never moves


def test_theta_round_trip_and_errors() -> None:
    net = Sequential(Linear(2, 2, rng=0), ReLU(), Linear(2, 1, rng=1))
    other = Sequential(Linear(2, 2, rng=5), ReLU(), Linear(2, 1, rng=6))
    theta = xe.get_theta(net)
    theta[0][0, 0] += 1.0  # a copy: the model is unchanged
    assert net[0].weight.data[0, 0] != theta[0][0, 0]
    xe.set_theta(other, xe.get_theta(net))
    x = np.random.default_rng(0).normal(size=(4, 2))
    np.testing.assert_array_equal(other(x), net(x))
    with pytest.raises(ValueError, match="has 4 parameters, got 3"):
        xe.set_theta(other, theta[:3])
    with pytest.raises(ValueError, match="got shape"):
        xe.set_theta(other, [theta[1], theta[0], theta[2], theta[3]])


def test_loss_along_segment_matches_the_endpoints() -> None:
    X, _, Y = _xor()
    a = Sequential(Linear(2, 2, rng=0), ReLU(), Linear(2, 1, rng=1))
    b = Sequential(Linear(2, 2, rng=2), ReLU(), Linear(2, 1, rng=3))
    probe = Sequential(Linear(2, 2, rng=9), ReLU(), Linear(2, 1, rng=9))
    losses = xe.loss_along_segment(
        probe,
        xe.get_theta(a),
        xe.get_theta(b),
        np.array([0.0, 0.5, 1.0]),
        BCEWithLogitsLoss(),
        X,
        Y,
    )
    assert losses.shape == (3,)
    assert losses[0] == pytest.approx(BCEWithLogitsLoss()(a(X), Y))
    assert losses[2] == pytest.approx(BCEWithLogitsLoss()(b(X), Y))
