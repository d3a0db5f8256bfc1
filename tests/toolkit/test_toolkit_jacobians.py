"""Tests of ``course_lib.jacobians``: chained Jacobians, VJPs, JVPs and the cost report."""

from __future__ import annotations

import numpy as np
import pytest

import course_lib.jacobians.products as jac_mod
from course_lib.activations import (
    ELU,
    GELU,
    LeakyReLU,
    PReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from course_lib.gradcheck import numerical_jacobian, rel_error
from course_lib.jacobians import (
    jacobian_cost,
    jvp,
    module_jacobian,
    reverse_mode_jacobian,
    sequential_jacobian,
    vjp,
)
from course_lib.modules import Identity, Linear, Module, Sequential


def away_from_kinks(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal entries pushed to |x| >= 0.1, so ReLU-like kinks are 0.1 away."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.1, np.sign(x + 1e-12) * 0.1 + x, x)


def numeric(model, x: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of a model at one sample ``(D_in,)``."""
    return numerical_jacobian(lambda z: model.forward(z.reshape(1, -1)), x.copy())


def close(a: np.ndarray, b: np.ndarray) -> bool:
    """rel_error < 1e-6 on the entries that are not ~0, and tiny absolute error on the rest."""
    big = np.abs(a) + np.abs(b) > 1e-5
    return rel_error(a[big], b[big]) < 1e-6 and bool(np.all(np.abs(a - b)[~big] < 1e-9))


ELEMENTWISE = [ReLU, LeakyReLU, PReLU, ELU, GELU, lambda: GELU("tanh"), Sigmoid, Tanh, Identity]


@pytest.mark.parametrize("make", ELEMENTWISE)
def test_elementwise_jacobians_are_returned_as_their_diagonal(make):
    module = make()
    x = away_from_kinks(np.random.default_rng(1), (6,))
    diag = module_jacobian(module, x)
    assert diag.shape == (6,)
    dense = module_jacobian(module, x, dense=True)
    np.testing.assert_array_equal(dense, np.diag(diag))
    assert close(dense, numeric(module, x))
    batch = module_jacobian(module, np.stack([x, 2 * x]))
    assert batch.shape == (2, 6)
    np.testing.assert_array_equal(batch[0], diag)


def test_linear_and_softmax_jacobians():
    rng = np.random.default_rng(2)
    lin = Linear(4, 3, rng=rng)
    x = rng.standard_normal(4)
    np.testing.assert_array_equal(module_jacobian(lin, x), lin.weight.data)
    batch = module_jacobian(lin, rng.standard_normal((5, 4)))
    assert batch.shape == (5, 3, 4) and not batch.flags.writeable  # a view of W, not 5 copies
    soft = Softmax()
    z = rng.standard_normal(5)
    J = module_jacobian(soft, z)
    assert J.shape == (5, 5)
    assert close(J, numeric(soft, z))
    np.testing.assert_allclose(J.sum(axis=0), 0.0, atol=1e-15)  # outputs sum to 1


def _mixed_model(rng: np.random.Generator) -> Sequential:
    return Sequential(
        Linear(4, 6, rng=rng),
        Tanh(),
        Linear(6, 5, rng=rng),
        GELU(),
        Sequential(Linear(5, 5, rng=rng), LeakyReLU(0.1)),
        Linear(5, 3, rng=rng),
        Softmax(),
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chained_jacobian_equals_numerical_jacobian(seed):
    rng = np.random.default_rng(seed)
    model = _mixed_model(rng)
    x = rng.standard_normal(4)
    J = sequential_jacobian(model, x)
    assert J.shape == (3, 4)
    assert close(J, numeric(model, x))
    # the same result by D_out reverse-mode VJPs (rows) ...
    np.testing.assert_allclose(reverse_mode_jacobian(model, x), J, rtol=1e-12, atol=1e-15)
    # ... and per sample for a batch
    X = rng.standard_normal((3, 4))
    JB = sequential_jacobian(model, X)
    assert JB.shape == (3, 3, 4)
    for n in range(3):
        np.testing.assert_allclose(JB[n], sequential_jacobian(model, X[n]), rtol=1e-13)


def test_chained_jacobian_of_a_relu_mlp_against_numerical():
    rng = np.random.default_rng(5)
    model = Sequential(Linear(3, 8, rng=rng), ReLU(), Linear(8, 8, rng=rng), ReLU(), Linear(8, 2))
    x = rng.standard_normal(3)
    pre = [x]
    for m in model:
        pre.append(m.forward(pre[-1].reshape(1, -1))[0])
    assert min(np.abs(pre[1]).min(), np.abs(pre[3]).min()) > 1e-3  # no input on a kink
    assert close(sequential_jacobian(model, x), numeric(model, x))


def test_diagonal_jacobians_are_never_built_densely(monkeypatch):
    rng = np.random.default_rng(3)
    model = Sequential(Linear(3, 7, rng=rng), Tanh(), Linear(7, 7, rng=rng), ReLU(), Linear(7, 2))
    x = rng.standard_normal((4, 3))
    expected = sequential_jacobian(model, x)

    def forbidden(d):
        raise AssertionError("a diagonal Jacobian was materialized as a dense matrix")

    monkeypatch.setattr(jac_mod, "_diag_embed", forbidden)
    np.testing.assert_array_equal(sequential_jacobian(model, x), expected)
    with pytest.raises(AssertionError, match="materialized"):
        module_jacobian(Tanh(), x[0], dense=True)


def test_vjp_and_jvp_equal_jacobian_products_and_leave_grads_alone():
    rng = np.random.default_rng(4)
    model = _mixed_model(rng)
    for p in model.parameters():
        p.grad[...] = 7.0
    X = rng.standard_normal((5, 4))
    V = rng.standard_normal((5, 3))
    U = rng.standard_normal((5, 4))
    J = sequential_jacobian(model, X)  # (5, 3, 4)
    np.testing.assert_allclose(vjp(model, X, V), np.einsum("nij,ni->nj", J, V), rtol=1e-10)
    np.testing.assert_allclose(jvp(model, X, U), np.einsum("nij,nj->ni", J, U), rtol=1e-10)
    np.testing.assert_allclose(vjp(model, X[0], V[0]), J[0].T @ V[0], rtol=1e-10)
    assert jvp(model, X[0], U[0]).shape == (3,)
    assert all(np.all(p.grad == 7.0) for p in model.parameters())
    with pytest.raises(ValueError, match="shape"):
        vjp(model, X, V[:, :2])


class Square(Module):
    """A module without a closed-form Jacobian rule: only forward and backward."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return x**2

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        return 2.0 * self._x * grad_output


def test_unknown_modules_need_reverse_mode():
    x = np.array([1.0, -2.0, 3.0])
    with pytest.raises(TypeError, match="reverse_mode_jacobian"):
        module_jacobian(Square(), x)
    np.testing.assert_array_equal(reverse_mode_jacobian(Square(), x), np.diag(2 * x))
    model = Sequential(Linear(3, 3, rng=0), Square())
    np.testing.assert_allclose(jvp(model, x, x), reverse_mode_jacobian(model, x) @ x, rtol=1e-10)


def test_jacobian_cost_matches_closed_form_counts():
    # widths d = [3, 4, 5, 2], batch N = 2: W entries 12, 20, 10 (sum 42); activations 4, 5
    report = jacobian_cost([3, 4, 5, 2], batch=2, repeats=2, rng=0)
    macs = {k: m.macs for k, m in report.methods.items()}
    assert macs == {
        "forward_pass": 2 * 42,
        # d0 * (20 + 10) for the later Linears, d0 * (4^2 + 5^2) dense activations, d_L * d0
        "forward_dense": 2 * (3 * 30 + 3 * 41 + 2 * 3),
        "forward_diagonal": 2 * (3 * 30 + 3 * 9 + 2 * 3),
        "reverse_dense": 2 * (42 + 41),
        "reverse_diagonal": 2 * (42 + 9),
        "backprop": 2 * (2 * 42 + 9),
    }
    mem = {k: m.memory_bytes for k, m in report.methods.items()}
    cache = 8 * 2 * (3 + 4 + 5 + 4 + 5)  # inputs of the 3 Linears and the 2 activations
    assert mem == {
        "forward_pass": cache,
        # dense activation Jacobians + partial products after each module (rows 4,4,5,5,2) x d0
        "forward_dense": 8 * 2 * (41 + 3 * 20),
        "forward_diagonal": 8 * 2 * (9 + 3 * 20),
        "reverse_dense": 8 * 2 * 41,
        "reverse_diagonal": 8 * 2 * 9,
        "backprop": cache,
    }
    assert report.memory == {
        "batch_jacobians_dense": 8 * 2 * 2 * 83,
        "sample_jacobians_dense": 8 * 2 * 83,
        "sample_jacobians_diagonal": 8 * 2 * 51,
        "input_output_jacobian": 8 * 2 * 2 * 3,
        "backprop_cache": cache,
        "parameters": 8 * (42 + 11),
    }
    assert report.max_discrepancy < 1e-12
    assert all(m.seconds > 0 for m in report.methods.values())
    text = report.to_markdown()
    assert str(report) == text
    assert text.count("\n| ") == 2 + 6 + 6  # two headers, six methods, six memory rows
    assert "backprop (VJPs)" in text


def test_jacobian_cost_shows_why_reverse_mode_wins_for_a_scalar_loss():
    report = jacobian_cost([256, 64, 64, 1], batch=4, repeats=3, rng=1)
    m = report.methods
    # forward mode carries d_0 columns through every product; reverse mode carries one row
    assert m["forward_diagonal"].macs > 20 * m["reverse_diagonal"].macs
    assert m["forward_dense"].macs > m["forward_diagonal"].macs  # exploiting the diagonal pays
    assert m["reverse_dense"].macs > m["reverse_diagonal"].macs
    # backprop keeps activations, never a Jacobian
    assert report.memory["backprop_cache"] < report.memory["sample_jacobians_dense"] / 10
    assert report.memory["sample_jacobians_dense"] < report.memory["batch_jacobians_dense"]
    assert m["forward_diagonal"].seconds > m["reverse_diagonal"].seconds


def test_jacobian_cost_rejects_bad_arguments():
    with pytest.raises(ValueError, match="widths"):
        jacobian_cost([3])
    with pytest.raises(ValueError, match="batch"):
        jacobian_cost([3, 2], batch=0)
    with pytest.raises(ValueError, match="elementwise"):
        jacobian_cost([3, 2, 1], activation="softmax")
