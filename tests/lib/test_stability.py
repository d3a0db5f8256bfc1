"""Softmax and the logit losses stay finite, with finite gradients, for logits of +-1e4."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from course_lib import BCEWithLogitsLoss, CrossEntropyLoss, KLDivLoss, Sigmoid, Softmax

EXTREME = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, 1e4]])


@pytest.fixture(autouse=True)
def _no_numpy_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # overflow / divide / invalid would raise
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield


def test_softmax_extreme() -> None:
    sm = Softmax()
    s = sm(EXTREME)
    assert np.isfinite(s).all()
    np.testing.assert_allclose(s[0], [1, 0, 0], atol=1e-300)
    np.testing.assert_allclose(s[2], [1 / 3] * 3)
    assert np.isfinite(sm.backward(np.ones_like(s))).all()


def test_cross_entropy_extreme_labels_and_probs() -> None:
    ce = CrossEntropyLoss()
    # a confident correct prediction costs ~0, a confident wrong one ~2e4
    assert ce(EXTREME[:1], np.array([0])) == pytest.approx(0.0, abs=1e-12)
    assert ce(EXTREME[:1], np.array([1])) == pytest.approx(2e4, rel=1e-12)
    loss = ce(EXTREME, np.array([1, 0, 2]))
    g = ce.backward()
    assert np.isfinite(loss) and np.isfinite(g).all()
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-15)
    loss = ce(EXTREME, np.full((3, 3), 1 / 3))
    assert np.isfinite(loss) and np.isfinite(ce.backward()).all()


def test_bce_extreme() -> None:
    bce = BCEWithLogitsLoss()
    z = np.array([[1e4, -1e4, 1e4, -1e4]])
    t = np.array([[1.0, 0.0, 0.0, 1.0]])
    loss = bce(z, t)
    assert loss == pytest.approx((0 + 0 + 1e4 + 1e4) / 4, rel=1e-12)
    g = bce.backward()
    np.testing.assert_allclose(g, [[0, 0, 0.25, -0.25]], atol=1e-15)


def test_kl_extreme() -> None:
    kl = KLDivLoss()
    t = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])
    loss = kl(EXTREME, t)
    assert np.isfinite(loss)
    assert np.isfinite(kl.backward()).all()


def test_sigmoid_extreme() -> None:
    s = Sigmoid()
    y = s(np.array([[-1e4, 1e4, -800.0, 800.0]]))
    np.testing.assert_array_equal(y, [[0.0, 1.0, 0.0, 1.0]])
    assert np.isfinite(s.backward(np.ones((1, 4)))).all()
