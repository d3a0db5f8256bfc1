"""Backprop explorer: forward order, backward order, chain-rule messages, Value.backward()."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.autograd import Value, trace
from course_lib.widgets import GRAPHS, BackpropExplorer, backprop_explorer
from course_lib.widgets.backprop import local_derivatives


@pytest.fixture(scope="module")
def ex() -> BackpropExplorer:
    explorer = backprop_explorer()
    yield explorer
    explorer.close()


@pytest.fixture(autouse=True)
def _live_again(ex):
    """Tests may switch rendering off for speed; switch it back on after each."""
    yield
    ex.live = True


def _show_graph(ex, graph: str) -> tuple[int, list[tuple[int, int]]]:
    """Select ``graph`` with rendering off (state only); its node count and ``(child, parent)``
    edges as indices into the explorer's node order."""
    ex.set(graph=graph)
    ex.live = False
    nodes, edges = trace(GRAPHS[graph]())
    index = {v: i for i, v in enumerate(nodes)}
    return len(nodes), [(index[child], index[parent]) for child, parent in edges]


@pytest.mark.parametrize("graph", list(GRAPHS))
def test_last_backward_step_gives_value_backward_gradients(ex, graph):
    ex.set(graph=graph)
    ex.set(step=ex.state["n_steps"])
    s = ex.state
    root = GRAPHS[graph]()  # a fresh copy of the graph, differentiated by the engine
    nodes, _ = trace(root)
    root.backward()
    assert s["labels"] == [v.label for v in nodes]
    np.testing.assert_allclose(s["values"], [v.data for v in nodes], rtol=1e-15)
    np.testing.assert_allclose(s["grads"], [v.grad for v in nodes], rtol=1e-12)
    assert s["phase"] == "done" and s["has_grad"].all()


@pytest.mark.parametrize("graph", list(GRAPHS))
def test_forward_fills_values_in_topological_order(ex, graph):
    n, edges = _show_graph(ex, graph)
    for step in range(1, n + 1):
        ex.set(step=step)
        s = ex.state
        assert s["has_value"].sum() == step and not s["has_grad"].any()
        assert s["phase"] == "forward" and s["current"] == step - 1
        for child, parent in edges:  # a node is computed only after its inputs
            if s["has_value"][parent]:
                assert s["has_value"][child]
        assert np.isnan(s["values"][~s["has_value"]]).all()


@pytest.mark.parametrize("graph", list(GRAPHS))
def test_backward_fills_gradients_in_reverse_topological_order(ex, graph):
    n, edges = _show_graph(ex, graph)
    for step in range(n + 1, 2 * n + 1):
        ex.set(step=step)
        s = ex.state
        assert s["has_value"].all() and s["has_grad"].sum() == step - n
        assert s["has_grad"][s["current"]]
        for child, parent in edges:  # a node's gradient is final only after all its users'
            if s["has_grad"][child]:
                assert s["has_grad"][parent]


def test_chain_rule_messages_of_the_cs231n_example(ex):
    ex.set(graph="(x + y) * z", step=0)
    assert ex.state["phase"] == "start"
    labels, n = ex.state["labels"], ex.state["n_nodes"]
    messages = {}
    for step in range(1, ex.state["n_steps"] + 1):
        ex.set(step=step)
        phase = "forward" if step <= n else "backward"  # the last step's phase is "done"
        messages[(phase, labels[ex.state["current"]])] = ex.state["message"]
    assert "q = x + y = (-2) + 5 = 3" in messages[("forward", "q")]
    assert "f = q · z = 3 · (-4) = -12" in messages[("forward", "f")]
    assert "df/dq = df/df · ∂f/∂q = 1 · (-4) = -4" in messages[("backward", "q")]
    assert "df/dx = df/dq · ∂q/∂x = (-4) · 1 = -4" in messages[("backward", "x")]
    assert "df/dz = df/df · ∂f/∂z = 1 · 3 = 3" in messages[("backward", "z")]


def test_a_variable_used_twice_sums_two_products(ex):
    ex.set(graph="x used twice", step=0)
    ex.set(step=ex.state["n_steps"])
    s = ex.state
    x = s["labels"].index("x")
    # f = (x y + z) x  ->  df/dx = 2 x y + z = 2 * 3 * (-2) + 4 = -8
    assert s["grads"][x] == -8.0
    assert s["current"] == x
    assert s["message"].count("·") >= 4 and " + " in s["message"]


def test_buttons_step_through_the_passes(ex):
    ex.set(graph="(x + y) * z")
    b = ex.buttons
    b["reset"].click()
    n = ex.state["n_nodes"]
    assert ex.state["step"] == 0 and b["backward"].disabled and b["back"].disabled
    for _ in range(n):
        b["forward"].click()
    assert ex.state["step"] == n and b["forward"].disabled and not b["backward"].disabled
    b["backward"].click()
    assert ex.state["phase"] == "backward" and ex.state["has_grad"].sum() == 1
    b["back"].click()
    assert ex.state["step"] == n
    b["all"].click()
    assert ex.state["phase"] == "done" and b["all"].disabled and b["backward"].disabled
    assert ex.controls["step"].value == ex.state["n_steps"]


def test_graph_dropdown_resets_and_resizes_the_step_slider(ex):
    ex.set(graph="(x + y) * z", step=5)
    ex.controls["graph"].value = "sigmoid neuron"
    s = ex.state
    assert s["graph"] == "sigmoid neuron" and s["step"] == 0
    assert ex.controls["step"].max == s["n_steps"] == 2 * s["n_nodes"]


def test_slider_widget_path(ex):
    ex.set(graph="(x + y) * z")
    ex.controls["step"].value = 3
    assert ex.state["step"] == 3 and ex.state["labels"][ex.state["current"]] == "q"


def test_highlight_follows_the_current_node(ex):
    ex.set(graph="(x + y) * z", step=3)
    q = ex.state["current"]
    assert ex._boxes[q].get_linewidth() > 2
    assert all(b.get_linewidth() < 1 for i, b in ex._boxes.items() if i != q)
    assert "data 3" in ex._texts[q].get_text() and "grad ?" in ex._texts[q].get_text()


def test_image_changes_every_step(ex):
    ex.set(graph="(x + y) * z", step=0)
    seen = {ex.png()}
    for step in range(1, ex.state["n_steps"] + 1):
        ex.set(step=step)
        seen.add(ex.png())
    assert len(seen) == ex.state["n_steps"] + 1


def test_local_derivatives_come_from_the_engine_and_leave_no_trace():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    a.grad, b.grad, c.grad = 5.0, 6.0, 7.0
    d = local_derivatives(c)
    assert d == {a: -3.0, b: 2.0}
    assert (a.grad, b.grad, c.grad) == (5.0, 6.0, 7.0)
    sq = a * a  # x * x: a single child with derivative 2a
    assert local_derivatives(sq) == {a: 4.0}


def test_bad_input(ex):
    with pytest.raises(ValueError, match="outside the slider range"):
        ex.set(graph="(x + y) * z", step=99)
    with pytest.raises(ValueError, match="unknown graph"):
        ex.set(graph="resnet")
