"""Helpers of part 7 (the chain rule and computational graphs).

- :func:`value_max`: a ``max`` gate for :class:`course_lib.autograd.Value`, to show how the
  gradient patterns of ``+``, ``*`` and ``max`` differ (add distributes, multiply swaps, max
  routes).
- :func:`backward_without_reset`: micrograd's ``backward`` (seed the root, run every node's
  local rule, reset nothing), to compare with ``Value.backward``, which resets first.
- :func:`draw_chain_shapes`: the shapes of ``dL/dy_L J_L ... J_1`` for a scalar loss.
- :func:`chain_product_costs`: multiply a chain of Jacobians in forward and in reverse order,
  counting multiply-adds and timing both.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from ..autograd import Value
from ..autograd.engine import topological_order

__all__ = [
    "value_max",
    "topological_order",
    "backward_without_reset",
    "draw_chain_shapes",
    "ChainCost",
    "chain_product_costs",
]


def value_max(a: Value, b: Value) -> Value:
    """``max(a, b)`` as a graph node: the gradient is routed to the larger input only.

    Local derivatives: ``d max/d a = 1`` if ``a >= b`` else ``0``, and the opposite for ``b``
    (ties go to ``a``, like ``ReLU'(0) = 0`` picks one side).

    Parameters
    ----------
    a, b : Value
        The inputs.

    Returns
    -------
    Value
        A node with ``_op == "max"`` and children ``(a, b)``.
    """
    if not isinstance(a, Value) or not isinstance(b, Value):
        raise TypeError("value_max: both inputs must be Value nodes")
    a_wins = a.data >= b.data
    out = Value(a.data if a_wins else b.data, (a, b), "max")

    def _backward() -> None:
        a.grad += (1.0 if a_wins else 0.0) * out.grad  # the gradient goes to the winner ...
        b.grad += (0.0 if a_wins else 1.0) * out.grad  # ... and the loser gets nothing

    out._backward = _backward
    return out


def backward_without_reset(root: Value) -> None:
    """micrograd's ``backward``: set ``root.grad = 1`` and run every local rule, resetting nothing.

    Every node's ``_backward`` adds (``+=``) into its inputs' ``.grad``. Called once on a fresh
    graph it gives the gradients; called again, the *intermediate* nodes still hold their old
    gradients, which are added to and passed on once more, so the leaves receive neither the
    gradient nor twice it. (PyTorch keeps no gradients of intermediate nodes: a second
    ``backward(retain_graph=True)`` adds exactly the same gradient to the leaves again.)

    Parameters
    ----------
    root : Value
        The output node; ``.grad`` of every node in its graph is updated in place.
    """
    order = topological_order(root)
    root.grad = 1.0
    for node in reversed(order):
        node._backward()


def draw_chain_shapes(n: int = 6, n_jacobians: int = 4, ax: Axes | None = None) -> Axes:
    """Draw ``dL/dy_L`` (a ``1 x n`` row) followed by ``n_jacobians`` square ``n x n`` Jacobians.

    Parameters
    ----------
    n : int
        Width of every layer (the side of each square).
    n_jacobians : int
        Number of Jacobians ``J_L, ..., J_1``.
    ax : Axes, optional
        Where to draw; a new figure otherwise.

    Returns
    -------
    Axes
        With ``n_jacobians + 1`` rectangles (``ax.patches``).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 2.6))
    x = 0.0
    ax.add_patch(plt.Rectangle((x, n - 1), n, 1, color="#d62728", alpha=0.7))
    ax.text(
        x + n / 2, -1.1, r"$\partial L/\partial \mathbf{y}_L$" + "\n1 x n", ha="center", va="top"
    )
    x += n + 1.5
    for k in range(n_jacobians, 0, -1):
        ax.add_patch(plt.Rectangle((x, 0), n, n, color="#1f77b4", alpha=0.35))
        ax.text(x + n / 2, -1.1, f"$J_{k}$\nn x n", ha="center", va="top")
        x += n + 1.5
    ax.annotate(
        "",
        xy=(x - 1, n + 0.8),
        xytext=(0, n + 0.8),
        arrowprops={"arrowstyle": "->", "color": "#d62728", "lw": 2},
    )
    ax.text(
        x / 2,
        n + 1.2,
        "reverse order: row vector x matrix, ~n^2 each",
        color="#d62728",
        ha="center",
    )
    ax.set_xlim(-0.5, x)
    ax.set_ylim(-3.2, n + 2.2)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


