"""Forward values against closed forms and PyTorch's documented definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_lib import (
    ELU,
    GELU,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    LeakyReLU,
    Linear,
    MSELoss,
    PReLU,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    WeightedLoss,
)
from course_lib.utils import erf, normal_cdf


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def test_linear_is_x_at_w_transpose_plus_b(rng) -> None:
    lin = Linear(3, 2, rng=rng)
    lin.bias.data[:] = [0.5, -1.0]
    x = rng.standard_normal((4, 3))
    W, b = lin.weight.data, lin.bias.data
    expected = np.array([[W[j] @ x[i] + b[j] for j in range(2)] for i in range(4)])
    np.testing.assert_allclose(lin(x), expected, rtol=1e-12)
    assert lin.weight.shape == (2, 3) and lin.bias.shape == (2,)


def test_relu_values_and_zero_at_kink() -> None:
    relu = ReLU()
    x = np.array([[-2.0, -0.0, 0.0, 3.0]])
    np.testing.assert_array_equal(relu(x), [[0, 0, 0, 3]])
    relu.forward(x)
    np.testing.assert_array_equal(relu.backward(np.ones_like(x)), [[0, 0, 0, 1]])
    assert ReLU().derivative(np.array(0.0)) == 0.0


def test_leaky_and_prelu_slopes() -> None:
    x = np.array([[-2.0, 3.0]])
    np.testing.assert_allclose(LeakyReLU()(x), [[-0.02, 3.0]])  # PyTorch default 0.01
    np.testing.assert_allclose(PReLU()(x), [[-0.5, 3.0]])  # PyTorch default 0.25


def test_elu_limits_and_continuity() -> None:
    elu = ELU(alpha=1.5)
    np.testing.assert_allclose(elu(np.array([[-50.0]])), [[-1.5]], rtol=1e-12)
    eps = 1e-9
    left, right = elu(np.array([[-eps, eps]]))[0]
    assert abs(left - right) < 1e-8


def test_gelu_closed_forms() -> None:
    assert GELU()(np.zeros((1, 1)))[0, 0] == 0.0
    x = np.linspace(-6, 6, 101).reshape(1, -1)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x[0]])
    np.testing.assert_allclose(GELU()(x)[0], exact, rtol=1e-13, atol=1e-15)
    # the tanh approximation stays within 1e-3 of the exact form (Hendrycks & Gimpel)
    assert np.max(np.abs(GELU("tanh")(x) - GELU()(x))) < 1e-3
    # GELU is non-monotonic: a minimum near x = -0.75
    y = GELU()(np.linspace(-3, 0, 301).reshape(1, -1))[0]
    assert 0 < y.argmin() < 300 and y.min() < -0.16


def test_erf_and_normal_cdf_match_the_standard_library() -> None:
    x = np.linspace(-7, 7, 2001)
    np.testing.assert_allclose(erf(x), [math.erf(v) for v in x], rtol=0, atol=4e-15)
    left = np.linspace(-30, -5, 50)
    ref = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in left])
    np.testing.assert_allclose(normal_cdf(left), ref, rtol=1e-13)
    mid = np.linspace(-5, 5, 1001)
    ref = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in mid])
    np.testing.assert_allclose(normal_cdf(mid), ref, rtol=2e-14)


def test_sigmoid_tanh_relation(rng) -> None:
    x = rng.standard_normal((3, 5)) * 3
    np.testing.assert_allclose(Sigmoid()(x), 1 / (1 + np.exp(-x)), rtol=1e-13)
    np.testing.assert_allclose(Tanh()(x), 2 * Sigmoid()(2 * x) - 1, atol=1e-13)
    assert Sigmoid().derivative(np.array(0.0)) == 0.25


def test_softmax_rows_sum_to_one_and_shift_invariant(rng) -> None:
    x = rng.standard_normal((6, 5)) * 4
    s = Softmax()(x)
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-14)
    assert (s > 0).all()
    np.testing.assert_allclose(Softmax()(x + 123.0), s, rtol=1e-12)
    col = Softmax(axis=0)(x)
    np.testing.assert_allclose(col.sum(axis=0), 1.0, rtol=1e-14)


def test_cross_entropy_of_equal_logits_is_log_c() -> None:
    for c in (2, 3, 10):
        z = np.zeros((4, c))
        assert CrossEntropyLoss()(z, np.arange(4) % c) == pytest.approx(math.log(c), rel=1e-14)


def test_cross_entropy_label_and_onehot_targets_agree(rng) -> None:
    z = rng.standard_normal((5, 3))
    y = rng.integers(0, 3, 5)
    ce_int, ce_prob = CrossEntropyLoss(), CrossEntropyLoss()
    a = ce_int(z, y)
    b = ce_prob(z, np.eye(3)[y])
    assert a == pytest.approx(b, rel=1e-14)
    np.testing.assert_allclose(ce_int.backward(), ce_prob.backward(), atol=1e-15)
    manual = -np.mean(np.log(np.exp(z[np.arange(5), y]) / np.exp(z).sum(1)))
    assert a == pytest.approx(manual, rel=1e-12)


def test_mse_is_mean_over_all_elements(rng) -> None:
    p, t = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    assert MSELoss()(p, t) == pytest.approx(((p - t) ** 2).sum() / 12, rel=1e-14)


def test_huber_equals_half_mse_inside_delta_and_linear_outside(rng) -> None:
    p = rng.uniform(-0.4, 0.4, (5, 2))
    t = rng.uniform(-0.4, 0.4, (5, 2))
    assert HuberLoss(1.0)(p, t) == pytest.approx(MSELoss()(p, t) / 2, rel=1e-13)
    big = HuberLoss(1.0)(np.array([[10.0]]), np.array([[0.0]]))
    assert big == pytest.approx(1.0 * (10 - 0.5), rel=1e-14)
    h = HuberLoss(2.0)
    h(np.array([[100.0, -100.0]]), np.zeros((1, 2)))
    np.testing.assert_allclose(h.backward(), [[1.0, -1.0]])  # delta / numel: bounded pull


def test_bce_with_logits_matches_the_textbook_formula(rng) -> None:
    z = rng.standard_normal((4, 3)) * 3
    t = (rng.random((4, 3)) > 0.5).astype(float)
    s = 1 / (1 + np.exp(-z))
    manual = -np.mean(t * np.log(s) + (1 - t) * np.log(1 - s))
    assert BCEWithLogitsLoss()(z, t) == pytest.approx(manual, rel=1e-12)


def test_kl_divergence_is_zero_for_matching_and_positive_otherwise(rng) -> None:
    z = rng.standard_normal((3, 4))
    p = Softmax()(z)
    assert KLDivLoss()(z, p) == pytest.approx(0.0, abs=1e-14)
    q = rng.dirichlet(np.ones(4), 3)
    manual = np.sum(q * (np.log(q) - np.log(p))) / 3
    assert KLDivLoss()(z, q) == pytest.approx(manual, rel=1e-12)
    assert KLDivLoss()(z, q) > 0
    # zero-probability targets contribute nothing (0 log 0 = 0)
    t = np.array([[1.0, 0.0, 0.0, 0.0]] * 3)
    assert np.isfinite(KLDivLoss()(z, t))


def test_kl_and_cross_entropy_differ_by_target_entropy(rng) -> None:
    z = rng.standard_normal((3, 4))
    q = rng.dirichlet(np.ones(4), 3)
    entropy = -np.sum(q * np.log(q)) / 3
    assert CrossEntropyLoss()(z, q) == pytest.approx(KLDivLoss()(z, q) + entropy, rel=1e-12)


def test_weighted_loss_blends_values_and_gradients(rng) -> None:
    p, t = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    blend = WeightedLoss([(0.3, MSELoss()), (2.0, HuberLoss(0.5))])
    mse, hub = MSELoss(), HuberLoss(0.5)
    assert blend(p, t) == pytest.approx(0.3 * mse(p, t) + 2.0 * hub(p, t), rel=1e-14)
    np.testing.assert_allclose(blend.backward(), 0.3 * mse.backward() + 2.0 * hub.backward())


def test_float32_modules_keep_float32(rng) -> None:
    model = Sequential(
        Linear(4, 8, rng=rng, dtype=np.float32),
        ReLU(),
        Linear(8, 3, rng=rng, dtype=np.float32),
        Tanh(),
        Softmax(),
    )
    x = rng.standard_normal((5, 4)).astype(np.float32)
    y = model(x)
    assert y.dtype == np.float32
    dx = model.backward(np.ones_like(y))
    assert dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    for act in (ELU(), GELU(), GELU("tanh"), LeakyReLU(), Sigmoid()):
        assert act(x).dtype == np.float32
        assert act.backward(np.ones_like(x)).dtype == np.float32
    ce = CrossEntropyLoss()
    ce(y, np.array([0, 1, 2, 0, 1]))
    assert ce.backward().dtype == np.float32
