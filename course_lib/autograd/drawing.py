"""Drawing computational graphs of :class:`~course_lib.autograd.engine.Value` with matplotlib.

:func:`trace` collects a graph's nodes and edges; :func:`draw_graph` lays them out left to right
(column = longest path from a leaf, rows ordered to reduce crossings) and draws a box per node and
an arrow per edge. No graphviz binary is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np

from .engine import Value, topological_order

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["trace", "draw_graph"]

Show = Literal["forward", "backward", "both"]
_BOX = 0.72  # width and height of a node's box, in column units


def draw_graph(root: Value, show: Show = "both", ax: Axes | None = None) -> Figure:
    """Draw the computational graph of ``root`` left to right with matplotlib.

    Leaves sit in the first column; each other node sits one column right of its deepest input
    (its layer is the longest path from a leaf). Each node is a box showing its label and
    operation, and its value (``show="forward"``), its gradient (``"backward"``) or both. Each edge
    is one arrow: along the forward flow (input -> output) for ``"forward"`` and ``"both"``, and
    against it, in red, for ``"backward"``, the direction the gradients travel.

    Every box is a ``FancyBboxPatch`` with gid ``"node:<i>"`` and every arrow a ``FancyArrowPatch``
    with gid ``"edge:<i>-<j>"``, where ``i``, ``j`` index ``trace(root)[0]`` (child ``i``,
    parent ``j``); the box text has gid ``"text:<i>"``.

    Parameters
    ----------
    root : Value
        The output node; call ``root.backward()`` first to see gradients.
    show : {"forward", "backward", "both"}
    ax : matplotlib Axes, optional
        Draw into this axes; by default a new figure sized to the graph (readable up to ~60
        nodes) is made.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if show not in ("forward", "backward", "both"):
        raise ValueError(f"draw_graph: show must be 'forward', 'backward' or 'both', got {show!r}")
    nodes, edges = trace(root)
    columns = _order_within_layers(nodes, _layers(nodes))
    n_cols, n_rows = len(columns), max(len(col) for col in columns)
    xy = _positions(columns, n_rows)
    ax = _axes(ax, n_cols, n_rows)
    fontsize = _fontsize(ax, n_cols, n_rows, 3 if show == "both" else 2)
    index = {node: i for i, node in enumerate(nodes)}
    for node in nodes:
        _draw_box(ax, node, index[node], xy[node], show, fontsize, node is root)
    for child, parent in edges:
        gid = f"edge:{index[child]}-{index[parent]}"
        _draw_edge(ax, xy[child], xy[parent], show == "backward", fontsize, gid)
    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(-(n_rows - 1) - 0.6, 0.6)
    ax.set_aspect("auto")
    ax.axis("off")
    title = {"forward": "forward pass: values", "backward": "backward pass: gradients"}
    ax.set_title(title.get(show, "values and gradients"), fontsize=max(fontsize, 8.0))
    return ax.figure


def _positions(columns: list[list[Value]], n_rows: int) -> dict[Value, tuple[float, float]]:
    """Data coordinates of each node: column ``k`` at ``x = k``, each column centred vertically."""
    xy: dict[Value, tuple[float, float]] = {}
    for k, col in enumerate(columns):
        offset = (n_rows - len(col)) / 2.0
        for r, node in enumerate(col):
            xy[node] = (float(k), -(offset + r))
    return xy


