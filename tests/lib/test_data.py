"""The generated data sets: shapes, dtypes, labels, reproducibility and errors."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import data


@pytest.mark.parametrize("name", ["noisy_xor", "moons", "spirals", "circles"])
def test_shapes_dtypes_and_seeding(name: str) -> None:
    make = data.DATASETS[name]
    X, y = make(rng=3)
    X2, y2 = make(rng=3)
    X3, _ = make(rng=4)
    assert X.ndim == 2 and X.shape[1] == 2 and X.dtype == np.float64
    assert y.shape == (X.shape[0],) and y.dtype == np.int64
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, X3)
    counts = np.bincount(y)
    assert counts.min() >= counts.max() - 1  # balanced classes


def test_xor_is_the_truth_table() -> None:
    X, y = data.xor()
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]).astype(int))


def test_noisy_xor_labels_follow_the_nearest_corner() -> None:
    X, y = data.noisy_xor(200, noise=0.1, rng=0)
    corner = (X > 0.5).astype(int)
    assert np.mean((corner[:, 0] ^ corner[:, 1]) == y) > 0.99


def test_spirals_have_the_requested_classes_inside_the_unit_disc() -> None:
    X, y = data.spirals(500, classes=5, noise=0.0, rng=0)
    assert set(np.unique(y)) == set(range(5))
    assert np.linalg.norm(X, axis=1).max() <= 1.0 + 1e-12


def test_circles_inner_points_are_closer_to_the_origin() -> None:
    X, y = data.circles(400, noise=0.0, factor=0.3, rng=0)
    r = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(r[y == 1], 0.3)
    np.testing.assert_allclose(r[y == 0], 1.0)


def test_regression_outliers_are_the_last_rows() -> None:
    x, t = data.regression_with_outliers(40, n_outliers=4, noise=0.0, rng=0)
    resid = t - (2 * x + 1)
    assert x.shape == t.shape == (40, 1)
    np.testing.assert_allclose(resid[:-4], 0, atol=1e-12)
    assert (resid[-4:] > 5).all()


def test_train_test_split_partitions_the_rows() -> None:
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, 0.3, rng=0)
    assert len(y_te) == 3 and len(y_tr) == 7
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(10))
    np.testing.assert_array_equal(X_tr[:, 0], 2 * y_tr)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="moons: n must be an int >= 2, got 0"):
        data.moons(0)
    with pytest.raises(ValueError, match=r"n_outliers must be in \[0, 5\), got 5"):
        data.regression_with_outliers(5, n_outliers=5)
    with pytest.raises(ValueError, match="same number of rows"):
        data.train_test_split(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(TypeError, match="rng: expected a numpy Generator"):
        data.moons(10, rng="seed")
