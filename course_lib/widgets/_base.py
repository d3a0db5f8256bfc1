"""Shared machinery of the interactive explorers: one update path and a fast PNG renderer.

Every explorer is an :class:`Explorer`: plain-Python parameters (``ex.params``), derived arrays
(``ex.state``), a persistent matplotlib :class:`~matplotlib.figure.Figure` whose artists are
updated in place, and ``ex.widget``, an ipywidgets container. Controls and code go through the
same path::

    slider moves -> ex.set(name=value) -> validate -> ex.update()
                 -> _compute() (state) -> _draw() (artists) -> render() (PNG)

so a test can call ``ex.set(a11=2.0)`` and read ``ex.state`` without a browser, and a browser moves
the same code by moving the slider.

Rendering needs no ipympl: :class:`FigureRenderer` draws the figure once with Agg, keeps the
static part (axes, ticks, labels, legends) as a bitmap, and on each update restores that bitmap,
draws only the artists that change ("blitting") and encodes the result as PNG for an
``ipywidgets.Image``. A full redraw happens only when the static part changes (e.g. new axis
limits); explorers call :meth:`FigureRenderer.invalidate` then.
"""

from __future__ import annotations

import struct
import threading
import time
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import ipywidgets as widgets
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.transforms import Affine2D

__all__ = [
    "Explorer",
    "FigureRenderer",
    "DivergingColors",
    "PixelImage",
    "PointGroups",
    "Spans",
    "encode_png",
    "nice_limit",
]

_NICE_LIMITS = (1.25, 2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0)


def nice_limit(value: float, levels: Sequence[float] = _NICE_LIMITS) -> float:
    """The smallest of a few "nice" axis limits that is at least ``value``.

    Quantising limits keeps them constant while a slider moves, so the cached background
    stays valid and only rare slider moves pay for a full redraw.

    Parameters
    ----------
    value : float
        The largest absolute coordinate to show.
    levels : sequence of float
        Increasing candidate limits.

    Returns
    -------
    float
        A member of ``levels`` (the last one if ``value`` exceeds them all).
    """
    for level in levels:
        if value <= level:
            return float(level)
    return float(levels[-1])


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def encode_png(rgba: np.ndarray, compress_level: int = 1) -> bytes:
    """Encode an opaque RGBA image as an RGB PNG, quickly.

    PNG's per-row filters are what make general encoders slow; plots are mostly flat colour, so
    this writes every row with filter type 0 ("none") and lets zlib (level 1) find the runs. It
    is lossless and about twice as fast as Pillow's adaptive filtering at the same size.

    Parameters
    ----------
    rgba : np.ndarray
        ``uint8`` image of shape ``(H, W, 4)``; the alpha channel is dropped.
    compress_level : int
        zlib level, 0-9.

    Returns
    -------
    bytes
        A complete PNG file.
    """
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] not in (3, 4):
        raise ValueError(
            f"encode_png: expected uint8 (H, W, 3 or 4), got {rgba.dtype} {rgba.shape}"
        )
    height, width = rgba.shape[:2]
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # column 0: filter type 0
    rows[:, 1:].reshape(height, width, 3)[...] = rgba[:, :, :3]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", header),
            _png_chunk(b"IDAT", zlib.compress(rows, compress_level)),
            _png_chunk(b"IEND", b""),
        )
    )


