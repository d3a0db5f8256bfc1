"""Piecewise-linear ReLU networks: activation regions in the plane and linear pieces on a line.

A ReLU network is affine on each *activation region*, the set of inputs that switch on the same
hidden units. These helpers label inputs by their activation pattern, draw the regions, build the
one-dimensional "tent map" fold, and count the linear pieces of a sampled curve.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from ..activations import ReLU
from ..modules import Linear, Sequential

__all__ = [
    "activation_patterns",
    "random_affine_layer",
    "plot_activation_regions",
    "tent_block",
    "count_pieces",
]


def activation_patterns(layers: Sequence[Linear], points: np.ndarray) -> np.ndarray:
    """Label each point by its on/off pattern over all hidden ReLUs.

    The points pass through ``layer -> ReLU`` for every layer in turn; a unit is *on* where its
    pre-activation is positive.

    Parameters
    ----------
    layers : sequence of Linear
        The affine maps of the hidden layers, in order (a ReLU follows each).
    points : np.ndarray
        Inputs, shape ``(M, D)``.

    Returns
    -------
    np.ndarray
        Integer labels, shape ``(M,)``, numbered ``0, 1, ...`` in order of the patterns; two
        points have the same label exactly when they share the pattern.
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2:
        raise ValueError(
            f"activation_patterns: expected points of shape (M, D), got {points.shape}"
        )
    h, bits = points, []
    for layer in layers:
        pre = layer(h)
        bits.append(pre > 0)
        h = np.maximum(pre, 0.0)
    on = np.concatenate(bits, axis=1)  # (M, total units)
    _, codes = np.unique(on, axis=0, return_inverse=True)
    return codes.reshape(-1)


def random_affine_layer(n_in: int, n_out: int, rng: np.random.Generator) -> Linear:
    """A ``Linear(n_in, n_out)`` with He-initialised weights and standard normal biases.

    Nonzero biases move the units' hyperplanes away from the origin, so the regions they cut
    are not all cones through 0.
    """
    layer = Linear(n_in, n_out, rng=rng)
    layer.bias.data[:] = rng.standard_normal(n_out)
    return layer


def plot_activation_regions(
    layers: Sequence[Linear],
    ax: Axes | None = None,
    extent: float = 3.0,
    resolution: int = 201,
) -> int:
    """Colour the square ``[-extent, extent]^2`` by activation region and return their number.

    Parameters
    ----------
    layers : sequence of Linear
        Hidden layers with 2 inputs to the first (see :func:`activation_patterns`).
    ax : Axes, optional
        Where to draw; a new figure by default.
    extent : float
        Half the side of the square.
    resolution : int
        Grid points per axis, ``R``; the patterns of ``R * R`` points are drawn.

    Returns
    -------
    int
        The number of distinct activation patterns seen on the grid.
    """
    ax = ax if ax is not None else plt.subplots(figsize=(4.5, 4))[1]
    g = np.linspace(-extent, extent, resolution)
    xx, yy = np.meshgrid(g, g)
    codes = activation_patterns(layers, np.column_stack([xx.ravel(), yy.ravel()]))
    box = [-extent, extent, -extent, extent]
    ax.imshow(codes.reshape(xx.shape) % 20, origin="lower", extent=box, cmap="tab20")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    return int(codes.max()) + 1


def tent_block() -> Sequential:
    """One fold of ``[0, 1]``: ``t(x) = 2 ReLU(x) - 4 ReLU(x - 1/2)``, shape ``(N, 1) -> (N, 1)``.

    ``Linear(1, 2)`` with weights ``(1, 1)`` and biases ``(0, -1/2)``, a ReLU, then
    ``Linear(2, 1)`` with weights ``(2, -4)`` and no offset. It maps 0 and 1 to 0 and 1/2 to 1.
    """
    hidden = Linear(1, 2, rng=0)
    hidden.weight.data[:] = [[1.0], [1.0]]
    hidden.bias.data[:] = [0.0, -0.5]
    out = Linear(2, 1, rng=0)
    out.weight.data[:] = [[2.0, -4.0]]
    out.bias.data[:] = 0.0
    return Sequential(hidden, ReLU(), out)


def count_pieces(x: np.ndarray, y: np.ndarray, decimals: int = 6) -> int:
    """Number of linear pieces of a sampled piecewise-linear curve: slope changes plus one.

    Parameters
    ----------
    x : np.ndarray
        Increasing sample points, shape ``(M,)``.
    y : np.ndarray
        Values at them, shape ``(M,)``.
    decimals : int
        Slopes are rounded to this many decimals before comparing.

    Returns
    -------
    int
        Exact when every kink lies on a sample point (as for the tent maps on a dyadic grid);
        otherwise a kink between samples can add one short extra piece.
    """
    x, y = np.ravel(x), np.ravel(y)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"count_pieces: need x and y of the same shape (M >= 2), got {x.shape}")
    slopes = np.round(np.diff(y) / np.diff(x), decimals)
    return int(np.sum(slopes[1:] != slopes[:-1])) + 1
