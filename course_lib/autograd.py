"""A scalar autograd engine for the chain-rule lecture, with graph tracing and drawing.

Every :class:`Value` wraps one float. Arithmetic on values builds a computational graph whose nodes
remember their inputs (``_prev``), the operation that made them (``_op``) and a closure
(``_backward``) that applies the chain rule locally: it reads the node's upstream gradient
``out.grad`` and adds (``+=``) ``local derivative * out.grad`` into each input's ``.grad``. The
``+=`` is what makes a value used twice receive the *sum* of its gradients.

:meth:`Value.backward` visits the graph in reverse topological order so that a node's gradient is
complete before it is pushed further back. It first resets every gradient in the graph to zero, so
calling it twice gives the same result (it does not double).

>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b + a          # a is used twice
>>> c.backward()
>>> a.grad, b.grad         # dc/da = b + 1, dc/db = a
(-2.0, 2.0)

The bottom of the file has a tiny ``Neuron`` / ``Layer`` / ``MLP`` built on ``Value`` that learns
XOR, and :func:`trace` / :func:`draw_graph` to look at the graphs (matplotlib only, no graphviz).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from course_lib.utils import as_rng

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "Value",
    "Neuron",
    "Layer",
    "MLP",
    "TrainResult",
    "train",
    "trace",
    "draw_graph",
]

Number = int | float


def _as_value(x: Value | Number) -> Value:
    """Wrap a plain number as a constant leaf ``Value``; pass ``Value`` through."""
    if isinstance(x, Value):
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(float(x))
    raise TypeError(f"Value: cannot combine a Value with {type(x).__name__} ({x!r})")


class Value:
    """One scalar node of a computational graph, with its value and its gradient.

    Parameters
    ----------
    data : float
        The forward value of the node.
    _children : tuple of Value
        The nodes this one was computed from (set by the operations, not by users).
    _op : str
        The operation that produced this node, e.g. ``"+"`` or ``"tanh"``; ``""`` for a leaf.
    label : str
        An optional name shown by :func:`draw_graph`, e.g. ``"x1"`` or ``"loss"``.

    Attributes
    ----------
    data : float
        Forward value.
    grad : float
        ``d root / d self`` after ``root.backward()``; 0.0 before.
    """

    # Let numpy scalars defer to our reflected operators (np.float64(2) * Value -> Value).
    __array_ufunc__ = None

    def __init__(
        self,
        data: Number,
        _children: tuple[Value, ...] = (),
        _op: str = "",
        label: str = "",
    ) -> None:
        if isinstance(data, Value):
            raise TypeError("Value: data must be a number, got a Value (use the Value itself)")
        if not isinstance(data, numbers.Real) or isinstance(data, bool):
            raise TypeError(f"Value: data must be a real number, got {type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self._backward: Callable[[], None] = lambda: None
        # dict.fromkeys keeps the order and drops duplicates: x * x has the single child x.
        self._prev: tuple[Value, ...] = tuple(dict.fromkeys(_children))
        self._op = _op
        self.label = label

    # ----------------------------------------------------------------------------------------
    # binary operations
    # ----------------------------------------------------------------------------------------
    def __add__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += 1.0 * out.grad  # d(a+b)/da = 1
            other.grad += 1.0 * out.grad  # d(a+b)/db = 1

        out._backward = _backward
        return out

    def __sub__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        out = Value(self.data - other.data, (self, other), "-")

        def _backward() -> None:
            self.grad += 1.0 * out.grad  # d(a-b)/da = 1
            other.grad += -1.0 * out.grad  # d(a-b)/db = -1

        out._backward = _backward
        return out

    def __mul__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad  # d(ab)/da = b
            other.grad += self.data * out.grad  # d(ab)/db = a

        out._backward = _backward
        return out

    def __truediv__(self, other: Value | Number) -> Value:
        other = _as_value(other)
        if other.data == 0.0:
            raise ZeroDivisionError(f"Value: division by zero ({self.data!r} / 0.0)")
        out = Value(self.data / other.data, (self, other), "/")

        def _backward() -> None:
            self.grad += (1.0 / other.data) * out.grad  # d(a/b)/da = 1/b
            other.grad += (-self.data / other.data**2) * out.grad  # d(a/b)/db = -a/b^2

        out._backward = _backward
        return out

    def __pow__(self, exponent: Number) -> Value:
        if isinstance(exponent, Value) or not isinstance(exponent, numbers.Real):
            raise TypeError(
                "Value: the exponent of ** must be a constant int or float, got "
                f"{type(exponent).__name__}; for a Value exponent write (b * a.log()).exp()"
            )
        n = float(exponent)
        if self.data == 0.0 and n < 0:
            raise ZeroDivisionError(f"Value: 0.0 ** {n} is undefined (division by zero)")
        if self.data < 0.0 and not n.is_integer():
            raise ValueError(
                f"Value: {self.data!r} ** {n} is not real (negative base, non-integer exponent)"
            )
        out = Value(self.data**n, (self,), f"**{exponent:g}")

        def _backward() -> None:
            # d(a^n)/da = n a^(n-1); at a = 0 with 0 < n < 1 the slope is infinite.
            if n == 0.0:
                local = 0.0
            elif self.data == 0.0 and n < 1.0:
                local = math.inf
            else:
                local = n * self.data ** (n - 1.0)
            self.grad += local * out.grad

        out._backward = _backward
        return out

    # reflected forms: number (op) Value
    def __radd__(self, other: Number) -> Value:  # other + self
        return _as_value(other) + self

    def __rsub__(self, other: Number) -> Value:  # other - self
        return _as_value(other) - self

    def __rmul__(self, other: Number) -> Value:  # other * self
        return _as_value(other) * self

    def __rtruediv__(self, other: Number) -> Value:  # other / self
        return _as_value(other) / self

    def __rpow__(self, base: Number) -> Value:  # base ** self, base a positive constant
        if not isinstance(base, numbers.Real) or base <= 0:
            raise ValueError(f"Value: base ** Value needs a positive constant base, got {base!r}")
        out = Value(float(base) ** self.data, (self,), f"{base:g}**")

        def _backward() -> None:
            self.grad += out.data * math.log(base) * out.grad  # d(c^a)/da = c^a ln c

        out._backward = _backward
        return out

    def __neg__(self) -> Value:
        out = Value(-self.data, (self,), "neg")

        def _backward() -> None:
            self.grad += -1.0 * out.grad  # d(-a)/da = -1

        out._backward = _backward
        return out

    # ----------------------------------------------------------------------------------------
    # unary functions
    # ----------------------------------------------------------------------------------------
    def exp(self) -> Value:
        """``e ** self``; ``OverflowError`` beyond ``data > 709``."""
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward() -> None:
            self.grad += out.data * out.grad  # d(e^a)/da = e^a

        out._backward = _backward
        return out

    def log(self) -> Value:
        """Natural logarithm; ``ValueError`` for ``data <= 0``."""
        if self.data <= 0.0:
            raise ValueError(f"Value.log: the logarithm needs a positive input, got {self.data!r}")
        out = Value(math.log(self.data), (self,), "log")

        def _backward() -> None:
            self.grad += (1.0 / self.data) * out.grad  # d(ln a)/da = 1/a

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1.0 - t * t) * out.grad  # d tanh(a)/da = 1 - tanh(a)^2

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """Logistic sigmoid ``1 / (1 + e^-a)``, computed without overflow for any input."""
        if self.data >= 0:
            s = 1.0 / (1.0 + math.exp(-self.data))
        else:
            z = math.exp(self.data)
            s = z / (1.0 + z)
        out = Value(s, (self,), "sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad  # d sigma(a)/da = sigma(a) (1 - sigma(a))

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """``max(0, a)``; its derivative at exactly 0 is taken to be 0."""
        out = Value(self.data if self.data > 0 else 0.0, (self,), "relu")

        def _backward() -> None:
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad  # relu'(a) = [a > 0]

        out._backward = _backward
        return out

    # ----------------------------------------------------------------------------------------
    # backpropagation
    # ----------------------------------------------------------------------------------------
    def backward(self) -> None:
        """Fill ``.grad`` of every node in this graph with ``d self / d node``.

        Resets all gradients in the graph to 0, seeds ``self.grad = 1`` and calls each node's
        ``_backward`` in reverse topological order (a node only passes its gradient on once every
        node that uses it has contributed). Calling it twice gives the same gradients.
        """
        order = _topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __repr__(self) -> str:
        name = f"{self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"


def _topological_order(root: Value) -> list[Value]:
    """Return every node reachable from ``root``, inputs before the nodes computed from them.

    Iterative depth-first search (no recursion, so a chain of 100 000 nodes is fine): a node is
    appended after all its children, i.e. in post-order.

    Parameters
    ----------
    root : Value

    Returns
    -------
    list of Value
        Topological order, leaves first and ``root`` last.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for child in reversed(node._prev):
            if child not in visited:
                stack.append((child, False))
    return order


