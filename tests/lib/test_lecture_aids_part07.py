"""Part 7's helpers: the max gate, micrograd's backward, the cost of a chain of Jacobians."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.autograd import Value
from course_lib.lecture_aids.part07_graphs import (
    backward_without_reset,
    chain_product_costs,
    draw_chain_shapes,
    topological_order,
    value_max,
)


@pytest.mark.parametrize(
    ("a", "b", "grads"), [(2.0, -1.0, (1.0, 0.0)), (-3.0, 4.0, (0.0, 1.0)), (1.0, 1.0, (1.0, 0.0))]
)
def test_value_max_routes_the_gradient_to_the_larger_input(a: float, b: float, grads) -> None:
    x, y = Value(a), Value(b)
    out = value_max(x, y) * 3.0
    out.backward()
    assert out.data == 3.0 * max(a, b)
    assert (x.grad, y.grad) == (3.0 * grads[0], 3.0 * grads[1])


def test_value_max_in_the_cs231n_example() -> None:
    x, y, z, w = Value(3.0), Value(-4.0), Value(2.0), Value(-1.0)
    f = (x * y + value_max(z, w)) * 2
    f.backward()
    assert f.data == -20.0
    assert (x.grad, y.grad, z.grad, w.grad) == (-8.0, 6.0, 2.0, 0.0)


def test_value_max_wants_values() -> None:
    with pytest.raises(TypeError):
        value_max(Value(1.0), 2.0)


def test_topological_order_puts_every_node_after_its_inputs() -> None:
    x, y = Value(1.0), Value(2.0)
    f = (x * y + x).tanh() * y
    order = topological_order(f)
    assert order[-1] is f and len(order) == len({id(n) for n in order})
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(position[id(child)] < position[id(node)] for child in node._prev)


def test_backward_without_reset_once_gives_the_gradient_twice_does_not() -> None:
    x, y = Value(3.0), Value(-2.0)
    f = x * y + x
    backward_without_reset(f)
    assert (x.grad, y.grad) == (-1.0, 3.0)
    backward_without_reset(f)  # the intermediate node x*y still holds 1: it is counted again
    assert (x.grad, y.grad) == (-4.0, 9.0)
    f.backward()  # course_lib resets first
    assert (x.grad, y.grad) == (-1.0, 3.0)


def test_draw_chain_shapes_one_rectangle_per_factor() -> None:
    ax = draw_chain_shapes(n=4, n_jacobians=3)
    assert len(ax.patches) == 4


def test_chain_product_costs_counts_and_agrees() -> None:
    rng = np.random.default_rng(0)
    n, m, p = 7, 3, 2
    jac = [rng.standard_normal((n, m)), rng.standard_normal((n, n)), rng.standard_normal((5, n))]
    up = rng.standard_normal((p, 5))
    cost = chain_product_costs(jac, up)
    assert cost.shape == (p, m) and cost.max_difference < 1e-10
    assert cost.forward_macs == n * n * m + 5 * n * m + p * 5 * m
    assert cost.reverse_macs == p * 5 * n + p * n * n + p * n * m
    assert cost.forward_seconds >= 0 and cost.reverse_seconds >= 0


def test_chain_product_costs_square_chain_costs_the_same_both_ways() -> None:
    rng = np.random.default_rng(1)
    jac = [rng.standard_normal((6, 6)) for _ in range(3)]
    cost = chain_product_costs(jac, np.eye(6))
    assert cost.forward_macs == cost.reverse_macs == 3 * 6**3


def test_chain_product_costs_rejects_shapes_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="J_2"):
        chain_product_costs([np.ones((3, 2)), np.ones((4, 4))], np.ones((1, 4)))
    with pytest.raises(ValueError, match="upstream"):
        chain_product_costs([np.ones((3, 2))], np.ones((1, 4)))
    with pytest.raises(ValueError):
        chain_product_costs([], np.ones((1, 1)))
