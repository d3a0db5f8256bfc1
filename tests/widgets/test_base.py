"""The shared machinery: PNG encoding, the blitting renderer, artists, the update path."""

from __future__ import annotations

import io

import ipywidgets as widgets
import numpy as np
import pytest
from PIL import Image

import course_lib.widgets as cw
from course_lib.widgets.artists import DivergingColors, PixelImage, PointGroups, Spans
from course_lib.widgets.explorer import Explorer
from course_lib.widgets.png import encode_png
from course_lib.widgets.rendering import FigureRenderer, nice_limit


def test_package_exports_the_five_explorers():
    for name in ("relu", "xor", "activation", "cost", "backprop"):
        assert callable(getattr(cw, f"{name}_explorer"))
    assert issubclass(cw.ReluExplorer, cw.Explorer) and issubclass(cw.XorExplorer, cw.Explorer)


@pytest.mark.parametrize("shape", [(1, 1, 4), (7, 5, 4), (64, 33, 3)])
def test_encode_png_is_lossless(rng, shape):
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    decoded = np.asarray(Image.open(io.BytesIO(encode_png(img))))
    np.testing.assert_array_equal(decoded, img[:, :, :3])


def test_encode_png_rejects_other_arrays():
    with pytest.raises(ValueError, match="uint8"):
        encode_png(np.zeros((4, 4, 4)))


def test_nice_limit():
    assert nice_limit(0.0) == 1.25
    assert nice_limit(1.25) == 1.25
    assert nice_limit(1.3) == 2.5
    assert nice_limit(1e9) == 160.0
    assert nice_limit(3.0, (1.0, 2.0)) == 2.0


def test_diverging_colors_centre_and_ends():
    colors = DivergingColors("RdBu_r", -1.0, 0.5, 2.0, alpha=1.0)
    out = colors(np.array([[-5.0, 0.5, 9.0, np.nan]]))
    assert out.shape == (1, 4, 4) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 0], colors.lut[0])  # clipped below
    np.testing.assert_array_equal(out[0, 2], colors.lut[255])  # clipped above
    np.testing.assert_array_equal(out[0, 1], colors.lut[128])  # the centre
    assert (out[..., 3] == 255).all()
    faded = DivergingColors("RdBu_r", -1.0, 0.5, 2.0, alpha=0.5)
    assert (faded.lut[:, :3].astype(int) >= colors.lut[:, :3].astype(int) - 1).all()


class Counter(Explorer):
    """A minimal explorer: one slider ``a``, state ``{"square": a**2}``, one moving point."""

    kind = "counter"

    def __init__(self):
        super().__init__(figsize=(2, 2))
        self._slider("a", 1.0, -3.0, 3.0, 0.5)
        self.computed = 0
        ax = self.figure.add_subplot()
        ax.set_xlim(-3, 3)
        ax.set_ylim(0, 9)
        (self.point,) = ax.plot([], [], "o")
        self.renderer.add_dynamic(self.point)
        self._finish([self.image])

    def _compute(self):
        self.computed += 1
        self._state = {"square": self._params["a"] ** 2, "arr": np.arange(3)}

    def _draw(self):
        self.point.set_data([self._params["a"]], [self._state["square"]])


def test_update_path_from_code_and_from_the_widget():
    ex = Counter()
    assert ex.state["square"] == 1.0 and ex.computed == 1 and ex.renders == 1
    ex.set(a=2.0)
    assert ex.state["square"] == 4.0 and ex.controls["a"].value == 2.0
    assert ex.computed == 2, "syncing the slider must not trigger a second update"
    ex.controls["a"].value = -3.0
    assert ex.state["square"] == 9.0 and ex.computed == 3
    assert ex.timings["update_ms"] >= 0 and ex.timings["render_ms"] > 0
    assert "course-counter-slider-a" in ex.controls["a"]._dom_classes
    assert "course-counter-explorer" in ex.widget._dom_classes
    assert "course-counter-image" in ex.image._dom_classes
    assert "Counter(a=-3" in repr(ex)
    ex.close()


def test_live_false_defers_rendering():
    ex = Counter()
    renders = ex.renders
    ex.live = False
    ex.set(a=2.5)
    assert ex.state["square"] == 6.25 and ex.renders == renders
    before = ex.png()
    assert ex.render() != before and ex.renders == renders + 1