# ================================================================================================
# A tiny neural network library on top of Value
# ================================================================================================
ActivationName = Literal["tanh", "relu", "sigmoid", "linear"]


class Neuron:
    """One unit: ``act(sum_i w_i x_i + b)``.

    Parameters
    ----------
    n_inputs : int
        Number of inputs ``D``.
    activation : {"tanh", "relu", "sigmoid", "linear"}
    rng : np.random.Generator, int or None
        Weights are drawn from ``N(0, 1 / D)`` (Xavier-like), the bias starts at 0.
    """

    def __init__(
        self,
        n_inputs: int,
        activation: ActivationName = "tanh",
        *,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        if activation not in ("tanh", "relu", "sigmoid", "linear"):
            raise ValueError(f"Neuron: unknown activation {activation!r}")
        rng = as_rng(rng)
        scale = 1.0 / math.sqrt(n_inputs)
        self.w = [Value(float(v), label="w") for v in rng.normal(0.0, scale, size=n_inputs)]
        self.b = Value(0.0, label="b")
        self.activation = activation

    def __call__(self, x: Sequence[Value | Number]) -> Value:
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        act = self.b
        for wi, xi in zip(self.w, x, strict=True):
            act = act + wi * xi
        if self.activation == "linear":
            return act
        return getattr(act, self.activation)()

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, {self.activation})"


