"""Tests of ``course_lib.alternatives``: finite-difference and feedback-alignment training."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.alternatives import (
    FeedbackAlignment,
    backprop_train,
    compare_training,
    feedback_alignment_train,
    finite_difference_gradients,
    finite_difference_train,
    mlp_333,
)
from course_lib.data import noisy_xor, xor
from course_lib.gradcheck import rel_error
from course_lib.losses import BCEWithLogitsLoss


def _loss_and_grads(model, X, T):
    """Backprop gradients of the BCE loss, as a list of arrays."""
    loss = BCEWithLogitsLoss()
    model.zero_grad()
    loss.forward(model.forward(X), T)
    model.backward(loss.backward())
    return loss, [p.grad.copy() for p in model.parameters()]


def test_mlp_333_is_the_documented_network():
    model = mlp_333(0)
    assert [type(m).__name__ for m in model] == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert sum(p.data.size for p in model.parameters()) == 25
    assert model.forward(np.zeros((4, 2))).shape == (4, 1)


@pytest.mark.parametrize("method", ["central", "forward"])
def test_finite_difference_gradients_match_backprop_and_count_passes(method):
    X, y = noisy_xor(40, rng=1)
    T = y.reshape(-1, 1).astype(float)
    model = mlp_333(3)
    loss, exact = _loss_and_grads(model, X, T)
    weights = [p.data.copy() for p in model.parameters()]
    calls = []

    def loss_of_model():
        calls.append(1)
        return loss.forward(model.forward(X), T)

    eps = 1e-5 if method == "central" else 1e-7
    passes = finite_difference_gradients(model, loss_of_model, eps=eps, method=method)
    estimate = [p.grad for p in model.parameters()]
    assert passes == len(calls) == (50 if method == "central" else 26)  # 2P or P + 1
    tol = 1e-6 if method == "central" else 1e-3
    for g_exact, g_fd in zip(exact, estimate, strict=True):
        assert rel_error(g_exact, g_fd) < tol or np.max(np.abs(g_exact - g_fd)) < 1e-8
    for p, w in zip(model.parameters(), weights, strict=True):
        np.testing.assert_array_equal(p.data, w)  # every weight restored exactly


@pytest.mark.parametrize(("data", "seed"), [("xor", 1), ("xor", 2), ("noisy", 1), ("noisy", 2)])
def test_finite_differences_train_the_333_mlp(data, seed):
    X, y = xor() if data == "xor" else noisy_xor(200, rng=seed)
    run = finite_difference_train(mlp_333(seed), X, y, steps=300, stop_at_target=True)
    assert run.accuracy >= 0.95
    assert run.steps == run.steps_to_target > 0
    # one evaluation per step plus the final one, and 2P = 50 forward passes per update
    assert run.forward_passes == run.steps + 1 + 50 * run.steps
    assert run.backward_passes == 0
    assert run.passes_per_step == 51


def test_finite_differences_follow_backprop_step_for_step():
    X, y = noisy_xor(100, rng=3)
    bp = backprop_train(mlp_333(4), X, y, steps=40)
    fd = finite_difference_train(mlp_333(4), X, y, steps=40, eps=1e-5)
    np.testing.assert_allclose(fd.losses, bp.losses, rtol=1e-6)
    assert fd.forward_passes == 41 + 40 * 50 and bp.forward_passes == 41
    assert bp.backward_passes == 40


def test_feedback_alignment_backward_is_backprop_when_b_equals_w():
    X, y = noisy_xor(30, rng=0)
    T = y.reshape(-1, 1).astype(float)
    model = mlp_333(1, (2, 5, 4, 1))
    loss, exact = _loss_and_grads(model, X, T)
    fa = FeedbackAlignment(model, rng=0)
    assert sorted(fa.feedback) == [2, 4]  # every Linear but the first
    model.zero_grad()
    loss.forward(fa.forward(X), T)
    fa.backward(loss.backward())
    random_grads = [p.grad.copy() for p in model.parameters()]
    # the last layer's own gradient is exact; the ones below get a different (random) signal
    np.testing.assert_allclose(random_grads[-2], exact[-2], rtol=1e-12)
    assert rel_error(random_grads[0], exact[0]) > 1e-2
    for i in fa.feedback:
        fa.feedback[i] = model[i].weight.data.copy()
    model.zero_grad()
    loss.forward(fa.forward(X), T)
    fa.backward(loss.backward())
    for g_exact, p in zip(exact, model.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, g_exact, rtol=1e-12, atol=1e-15)
    with pytest.raises(RuntimeError, match="before forward"):
        FeedbackAlignment(model).backward(np.zeros((30, 1)))


@pytest.mark.parametrize(("data", "seed"), [("xor", 0), ("xor", 1), ("noisy", 0), ("noisy", 3)])
def test_feedback_alignment_learns_xor_family(data, seed):
    X, y = xor() if data == "xor" else noisy_xor(200, rng=seed)
    model = mlp_333(seed, (2, 8, 8, 1))
    before = FeedbackAlignment(model, rng=seed + 1).alignment_angles()
    run, fa = feedback_alignment_train(model, X, y, steps=300, rng=seed + 1)
    assert run.accuracy >= 0.95
    assert run.forward_passes == 301 and run.backward_passes == 300
    after = fa.alignment_angles()
    assert all(angle < 90 for angle in after.values())  # W turned towards B
    assert sum(after.values()) < sum(before.values())


def test_compare_training_reports_costs_against_backprop():
    X, y = xor()
    result = compare_training(X, y, architectures=[(2, 3, 3, 1), (2, 8, 8, 1)], rng=0)
    assert set(result.runs) == {
        (m, w)
        for m in ("backprop", "feedback_alignment", "finite_differences")
        for w in ((2, 3, 3, 1), (2, 8, 8, 1))
    }
    for widths, p in (((2, 3, 3, 1), 25), ((2, 8, 8, 1), 105)):
        bp = result.runs["backprop", widths]
        fd = result.runs["finite_differences", widths]
        assert bp.accuracy >= 0.95 and fd.accuracy >= 0.95
        assert fd.steps_to_target == bp.steps_to_target  # same trajectory ...
        assert fd.passes_per_step == 2 * p + 1 and bp.passes_per_step == 2  # ... at O(P) cost
        assert fd.passes_to_target > p * bp.passes_to_target / 2
    assert result.runs["feedback_alignment", (2, 8, 8, 1)].accuracy >= 0.95
    text = str(result)
    assert text.count("finite differences") == 2 and "2-8-8-1" in text
