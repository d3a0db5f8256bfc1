"""Every module and loss agrees with central differences to rel_error < 1e-7 in float64."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import (
    ELU,
    GELU,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    Identity,
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
    check_loss,
    check_module,
)

BATCHES = [1, 2, 7]
TOL = 1e-7


def away_from_kinks(x: np.ndarray, margin: float = 0.05) -> np.ndarray:
    """Push entries with |x| < margin out to +-margin-ish so no finite difference crosses 0."""
    x = x.copy()
    small = np.abs(x) < margin
    x[small] = np.where(x[small] >= 0, 1.0, -1.0) * (margin + np.abs(x[small]))
    return x


MODULES = {
    "Linear": lambda rng: Linear(5, 3, rng=rng),
    "Linear-nobias": lambda rng: Linear(5, 3, bias=False, rng=rng),
    "Identity": lambda rng: Identity(),
    "ReLU": lambda rng: ReLU(),
    "LeakyReLU": lambda rng: LeakyReLU(0.1),
    "PReLU": lambda rng: PReLU(0.3),
    "ELU": lambda rng: ELU(0.7),
    "GELU": lambda rng: GELU(),
    "GELU-tanh": lambda rng: GELU("tanh"),
    "Sigmoid": lambda rng: Sigmoid(),
    "Tanh": lambda rng: Tanh(),
    "Softmax": lambda rng: Softmax(),
    "MLP": lambda rng: Sequential(
        Linear(5, 6, rng=rng), Tanh(), Linear(6, 4, rng=rng), ELU(), Linear(4, 3, rng=rng)
    ),
}


@pytest.mark.parametrize("n", BATCHES)
@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_gradients(name: str, n: int) -> None:
    rng = np.random.default_rng(1000 + n)
    module = MODULES[name](rng)
    x = away_from_kinks(rng.standard_normal((n, 5)) * 2)
    errors = check_module(module, x, seed=n)
    expected_keys = {"input"} | {k for k, _ in module.named_parameters()}
    assert set(errors) == expected_keys
    worst = max(errors, key=errors.get)
    assert errors[worst] < TOL, f"{name}: gradient of {worst} off by {errors[worst]:.2e}"


def _loss_case(name: str, n: int, rng: np.random.Generator):
    c = 4
    if name == "MSE":
        return MSELoss(), rng.standard_normal((n, c)), rng.standard_normal((n, c))
    if name == "Huber":
        p = rng.standard_normal((n, c)) * 2
        t = rng.standard_normal((n, c)) * 2
        d = p - t  # keep residuals away from the |d| = delta switch
        near = np.abs(np.abs(d) - 1.0) < 0.05
        t[near] -= 0.2
        return HuberLoss(1.0), p, t
    if name == "CE-labels":
        return CrossEntropyLoss(), rng.standard_normal((n, c)), rng.integers(0, c, n)
    if name == "CE-probs":
        return CrossEntropyLoss(), rng.standard_normal((n, c)), rng.dirichlet(np.ones(c), n)
    if name == "BCE":
        t = (rng.random((n, c)) > 0.5).astype(float)
        return BCEWithLogitsLoss(), rng.standard_normal((n, c)) * 2, t
    if name == "KL":
        return KLDivLoss(), rng.standard_normal((n, c)), rng.dirichlet(np.ones(c), n)
    if name == "Weighted":
        loss = WeightedLoss([(1.0, CrossEntropyLoss()), (0.5, KLDivLoss())])
        return loss, rng.standard_normal((n, c)), rng.dirichlet(np.ones(c), n)
    raise KeyError(name)


@pytest.mark.parametrize("n", BATCHES)
@pytest.mark.parametrize("name", ["MSE", "Huber", "CE-labels", "CE-probs", "BCE", "KL", "Weighted"])
def test_loss_gradients(name: str, n: int) -> None:
    rng = np.random.default_rng(2000 + n)
    loss, p, t = _loss_case(name, n, rng)
    err = check_loss(loss, p, t)
    assert err < TOL, f"{name}: gradient off by {err:.2e}"


def test_check_module_catches_a_wrong_backward() -> None:
    """The checker itself must fail a broken module, or every test above proves nothing."""

    class BrokenTanh(Tanh):
        def backward(self, grad_output):
            return grad_output * (1 - self._y)  # forgot the square

    x = np.random.default_rng(0).standard_normal((3, 4))
    assert check_module(BrokenTanh(), x)["input"] > 1e-2


def test_check_module_leaves_the_module_untouched() -> None:
    rng = np.random.default_rng(0)
    lin = Linear(3, 2, rng=rng)
    w = lin.weight.data.copy()
    check_module(lin, rng.standard_normal((4, 3)))
    np.testing.assert_array_equal(lin.weight.data, w)
    assert not lin.weight.grad.any()