class DivergingColors:
    """Map values to pre-blended RGBA bytes with a diverging colormap centred at ``vcenter``.

    ``imshow`` of a float array colour-maps and alpha-blends on every draw; giving it the final
    ``uint8`` RGBA instead roughly halves the cost of drawing the image.

    Parameters
    ----------
    cmap : str
        A matplotlib colormap name.
    vmin, vcenter, vmax : float
        Values mapped to the colormap's start, middle and end (two linear pieces).
    alpha : float
        Opacity, blended with white in advance.
    """

    def __init__(
        self, cmap: str, vmin: float, vcenter: float, vmax: float, alpha: float = 1.0
    ) -> None:
        import matplotlib

        rgb = matplotlib.colormaps[cmap](np.linspace(0.0, 1.0, 256))[:, :3]
        rgb = alpha * rgb + (1.0 - alpha)
        self.lut = np.concatenate([np.round(255 * rgb), np.full((256, 1), 255)], axis=1).astype(
            np.uint8
        )
        self.vmin, self.vcenter, self.vmax = float(vmin), float(vcenter), float(vmax)

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Colours of ``values`` (any shape ``S``), ``uint8`` of shape ``S + (4,)``."""
        v = np.asarray(values, dtype=np.float64)
        lo = 0.5 * (v - self.vmin) / (self.vcenter - self.vmin)
        hi = 0.5 + 0.5 * (v - self.vcenter) / (self.vmax - self.vcenter)
        u = np.where(v < self.vcenter, lo, hi)
        idx = np.clip(np.nan_to_num(u, nan=0.5) * 255.0 + 0.5, 0, 255).astype(np.intp)
        return self.lut[idx]


class PixelImage(Artist):
    """An RGBA image drawn pixel for pixel over a data rectangle of an axes (nearest neighbour).

    ``imshow`` resamples through matplotlib's general image pipeline on every draw; this artist
    maps the image to the rectangle's pixels with a cached numpy index and hands the result to
    the renderer, several times faster for a small image redrawn on every slider move. It is
    meant as a dynamic artist of a :class:`FigureRenderer` (it is not added to the axes).

    Parameters
    ----------
    ax : Axes
        The axes to draw in (clipped to its box).
    extent : (x0, x1, y0, y1)
        The data rectangle covered by the image; row 0 of the image is at ``y0`` (the bottom).
    """

    def __init__(self, ax: Axes, extent: tuple[float, float, float, float]) -> None:
        super().__init__()
        self.axes = ax
        self.set_figure(ax.figure)
        self.extent = tuple(float(v) for v in extent)
        self.rgba = np.zeros((1, 1, 4), dtype=np.uint8)
        self._index: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}

    def set_data(self, rgba: np.ndarray) -> None:
        """The image, ``uint8`` of shape ``(H, W, 4)``, row 0 at the bottom."""
        self.rgba = rgba
        self.stale = True

    def set_extent(self, extent: tuple[float, float, float, float]) -> None:
        """Move the image to the data rectangle ``(x0, x1, y0, y1)``."""
        self.extent = tuple(float(v) for v in extent)
        self.stale = True

    def draw(self, renderer: Any) -> None:
        """Resample to the rectangle's pixels and draw (clipped to the axes)."""
        if not self.get_visible():
            return
        x0, x1, y0, y1 = self.extent
        (px0, py0), (px1, py1) = self.axes.transData.transform([(x0, y0), (x1, y1)])
        left, bottom = round(px0), round(py0)
        width, height = round(px1) - left, round(py1) - bottom
        if width <= 0 or height <= 0:
            return
        key = (width, height, *self.rgba.shape[:2])
        if key not in self._index:
            rows_in, cols_in = self.rgba.shape[:2]
            rows = ((np.arange(height) + 0.5) * rows_in / height).astype(np.intp)
            cols = ((np.arange(width) + 0.5) * cols_in / width).astype(np.intp)
            # row 0 stays at the bottom: the renderer's image rows go up from (left, bottom)
            self._index[key] = (
                np.minimum(rows, rows_in - 1)[:, None],
                np.minimum(cols, cols_in - 1)[None, :],
            )
        rows, cols = self._index[key]
        gc = renderer.new_gc()
        gc.set_clip_rectangle(self.axes.bbox)
        renderer.draw_image(gc, left, bottom, np.ascontiguousarray(self.rgba[rows, cols]))
        gc.restore()
        self.stale = False


class PointGroups(Artist):
    """Groups of points, one colour per group, one marker shape: a light scatter plot.

    Each group is stamped with the renderer's ``draw_markers`` directly, which avoids the
    per-artist overhead of one ``Line2D`` per colour (several times cheaper for a few groups
    redrawn on every slider move). Meant as a dynamic artist of a :class:`FigureRenderer`.

    Parameters
    ----------
    ax : Axes
        Points are in its data coordinates, clipped to its box.
    colors : sequence of colours
        One per group.
    size : float
        Marker size in points (as ``Line2D``'s ``markersize``).
    marker : str
        A matplotlib marker, e.g. ``"o"``.
    """

    def __init__(
        self, ax: Axes, colors: Sequence[Any], size: float = 3.0, marker: str = "o"
    ) -> None:
        super().__init__()
        self.axes = ax
        self.set_figure(ax.figure)
        self.colors = [to_rgba(c) for c in colors]
        self.size = float(size)
        style = MarkerStyle(marker)
        self._path = style.get_path()
        self._transform = style.get_transform()
        self.groups: list[np.ndarray] = [np.zeros((0, 2)) for _ in self.colors]

    def set_groups(self, groups: Sequence[np.ndarray]) -> None:
        """The points of each group, arrays of shape ``(K_i, 2)``."""
        if len(groups) != len(self.colors):
            raise ValueError(f"PointGroups: expected {len(self.colors)} groups, got {len(groups)}")
        self.groups = [np.asarray(g, dtype=np.float64).reshape(-1, 2) for g in groups]
        self.stale = True

    def draw(self, renderer: Any) -> None:
        """Stamp the marker at every point of every non-empty group."""
        if not self.get_visible():
            return
        gc = renderer.new_gc()
        gc.set_clip_rectangle(self.axes.bbox)
        gc.set_linewidth(0.0)
        scale = Affine2D().scale(renderer.points_to_pixels(self.size))
        marker_transform = self._transform.frozen() + scale
        for points, color in zip(self.groups, self.colors, strict=True):
            if len(points):
                gc.set_foreground(color, isRGBA=True)
                renderer.draw_markers(
                    gc, self._path, marker_transform, Path(points), self.axes.transData, color
                )
        gc.restore()
        self.stale = False


