"""Scalar autograd engines against the reference engine: local rules and whole graphs."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .._trusted import (
    _fail,
    _float,
    _getattr,
    _int,
    _isinstance,
    _len,
    _list,
    _str,
    _type_name,
    _zip,
)
from ..testing import (
    assert_scalar_close,
)

__all__ = ["assert_local_backward", "paired_graphs"]


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
    s_in = [student_cls(v) for v in inputs]
    r_in = [reference_cls(v) for v in inputs]
    s_out, r_out = op(*s_in), op(*r_in)
    if not _isinstance(s_out, student_cls):
        _fail(f"{name} must give a {reference_cls.__name__}, got {_type_name(s_out)}")
    assert_scalar_close(s_out.data, r_out.data, name=f"{name}: value", max_rel_error=max_rel_error)
    s_out.grad = _float(upstream)
    r_out.grad = _float(upstream)
    s_out._backward()
    r_out._backward()
    for i, (s, r) in enumerate(_zip(s_in, r_in, strict=True)):
        assert_scalar_close(
            s.grad,
            r.grad,
            name=f"{name}: gradient of input {i} (upstream {upstream:g})",
            max_rel_error=max_rel_error,
            atol=1e-12,
            hint=hint,
        )
    s_out._backward()
    for i, (s, r) in enumerate(_zip(s_in, r_in, strict=True)):
        assert_scalar_close(
            s.grad,
            2.0 * r.grad,
            name=f"{name}: gradient of input {i} after two calls of _backward()",
            max_rel_error=max_rel_error,
            atol=1e-12,
            hint="accumulate: input.grad += local derivative * out.grad",
        )


def paired_graphs(
    student_cls: Any,
    reference_cls: type,
    rng: np.random.Generator,
    *,
    n_graphs: int = 6,
    n_ops: int = 40,
) -> Iterator[tuple[str, list[Any], list[Any], Any, Any]]:
    """Random expression graphs built in both engines in lockstep, with shared subexpressions.

    Each graph starts from 3 leaves and applies ``n_ops`` random operations (``+``, ``*``,
    ``**``, ``tanh``, ``relu``, ``+ c``, ``* c``) to random earlier nodes, avoiding values that
    overflow and relu inputs near 0; the root sums the last node and 4 random ones, so many
    paths meet.

    Yields
    ------
    tuple
        ``(name, student leaves, reference leaves, student root, reference root)``.
    """
    ops = ("add", "mul", "pow", "tanh", "relu", "addc", "mulc")
    for k in range(n_graphs):
        start = rng.uniform(-1.5, 1.5, size=3)
        s_nodes = [student_cls(_float(v)) for v in start]
        r_nodes = [reference_cls(_float(v)) for v in start]
        leaves = (_list(s_nodes), _list(r_nodes))
        for _ in range(n_ops):
            i, j = rng.integers(0, _len(s_nodes), size=2)
            a, b, ra, rb = s_nodes[i], s_nodes[j], r_nodes[i], r_nodes[j]
            op = _str(rng.choice(ops))
            if (op == "mul" and abs(ra.data * rb.data) > 4) or (op == "pow" and abs(ra.data) > 1.5):
                op = "tanh"
            if op == "relu" and abs(ra.data) < 1e-3:
                op = "tanh"
            if op == "add":
                s, r = a + b, ra + rb
            elif op == "mul":
                s, r = a * b, ra * rb
            elif op == "pow":
                n = _int(rng.choice([2, 3]))
                s, r = a**n, ra**n
            elif op in ("tanh", "relu"):
                s, r = _getattr(a, op)(), _getattr(ra, op)()
            else:
                c = _float(rng.uniform(-1, 1))
                s, r = (a + c, ra + c) if op == "addc" else (a * c, ra * c)
            s_nodes.append(s)
            r_nodes.append(r)
        s_root, r_root = s_nodes[-1], r_nodes[-1]
        for idx in rng.integers(3, _len(s_nodes), size=4):
            s_root, r_root = s_root + s_nodes[idx], r_root + r_nodes[idx]
        yield f"random graph #{k}", leaves[0], leaves[1], s_root, r_root
