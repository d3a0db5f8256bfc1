"""Backpropagation step by step on a small computational graph built with ``course_lib.autograd``.

The graph is drawn with :func:`course_lib.autograd.draw_graph`. Stepping *forward* fills in the
nodes' values in topological order (inputs first); stepping *backward* then fills in the gradients
``d f / d node`` in reverse topological order, starting from ``df/df = 1``. Each backward step
completes one node's gradient with the chain rule, summing over the nodes that use it, and shows
the product it used, e.g. ``df/dx = df/dq · ∂q/∂x = (-4) · (1) = -4``. The current node is
highlighted, together with the edges the step reads.

Graphs
------
``"(x + y) * z"``
    CS231n's first example: ``x = -2, y = 5, z = -4``; ``q = x + y = 3``, ``f = q z = -12``.
``"sigmoid neuron"``
    CS231n's second example, the sigmoid written with elementary gates:
    ``f = 1 / (c + exp(-(w0 x0 + w1 x1 + w2)))`` with ``w = (2, -3, -3)``, ``x = (-1, -2)`` and
    the constant ``c = 1``.
``"x used twice"``
    ``f = (x y + z) x`` with ``x = 3, y = -2, z = 4``: ``x`` gets the *sum* of two chain-rule
    products.

The local derivatives ``∂parent/∂child`` are read from the engine itself (each node's
``_backward`` closure run with an upstream gradient of 1), so the explorer's final gradients are
exactly those of :meth:`Value.backward`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text

from ..autograd import Value, draw_graph, trace
from .explorer import Explorer

__all__ = ["BackpropExplorer", "backprop_explorer", "GRAPHS", "local_derivatives"]


_CONSTANTS = frozenset({"c"})
"""Labels of the leaves that are constants rather than inputs."""


def _cs231n_simple() -> Value:
    x, y, z = Value(-2.0, label="x"), Value(5.0, label="y"), Value(-4.0, label="z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


def _sigmoid_neuron() -> Value:
    w0, x0 = Value(2.0, label="w0"), Value(-1.0, label="x0")
    w1, x1 = Value(-3.0, label="w1"), Value(-2.0, label="x1")
    w2 = Value(-3.0, label="w2")
    a = w0 * x0
    a.label = "a"
    b = w1 * x1
    b.label = "b"
    s = a + b
    s.label = "s"
    u = s + w2
    u.label = "u"
    n = -u
    n.label = "n"
    e = n.exp()
    e.label = "e"
    d = e + Value(1.0, label="c")
    d.label = "d"
    f = d**-1
    f.label = "f"
    return f


def _used_twice() -> Value:
    x, y, z = Value(3.0, label="x"), Value(-2.0, label="y"), Value(4.0, label="z")
    a = x * y
    a.label = "a"
    q = a + z
    q.label = "q"
    f = q * x
    f.label = "f"
    return f


GRAPHS: dict[str, Callable[[], Value]] = {
    "(x + y) * z": _cs231n_simple,
    "sigmoid neuron": _sigmoid_neuron,
    "x used twice": _used_twice,
}
"""Graph name -> a function building it and returning its output node."""


def local_derivatives(node: Value) -> dict[Value, float]:
    """``∂node/∂child`` for each input ``child`` of ``node``, read from the engine.

    Runs ``node._backward`` with ``node.grad = 1`` and the children's gradients at 0, reads
    them, and restores every gradient it touched.

    Parameters
    ----------
    node : Value

    Returns
    -------
    dict
        ``{child: local derivative}``; empty for a leaf.
    """
    saved = {c: c.grad for c in node._prev}
    saved_own = node.grad
    try:
        for c in node._prev:
            c.grad = 0.0
        node.grad = 1.0
        node._backward()
        return {c: float(c.grad) for c in node._prev}
    finally:
        for c, g in saved.items():
            c.grad = g
        node.grad = saved_own


def _num(v: float) -> str:
    text = f"{v:.4g}"
    return f"({text})" if v < 0 else text


def _forward_formula(node: Value, name: dict[Value, str]) -> str:
    """``"q = x + y = -2 + 5 = 3"`` for one node."""
    op, kids = node._op, node._prev
    if not op:
        kind = "constant" if node.label in _CONSTANTS else "input"
        return f"{name[node]} = {node.data:.4g} ({kind})"
    if op in ("+", "-", "*", "/") and len(kids) == 2:
        a, b = kids
        sym = {"*": "·"}.get(op, op)
        return (
            f"{name[node]} = {name[a]} {sym} {name[b]} = {_num(a.data)} {sym} {_num(b.data)} "
            f"= {node.data:.4g}"
        )
    if op == "*" and len(kids) == 1:  # x * x
        (a,) = kids
        return f"{name[node]} = {name[a]} · {name[a]} = {_num(a.data)}² = {node.data:.4g}"
    if op == "+" and len(kids) == 1:
        (a,) = kids
        return f"{name[node]} = {name[a]} + {name[a]} = {node.data:.4g}"
    (a,) = kids[:1]
    if op == "neg":
        return f"{name[node]} = -{name[a]} = -({a.data:.4g}) = {node.data:.4g}"
    if op.startswith("**"):
        k = op[2:]
        return f"{name[node]} = {name[a]}^{k} = {_num(a.data)}^{k} = {node.data:.4g}"
    return f"{name[node]} = {op}({name[a]}) = {op}({a.data:.4g}) = {node.data:.4g}"


class BackpropExplorer(Explorer):
    """Step through the forward and the backward pass of a small graph, node by node.

    Parameters
    ----------
    graph : str
        A key of :data:`GRAPHS`.
    dpi : float
        Resolution of the rendered image.

    Notes
    -----
    Parameters (``ex.params``): ``graph`` and ``step`` in ``0 .. 2 n`` for a graph of ``n``
    nodes: steps ``1..n`` compute values (topological order), ``n+1..2n`` gradients (reverse
    order). Buttons: *forward* and *backward* (one step each), *back*, *reset*, *run all*.

    State (``ex.state``): ``graph``, ``step``, ``n_nodes``, ``n_steps``, ``phase`` (``"start"``,
    ``"forward"``, ``"backward"`` or ``"done"``); ``labels`` list of node names in topological
    order; ``values``, ``grads`` ``(n,)`` with NaN where not yet computed; ``has_value``,
    ``has_grad`` ``(n,)`` bool; ``current`` (index of the node of this step, -1 at the start);
    ``message`` (the step's formula).
    """

    kind = "backprop"

    def __init__(self, graph: str = "(x + y) * z", dpi: float = 96.0) -> None:
        super().__init__(figsize=(8.0, 3.0), dpi=dpi, layout=None)
        if graph not in GRAPHS:
            raise ValueError(f"backprop_explorer: unknown graph {graph!r}; use {list(GRAPHS)}")
        self._graph_name = ""
        self.step_slider = widgets.IntSlider(
            value=0,
            min=0,
            max=1,
            description="step",
            style={"description_width": "40px"},
            layout=widgets.Layout(width="320px"),
        )
        self._add_control("step", self.step_slider, "slider")
        self._add_control(
            "graph",
            widgets.Dropdown(
                options=list(GRAPHS),
                value=graph,
                description="graph",
                style={"description_width": "45px"},
                layout=widgets.Layout(width="240px"),
            ),
            "dropdown",
        )
        self.buttons: dict[str, widgets.Button] = {}
        for key, label, icon, action in (
            ("reset", "reset", "undo", lambda: 0),
            ("back", "back", "step-backward", lambda: self._params["step"] - 1),
            ("forward", "forward", "arrow-right", lambda: self._params["step"] + 1),
            ("backward", "backward", "arrow-left", lambda: self._params["step"] + 1),
            ("all", "run all", "fast-forward", lambda: self._n_steps),
        ):
            button = widgets.Button(
                description=label, icon=icon, layout=widgets.Layout(width="100px")
            )
            button.add_class(f"course-backprop-{key}")
            button.on_click(lambda _, action=action: self._go(action()))
            self.buttons[key] = button
        self.buttons["forward"].button_style = "info"
        self.buttons["backward"].button_style = "danger"
        self.message = widgets.HTML()
        self.message.add_class("course-backprop-message")
        self._build_graph(graph)
        controls = widgets.VBox(
            [
                widgets.HBox([self._controls["graph"], self.step_slider]),
                widgets.HBox(list(self.buttons.values())),
                self.message,
            ]
        )
        controls.add_class("course-backprop-controls")
        self._finish([controls, self.image])

    # ------------------------------------------------------------------------------------------
    def _go(self, step: int) -> None:
        self.set(step=int(np.clip(step, 0, self._n_steps)))

    def _build_graph(self, name: str) -> None:
        """Build graph ``name``, precompute every step, and draw its layout."""
        root = GRAPHS[name]()
        nodes, edges = trace(root)
        n = len(nodes)
        index = {v: i for i, v in enumerate(nodes)}
        labels = [v.label or f"n{i}" for i, v in enumerate(nodes)]
        names = {v: labels[i] for i, v in enumerate(nodes)}
        users: list[list[int]] = [[] for _ in range(n)]
        local: list[dict[int, float]] = []
        for j, v in enumerate(nodes):
            d = local_derivatives(v)
            local.append({index[c]: g for c, g in d.items()})
            for c in v._prev:
                users[index[c]].append(j)
        # the backward pass, accumulated here from the local derivatives
        grads = np.zeros(n)
        grads[n - 1] = 1.0
        back_messages = [f"d{labels[-1]}/d{labels[-1]} = 1   (start: the output's own gradient)"]
        for i in range(n - 2, -1, -1):
            terms = [(j, local[j][i]) for j in users[i]]
            grads[i] = sum(grads[j] * g for j, g in terms)
            root_name = labels[-1]
            symbolic = " + ".join(
                f"d{root_name}/d{labels[j]} · ∂{labels[j]}/∂{labels[i]}" for j, _ in terms
            )
            numeric = " + ".join(f"{_num(grads[j])} · {_num(g)}" for j, g in terms)
            back_messages.append(
                f"d{root_name}/d{labels[i]} = {symbolic} = {numeric} = {grads[i]:.4g}"
            )
        self._graph_name = name
        self._root = root
        self._nodes = nodes
        self._edges = [(index[c], index[p]) for c, p in edges]
        self._labels = labels
        self._users = users
        self._local = local
        self._values = np.array([v.data for v in nodes])
        self._grads = grads
        self._forward_messages = [_forward_formula(v, names) for v in nodes]
        self._backward_messages = back_messages
        self._n_steps = 2 * n
        self._sync_slider_max()
        self._draw_layout()

    def _sync_slider_max(self) -> None:
        self._syncing = True
        try:
            if self.step_slider.value > self._n_steps:
                self.step_slider.value = 0
            self.step_slider.max = self._n_steps
        finally:
            self._syncing = False

    def _draw_layout(self) -> None:
        fig = self.figure
        # first pass: find the graph's columns and rows, then size the figure to fit them
        fig.clear()
        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
        draw_graph(self._root, show="both", ax=ax)
        cols = ax.get_xlim()[1] + 0.4
        rows = 0.4 - ax.get_ylim()[0]
        fig.set_size_inches(
            float(np.clip(1.45 * cols, 5.0, 14.0)), float(np.clip(0.9 * rows, 1.8, 8))
        )
        # second pass: draw_graph picks its font size from the figure's size
        fig.clear()
        ax = fig.add_axes((0.005, 0.01, 0.99, 0.98))
        draw_graph(self._root, show="both", ax=ax)
        ax.set_title("")
        self._ax = ax
        self._boxes: dict[int, FancyBboxPatch] = {}
        self._texts: dict[int, Text] = {}
        self._arrows: dict[tuple[int, int], FancyArrowPatch] = {}
        for artist in ax.get_children():
            gid = artist.get_gid() or ""
            kind, _, rest = gid.partition(":")
            if kind == "node":
                self._boxes[int(rest)] = artist
            elif kind == "text":
                self._texts[int(rest)] = artist
            elif kind == "edge":
                i, j = (int(k) for k in rest.split("-"))
                self._arrows[(i, j)] = artist
        self.renderer.invalidate()

    # ------------------------------------------------------------------------------------------
    def _expand(self, values: dict[str, Any]) -> dict[str, Any]:
        graph = values.get("graph")
        if graph is not None and graph != self._graph_name:
            if graph not in GRAPHS:
                raise ValueError(
                    f"BackpropExplorer.set: unknown graph {graph!r}; use {list(GRAPHS)}"
                )
            self._build_graph(graph)
            values.setdefault("step", 0)
        return values

    def _compute(self) -> None:
        n = len(self._nodes)
        step = int(self._params["step"])
        has_value = np.arange(n) < min(step, n)
        n_grads = max(0, step - n)
        has_grad = np.zeros(n, dtype=bool)
        has_grad[n - n_grads :] = n_grads > 0
        if step == 0:
            phase, current, message = "start", -1, "press forward to compute the values"
        elif step <= n:
            phase, current = "forward", step - 1
            message = "forward: " + self._forward_messages[current]
        else:
            phase, current = "backward", n - n_grads
            message = "backward: " + self._backward_messages[n_grads - 1]
        if step == self._n_steps:
            phase = "done"
        self._state = {
            "graph": self._graph_name,
            "step": step,
            "n_nodes": n,
            "n_steps": self._n_steps,
            "phase": phase,
            "labels": list(self._labels),
            "values": np.where(has_value, self._values, np.nan),
            "grads": np.where(has_grad, self._grads, np.nan),
            "has_value": has_value,
            "has_grad": has_grad,
            "current": current,
            "message": message,
        }

    def _draw(self) -> None:
        s = self._state
        current, phase = s["current"], s["phase"]
        for i, node in enumerate(self._nodes):
            header = self._texts[i].get_text().split("\n")[0]
            value = f"data {node.data:.4g}" if s["has_value"][i] else "data ?"
            grad = f"grad {self._grads[i]:.4g}" if s["has_grad"][i] else "grad ?"
            self._texts[i].set_text(f"{header}\n{value}\n{grad}")
            box = self._boxes[i]
            if i == current:
                box.set_facecolor("#ffe066" if phase == "forward" else "#ffb3a7")
                box.set_edgecolor("#c0392b" if phase != "forward" else "#b7950b")
                box.set_linewidth(2.5)
            else:
                box.set_facecolor(
                    "#fdf0d5" if s["has_grad"][i] else "#e8f1fa" if s["has_value"][i] else "#f2f2f2"
                )
                box.set_edgecolor("#444444")
                box.set_linewidth(0.8)
        backward_step = (
            phase in ("backward", "done") and current >= 0 and s["step"] > len(self._nodes)
        )
        for (i, j), arrow in self._arrows.items():
            used = (not backward_step and j == current) or (backward_step and i == current)
            arrow.set_color(("#c0392b" if backward_step else "#1f618d") if used else "#999999")
            arrow.set_linewidth(2.2 if used else 0.8)
        self.message.value = (
            f"<div style='font-family:monospace; font-size:13px'>step {s['step']}/{s['n_steps']}"
            f" &nbsp; {s['message']}</div>"
        )
        self.buttons["forward"].disabled = s["step"] >= len(self._nodes)
        self.buttons["backward"].disabled = not len(self._nodes) <= s["step"] < s["n_steps"]
        self.buttons["back"].disabled = s["step"] == 0
        self.buttons["all"].disabled = s["step"] == s["n_steps"]
        self.renderer.invalidate()  # every box may change: redraw the whole (small) figure


def backprop_explorer(graph: str = "(x + y) * z") -> BackpropExplorer:
    """Step through forward and backward passes of a small computational graph.

    Parameters
    ----------
    graph : {"(x + y) * z", "sigmoid neuron", "x used twice"}
        The example (see :data:`GRAPHS`).

    Returns
    -------
    BackpropExplorer
    """
    return BackpropExplorer(graph=graph)
