"""XOR explorer: the book's solution, the network's arithmetic, training and its controls."""

from __future__ import annotations

import time

import numpy as np
import pytest

from course_lib.widgets import XOR_PRESETS, XorExplorer, xor_explorer

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0, 1, 1, 0])


@pytest.fixture(scope="module")
def shared() -> XorExplorer:
    explorer = xor_explorer(seed=3)
    yield explorer
    explorer.stop_training()
    explorer.close()


@pytest.fixture
def ex(shared: XorExplorer) -> XorExplorer:
    """The module's explorer, back at the book's solution and the default training settings."""
    shared.stop_training()
    if shared._thread is not None:
        shared._thread.join(timeout=30)
    shared.live = True
    shared.set(preset="goodfellow", lr=0.1, steps=2000)
    return shared


def forward(W, c, w, b, x):
    """The network written out independently: h = ReLU(W^T x + c), yhat = w^T h + b."""
    h = np.maximum(0, np.einsum("ij,ni->nj", W, x) + c)
    return h, h @ w + b


def test_goodfellow_preset_classifies_all_four_points(ex):
    s = ex.state
    p = XOR_PRESETS["goodfellow"]
    np.testing.assert_array_equal(s["W"], [[1, 1], [1, 1]])
    np.testing.assert_array_equal(s["c"], [0, -1])
    np.testing.assert_array_equal(s["w"], [1, -2])
    np.testing.assert_allclose(s["h"], [[0, 0], [1, 0], [1, 0], [2, 1]])
    np.testing.assert_allclose(s["output"], [0, 1, 1, 0])
    np.testing.assert_array_equal(s["predicted"], Y)
    assert s["correct"].all() and s["accuracy"] == 1.0 and s["loss"] == 0.0
    assert p["b"] == 0.0


def test_set_weights_gives_the_networks_output(ex, rng):
    for _ in range(3):
        W = np.round(rng.uniform(-3, 3, (2, 2)), 2)
        c, w = np.round(rng.uniform(-3, 3, 2), 2), np.round(rng.uniform(-3, 3, 2), 2)
        b = round(float(rng.uniform(-1, 1)), 2)
        ex.set(W=W, c=c, w=w, b=b)
        s = ex.state
        h, out = forward(W, c, w, b, X)
        np.testing.assert_allclose(s["h"], h)
        np.testing.assert_allclose(s["output"], out)
        np.testing.assert_array_equal(s["predicted"], (out > 0.5).astype(int))
        assert s["loss"] == pytest.approx(np.mean((out - Y) ** 2))
        # the decision-region image: corner pixels are the grid's corners (-0.5, -0.5), (1.5, 1.5)
        grid = s["grid_output"]
        corners = np.array([[-0.5, -0.5], [1.5, 1.5]])
        np.testing.assert_allclose([grid[0, 0], grid[-1, -1]], forward(W, c, w, b, corners)[1])
        assert ex.params["preset"] == "custom"


def test_W_rows_are_inputs_and_columns_hidden_units(ex):
    ex.set(W=[[1.0, 0.0], [0.0, 0.0]], c=[0.0, 0.0], w=[1.0, 0.0], b=0.0)
    # only input 1 feeds unit 1: h(x=(1,0)) = (1, 0), h(x=(0,1)) = (0, 0)
    np.testing.assert_allclose(ex.state["h"][2], [1, 0])
    np.testing.assert_allclose(ex.state["h"][1], [0, 0])


def test_slider_widget_moves_the_state(ex):
    ex.controls["c2"].value = 0.5
    s = ex.state
    assert s["c"][1] == 0.5
    assert not s["correct"].all(), "with c2 = 0.5 the book's network no longer solves XOR"
    ex.controls["preset"].value = "goodfellow"
    assert ex.state["accuracy"] == 1.0
    assert ex.controls["c2"].value == -1.0


def test_training_reduces_the_loss(ex):
    runs = ex.state["runs"]
    losses = ex.train(steps=1500, lr=0.1, seed=7)
    assert losses.shape == (1500,)
    assert losses[-1] < 0.5 * losses[0]
    s = ex.state
    # the explorer shows the trained weights: recompute the loss from them
    _, out = forward(s["W"], s["c"], s["w"], s["b"], X)
    assert s["loss"] == pytest.approx(np.mean((out - Y) ** 2))
    assert s["loss"] <= losses[-1] + 1e-12
    np.testing.assert_array_equal(s["loss_history"], losses)
    assert s["steps_done"] == 1500 and s["runs"] == runs + 1 and not s["training"]
    assert ex.params["preset"] == "custom"


