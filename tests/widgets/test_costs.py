"""Cost explorer: least squares, the Huber fit's optimality, sigmoid losses and gradients."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.losses import HuberLoss
from course_lib.widgets import CostExplorer, cost_explorer
from course_lib.widgets.costs import STALL


@pytest.fixture(scope="module")
def ex() -> CostExplorer:
    explorer = cost_explorer()
    yield explorer
    explorer.close()


def huber_objective_and_gradient(coef, x, t, delta):
    """Mean Huber loss of the line ``coef`` and its gradient, via course_lib's HuberLoss."""
    loss = HuberLoss(delta=delta)
    pred = (coef[0] * x + coef[1])[:, None]
    value = loss.forward(pred, t[:, None])
    g = loss.backward()[:, 0]
    return value, np.array([np.sum(g * x), np.sum(g)])


def test_outlier_sliders_move_the_last_point(ex):
    ex.set(outlier_x=-1.5, outlier_y=25.0)
    s = ex.state
    assert (s["x"][-1], s["t"][-1]) == (-1.5, 25.0)
    ex.set(outlier_x=1.0)
    assert ex.state["x"][-1] == 1.0 and ex.state["t"][-1] == 25.0
    np.testing.assert_array_equal(ex.state["x"][:-1], s["x"][:-1])


@pytest.mark.parametrize(("ox", "oy"), [(-2.0, -10.0), (2.0, 30.0), (0.0, 1.0), (1.3, 12.5)])
def test_mse_fit_is_least_squares(ex, ox, oy):
    ex.set(outlier_x=ox, outlier_y=oy)
    s = ex.state
    np.testing.assert_allclose(s["w_mse"], np.polyfit(s["x"], s["t"], 1), rtol=1e-10)


@pytest.mark.parametrize("delta", [0.1, 1.0, 5.0])
@pytest.mark.parametrize(("ox", "oy"), [(2.0, 30.0), (-2.0, -10.0), (0.5, 3.0)])
def test_huber_fit_minimises_the_huber_loss(ex, delta, ox, oy):
    ex.set(outlier_x=ox, outlier_y=oy, delta=delta)
    s = ex.state
    x, t, coef = s["x"], s["t"], s["w_huber"]
    value, grad = huber_objective_and_gradient(coef, x, t, delta)
    assert np.abs(grad).max() < 1e-8, f"the Huber loss's gradient at the fit is {grad}"
    for step in ([1e-3, 0], [0, 1e-3], [-1e-3, 1e-3]):  # and nearby lines are worse
        assert huber_objective_and_gradient(coef + step, x, t, delta)[0] > value
    assert value <= huber_objective_and_gradient(s["w_mse"], x, t, delta)[0]


def test_huber_resists_the_outlier(ex):
    ex.set(outlier_x=2.0, outlier_y=30.0, delta=1.0)
    s = ex.state
    true_slope = s["true_line"][0]
    assert abs(s["w_huber"][0] - true_slope) < 0.2
    assert abs(s["w_mse"][0] - true_slope) > 2 * abs(s["w_huber"][0] - true_slope)


def test_slider_widget_path(ex):
    ex.controls["outlier_y"].value = -5.0
    assert ex.state["t"][-1] == -5.0
    np.testing.assert_allclose(ex.state["w_mse"], np.polyfit(ex.state["x"], ex.state["t"], 1))


@pytest.mark.parametrize("target", [0, 1])
@pytest.mark.parametrize("z", [-10.0, -3.3, 0.0, 2.5, 10.0])
def test_sigmoid_losses_at_the_logit(ex, target, z):
    ex.set(logit=z, target=target)
    at = ex.state["at_logit"]
    p = 1 / (1 + np.exp(-z))
    ce = -(target * np.log(p) + (1 - target) * np.log(1 - p))
    assert at["p"] == pytest.approx(p, rel=1e-12)
    assert at["ce"] == pytest.approx(ce, rel=1e-9)
    assert at["mse"] == pytest.approx((p - target) ** 2, rel=1e-12)
    assert at["grad_ce"] == pytest.approx(p - target, rel=1e-12, abs=1e-15)
    assert at["grad_mse"] == pytest.approx(2 * (p - target) * p * (1 - p), rel=1e-9, abs=1e-15)


def test_gradient_curves_match_finite_differences(ex):
    ex.set(target=1)
    s = ex.state
    z = s["z"]
    h = z[1] - z[0]
    for loss, grad in (("ce", "grad_ce"), ("mse", "grad_mse")):
        numeric = np.gradient(s[loss], h)
        np.testing.assert_allclose(s[grad][1:-1], numeric[1:-1], atol=2e-3)


def test_mse_stalls_where_cross_entropy_does_not(ex):
    ex.set(target=1)
    s = ex.state
    z, stalled = s["z"], s["stalled"]
    assert stalled[z < -5].all() and not stalled[z > 0].any()
    assert (np.abs(s["grad_mse"][stalled]) < STALL).all()
    assert (s["p"][stalled] < 0.5).all(), "stalled means confidently wrong"
    assert (np.abs(s["grad_ce"][stalled]) > 0.9).all(), "cross-entropy keeps a gradient near 1"
    ex.set(target=0)
    s = ex.state
    assert s["stalled"][s["z"] > 5].all() and not s["stalled"][s["z"] < 0].any()


def test_losses_stay_finite_at_extreme_logits(ex):
    ex.set(target=1, logit=-10.0)
    s = ex.state
    assert np.isfinite(s["ce"]).all() and s["ce"].max() == pytest.approx(10.0000454, rel=1e-6)


@pytest.mark.parametrize(
    "setting",
    [
        {"outlier_x": -2.0, "outlier_y": -10.0, "delta": 0.1, "logit": -10.0, "target": 0},
        {"outlier_x": 2.0, "outlier_y": 30.0, "delta": 5.0, "logit": 10.0, "target": 1},
    ],
)
def test_extreme_slider_values(ex, setting, assert_png):
    ex.set(**setting)
    s = ex.state
    assert np.isfinite(s["w_mse"]).all() and np.isfinite(s["w_huber"]).all()
    assert s["huber_iterations"] < 100, "IRLS should converge"
    assert_png(ex.png())


def test_blitted_frame_equals_a_full_redraw(ex, assert_blit_exact):
    ex.set(outlier_y=20.0, logit=1.0)
    assert_blit_exact(ex)


def test_bad_input(ex):
    with pytest.raises(ValueError, match="outside the slider range"):
        ex.set(delta=0.0)
    with pytest.raises(ValueError, match="not one of"):
        ex.set(target=2)