class Layer:
    """``n_outputs`` neurons reading the same ``n_inputs`` inputs."""

    def __init__(
        self,
        n_inputs: int,
        n_outputs: int,
        activation: ActivationName = "tanh",
        *,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        rng = as_rng(rng)
        self.neurons = [Neuron(n_inputs, activation, rng=rng) for _ in range(n_outputs)]

    def __call__(self, x: Sequence[Value | Number]) -> list[Value]:
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def __repr__(self) -> str:
        return f"Layer([{', '.join(map(repr, self.neurons))}])"


class MLP:
    """A multilayer perceptron of :class:`Layer` s; hidden layers use ``activation``, the last is
    linear.

    Parameters
    ----------
    n_inputs : int
    layer_sizes : sequence of int
        Widths of the hidden layers and the output layer, e.g. ``[4, 1]``.
    activation : {"tanh", "relu", "sigmoid"}
    rng : np.random.Generator, int or None

    Calling the MLP on ``D`` inputs returns a list of ``layer_sizes[-1]`` Values (a single Value if
    the output layer has one unit).
    """

    def __init__(
        self,
        n_inputs: int,
        layer_sizes: Sequence[int],
        activation: ActivationName = "tanh",
        *,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        rng = as_rng(rng)
        sizes = [n_inputs, *layer_sizes]
        last = len(layer_sizes) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else "linear", rng=rng)
            for i in range(len(layer_sizes))
        ]

    def __call__(self, x: Sequence[Value | Number]) -> Value | list[Value]:
        # One leaf per input (labelled x0, x1, ...) shared by all first-layer neurons.
        out = [xi if isinstance(xi, Value) else Value(xi, label=f"x{i}") for i, xi in enumerate(x)]
        for layer in self.layers:
            out = layer(out)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0

    def __repr__(self) -> str:
        return f"MLP([{', '.join(map(repr, self.layers))}])"