class Spans:
    """Shaded vertical bands over the x-intervals where a mask is true (e.g. saturated regions).

    A fixed pool of ``Rectangle`` patches spanning the axes' height; cheaper to update and
    draw than an image or a ``fill_between`` rebuilt on every move.

    Parameters
    ----------
    ax : Axes
    n : int
        Maximum number of bands (extra intervals are merged into the last band).
    **style
        Patch properties, e.g. ``color="0.85"``.

    Attributes
    ----------
    patches : list of Rectangle
        Register them as dynamic artists.
    """

    def __init__(self, ax: Axes, n: int = 4, **style: Any) -> None:
        transform = ax.get_xaxis_transform()  # x in data, y in axes coordinates
        self.patches = [
            ax.add_patch(Rectangle((0, 0), 0, 1, transform=transform, zorder=0, **style))
            for _ in range(n)
        ]

    def set_mask(self, x: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
        """Show bands over the runs of ``mask`` along the increasing grid ``x``.

        Parameters
        ----------
        x, mask : np.ndarray
            Shape ``(M,)``; each band reaches half a grid step beyond its run.

        Returns
        -------
        list of (float, float)
            The bands' x-intervals.
        """
        m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
        starts = np.flatnonzero(~m[:-1] & m[1:])
        ends = np.flatnonzero(m[:-1] & ~m[1:]) - 1
        half = 0.5 * (x[1] - x[0]) if x.size > 1 else 0.0
        spans = [
            (float(x[a] - half), float(x[b] + half)) for a, b in zip(starts, ends, strict=True)
        ]
        n = len(self.patches)
        if len(spans) > n:
            spans = [*spans[: n - 1], (spans[n - 1][0], spans[-1][1])]
        for k, patch in enumerate(self.patches):
            visible = k < len(spans)
            patch.set_visible(visible)
            if visible:
                patch.set_x(spans[k][0])
                patch.set_width(spans[k][1] - spans[k][0])
        return spans


class FigureRenderer:
    """Render a persistent figure to PNG bytes, redrawing only the artists that change.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        A figure made with ``Figure(...)`` (not pyplot: no global state, no inline display).
        It gets an Agg canvas.
    compress_level : int
        zlib level of the PNG encoder; 1 is fast and still small for plots.

    Attributes
    ----------
    full_draws : int
        How many times the whole figure was drawn (first render and after invalidation).
    """

    def __init__(self, figure: Figure, compress_level: int = 1) -> None:
        self.figure = figure
        self.canvas = FigureCanvasAgg(figure)
        self.compress_level = int(compress_level)
        self._dynamic: list[Artist] = []
        self._background: Any = None
        self.full_draws = 0

    def add_dynamic(self, *artists: Artist) -> None:
        """Mark artists as changing: they are left out of the cached background.

        They are drawn in the order given, on top of the background.
        """
        for artist in artists:
            artist.set_animated(True)
            self._dynamic.append(artist)

    @property
    def dynamic(self) -> list[Artist]:
        """The artists redrawn on every render, in drawing order."""
        return list(self._dynamic)

    def invalidate(self) -> None:
        """Forget the cached background: the next render redraws the whole figure."""
        self._background = None

    def draw(self) -> None:
        """Bring the canvas up to date (restore the background, draw the dynamic artists)."""
        canvas = self.canvas
        if self._background is None:
            canvas.draw()  # animated (dynamic) artists are skipped by Figure.draw
            if self.full_draws == 0 and self.figure.get_layout_engine() is not None:
                # Freeze the layout found by the first draw: constrained layout is not
                # idempotent, and axes that moved would not match a cached background.
                self.figure.set_layout_engine("none")
            self._background = canvas.copy_from_bbox(self.figure.bbox)
            self.full_draws += 1
        else:
            canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for artist in self._dynamic:
            if artist.get_visible():
                artist.draw(renderer)

    def png(self) -> bytes:
        """Encode the canvas as PNG bytes (RGB, the figure background is opaque)."""
        return encode_png(np.asarray(self.canvas.buffer_rgba()), self.compress_level)

    def render(self) -> bytes:
        """:meth:`draw` then :meth:`png`."""
        self.draw()
        return self.png()


class Explorer:
    """Base class of the explorers: parameters, one update path, a figure rendered to an image.

    Subclasses set :attr:`kind` (used in CSS classes, e.g. ``"relu"`` gives the container class
    ``course-relu-explorer``), register their controls with :meth:`_add_control`, build the
    figure's artists, and implement :meth:`_compute` (parameters -> ``self._state``) and
    :meth:`_draw` (state -> artists, in place). They may override :meth:`_expand` (turn
    composite arguments such as ``A=`` into controls) and :meth:`_changed` (react to a change
    before the update, e.g. invalidate the background).

    Attributes
    ----------
    widget : ipywidgets.Box
        The displayable container (the explorer displays as this widget).
    image : ipywidgets.Image
        The rendered figure, PNG.
    figure : matplotlib.figure.Figure
        The persistent figure.
    renderer : FigureRenderer
    timings : dict
        ``{"update_ms": ..., "render_ms": ...}`` of the last update: the state and artist
        update, and the render to PNG.
    live : bool
        Render after every change (default). Code making many changes in a row can set it to
        ``False`` and call :meth:`render` at the end.
    """

    kind: ClassVar[str] = "explorer"

    def __init__(
        self, figsize: tuple[float, float], dpi: float = 72.0, layout: str | None = "constrained"
    ) -> None:
        self._lock = threading.RLock()
        self._params: dict[str, Any] = {}
        self._controls: dict[str, widgets.ValueWidget] = {}
        self._state: dict[str, Any] = {}
        self._syncing = False
        self.figure = Figure(figsize=figsize, dpi=dpi, layout=layout, facecolor="white")
        self.renderer = FigureRenderer(self.figure)
        # natural size (no stretching by the flex container), shrunk only to fit narrow outputs
        self.image = widgets.Image(
            format="png", layout=widgets.Layout(max_width="100%", align_self="flex-start")
        )
        self.image.add_class("course-explorer-image")
        self.image.add_class(f"course-{self.kind}-image")
        self.timings: dict[str, float] = {"update_ms": float("nan"), "render_ms": float("nan")}
        self.widget: widgets.Box = widgets.VBox()
        self.renders = 0
        self.live = True

    # ------------------------------------------------------------------------------------------
    # construction helpers
    # ------------------------------------------------------------------------------------------
    def _add_control(self, name: str, control: widgets.ValueWidget, css: str) -> None:
        """Register ``control`` as the widget of parameter ``name``.

        Parameters
        ----------
        name : str
            Parameter name, as accepted by :meth:`set`.
        control : ipywidgets.ValueWidget
            A slider, dropdown, ...; its current value becomes the parameter's value.
        css : str
            Kind of control for the CSS class ``course-<kind>-<css>-<name>``, e.g. ``"slider"``.
        """
        control.add_class(f"course-{self.kind}-{css}-{name}")
        control.add_class(f"course-{self.kind}-control")
        self._controls[name] = control
        self._params[name] = control.value
        control.observe(lambda change, name=name: self._from_control(name, change), "value")

    def _slider(
        self,
        name: str,
        value: float,
        lo: float,
        hi: float,
        step: float,
        description: str | None = None,
        width: str = "250px",
        readout_format: str = ".2f",
    ) -> widgets.FloatSlider:
        """Make and register a ``FloatSlider`` for parameter ``name`` (CSS ``...-slider-name``)."""
        slider = widgets.FloatSlider(
            value=value,
            min=lo,
            max=hi,
            step=step,
            description=description if description is not None else name,
            continuous_update=True,
            readout_format=readout_format,
            style={"description_width": "38px"},
            layout=widgets.Layout(width=width),
        )
        self._add_control(name, slider, "slider")
        return slider

    def _finish(self, children: Sequence[widgets.Widget]) -> None:
        """Build ``self.widget`` from ``children`` and draw the first frame."""
        self.widget = widgets.VBox(list(children))
        self.widget.add_class("course-explorer")
        self.widget.add_class(f"course-{self.kind}-explorer")
        self.update()

    # ------------------------------------------------------------------------------------------
    # the one update path
    # ------------------------------------------------------------------------------------------
    def _from_control(self, name: str, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        self.set(**{name: change["new"]})

    def set(self, **values: Any) -> None:
        """Change parameters (as the controls would) and update the state and the figure.

        Parameters
        ----------
        **values
            Parameter names (see :attr:`params`) and their new values; explorers also accept
            composite names (e.g. ``A=`` for the four entries of a matrix).

        Raises
        ------
        ValueError
            For an unknown name, a value outside the control's range or not among its options.
        """
        with self._lock:
            expanded = self._expand(dict(values))
            clean = {name: self._validate(name, value) for name, value in expanded.items()}
            self._params.update(clean)
            self._sync_controls(clean)
            self._changed(clean)
            self.update()

    def _expand(self, values: dict[str, Any]) -> dict[str, Any]:
        """Turn composite arguments into parameters; the default returns ``values``."""
        return values

    def _changed(self, changed: Mapping[str, Any]) -> None:
        """Hook called with the validated changes before :meth:`update`."""

    def _validate(self, name: str, value: Any) -> Any:
        if name not in self._params:
            known = ", ".join(sorted(self._params))
            raise ValueError(f"{type(self).__name__}.set: unknown parameter {name!r}; use {known}")
        control = self._controls.get(name)
        if control is None:
            return value
        if hasattr(control, "options"):
            options = [o[1] if isinstance(o, tuple) else o for o in control.options]
            if value not in options:
                raise ValueError(
                    f"{type(self).__name__}.set: {name}={value!r} is not one of {options}"
                )
            return value
        if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
            return bool(value)
        try:
            number = float(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"{type(self).__name__}.set: {name} must be a number, got {value!r}"
            ) from exc
        lo, hi = float(control.min), float(control.max)
        if isinstance(control, widgets.FloatLogSlider):
            lo, hi = control.base**lo, control.base**hi
        if not np.isfinite(number) or not lo - 1e-12 <= number <= hi + 1e-12:
            raise ValueError(
                f"{type(self).__name__}.set: {name}={value!r} is outside the slider range "
                f"[{lo:g}, {hi:g}]"
            )
        return int(round(number)) if isinstance(control, widgets.IntSlider) else number

    def _sync_controls(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` on the controls without triggering another update."""
        self._syncing = True
        try:
            for name, value in values.items():
                control = self._controls.get(name)
                if control is not None and control.value != value:
                    control.value = value
        finally:
            self._syncing = False

    def update(self, render: bool | None = None) -> None:
        """Recompute the state from the parameters, update the artists and render.

        Parameters
        ----------
        render : bool, optional
            Also draw the figure and send the PNG to :attr:`image`; default :attr:`live`.
        """
        with self._lock:
            t0 = time.perf_counter()
            self._compute()
            self._draw()
            self.timings["update_ms"] = 1e3 * (time.perf_counter() - t0)
            if self.live if render is None else render:
                self.render()

    def render(self) -> bytes:
        """Draw the figure and show it in :attr:`image`.

        Returns
        -------
        bytes
            The PNG.
        """
        with self._lock:
            t0 = time.perf_counter()
            png = self.renderer.render()
            self.image.value = png
            self.renders += 1
            self.timings["render_ms"] = 1e3 * (time.perf_counter() - t0)
            return png

    def _compute(self) -> None:
        """Parameters -> ``self._state``. Subclasses implement it."""
        raise NotImplementedError

    def _draw(self) -> None:
        """``self._state`` -> the figure's artists, updated in place. Subclasses implement it."""
        raise NotImplementedError

    # ------------------------------------------------------------------------------------------
    # read access
    # ------------------------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        """A copy of the current parameters (one per control), by name."""
        with self._lock:
            return dict(self._params)

    @property
    def state(self) -> dict[str, Any]:
        """A copy of the derived state: numpy arrays, numbers and strings, by name."""
        with self._lock:
            return {
                k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self._state.items()
            }

    @property
    def controls(self) -> dict[str, widgets.ValueWidget]:
        """The control widget of each parameter, by name."""
        return dict(self._controls)

    def png(self) -> bytes:
        """The PNG currently shown."""
        return bytes(self.image.value)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Display as :attr:`widget` in Jupyter."""
        return self.widget._repr_mimebundle_(**kwargs)

    def close(self) -> None:
        """Close the widgets (front-end models) of this explorer."""
        for control in self._controls.values():
            control.close()
        for w in _descendants(self.widget):
            w.close()
        self.image.close()

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={_short(v)}" for k, v in self._params.items())
        return f"{type(self).__name__}({shown})"


def _descendants(widget: widgets.Widget) -> Iterable[widgets.Widget]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return repr(value)