def test_some_random_start_solves_xor(ex):
    solved = 0
    ex.live = False
    for seed in range(5):
        ex.train(steps=1500, lr=0.1, seed=seed)
        solved += ex.state["accuracy"] == 1.0
    assert solved >= 1, "no random start out of 5 learned XOR"


def test_training_is_reproducible_per_seed(ex):
    a, b = XorExplorer(seed=11), XorExplorer(seed=11)
    a.live = b.live = False
    first = a.train(steps=50)
    np.testing.assert_array_equal(first, b.train(steps=50))  # the first click of each
    assert first[0] != a.train(steps=50)[0], "a second click must start somewhere else"
    np.testing.assert_array_equal(a.train(steps=50, seed=5), ex.train(steps=50, seed=5))
    a.close()
    b.close()


def test_training_from_the_solution_stays_there(ex):
    losses = ex.train(steps=100, lr=0.5, restart=False)
    assert np.all(losses == 0.0)
    assert ex.state["accuracy"] == 1.0


def test_train_button_runs_in_the_background_and_stop_stops_it(ex):
    ex.set(steps=10000)
    ex.train_button.click()
    deadline = time.monotonic() + 30
    while ex.state["steps_done"] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ex.state["training"]
    assert ex.train_button.disabled and not ex.stop_button.disabled
    assert ex.controls["W11"].disabled
    ex.stop_button.click()
    ex._thread.join(timeout=30)
    s = ex.state
    assert not ex._thread.is_alive()
    assert 0 < s["steps_done"] < 10000
    assert not s["training"] and not ex.train_button.disabled and ex.stop_button.disabled
    assert not ex.controls["W11"].disabled
    assert len(s["loss_history"]) == s["steps_done"]


def test_frames_are_shown_during_training(ex):
    frames = []
    ex.train(steps=200, frame_every=50, callback=lambda k, losses: frames.append((k, ex.png())))
    assert [k for k, _ in frames] == [50, 100, 150, 200]
    assert len({png for _, png in frames}) == 4, "each frame should look different"


@pytest.mark.parametrize("value", [-4.0, 4.0])
def test_extreme_slider_values(ex, value, assert_png):
    ex.set(**{n: value for n in ("W11", "W12", "W21", "W22", "c1", "c2", "w1", "w2", "b")})
    ex.set(lr=1.0, steps=100)
    s = ex.state
    assert np.isfinite(s["grid_output"]).all()
    assert_png(ex.png())
    losses = ex.train(restart=False)
    assert np.isfinite(losses).all()
    assert np.isfinite(ex.state["output"]).all()
    ex.set(lr=0.001, steps=10000)
    assert ex.params["lr"] == pytest.approx(0.001)


def test_zero_network(ex):
    ex.set(W=np.zeros((2, 2)), c=[0, 0], w=[0, 0], b=0)
    s = ex.state
    assert not s["h"].any() and not s["output"].any()
    assert s["accuracy"] == 0.5


def test_blitted_frame_equals_a_full_redraw(ex, assert_blit_exact):
    ex.set(W11=0.5, w2=-1.0)
    assert_blit_exact(ex)


def test_bad_input(ex):
    with pytest.raises(ValueError, match="outside the slider range"):
        ex.set(b=9.0)
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        ex.set(c=[1, 2, 3])
    with pytest.raises(ValueError, match="steps must be >= 1"):
        ex.train(steps=0)


def test_decision_image_is_drawn_the_right_way_up(ex):
    import io

    from PIL import Image

    ex.set(W=[[0.0, 0.0], [1.0, 0.0]], c=[0.0, 0.0], w=[1.0, 0.0], b=0.0)  # yhat = x2
    px = np.asarray(Image.open(io.BytesIO(ex.png()))).astype(int)
    ax = ex._axes[0]
    height = px.shape[0]

    def colour_at(x1, x2):
        col, row = ax.transData.transform((x1, x2))
        return px[height - int(round(row)), int(round(col))]

    top, bottom = colour_at(0.5, 1.4), colour_at(0.5, -0.4)
    assert top[0] > top[2] + 20, f"yhat = 1.4 at the top should be red, got {top}"
    assert bottom[2] > bottom[0] + 20, f"yhat = -0.4 at the bottom should be blue, got {bottom}"
