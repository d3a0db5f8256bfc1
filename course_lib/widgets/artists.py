"""Light matplotlib artists for the explorers' changing parts, cheap to redraw on every move.

:class:`DivergingColors` turns values into ready-to-draw RGBA bytes, :class:`PixelImage` draws
such an image over a data rectangle, :class:`PointGroups` is a light scatter plot and
:class:`Spans` shades the x-intervals where a mask is true. Register them (or their patches) as
dynamic artists of a :class:`~course_lib.widgets.rendering.FigureRenderer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Rectangle
from matplotlib.path import Path
from matplotlib.transforms import Affine2D

__all__ = ["DivergingColors", "PixelImage", "PointGroups", "Spans"]


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
