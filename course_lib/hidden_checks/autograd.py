"""Scalar autograd engines against the reference engine: local rules and whole graphs.

``backward()`` is judged on its own: the gradients it must give are those of the student's
*own* local rules (each node's ``_backward``) run by the test in a correct topological order.
With right local rules these are the true gradients; with a wrong one (``a * b`` whose
derivative is off, say) that rule's own test loses its points, and ``backward()`` keeps its.
A rule that assigns instead of adding makes the gradients depend on the order: the graphs
that judge ``backward()`` then leave that operation out (:func:`accumulating_ops`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .._trusted import (
    _fail,
    _float,
    _fmt_value,
    _getattr,
    _int,
    _isinstance,
    _len,
    _list,
    _str,
    _tuple,
    _type_name,
    _zip,
)
from ..testing import (
    _quiet,
    as_number,
    assert_scalar_close,
    calling,
)

__all__ = [
    "assert_local_backward",
    "assert_backward",
    "paired_graphs",
    "chain_graph",
    "shared_graph",
]

_ACCUMULATE = (
    "a node used several times collects the sum of the gradients of every use: each input's "
    "grad is added to (+=), never overwritten"
)
_ORDER = (
    "call _backward() on the nodes in reverse topological order: a node passes its gradient on "
    "only after every node that uses it has added its share"
)
_RESET = (
    "reset every node's grad to 0 before back-propagating, so that a second backward() gives "
    "the same gradients instead of adding to the last ones"
)
_SEED = "the root's own gradient d(root)/d(root) is 1: set it before back-propagating"

#: One graph for :func:`assert_backward`: its name and its nodes in both engines, each list in
#: a topological order (the three leaves first, the root last).
Graph = tuple[str, list[Any], list[Any]]


def assert_local_backward(
    op: Callable[..., Any],
    student_cls: Any,
    reference_cls: type,
    inputs: Sequence[float],
    *,
    name: str,
    upstream: float = 1.0,
    max_rel_error: float = 1e-9,
    hint: str | None = None,
) -> None:
    """Check one operation's value and local ``_backward`` rule against the reference engine.

    ``op`` is applied to values of both engines made from the same numbers; the result must be
    a value of the student's class with the reference's ``data``. Seeded with
    ``out.grad = upstream``, one ``out._backward()`` must give every input the reference's
    gradient, and a second call must double it (``+=``).

    Parameters
    ----------
    op : callable
        E.g. ``lambda a, b: a * b`` or ``lambda a: a.relu()``.
    student_cls, reference_cls : class
        The student's ``Value`` and the reference engine's.
    inputs : sequence of float
        One number per argument of ``op``.
    name : str
        E.g. ``"a * b at (2, -3)"``.
    upstream : float
    max_rel_error : float
    hint : str, optional
        Shown when a gradient is wrong.
    """
    r_in = [reference_cls(v) for v in inputs]
    r_out = op(*r_in)
    r_out.grad = _float(upstream)
    r_out._backward()
    with calling(name, hint=hint):
        s_in = [student_cls(v) for v in inputs]
        s_out = op(*s_in)
        if not _isinstance(s_out, student_cls):
            _fail(f"{name} must give a {reference_cls.__name__}, got {_type_name(s_out)}")
        assert_scalar_close(
            s_out.data, r_out.data, name=f"{name}: value", max_rel_error=max_rel_error
        )
        s_out.grad = _float(upstream)
        s_out._backward()
        for i, (s, r) in enumerate(_zip(s_in, r_in, strict=True)):
            assert_scalar_close(
                s.grad,
                r.grad,
                name=f"{name}: gradient of input {i} (upstream {upstream:g})",
                max_rel_error=max_rel_error,
                atol=1e-12,
                hint=hint,
            )
    with calling(f"{name}: out._backward() called a second time", hint=_ACCUMULATE):
        s_out._backward()
        for i, (s, r) in enumerate(_zip(s_in, r_in, strict=True)):
            assert_scalar_close(
                s.grad,
                2.0 * r.grad,
                name=f"{name}: gradient of input {i} after two calls of _backward()",
                max_rel_error=max_rel_error,
                atol=1e-12,
                hint=_ACCUMULATE,
            )


class _Lockstep:
    """Builds the same graph in two engines, recording every node in creation order."""

    def __init__(self, student_cls: Any, reference_cls: type, values: Sequence[float]) -> None:
        self.s = [student_cls(_float(v)) for v in values]
        self.r = [reference_cls(_float(v)) for v in values]

    def apply(self, op: Callable[..., Any], *idx: int) -> int:
        """Apply ``op`` to the nodes ``idx`` in both engines; return the new node's index."""
        self.s.append(op(*(self.s[i] for i in idx)))
        self.r.append(op(*(self.r[i] for i in idx)))
        return _len(self.s) - 1

    def graph(self, name: str) -> Graph:
        return (name, _list(self.s), _list(self.r))


