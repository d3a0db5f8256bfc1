"""Tests of the scalar autograd engine ``course_lib.autograd``: gradients, graphs and drawings."""

from __future__ import annotations

import math
from collections.abc import Callable

import matplotlib.pyplot as plt  # headless: tests/conftest.py sets MPLBACKEND=Agg
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from course_lib.autograd import MLP, Layer, Neuron, Value, draw_graph, trace, train
from course_lib.data import xor
from course_lib.gradcheck import rel_error


def five_point_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-4):
    """Fourth-order central difference ``(-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h``.

    Truncation ``O(h^4)`` ~ 1e-16 and round-off ~1e-12 |f|: accurate enough for rel_error < 1e-6.
    """
    grad = np.zeros_like(x)
    for i in range(x.size):
        step = np.zeros_like(x)
        step[i] = h
        # differences first, so that an output independent of x[i] gives exactly 0
        near = f(x + step) - f(x - step)
        far = f(x + 2 * step) - f(x - 2 * step)
        grad[i] = (8 * near - far) / (12 * h)
    return grad


# ------------------------------------------------------------------------------------------------
# random expression graphs
# ------------------------------------------------------------------------------------------------
UNARY = ["exp", "log", "tanh", "sigmoid", "relu", "neg", "sq", "cube", "inv", "sqrt", "rpow"]
BINARY = ["+", "-", "*", "/", "c+", "c-", "c*", "c/", "+c", "-c", "*c", "/c"]


def _safe(op: str, a: float, b: float, c: float) -> bool:
    """Is ``op`` far (in input space) from its domain edges, kinks and overflow?"""
    if op == "exp" or op == "rpow":
        return a < 2.5
    if op in ("log", "sqrt"):
        return a > 0.3
    if op == "relu":
        return abs(a) > 0.1
    if op == "inv" or op == "c/":
        return abs(a) > 0.3
    if op == "/":
        return abs(b) > 0.3
    if op == "cube":
        return abs(a) < 4
    return True


def _apply(op: str, a, b, c: float):
    """Apply ``op`` to Values ``a``, ``b`` and the constant ``c`` (``c+`` is ``c + a``, etc.)."""
    table = {
        "exp": lambda: a.exp(),
        "log": lambda: a.log(),
        "tanh": lambda: a.tanh(),
        "sigmoid": lambda: a.sigmoid(),
        "relu": lambda: a.relu(),
        "neg": lambda: -a,
        "sq": lambda: a**2,
        "cube": lambda: a**3,
        "inv": lambda: a**-1,
        "sqrt": lambda: a**0.5,
        "rpow": lambda: 1.7**a,
        "+": lambda: a + b,
        "-": lambda: a - b,
        "*": lambda: a * b,
        "/": lambda: a / b,
        "c+": lambda: c + a,
        "c-": lambda: c - a,
        "c*": lambda: c * a,
        "c/": lambda: c / a,
        "+c": lambda: a + c,
        "-c": lambda: a - c,
        "*c": lambda: a * c,
        "/c": lambda: a / c,
    }
    return table[op]()


@st.composite
def programs(draw):
    """A random straight-line program over 1-4 leaves; operands are picked from all earlier
    results, so subexpressions are shared (and a node may be used twice by one operation)."""
    n_leaves = draw(st.integers(1, 4))
    leaves = draw(
        st.lists(
            st.floats(-2.0, 2.0, allow_nan=False).filter(lambda v: abs(v) > 0.2),
            min_size=n_leaves,
            max_size=n_leaves,
        )
    )
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(UNARY + BINARY),
                st.integers(0, 10_000),
                st.integers(0, 10_000),
                st.sampled_from([-1.5, 0.5, 2.0, 3.0]),
            ),
            min_size=2,
            max_size=14,
        )
    )
    return leaves, steps


def resolve(leaves: list[float], steps: list[tuple]) -> list[tuple[str, int, int, float]]:
    """Fix each step's operands and replace ops that would be unsafe at ``leaves`` by ``tanh``,
    so the program is a smooth function near ``leaves`` (needed by finite differences)."""
    pool = list(leaves)
    resolved = []
    for op, i, j, c in steps:
        i, j = i % len(pool), j % len(pool)
        if not _safe(op, pool[i], pool[j], c):
            op = "tanh"
        value = _apply(op, Value(pool[i]), Value(pool[j]), c).data
        if not abs(value) < 30:  # keep magnitudes moderate
            op, value = "tanh", math.tanh(pool[i])
        resolved.append((op, i, j, c))
        pool.append(value)
    return resolved


