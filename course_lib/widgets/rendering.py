"""Rendering a persistent figure to PNG by blitting, and axis limits that keep it cached.

:class:`FigureRenderer` draws the figure once with Agg, keeps the static part (axes, ticks,
labels, legends) as a bitmap, and on each update restores that bitmap, draws only the artists
that change ("blitting") and encodes the result as PNG for an ``ipywidgets.Image``. A full redraw
happens only when the static part changes (e.g. new axis limits); explorers call
:meth:`FigureRenderer.invalidate` then. :func:`nice_limit` quantises axis limits so that this
is rare.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .png import encode_png

__all__ = ["FigureRenderer", "nice_limit"]

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