#: The operations of the random graphs, and what each needs of the engine.
OPS = ("add", "mul", "pow", "tanh", "relu", "addc", "mulc")
_NEEDS = {"addc": "add", "mulc": "mul"}


def _apply_op(op: str, *args: Any) -> Any:
    if op == "add":
        return args[0] + args[1]
    if op == "mul":
        return args[0] * args[1]
    if op == "pow":
        return args[0] ** 2
    return _getattr(args[0], op)()


def accumulating_ops(student_cls: Any) -> tuple[str, ...]:
    """The operations whose local rule *adds* into its inputs' gradients, right or wrong.

    Such rules give the same gradients in any topological order; a rule that assigns
    (``a.grad = ...``) makes the result depend on the order, so a graph that uses it cannot
    judge ``backward()`` fairly. For each of ``+``, ``*``, ``**``, ``tanh`` and ``relu``, on
    distinct inputs and on one input used twice: calling ``out._backward()`` twice must double
    what one call gave. A rule that raises counts as not accumulating.

    Returns
    -------
    tuple of str
        The names among :data:`OPS` that may be used (``addc`` with ``add``, ``mulc`` with
        ``mul``).
    """
    good = []
    for op in ("add", "mul", "pow", "tanh", "relu"):
        binary = op in ("add", "mul")
        try:
            with calling(f"the local rule of {op}"):
                for same in (False, True) if binary else (False,):
                    a, b = student_cls(0.7), student_cls(-1.3)
                    args = (a, a if same else b) if binary else (a,)
                    out = _apply_op(op, *args)
                    out.grad = 1.0
                    out._backward()
                    once = [_float(a.grad), _float(b.grad)]
                    out._backward()
                    twice = [_float(a.grad), _float(b.grad)]
                    if any(
                        abs(t - 2 * o) > 1e-12 * max(1.0, abs(o))
                        for o, t in _zip(once, twice, strict=True)
                    ):
                        raise AssertionError("does not accumulate")
        except AssertionError:
            continue
        good.append(op)
    return _tuple(o for o in OPS if _NEEDS.get(o, o) in good)


def paired_graphs(
    student_cls: Any,
    reference_cls: type,
    rng: np.random.Generator,
    *,
    n_graphs: int = 6,
    n_ops: int = 40,
    ops: Sequence[str] = OPS,
) -> Iterator[Graph]:
    """Random expression graphs built in both engines in lockstep, with shared subexpressions.

    Each graph starts from 3 leaves and applies ``n_ops`` random operations among ``ops``
    (``+``, ``*``, ``**``, ``tanh``, ``relu``, ``+ c``, ``* c``) to random earlier nodes,
    avoiding values that overflow and relu inputs near 0; the root sums the last node and 4
    random ones (with ``+`` when allowed, else ``*``), so many paths meet.

    Yields
    ------
    tuple
        ``(name, student nodes, reference nodes)``: leaves first, root last.
    """
    ops = _tuple(ops) or OPS
    join = "add" if "add" in ops else "mul" if "mul" in ops else None
    for k in range(n_graphs):
        g = _Lockstep(student_cls, reference_cls, rng.uniform(-1.5, 1.5, size=3))
        for _ in range(n_ops):
            i, j = (_int(v) for v in rng.integers(0, _len(g.r), size=2))
            a, b = g.r[i].data, g.r[j].data
            op = _str(rng.choice(ops))
            if (op == "mul" and abs(a * b) > 4) or (op == "pow" and abs(a) > 1.5):
                op = "tanh"
            if op == "relu" and abs(a) < 1e-3:
                op = "tanh"
            if op == "tanh" and "tanh" not in ops:
                op = _str(ops[0])
            if op in ("add", "mul"):
                g.apply(lambda u, v, op=op: _apply_op(op, u, v), i, j)
            elif op == "pow":
                n = _int(rng.choice([2, 3]))
                g.apply(lambda u, n=n: u**n, i)
            elif op in ("tanh", "relu"):
                g.apply(lambda u, op=op: _getattr(u, op)(), i)
            else:
                c = _float(rng.uniform(-1, 1))
                g.apply((lambda u, c=c: u + c) if op == "addc" else (lambda u, c=c: u * c), i)
        root = _len(g.r) - 1
        if join is not None:
            for idx in rng.integers(3, _len(g.r), size=4):
                root = g.apply(lambda u, v: _apply_op(join, u, v), root, _int(idx))
        yield g.graph(f"random graph #{k}")


