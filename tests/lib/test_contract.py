"""The Module contract: accumulation, zero_grad, no mutation, stable parameter order."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib import (
    ELU,
    GELU,
    LeakyReLU,
    Linear,
    Module,
    Parameter,
    PReLU,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)


def make_model(seed: int = 0) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        Linear(4, 6, rng=rng), ReLU(), Linear(6, 5, rng=rng), PReLU(), Linear(5, 3, rng=rng)
    )


def test_gradients_accumulate_over_two_backward_calls_and_zero_grad_resets() -> None:
    model = make_model()
    rng = np.random.default_rng(1)
    x, g = rng.standard_normal((7, 4)), rng.standard_normal((7, 3))
    model.forward(x)
    model.backward(g)
    first = [p.grad.copy() for p in model.parameters()]
    assert all(np.abs(f).sum() > 0 for f in first)
    model.forward(x)
    model.backward(g)
    for p, f in zip(model.parameters(), first, strict=True):
        np.testing.assert_allclose(p.grad, 2 * f, rtol=1e-12)
    model.zero_grad()
    assert all(not p.grad.any() for p in model.parameters())


@pytest.mark.parametrize(
    "module",
    [
        Linear(4, 3, rng=0),
        ReLU(),
        LeakyReLU(),
        PReLU(),
        ELU(),
        GELU(),
        GELU("tanh"),
        Sigmoid(),
        Tanh(),
        Softmax(),
        make_model(),
    ],
    ids=repr,
)
def test_forward_and_backward_never_mutate_their_inputs(module: Module) -> None:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 4))
    x_copy = x.copy()
    y = module.forward(x)
    g = rng.standard_normal(y.shape)
    g_copy = g.copy()
    y_copy = y.copy()
    module.backward(g)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(g, g_copy)
    np.testing.assert_array_equal(y, y_copy)  # the returned output is not reused as a buffer


def test_parameter_order_and_names_are_stable() -> None:
    names = [n for n, _ in make_model().named_parameters()]
    assert names == [
        "0.weight",
        "0.bias",
        "2.weight",
        "2.bias",
        "3.weight",
        "4.weight",
        "4.bias",
    ]
    m = make_model()
    assert [id(p) for p in m.parameters()] == [id(p) for p in m.parameters()]
    assert [p.shape for p in m.parameters()] == [(6, 4), (6,), (5, 6), (5,), (), (3, 5), (3,)]


def test_custom_module_discovers_nested_parameters() -> None:
    class Block(Module):
        def __init__(self) -> None:
            self.scale = Parameter(np.ones(3), "scale")
            self.inner = Sequential(Linear(3, 3, rng=0), Tanh())
            self.heads = [Linear(3, 1, rng=1), Linear(3, 2, rng=2)]

        def forward(self, x):
            return self.inner(x * self.scale.data)

    names = [n for n, _ in Block().named_parameters()]
    assert names == [
        "scale",
        "inner.0.weight",
        "inner.0.bias",
        "heads.0.weight",
        "heads.0.bias",
        "heads.1.weight",
        "heads.1.bias",
    ]


def test_shared_parameter_is_listed_once() -> None:
    lin = Linear(3, 3, rng=0)
    model = Sequential(lin, ReLU(), lin)
    assert len(model.parameters()) == 2


def test_bias_gradient_is_summed_over_the_batch() -> None:
    lin = Linear(2, 3, rng=0)
    x = np.ones((4, 2))
    lin.forward(x)
    lin.backward(np.ones((4, 3)))
    np.testing.assert_array_equal(lin.bias.grad, [4.0, 4.0, 4.0])


def test_parameter_copies_its_initial_array() -> None:
    data = np.zeros(3)
    p = Parameter(data)
    p.data += 1
    assert not data.any()
    assert p.grad.shape == (3,) and not p.grad.any()


def test_input_grad_false_skips_only_the_input_gradient() -> None:
    rng = np.random.default_rng(3)
    x, g = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    a, b = make_model(), make_model()
    a.forward(x)
    dx = a.backward(g)
    b.forward(x)
    assert b.backward(g, input_grad=False) is None
    assert dx.shape == x.shape
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.grad, pb.grad)


def test_sequential_is_indexable_and_iterable() -> None:
    m = make_model()
    assert len(m) == 5 and isinstance(m[1], ReLU) and list(m)[4] is m[4]
    assert "Linear(in_features=4, out_features=6" in repr(m)
