"""Activation explorer: curves against closed forms, unit statistics, the cache, extremes."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.widgets import ActivationExplorer
from course_lib.widgets.activations import DEAD, ELEMENTWISE, MOST, SATURATION


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


# closed forms written out here, independently of course_lib.activations
CURVES = {
    "identity": (lambda x, p: x, lambda x, p: np.ones_like(x)),
    "relu": (lambda x, p: np.maximum(0, x), lambda x, p: (x > 0) * 1.0),
    "leaky_relu": (
        lambda x, p: np.where(x > 0, x, p["negative_slope"] * x),
        lambda x, p: np.where(x > 0, 1.0, p["negative_slope"]),
    ),
    "prelu": (
        lambda x, p: np.where(x > 0, x, p["prelu_a"] * x),
        lambda x, p: np.where(x > 0, 1.0, p["prelu_a"]),
    ),
    "elu": (
        lambda x, p: np.where(x > 0, x, p["elu_alpha"] * (np.exp(np.minimum(x, 0)) - 1)),
        lambda x, p: np.where(x > 0, 1.0, p["elu_alpha"] * np.exp(np.minimum(x, 0))),
    ),
    "sigmoid": (lambda x, p: sigmoid(x), lambda x, p: sigmoid(x) * (1 - sigmoid(x))),
    "tanh": (lambda x, p: np.tanh(x), lambda x, p: 1 - np.tanh(x) ** 2),
}


@pytest.fixture(scope="module")
def ex() -> ActivationExplorer:
    explorer = ActivationExplorer(steps=80, n_points=100)  # a short run keeps the tests fast
    yield explorer
    explorer.close()


def test_dropdown_lists_the_elementwise_activations(ex):
    values = [v for _, v in ex.controls["activation"].options]
    assert values == list(ELEMENTWISE)
    assert "softmax" not in values and {"relu", "gelu", "sigmoid"} <= set(values)


@pytest.mark.parametrize(
    ("name", "param", "value"),
    [
        ("relu", None, None),
        ("leaky_relu", "negative_slope", 0.2),
        ("prelu", "prelu_a", 0.6),
        ("elu", "elu_alpha", 2.0),
        ("sigmoid", None, None),
        ("tanh", None, None),
        ("identity", None, None),
    ],
)
def test_curves_match_the_closed_forms(ex, name, param, value):
    ex.set(activation=name, **({param: value} if param else {}))
    s = ex.state
    f, df = CURVES[name]
    np.testing.assert_allclose(s["f"], f(s["x"], ex.params), atol=1e-12)
    np.testing.assert_allclose(s["df"], df(s["x"], ex.params), atol=1e-12)
    np.testing.assert_array_equal(s["saturated_x"], np.abs(s["df"]) < SATURATION)


def test_gelu_tanh_approximation_curve(ex):
    ex.set(activation="gelu", gelu_approximate="tanh")
    x = ex.state["x"]
    expected = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(ex.state["f"], expected, atol=1e-12)
    assert "tanh" in ex.state["name"]


def test_saturating_regions(ex):
    ex.set(activation="sigmoid")
    s = ex.state
    x, sat = s["x"], s["saturated_x"]
    assert sat[np.abs(x) > 3.0].all() and not sat[np.abs(x) < 2.5].any()
    ex.set(activation="relu")
    np.testing.assert_array_equal(ex.state["saturated_x"], ex.state["x"] <= 0)
    ex.set(activation="identity")
    assert not ex.state["saturated_x"].any()


def hidden_preactivations(model, X):
    """Pre-activations of the 3 hidden layers, computed from the weights directly."""
    zs, h = [], X
    for i in range(3):
        lin = model[2 * i]
        z = h @ lin.weight.data.T + lin.bias.data
        zs.append(z)
        h = model[2 * i + 1].function(z)
    return zs


def test_dead_relus_are_units_never_active(ex):
    ex.set(activation="relu", lr=1.0)
    s = ex.state
    stats = ex.training()
    zs = hidden_preactivations(stats.model, ex._X)
    dead = [np.mean(np.all(z <= 0, axis=0)) for z in zs]  # never active on the data
    np.testing.assert_allclose(s["dead"], dead)
    saturated = [np.mean(np.mean(z <= 0, axis=0) >= MOST) for z in zs]  # ReLU' = 0 for z <= 0
    np.testing.assert_allclose(s["saturated"], saturated)
    assert (s["saturated"] >= s["dead"]).all(), "a dead unit is also saturated"
    assert np.all((0 <= s["dead"]) & (s["dead"] <= 1))
    assert DEAD < SATURATION


def test_sigmoid_mean_derivative_is_at_most_a_quarter(ex):
    ex.set(activation="sigmoid", lr=0.1)
    s = ex.state
    zs = hidden_preactivations(ex.training().model, ex._X)
    expected = [np.mean(sigmoid(z) * (1 - sigmoid(z))) for z in zs]
    np.testing.assert_allclose(s["mean_grad"], expected)
    assert (s["mean_grad"] <= 0.25).all()


def test_training_reduces_the_loss(ex):
    ex.set(activation="relu", lr=0.3)
    s = ex.state
    assert not s["diverged"]
    assert s["losses"].shape == (80,)
    assert s["losses"][-1] < 0.6 * s["losses"][0]
    assert s["accuracy"] > 0.8


def test_results_are_cached(ex):
    ex.set(activation="tanh", lr=0.1)
    size = ex.state["cache_size"]
    ex.set(activation="relu")
    ex.set(activation="tanh")
    assert ex.state["cached"] and ex.state["cache_size"] == size
    # a parameter of another activation does not retrain the selected one
    ex.set(elu_alpha=2.5)
    assert ex.state["cached"] and ex.state["cache_size"] == size
    # a new parameter value of the selected activation does
    ex.set(activation="elu")
    assert ex.state["cache_size"] == size + 1 and not ex.state["cached"]
    losses = ex.state["losses"]
    ex.set(activation="relu")
    ex.set(activation="elu")
    np.testing.assert_array_equal(ex.state["losses"], losses)
    assert ex.state["cached"]


def test_only_the_selected_activations_parameter_is_shown(ex):
    ex.set(activation="elu")
    shown = {
        n
        for n in ("negative_slope", "prelu_a", "elu_alpha", "gelu_approximate")
        if ex.controls[n].layout.display != "none"
    }
    assert shown == {"elu_alpha"}
    ex.controls["activation"].value = "leaky_relu"  # the dropdown widget path
    assert ex.params["activation"] == "leaky_relu"
    assert ex.controls["negative_slope"].layout.display != "none"
    assert ex.controls["elu_alpha"].layout.display == "none"


def test_prelu_reports_its_learned_slope(ex):
    ex.set(activation="prelu", prelu_a=0.25, lr=0.1)
    learned = ex.state["learned_a"]
    assert len(learned) == 3
    assert learned != [0.25, 0.25, 0.25], "the slope is a trained parameter"


@pytest.mark.parametrize(
    "setting",
    [
        {"activation": "leaky_relu", "negative_slope": 0.0},
        {"activation": "leaky_relu", "negative_slope": 0.5},
        {"activation": "prelu", "prelu_a": 0.0},
        {"activation": "prelu", "prelu_a": 1.0},
        {"activation": "elu", "elu_alpha": 0.1},
        {"activation": "elu", "elu_alpha": 3.0},
        {"activation": "identity"},
        {"activation": "sigmoid"},
    ],
)
@pytest.mark.parametrize("lr", [0.01, 1.0])
def test_extreme_settings(ex, setting, lr, assert_png):
    ex.set(**setting, lr=lr)
    s = ex.state
    assert np.isfinite(s["f"]).all() and np.isfinite(s["df"]).all()
    assert np.isfinite(s["losses"]).all()
    assert s["diverged"] or s["losses"].size == 80
    assert_png(ex.png())


def test_identity_diverges_at_a_large_step(ex):
    ex.set(activation="identity", lr=1.0)
    s = ex.state
    assert s["diverged"] and s["losses"].size < 80
    assert "diverged" in ex.status.value


def test_blitted_frame_equals_a_full_redraw(ex, assert_blit_exact):
    ex.set(activation="tanh", lr=0.1)
    assert_blit_exact(ex)


def test_bad_input(ex):
    with pytest.raises(ValueError, match="not one of"):
        ex.set(activation="softmax")
    with pytest.raises(ValueError, match="outside the slider range"):
        ex.set(elu_alpha=0.0)