def chain_graph(student_cls: Any, reference_cls: type, *, steps: int = 60) -> Graph:
    """``y <- tanh(0.999 y + 0.001 x)`` ``steps`` times from ``y = x``: about ``3 steps`` deep.

    Uses ``+``, ``*`` and ``tanh`` (see :func:`accumulating_ops`)."""
    g = _Lockstep(student_cls, reference_cls, [0.3])
    y = 0
    for _ in range(steps):
        a = g.apply(lambda u: u * 0.999, y)
        b = g.apply(lambda u: u * 0.001, 0)
        y = g.apply(lambda u: u.tanh(), g.apply(lambda u, v: u + v, a, b))
    return g.graph(f"a chain of {steps} steps ({3 * steps} nodes deep)")


def shared_graph(student_cls: Any, reference_cls: type) -> Graph:
    """``r <- 0.5 r + tanh(k x) r`` for k = 2..29: every node reused, many paths meet.

    Uses ``+``, ``*`` and ``tanh`` (see :func:`accumulating_ops`)."""
    g = _Lockstep(student_cls, reference_cls, [0.7])
    r = g.apply(lambda u: u * 1.0, 0)
    for k in range(2, 30):
        half = g.apply(lambda u: u * 0.5, r)
        t = g.apply(lambda u, k=k: u * float(k), 0)
        t = g.apply(lambda u: u.tanh(), t)
        r = g.apply(lambda u, v: u + v, half, g.apply(lambda u, v: u * v, t, r))
    return g.graph("a graph with many shared nodes")


def _grads(nodes: Sequence[Any], name: str) -> list[float]:
    return [as_number(n.grad, name=f"{name}: node {i}'s grad") for i, n in enumerate(nodes)]


@_quiet
def assert_backward(
    root: Any,
    nodes: Sequence[Any],
    *,
    name: str,
    labels: Sequence[str] | None = None,
    truth: Sequence[float] | None = None,
    max_rel_error: float = 1e-9,
) -> None:
    """Check ``root.backward()`` (called twice) on a graph whose nodes are known.

    The gradients ``backward()`` must give are computed first with the student's own local
    rules: every node's grad set to 0, ``root.grad = 1``, then each node's ``_backward()`` in
    the reverse of ``nodes``. ``backward()`` is compared with that, so a wrong local rule costs
    only its own test's points; when ``truth`` shows that the local rules are off, a note says
    so.

    Parameters
    ----------
    root : Value
        The student's root node (``nodes[-1]``).
    nodes : sequence of Value
        Every node of the graph that has inputs, and the leaves, in a topological order
        (leaves first, root last); constants made inside operations may be left out.
    name : str
        The graph in messages.
    labels : sequence of str, optional
        The nodes' names in messages (default ``node 0``, ``node 1``...).
    truth : sequence of float, optional
        The true gradients d(root)/d(node), one per node (e.g. from the reference engine).
    max_rel_error : float
    """
    nodes = _list(nodes)
    labels = _list(labels) if labels is not None else [f"node {i}" for i in range(_len(nodes))]
    with calling(f"{name}: the nodes' _backward() in reverse topological order"):
        for node in nodes:
            node.grad = 0.0
        root.grad = 1.0
        for node in reversed(nodes):
            node._backward()
        expected = _grads(nodes, name)
        for node in nodes:
            node.grad = 0.0
    if truth is not None:
        off = [
            (lab, e, t)
            for lab, e, t in _zip(labels, expected, truth, strict=True)
            if abs(e - t) > 1e-7 * max(1.0, abs(t))
        ]
        if off:
            lab, e, t = off[0]
            print(
                f"note ({name}): your local rules (the _backward of each operation) give "
                f"{lab}.grad = {_fmt_value(e)}, the true gradient is {_fmt_value(_float(t))}; "
                "their own tests say which rule is off. backward() is checked against what "
                "your rules give."
            )
    for attempt in ("first", "second"):
        with calling(f"{name}: root.backward() ({attempt} call)", hint=_ORDER):
            root.backward()
            got = _grads(nodes, name)
        _compare_backward(got, expected, labels, name, attempt, max_rel_error)


def _compare_backward(
    got: list[float],
    expected: list[float],
    labels: list[str],
    name: str,
    attempt: str,
    max_rel_error: float,
) -> None:
    def close(a: float, e: float) -> bool:
        return abs(a - e) <= max(1e-12, max_rel_error * (abs(a) + abs(e)))

    bad = [i for i, (a, e) in enumerate(_zip(got, expected, strict=True)) if not close(a, e)]
    if not bad:
        return
    i = bad[-1]
    if not close(got[-1], 1.0):
        hint = _SEED
    elif attempt == "second":  # the first call was right
        hint = _RESET
    else:
        hint = _ORDER
    _fail(
        f"{name}: after the {attempt} root.backward(), {labels[i]}.grad is "
        f"{_fmt_value(got[i])}, expected {_fmt_value(expected[i])} ({_len(bad)} of "
        f"{_len(got)} nodes wrong)",
        hint,
    )