def _axes(ax: Axes | None, n_cols: int, n_rows: int) -> Axes:
    """``ax``, or the axes of a new figure sized to an ``n_rows`` by ``n_cols`` graph."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    width = float(np.clip(1.7 * n_cols, 3.0, 30.0))
    height = float(np.clip(0.85 * n_rows + 0.4, 1.6, 24.0))
    _, ax = plt.subplots(figsize=(width, height))
    ax.set_position((0.01, 0.01, 0.98, 1.0 - 0.35 / height))
    return ax


def _fontsize(ax: Axes, n_cols: int, n_rows: int, n_lines: int) -> float:
    """A font size that fits ~14 characters across and ``n_lines`` lines down each box."""
    fig_w, fig_h = ax.figure.get_size_inches()
    ax_box = ax.get_position()
    box_w_pt = 72.0 * fig_w * ax_box.width * _BOX / (n_cols + 0.2)
    box_h_pt = 72.0 * fig_h * ax_box.height * _BOX / (n_rows + 0.2)
    return float(np.clip(min(box_w_pt / (0.62 * 14), box_h_pt / (1.35 * n_lines)), 3.0, 10.0))


def _draw_box(
    ax: Axes, node: Value, i: int, xy: tuple[float, float], show: Show, fontsize: float, root: bool
) -> None:
    """One node: a rounded box (blue leaf, beige operation, green root) and its text."""
    from matplotlib.patches import FancyBboxPatch

    x, y = xy
    face = "#d5f5d5" if root else "#dbe9f6" if not node._prev else "#fdf0d5"
    box = FancyBboxPatch(
        (x - _BOX / 2, y - _BOX / 2),
        _BOX,
        _BOX,
        boxstyle="round,pad=0,rounding_size=0.08",
        facecolor=face,
        edgecolor="#444444",
        linewidth=0.8,
        gid=f"node:{i}",
    )
    ax.add_patch(box)
    text = _box_text(node, show)
    ax.text(
        x, y, text, ha="center", va="center", fontsize=fontsize, family="monospace", gid=f"text:{i}"
    )


def _draw_edge(
    ax: Axes,
    child: tuple[float, float],
    parent: tuple[float, float],
    backward: bool,
    fontsize: float,
    gid: str,
) -> None:
    """One arrow from ``child``'s box to ``parent``'s (reversed and red when ``backward``)."""
    from matplotlib.patches import FancyArrowPatch

    (x0, y0), (x1, y1) = child, parent
    start, end = (x0 + _BOX / 2, y0), (x1 - _BOX / 2, y1)
    if backward:
        start, end = end, start
    arrow = FancyArrowPatch(
        start,
        end,
        arrowstyle="-|>",
        mutation_scale=max(6.0, 1.2 * fontsize),
        color="#c0392b" if backward else "#555555",
        linewidth=0.8,
        shrinkA=0,
        shrinkB=0,
        # arrows that skip columns bend a little so they do not run through boxes
        connectionstyle=f"arc3,rad={0.2 if abs(x1 - x0) > 1 else 0.0}",
        gid=gid,
    )
    ax.add_patch(arrow)


def trace(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """Collect the computational graph that produced ``root``.

    Parameters
    ----------
    root : Value

    Returns
    -------
    nodes : list of Value
        Every node reachable from ``root``, in topological order (inputs first, ``root`` last).
    edges : list of (Value, Value)
        One ``(child, parent)`` pair per use of ``child`` as an input of ``parent``; ``x * x``
        gives a single edge.
    """
    nodes = topological_order(root)
    edges = [(child, node) for node in nodes for child in node._prev]
    return nodes, edges


def _layers(nodes: list[Value]) -> dict[Value, int]:
    """Column of each node for drawing (``nodes`` in topological order).

    An operation's column is the length of the longest path to it from a leaf. A leaf is then moved
    right, to the column just before its first user, so that e.g. a bias added late is drawn next
    to its ``+`` rather than far left with a long arrow through the other boxes.
    """
    layer: dict[Value, int] = {}
    for node in nodes:
        layer[node] = 1 + max((layer[c] for c in node._prev), default=-1)
    first_use: dict[Value, int] = {}
    for node in nodes:
        for child in node._prev:
            first_use[child] = min(first_use.get(child, layer[node]), layer[node])
    for node in nodes:
        if not node._prev and node in first_use:
            layer[node] = first_use[node] - 1
    return layer


def _order_within_layers(
    nodes: list[Value], layer: dict[Value, int], sweeps: int = 4
) -> list[list[Value]]:
    """Order the nodes of each layer to reduce edge crossings (barycentre heuristic)."""
    n_layers = max(layer.values()) + 1
    columns: list[list[Value]] = [[] for _ in range(n_layers)]
    for node in nodes:
        columns[layer[node]].append(node)
    parents: dict[Value, list[Value]] = {node: [] for node in nodes}
    for node in nodes:
        for child in node._prev:
            parents[child].append(node)

    def position() -> dict[Value, float]:
        return {n: i / max(1, len(col) - 1) for col in columns for i, n in enumerate(col)}

    def barycentre(node: Value, neighbours: Sequence[Value], pos: dict[Value, float]) -> float:
        return sum(pos[m] for m in neighbours) / len(neighbours) if neighbours else pos[node]

    for _ in range(sweeps):
        pos = position()
        for k in range(1, n_layers):  # left to right: follow the inputs
            columns[k].sort(key=lambda n, pos=pos: barycentre(n, n._prev, pos))
            pos = position()
        for k in range(n_layers - 2, -1, -1):  # right to left: follow the users
            columns[k].sort(key=lambda n, pos=pos: barycentre(n, parents[n], pos))
            pos = position()
    return columns


def _box_text(node: Value, show: str) -> str:
    header = node.label
    if node._op:
        header = f"{node.label}  [{node._op}]" if node.label else f"[{node._op}]"
    lines = [header] if header else []
    if show in ("forward", "both"):
        lines.append(f"data {node.data:.4g}")
    if show in ("backward", "both"):
        lines.append(f"grad {node.grad:.4g}")
    return "\n".join(lines)
