"""The scalar autograd engine: :class:`Value`, each local derivative beside its operation.

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
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

__all__ = ["Value", "Number", "topological_order"]

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
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __repr__(self) -> str:
        name = f"{self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"


def topological_order(root: Value) -> list[Value]:
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