def test_state_is_a_copy():
    ex = Counter()
    ex.state["arr"][0] = 99
    assert ex.state["arr"][0] == 0
    ex.params["a"] = 0.0
    assert ex.params["a"] == 1.0


def test_renderer_redraws_the_background_only_when_invalidated():
    ex = Counter()
    full = ex.renderer.full_draws
    for a in (0.5, 1.5, -2.0):
        ex.set(a=a)
    assert ex.renderer.full_draws == full
    blitted = ex.png()
    ex.renderer.invalidate()
    assert ex.render() == blitted and ex.renderer.full_draws == full + 1
    assert ex.renderer.dynamic == [ex.point] and ex.point.get_animated()


def test_renderer_background_excludes_dynamic_artists():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2), dpi=50)
    renderer = FigureRenderer(fig)
    ax = fig.add_subplot()
    ax.set_axis_off()
    (line,) = ax.plot([0, 1], [0, 1], lw=8, color="k")
    renderer.add_dynamic(line)
    line.set_visible(False)
    empty = renderer.render()
    line.set_visible(True)
    drawn = renderer.render()
    assert empty != drawn
    pixels = np.asarray(Image.open(io.BytesIO(empty)))
    assert (pixels == 255).all(), "the cached background must not contain the moving line"


def test_validation_messages():
    ex = Counter()
    with pytest.raises(ValueError, match=r"unknown parameter 'b'; use a"):
        ex.set(b=1)
    with pytest.raises(ValueError, match=r"a=4.0 is outside the slider range \[-3, 3\]"):
        ex.set(a=4.0)
    with pytest.raises(ValueError, match="outside"):
        ex.set(a=float("nan"))
    assert ex.state["square"] == 1.0, "a rejected value must not change the state"


def test_displays_as_its_widget():
    ex = Counter()
    bundle = ex._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == ex.widget.model_id
    assert isinstance(ex.widget, widgets.VBox)


def _canvas_with_axes():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 2), dpi=50)
    renderer = FigureRenderer(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return renderer, ax


def _pixels(renderer):
    return np.asarray(Image.open(io.BytesIO(renderer.render())))


def test_spans_cover_the_runs_of_the_mask():
    renderer, ax = _canvas_with_axes()
    spans = Spans(ax, 2, color="k")
    x = np.linspace(0, 1, 11)
    mask = (x < 0.25) | (x > 0.75)
    got = spans.set_mask(x, mask)
    np.testing.assert_allclose(got, [(-0.05, 0.25), (0.75, 1.05)])
    assert [p.get_visible() for p in spans.patches] == [True, True]
    three = spans.set_mask(x, np.isin(np.arange(11), [0, 5, 10]))
    np.testing.assert_allclose(three, [(-0.05, 0.05), (0.45, 1.05)])  # merged into two
    assert spans.set_mask(x, np.zeros(11, bool)) == []
    assert not any(p.get_visible() for p in spans.patches)


def test_pixel_image_fills_its_rectangle():
    renderer, ax = _canvas_with_axes()
    image = PixelImage(ax, (0.0, 1.0, 0.0, 0.5))  # the lower half of the axes
    renderer.add_dynamic(image)
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., 3] = 255
    rgba[0, :, 0] = 255  # bottom row red
    rgba[1, :, 2] = 255  # top row blue
    image.set_data(rgba)
    px = _pixels(renderer)  # (100, 100, 3), row 0 at the top
    np.testing.assert_array_equal(px[95, 50], [255, 0, 0])  # near the bottom: red
    np.testing.assert_array_equal(px[55, 50], [0, 0, 255])  # just below the middle: blue
    np.testing.assert_array_equal(px[25, 50], [255, 255, 255])  # upper half: untouched


def test_point_groups_draw_each_group_in_its_colour():
    renderer, ax = _canvas_with_axes()
    points = PointGroups(ax, ["red", "blue"], size=8)
    renderer.add_dynamic(points)
    points.set_groups([np.array([[0.25, 0.5]]), np.array([[0.75, 0.5]])])
    px = _pixels(renderer)
    np.testing.assert_array_equal(px[50, 25], [255, 0, 0])
    np.testing.assert_array_equal(px[50, 75], [0, 0, 255])
    points.set_groups([np.zeros((0, 2)), np.zeros((0, 2))])
    assert (_pixels(renderer) == 255).all()
    with pytest.raises(ValueError, match="expected 2 groups"):
        points.set_groups([np.zeros((0, 2))])