def run(leaf_values: list[Value], program: list[tuple[str, int, int, float]]) -> Value:
    """Evaluate ``program`` on Values; the output sums the last three results."""
    pool = list(leaf_values)
    for op, i, j, c in program:
        pool.append(_apply(op, pool[i], pool[j], c))
    return sum(pool[-3:], Value(0.0))


def test_value_gradients_match_numerical_on_random_graphs():
    checked: list[int] = []

    @settings(
        max_examples=70,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(programs())
    def check(case):
        leaves, steps = case
        program = resolve(leaves, steps)
        xs = [Value(v, label=f"x{k}") for k, v in enumerate(leaves)]
        out = run(xs, program)
        out.backward()
        first = np.array([x.grad for x in xs])

        def f(point: np.ndarray) -> float:
            return run([Value(float(v)) for v in point], program).data

        numeric = five_point_gradient(f, np.array(leaves))
        # rel_error on every component that is not ~0; at a stationary point (e.g. the leaf
        # x of x + 1/x at x = 1) the numerical estimate is round-off, so compare absolutely.
        big = np.abs(first) + np.abs(numeric) > 1e-6
        assert rel_error(first[big], numeric[big]) < 1e-6, (program, first, numeric)
        assert np.all(np.abs(first - numeric)[~big] < 1e-9), (program, first, numeric)
        out.backward()  # a second call resets the gradients first: same result, not doubled
        second = np.array([x.grad for x in xs])
        np.testing.assert_array_equal(second, first)
        checked.append(len(program))

    check()
    assert len(checked) >= 50


# ------------------------------------------------------------------------------------------------
# the rules of the engine, one at a time
# ------------------------------------------------------------------------------------------------
def test_variable_used_twice_gets_summed_gradient():
    x = Value(3.0)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0
    nodes, edges = trace(x * x)
    assert len(nodes) == 2 and len(edges) == 1  # x * x has one input edge


def test_backward_twice_is_not_doubled_and_intermediate_grads_reset():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c.tanh() + c
    d.backward()
    grads = (a.grad, b.grad, c.grad)
    d.backward()
    assert (a.grad, b.grad, c.grad) == grads


def test_reflected_operations_and_their_gradients():
    x = Value(2.0)
    for expr, value, grad in [
        (lambda v: 3 + v, 5.0, 1.0),
        (lambda v: 3 - v, 1.0, -1.0),
        (lambda v: 3 * v, 6.0, 3.0),
        (lambda v: 3 / v, 1.5, -0.75),
        (lambda v: 2**v, 4.0, 4.0 * math.log(2.0)),
        (lambda v: np.float64(3.0) * v, 6.0, 3.0),
        (lambda v: v / 4, 0.5, 0.25),
        (lambda v: v - 1, 1.0, 1.0),
        (lambda v: -v, -2.0, -1.0),
        (lambda v: v**3, 8.0, 12.0),
    ]:
        out = expr(x)
        assert isinstance(out, Value)
        out.backward()
        assert out.data == pytest.approx(value)
        assert x.grad == pytest.approx(grad)


def test_unary_functions_and_stability():
    for fn, x0, d in [
        ("exp", 0.5, math.exp(0.5)),
        ("log", 0.5, 2.0),
        ("tanh", 0.5, 1 - math.tanh(0.5) ** 2),
        ("sigmoid", 0.5, math.exp(-0.5) / (1 + math.exp(-0.5)) ** 2),
        ("relu", 0.5, 1.0),
        ("relu", -0.5, 0.0),
    ]:
        x = Value(x0)
        out = getattr(x, fn)()
        out.backward()
        assert x.grad == pytest.approx(d, rel=1e-12), fn
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0


def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    y = x.relu()
    y.backward()
    assert y.data == 0.0 and x.grad == 0.0


def test_clear_errors():
    with pytest.raises(ValueError, match="positive"):
        Value(0.0).log()
    with pytest.raises(ValueError, match="positive"):
        Value(-1.0).log()
    with pytest.raises(TypeError, match="constant int or float"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(TypeError, match="constant int or float"):
        Value(2.0) ** "3"
    with pytest.raises(ValueError, match="not real"):
        Value(-2.0) ** 0.5
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(TypeError, match="cannot combine"):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        Value("1.0")


def test_deep_graph_does_not_hit_the_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001**10_000, rel=1e-9)


def test_trace_nodes_are_topological_and_edges_complete():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    e = d.tanh()
    nodes, edges = trace(e)
    assert len(nodes) == 5 and len(edges) == 5
    position = {id(n): i for i, n in enumerate(nodes)}
    assert nodes[-1] is e
    for child, parent in edges:
        assert position[id(child)] < position[id(parent)]
    assert {(id(c_), id(p)) for c_, p in edges} == {
        (id(a), id(c)),
        (id(b), id(c)),
        (id(c), id(d)),
        (id(a), id(d)),
        (id(d), id(e)),
    }


# ------------------------------------------------------------------------------------------------
# the tiny network
# ------------------------------------------------------------------------------------------------
def test_mlp_structure_and_zero_grad():
    model = MLP(2, [4, 1], rng=np.random.default_rng(0))
    assert len(model.parameters()) == (2 + 1) * 4 + (4 + 1) * 1
    assert len(Layer(3, 2, rng=0).parameters()) == 8
    assert len(Neuron(3, rng=0).parameters()) == 4
    out = model([1.0, -1.0])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    same = MLP(2, [4, 1], rng=np.random.default_rng(0))
    assert [p.data for p in same.parameters()] == [p.data for p in model.parameters()]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_value_mlp_learns_xor(seed):
    X, y = xor()
    model = MLP(2, [4, 1], rng=np.random.default_rng(seed))
    # seed 0 uses train's default data set, course_lib.data.xor()
    result = train(model, steps=600, lr=0.1) if seed == 0 else train(model, X, y, steps=600)
    assert result.accuracy == 1.0
    assert result.losses[-1] < result.losses[0] / 10
    predictions = [model([float(a), float(b)]).data > 0 for a, b in X]
    assert predictions == [bool(v) for v in y]


# ------------------------------------------------------------------------------------------------
# drawing
# ------------------------------------------------------------------------------------------------
def _artists(fig, kind: str) -> list:
    ax = fig.axes[0]
    return [a for a in ax.get_children() if (a.get_gid() or "").startswith(kind + ":")]


def _neuron_graph() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


@pytest.mark.parametrize("show", ["forward", "backward", "both"])
def test_draw_graph_has_one_box_per_node_and_one_arrow_per_edge(show):
    o = _neuron_graph()
    nodes, edges = trace(o)
    fig = draw_graph(o, show=show)
    try:
        boxes, arrows, texts = (_artists(fig, k) for k in ("node", "edge", "text"))
        assert len(boxes) == len(nodes) == 10
        assert len(arrows) == len(edges) == 9
        assert all(isinstance(b, FancyBboxPatch) for b in boxes)
        assert all(isinstance(a, FancyArrowPatch) for a in arrows)
        index = {id(n): i for i, n in enumerate(nodes)}
        assert {a.get_gid() for a in arrows} == {
            f"edge:{index[id(c)]}-{index[id(p)]}" for c, p in edges
        }
        content = {t.get_gid(): t.get_text() for t in texts}
        o_text = content[f"text:{index[id(o)]}"]
        assert "o" in o_text and "tanh" in o_text
        assert ("data 0.7071" in o_text) == (show != "backward")
        assert ("grad 1" in o_text) == (show != "forward")
        x1_text = content[f"text:{index[id(nodes[0])]}"]
        assert nodes[0].label in x1_text
    finally:
        plt.close(fig)


def test_draw_graph_scales_to_sixty_nodes_and_accepts_an_axes():
    model = MLP(2, [3, 1], rng=0)
    out = model([0.5, -1.0])
    out.backward()
    nodes, edges = trace(out)
    assert 30 <= len(nodes) <= 60
    fig = draw_graph(out)
    try:
        assert len(_artists(fig, "node")) == len(nodes)
        assert len(_artists(fig, "edge")) == len(edges)
        width, height = fig.get_size_inches()
        assert 6 <= width <= 30 and 3 <= height <= 24
        font = min(t.get_fontsize() for t in _artists(fig, "text"))
        assert font >= 5  # still readable
    finally:
        plt.close(fig)
    fig, ax = plt.subplots()
    try:
        assert draw_graph(out, "forward", ax=ax) is fig
        assert len(_artists(fig, "node")) == len(nodes)
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="show"):
        draw_graph(out, show="sideways")
