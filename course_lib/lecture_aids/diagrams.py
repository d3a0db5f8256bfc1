"""Diagrams of networks and shapes: block cascades, point clouds, matrix-product shapes.

Every function draws on a given matplotlib ``Axes`` (or makes a new figure) and returns it.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..modules import Linear, Sequential

__all__ = ["block_names", "block_widths", "draw_blocks", "plot_point_sets", "draw_shape_product"]

_COLOURS = {"io": "#dddddd", "lin": "#9ecae1", "act": "#fdae6b"}


def block_names(model: Sequential) -> list[str]:
    """``["input", <class name of each layer>..., "output"]`` of a ``Sequential``."""
    return ["input"] + [type(layer).__name__ for layer in model] + ["output"]


def block_widths(model: Sequential, in_dim: int) -> list[int]:
    """Width of the vector leaving the input and each layer: ``[in_dim, d_1, ..., d_L]``.

    A layer with ``out_features`` (``Linear``) sets the width; any other layer keeps it.
    """
    widths = [int(in_dim)]
    for layer in model:
        widths.append(int(getattr(layer, "out_features", widths[-1])))
    return widths


def draw_blocks(model: Sequential, in_dim: int, ax: Axes | None = None) -> Axes:
    """Draw a ``Sequential`` as a left-to-right cascade of blocks, the width on each arrow.

    A ``Linear`` layer followed by a non-``Linear`` layer (its activation) is bracketed as one
    hidden layer.

    Parameters
    ----------
    model : Sequential
        The network, e.g. ``Sequential(Linear(2, 16), ReLU(), Linear(16, 1))``.
    in_dim : int
        Number of input features ``D``.
    ax : Axes, optional
        Where to draw; a new ``(12, 2.2)`` figure by default.

    Returns
    -------
    Axes
        One rectangle patch per block (input, layers, output).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"draw_blocks: expected a Sequential, got {type(model).__name__}")
    ax = ax if ax is not None else plt.subplots(figsize=(12, 2.2))[1]
    names, widths = block_names(model), block_widths(model, in_dim)
    step = 1.6
    for i, name in enumerate(names):
        kind = "io" if i in (0, len(names) - 1) else ("lin" if name == "Linear" else "act")
        ax.add_patch(plt.Rectangle((i * step, 0), 1.1, 0.8, fc=_COLOURS[kind], ec="k"))
        ax.text(i * step + 0.55, 0.4, name, ha="center", va="center", fontsize=9)
        if i < len(names) - 1:
            tip, tail = ((i + 1) * step, 0.4), (i * step + 1.1, 0.4)
            ax.annotate("", xy=tip, xytext=tail, arrowprops={"arrowstyle": "->"})
            ax.text(i * step + 1.35, 0.55, str(widths[i]), ha="center", fontsize=8)
    hidden = 0
    for i, layer in enumerate(model.layers[:-1]):
        if isinstance(layer, Linear) and not isinstance(model.layers[i + 1], Linear):
            hidden += 1
            x0 = (i + 1) * step
            ax.plot([x0, x0 + step + 1.1], [-0.1, -0.1], color="k", lw=1)
            ax.text(x0 + (step + 1.1) / 2, -0.3, f"hidden layer {hidden}", ha="center", fontsize=9)
    ax.set_xlim(-0.2, len(names) * step)
    ax.set_ylim(-0.45, 1.0)
    ax.axis("off")
    return ax


def plot_point_sets(
    point_sets: Sequence[np.ndarray],
    titles: Sequence[str],
    colour: np.ndarray,
    axes: Sequence[Axes] | None = None,
    cmap: str = "hsv",
) -> Figure:
    """Scatter several images of the same points side by side, coloured alike.

    Parameters
    ----------
    point_sets : sequence of np.ndarray
        ``K`` arrays of shape ``(M, 2)``: the same ``M`` points after different maps.
    titles : sequence of str
        ``K`` panel titles.
    colour : np.ndarray
        Shape ``(M,)``: one colour value per point, so each point can be followed.
    axes : sequence of Axes, optional
        ``K`` axes; a new ``1 x K`` figure by default.

    Returns
    -------
    Figure
    """
    if len(point_sets) != len(titles):
        raise ValueError(f"plot_point_sets: {len(point_sets)} point sets but {len(titles)} titles")
    if axes is None:
        _, axes = plt.subplots(1, len(point_sets), figsize=(4 * len(point_sets), 3.8))
    axes = list(np.atleast_1d(axes))
    for ax, pts, title in zip(axes, point_sets, titles, strict=True):
        pts = np.asarray(pts)
        if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] != len(colour):
            raise ValueError(
                f"plot_point_sets: expected points of shape ({len(colour)}, 2), got {pts.shape}"
            )
        ax.scatter(pts[:, 0], pts[:, 1], c=colour, cmap=cmap, s=6)
        ax.set_title(title)
        ax.set_aspect("equal", adjustable="datalim")
    return axes[0].figure


def draw_shape_product(
    factors: Sequence[tuple[str, tuple[int, int]]],
    result: tuple[str, tuple[int, int]],
    ax: Axes | None = None,
    scale: float = 0.25,
) -> Axes:
    """Draw ``result = factor_1 @ factor_2 @ ...`` as rectangles sized by their shapes.

    Inner dimensions must match, and the result's shape must be (rows of the first factor,
    columns of the last): the drawing is a check that "the shapes fit".

    Parameters
    ----------
    factors : sequence of (str, (int, int))
        Label and shape ``(rows, cols)`` of each factor, left to right.
    result : (str, (int, int))
        Label and shape of the product.
    ax : Axes, optional
        Where to draw; a new figure by default.
    scale : float
        Drawing units per matrix row/column.

    Returns
    -------
    Axes
        One rectangle per factor and one for the result.
    """
    for (name_a, (_, cols)), (name_b, (rows, _)) in zip(factors[:-1], factors[1:], strict=True):
        if cols != rows:
            raise ValueError(
                f"draw_shape_product: {name_a} has {cols} columns but {name_b} has {rows} rows"
            )
    want = (factors[0][1][0], factors[-1][1][1])
    if tuple(result[1]) != want:
        raise ValueError(
            f"draw_shape_product: the product has shape {want}, not {tuple(result[1])}"
        )
    ax = ax if ax is not None else plt.subplots(figsize=(6, 2.2))[1]
    boxes = [(result[0], result[1], "#fdae6b"), ("=", None, None)]
    boxes += [(name, shape, "#9ecae1") for name, shape in factors]
    x, top = 0.0, 0.0
    for name, shape, colour in boxes:
        if shape is None:
            ax.text(x + 0.2, -0.5 * max(want[0], 1) * scale, name, ha="center", va="center")
            x += 0.6
            continue
        h, w = shape[0] * scale, shape[1] * scale
        ax.add_patch(plt.Rectangle((x, -h), w, h, fc=colour, ec="k"))
        ax.text(x + w / 2, -h / 2, name, ha="center", va="center", fontsize=10)
        ax.text(x + w / 2, 0.12, f"{shape[0]}×{shape[1]}", ha="center", fontsize=8)
        x, top = x + w + 0.3, max(top, h)
    ax.set_xlim(-0.2, x)
    ax.set_ylim(-top - 0.2, 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
