"""ReLU explorer: the folded grid, presets, the control path and extreme slider values."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.widgets import RELU_PRESETS, ReluExplorer, relu_explorer

ENTRIES = ("11", "12", "21", "22")


@pytest.fixture(scope="module")
def ex() -> ReluExplorer:
    explorer = relu_explorer()
    yield explorer
    explorer.close()


def test_grid_is_regular_square(ex):
    grid = ex.state["grid"]
    assert grid.shape == (21 * 21, 2)
    assert grid.min() == -1.0 and grid.max() == 1.0
    assert len(np.unique(grid[:, 0])) == 21


def test_set_matrices_gives_folded_grid(ex, rng):
    for _ in range(3):
        A = np.round(rng.uniform(-2, 2, (2, 2)), 2)
        B = np.round(rng.uniform(-2, 2, (2, 2)), 2)
        ex.set(A=A, B=B)
        s = ex.state
        x = s["grid"]
        Ax = x @ A.T
        np.testing.assert_allclose(s["Ax"], Ax)
        np.testing.assert_allclose(s["f"], np.maximum(0, Ax))
        np.testing.assert_allclose(s["y"], np.maximum(0, np.maximum(0, Ax) @ B.T))
        np.testing.assert_array_equal(s["active_f"], Ax > 0)
        np.testing.assert_array_equal(s["active_y"], np.maximum(0, Ax) @ B.T > 0)
        np.testing.assert_array_equal(s["pattern_f"], (Ax[:, 0] > 0) + 2 * (Ax[:, 1] > 0))
        assert (s["f"] >= 0).all(), "ReLU output must lie in the positive quadrant"


def test_single_entry_changes_one_matrix_entry(ex):
    ex.set(preset="identity")
    ex.set(a12=1.5)
    A = ex.state["A"]
    np.testing.assert_array_equal(A, [[1.0, 1.5], [0.0, 1.0]])
    assert ex.params["preset"] == "custom"
    assert ex.controls["a12"].value == 1.5
    assert ex.controls["preset"].value == "custom"


def test_moving_a_slider_widget_goes_through_the_same_path(ex):
    ex.set(preset="identity")
    ex.controls["a21"].value = -1.25  # what the browser does
    s = ex.state
    assert s["A"][1, 0] == -1.25
    np.testing.assert_allclose(s["f"], np.maximum(0, s["grid"] @ s["A"].T))
    assert ex.params["preset"] == "custom"


def test_preset_dropdown_sets_the_sliders(ex):
    ex.controls["preset"].value = "xor"
    A, B = RELU_PRESETS["xor"]
    for letter, M in (("a", A), ("b", B)):
        for e, v in zip(ENTRIES, M.ravel(), strict=True):
            assert ex.controls[f"{letter}{e}"].value == pytest.approx(v)
    np.testing.assert_array_equal(ex.state["B"], B)


def test_xor_preset_computes_xor_on_the_corners(ex):
    ex.set(preset="xor")
    s = ex.state
    np.testing.assert_array_equal(s["xor_x"], [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_allclose(s["xor_y"][:, 0], [0, 1, 1, 0])
    # y1 = |x1 - x2| on the whole grid
    np.testing.assert_allclose(s["y"][:, 0], np.abs(s["grid"][:, 0] - s["grid"][:, 1]))
    assert (s["xor_y"][:, 0] > 0.5).astype(int).tolist() == s["xor_labels"].tolist()


def test_identity_preset_folds_onto_the_quadrant(ex):
    ex.set(preset="identity")
    s = ex.state
    np.testing.assert_array_equal(s["f"], np.maximum(0, s["grid"]))
    np.testing.assert_array_equal(s["y"], s["f"])
    inside = (s["grid"] > 0).all(axis=1)
    np.testing.assert_array_equal(s["pattern_f"][inside], 3)


def test_rotation_preset_is_orthogonal(ex):
    ex.set(preset="rotation")
    A, B = ex.state["A"], ex.state["B"]
    np.testing.assert_allclose(A @ A.T, np.eye(2), atol=1e-12)
    np.testing.assert_allclose(B @ A, np.eye(2), atol=1e-12)


@pytest.mark.parametrize("value", [-2.0, 2.0, 0.0])
def test_extreme_slider_values(ex, value, assert_png):
    ex.set(**{f"{m}{e}": value for m in "ab" for e in ENTRIES})
    s = ex.state
    assert np.isfinite(s["y"]).all()
    if value == 0.0:
        assert not s["active_f"].any() and not s["f"].any()
    else:
        assert np.abs(s["Ax"]).max() == pytest.approx(4 * abs(value) / 2)
    ax_lim = ex._axes[1].get_xlim()[1]
    assert ax_lim >= np.abs(s["Ax"]).max(), "axis limits must contain the data"
    assert_png(ex.png())


def test_render_changes_with_the_parameters(ex):
    ex.set(preset="identity")
    before = ex.png()
    ex.set(a11=-1.0)
    assert ex.png() != before


def test_blitted_frame_equals_a_full_redraw(ex, assert_blit_exact):
    ex.set(preset="rotation")
    ex.set(b22=0.3)
    assert_blit_exact(ex)


def test_bad_input_is_rejected_with_a_message(ex):
    with pytest.raises(ValueError, match="outside the slider range"):
        ex.set(a11=5.0)
    with pytest.raises(ValueError, match="unknown parameter 'a33'"):
        ex.set(a33=1.0)
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        ex.set(A=np.eye(3))
    with pytest.raises(ValueError, match="unknown preset 'shear'"):
        ex.set(preset="shear")
    with pytest.raises(ValueError, match="must be a number"):
        ex.set(b11="big")


def test_displays_as_its_widget(ex):
    bundle = ex._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
    assert "course-relu-explorer" in ex.widget._dom_classes
    assert "course-relu-slider-a11" in ex.controls["a11"]._dom_classes


def test_construction_with_a_preset_and_resolution():
    explorer = ReluExplorer(preset="xor", resolution=5)
    assert explorer.state["grid"].shape == (25, 2)
    assert explorer.params["preset"] == "xor"
    np.testing.assert_array_equal(explorer.state["A"], RELU_PRESETS["xor"][0])
    explorer.close()
    with pytest.raises(ValueError, match="unknown preset"):
        ReluExplorer(preset="shear")