@dataclass
class ChainCost:
    """Cost of ``G J_L ... J_1`` in both orders (see :func:`chain_product_costs`).

    Attributes
    ----------
    forward_macs, reverse_macs : int
        Multiply-adds: a product of ``(a x b)`` and ``(b x c)`` costs ``a b c``.
    forward_seconds, reverse_seconds : float
        Wall time of each order.
    max_difference : float
        ``max |forward result - reverse result|`` (round-off only).
    shape : tuple of int
        Shape of the result, ``(p, m)``.
    """

    forward_macs: int
    reverse_macs: int
    forward_seconds: float
    reverse_seconds: float
    max_difference: float
    shape: tuple[int, int]


def chain_product_costs(jacobians: Sequence[np.ndarray], upstream: np.ndarray) -> ChainCost:
    """Evaluate ``upstream @ J_L @ ... @ J_1`` in forward order and in reverse order.

    *Forward order* (forward-mode accumulation) multiplies from the input side,
    ``A = J_1``, ``A = J_k A`` for ``k = 2..L``, and finally ``upstream @ A``. *Reverse order*
    (reverse mode, backprop's order) starts at the output, ``R = upstream``, ``R = R J_k`` for
    ``k = L..1``.

    Parameters
    ----------
    jacobians : sequence of np.ndarray
        ``[J_1, ..., J_L]``; ``J_k`` has shape ``(d_k, d_{k-1})``, so the input has width
        ``m = d_0`` and the output ``d_L``.
    upstream : np.ndarray
        ``dL/dy_L``, shape ``(p, d_L)``: one row per output of the loss (``p = 1`` for a
        scalar loss).

    Returns
    -------
    ChainCost
        Both results agree; the result has shape ``(p, m)``.
    """
    if not jacobians:
        raise ValueError("chain_product_costs: need at least one Jacobian")
    for k in range(1, len(jacobians)):
        if jacobians[k].shape[1] != jacobians[k - 1].shape[0]:
            raise ValueError(
                f"chain_product_costs: J_{k + 1} has shape {jacobians[k].shape}, which does not "
                f"fit J_{k} of shape {jacobians[k - 1].shape}"
            )
    if upstream.shape[1] != jacobians[-1].shape[0]:
        raise ValueError(
            f"chain_product_costs: upstream has shape {upstream.shape}, expected "
            f"(p, {jacobians[-1].shape[0]})"
        )
    start = time.perf_counter()
    acc, forward_macs = jacobians[0], 0
    for J in jacobians[1:]:
        forward_macs += J.shape[0] * J.shape[1] * acc.shape[1]
        acc = J @ acc
    forward_macs += upstream.shape[0] * upstream.shape[1] * acc.shape[1]
    forward = upstream @ acc
    forward_seconds = time.perf_counter() - start

    start = time.perf_counter()
    row, reverse_macs = upstream, 0
    for J in reversed(jacobians):
        reverse_macs += row.shape[0] * J.shape[0] * J.shape[1]
        row = row @ J
    reverse_seconds = time.perf_counter() - start
    return ChainCost(
        forward_macs=int(forward_macs),
        reverse_macs=int(reverse_macs),
        forward_seconds=forward_seconds,
        reverse_seconds=reverse_seconds,
        max_difference=float(np.max(np.abs(forward - row))),
        shape=(int(row.shape[0]), int(row.shape[1])),
    )