@dataclass
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    losses : list of float
        The loss after each step.
    accuracy : float
        Final training accuracy in [0, 1].
    steps : int
        Number of gradient steps taken (training stops early at 100 % accuracy and a small loss).
    """

    losses: list[float] = field(default_factory=list)
    accuracy: float = 0.0
    steps: int = 0


def _predict_scores(model: MLP, X: np.ndarray) -> list[Value]:
    return [model([float(v) for v in row]) for row in X]  # type: ignore[misc]


def train(
    model: MLP,
    X: np.ndarray | None = None,
    y: np.ndarray | None = None,
    *,
    steps: int = 500,
    lr: float = 0.1,
    tol: float = 1e-3,
) -> TrainResult:
    """Train a one-output :class:`MLP` as a binary classifier with full-batch gradient descent.

    The loss is the mean squared error between the output and the targets ``2 y - 1`` in
    ``{-1, +1}``; a point is classified as 1 when the output is positive.

    Parameters
    ----------
    model : MLP
        With a single output unit.
    X : np.ndarray, shape (N, D), optional
        Inputs; default ``course_lib.data.xor()``.
    y : np.ndarray, shape (N,), optional
        Labels in ``{0, 1}``; default the XOR labels.
    steps : int
        Maximum number of gradient steps.
    lr : float
        Learning rate.
    tol : float
        Stop once the accuracy is 100 % and the loss is below ``tol``.

    Returns
    -------
    TrainResult
    """
    if X is None or y is None:
        from course_lib.data import xor

        X, y = xor()
    X = np.asarray(X, dtype=np.float64)
    targets = 2.0 * np.asarray(y, dtype=np.float64) - 1.0
    result = TrainResult()
    params = model.parameters()
    for step in range(1, steps + 1):
        scores = _predict_scores(model, X)
        loss = sum(((s - t) ** 2 for s, t in zip(scores, targets, strict=True)), Value(0.0))
        loss = loss / len(targets)
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        result.losses.append(loss.data)
        result.steps = step
        predictions = np.array([s.data > 0 for s in scores])
        result.accuracy = float(np.mean(predictions == (targets > 0)))
        if result.accuracy == 1.0 and loss.data < tol:
            break
    scores = _predict_scores(model, X)
    result.accuracy = float(np.mean(np.array([s.data > 0 for s in scores]) == (targets > 0)))
    return result


# ================================================================================================
# Graph tools
# ================================================================================================
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
    nodes = _topological_order(root)
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


def draw_graph(
    root: Value,
    show: Literal["forward", "backward", "both"] = "both",
    ax: Axes | None = None,
) -> Figure:
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
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    if show not in ("forward", "backward", "both"):
        raise ValueError(f"draw_graph: show must be 'forward', 'backward' or 'both', got {show!r}")
    nodes, edges = trace(root)
    index = {node: i for i, node in enumerate(nodes)}
    layer = _layers(nodes)
    columns = _order_within_layers(nodes, layer)
    n_cols = len(columns)
    n_rows = max(len(col) for col in columns)

    # Layout in data units: column k at x = k, rows spread over the height of the tallest column.
    xy: dict[Value, tuple[float, float]] = {}
    for k, col in enumerate(columns):
        offset = (n_rows - len(col)) / 2.0
        for r, node in enumerate(col):
            xy[node] = (float(k), -(offset + r))
    box_w, box_h = 0.72, 0.72

    if ax is None:
        width = float(np.clip(1.7 * n_cols, 3.0, 30.0))
        height = float(np.clip(0.85 * n_rows + 0.4, 1.6, 24.0))
        fig, ax = plt.subplots(figsize=(width, height))
        ax.set_position((0.01, 0.01, 0.98, 1.0 - 0.35 / height))
    else:
        fig = ax.figure
    fig_w, fig_h = fig.get_size_inches()
    ax_box = ax.get_position()
    # Font size that fits ~14 characters across and 3 lines down each box.
    box_w_pt = 72.0 * fig_w * ax_box.width * box_w / (n_cols + 0.2)
    box_h_pt = 72.0 * fig_h * ax_box.height * box_h / (n_rows + 0.2)
    n_lines = 3 if show == "both" else 2
    fontsize = float(np.clip(min(box_w_pt / (0.62 * 14), box_h_pt / (1.35 * n_lines)), 3.0, 10.0))

    for node in nodes:
        i = index[node]
        x, y = xy[node]
        leaf = not node._prev
        face = "#dbe9f6" if leaf else "#fdf0d5"
        if node is root:
            face = "#d5f5d5"
        box = FancyBboxPatch(
            (x - box_w / 2, y - box_h / 2),
            box_w,
            box_h,
            boxstyle="round,pad=0,rounding_size=0.08",
            facecolor=face,
            edgecolor="#444444",
            linewidth=0.8,
            gid=f"node:{i}",
        )
        ax.add_patch(box)
        ax.text(
            x,
            y,
            _box_text(node, show),
            ha="center",
            va="center",
            fontsize=fontsize,
            family="monospace",
            gid=f"text:{i}",
        )

    backward = show == "backward"
    for child, parent in edges:
        (x0, y0), (x1, y1) = xy[child], xy[parent]
        start, end = (x0 + box_w / 2, y0), (x1 - box_w / 2, y1)
        if backward:
            start, end = end, start
        ax.add_patch(
            FancyArrowPatch(
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
                gid=f"edge:{index[child]}-{index[parent]}",
            )
        )

    ax.set_xlim(-0.6, n_cols - 0.4)
    ax.set_ylim(-(n_rows - 1) - 0.6, 0.6)
    ax.set_aspect("auto")
    ax.axis("off")
    title = {"forward": "forward pass: values", "backward": "backward pass: gradients"}
    ax.set_title(title.get(show, "values and gradients"), fontsize=max(fontsize, 8.0))
    return fig
