"""From linear to nonlinear: how ``f = ReLU(Ax)`` folds the plane and ``y = ReLU(B f)`` folds again.

A grid of inputs ``x`` in ``[-1, 1]^2`` is pushed through the lecture's two-layer network without
biases::

    Ax  ->  f = ReLU(Ax)  ->  y = ReLU(B f) = ReLU(B ReLU(Ax))

Four panels show ``x``, ``Ax``, ``f`` (the plane folded onto the positive quadrant: every point
with a negative coordinate lands on an axis or the origin) and ``y``. A point's colour tells
which units are active (non-zero) in the layer of its panel: ``f`` for the first three panels,
``y`` for the last. The four XOR corners are drawn as large markers so one can see when a
network makes them linearly separable.

Presets
-------
``identity``
    ``A = B = I``: ``f`` keeps the positive quadrant and folds the rest onto the axes.
``rotation``
    ``A`` rotates by 45 degrees, ``B`` rotates back by -45 degrees.
``xor``
    ``A = [[1, -1], [-1, 1]]``, ``B = [[1, 1], [0, 0]]``: ``f = (ReLU(x1 - x2), ReLU(x2 - x1))``
    and ``y1 = f1 + f2 = |x1 - x2|``, which equals ``x1 XOR x2`` on the four corners of
    ``{0, 1}^2``; no bias is needed.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from .artists import PointGroups
from .explorer import Explorer
from .rendering import nice_limit

__all__ = ["ReluExplorer", "relu_explorer", "RELU_PRESETS"]

_S = np.sqrt(0.5)
RELU_PRESETS: dict[str, tuple[np.ndarray, np.ndarray]] = {
    "identity": (np.eye(2), np.eye(2)),
    "rotation": (np.array([[_S, -_S], [_S, _S]]), np.array([[_S, _S], [-_S, _S]])),
    "xor": (np.array([[1.0, -1.0], [-1.0, 1.0]]), np.array([[1.0, 1.0], [0.0, 0.0]])),
}
"""Preset name -> ``(A, B)``, each of shape ``(2, 2)``."""

#: Colours of the activity patterns: no unit, only unit 1, only unit 2, both units active.
PATTERN_COLORS = ("#9e9e9e", "#1f77b4", "#ff7f0e", "#2ca02c")
PATTERN_LABELS = ("no unit active", "unit 1 only", "unit 2 only", "both units")
_ENTRIES = ("11", "12", "21", "22")
_LIMIT = 2.0


def _grid(n: int, lo: float = -1.0, hi: float = 1.0) -> np.ndarray:
    """A regular ``n x n`` grid of points as a batch, shape ``(n * n, 2)``."""
    g = np.linspace(lo, hi, n)
    xx, yy = np.meshgrid(g, g)
    return np.column_stack([xx.ravel(), yy.ravel()])


def _grid_lines(n_lines: int, n_samples: int) -> np.ndarray:
    """Horizontal and vertical lines of ``[-1, 1]^2`` as one NaN-separated polyline.

    Returns
    -------
    np.ndarray
        Shape ``(2 * n_lines * (n_samples + 1), 2)``: each line's samples then a NaN row.
    """
    pos = np.linspace(-1.0, 1.0, n_lines)
    s = np.append(np.linspace(-1.0, 1.0, n_samples), np.nan)
    horizontal = np.stack(np.broadcast_arrays(s[None, :], pos[:, None]), axis=-1)
    horizontal[:, -1, :] = np.nan
    vertical = horizontal[..., ::-1]
    return np.concatenate([horizontal, vertical]).reshape(-1, 2)


class ReluExplorer(Explorer):
    """Sliders for ``A`` and ``B`` (2x2 each) and the four panels ``x, Ax, ReLU(Ax), y``.

    Parameters
    ----------
    resolution : int
        Grid points per axis; the grid has ``M = resolution**2`` points.
    preset : str
        Initial preset, a key of :data:`RELU_PRESETS`.
    dpi : float
        Resolution of the rendered image.

    Notes
    -----
    Parameters (``ex.params``, settable with ``ex.set``): ``a11, a12, a21, a22, b11, ..., b22``
    in [-2, 2] and ``preset`` (one of :data:`RELU_PRESETS` or ``"custom"``); ``ex.set(A=...,
    B=...)`` takes whole ``(2, 2)`` matrices. Moving a matrix slider switches the preset to
    ``"custom"``.

    State (``ex.state``): ``A, B (2, 2)``; ``grid (M, 2)`` the inputs ``x``; ``Ax (M, 2)``;
    ``f (M, 2) = max(0, Ax)``; ``Bf (M, 2)``; ``y (M, 2) = max(0, Bf)``; ``active_f``,
    ``active_y`` ``(M, 2)`` bool, which units are non-zero; ``pattern_f``, ``pattern_y`` ``(M,)``
    int in 0..3 (``unit1 + 2 * unit2``); ``xor_x (4, 2)``, ``xor_labels (4,)``, ``xor_y (4, 2)``
    the XOR corners and their outputs ``y``.
    """

    kind = "relu"

    def __init__(self, resolution: int = 21, preset: str = "identity", dpi: float = 72.0) -> None:
        super().__init__(figsize=(11.0, 3.5), dpi=dpi)
        if preset not in RELU_PRESETS:
            raise ValueError(f"relu_explorer: unknown preset {preset!r}; use {list(RELU_PRESETS)}")
        self._x = _grid(int(resolution))
        self._lines = _grid_lines(11, 41)
        self._corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        self._corner_labels = np.array([0, 1, 1, 0])
        self._limits: tuple[float, float] = (0.0, 0.0)

        A, B = RELU_PRESETS[preset]
        rows = []
        for letter, M in (("a", A), ("b", B)):
            sliders = [
                self._slider(f"{letter}{e}", float(v), -_LIMIT, _LIMIT, 0.05)
                for e, v in zip(_ENTRIES, M.ravel(), strict=True)
            ]
            grid = widgets.GridBox(
                sliders, layout=widgets.Layout(grid_template_columns="repeat(2, 260px)")
            )
            title = widgets.HTML(f"<b>{letter.upper()}</b>", layout=widgets.Layout(width="20px"))
            rows.append(widgets.HBox([title, grid], layout=widgets.Layout(align_items="center")))
        self.preset = widgets.Dropdown(
            options=[*RELU_PRESETS, "custom"],
            value=preset,
            description="preset",
            layout=widgets.Layout(width="180px"),
            style={"description_width": "45px"},
        )
        self._add_control("preset", self.preset, "dropdown")
        self._build_figure()
        controls = widgets.VBox([widgets.HBox([rows[0], self.preset]), rows[1]])
        controls.add_class("course-relu-controls")
        self._finish([controls, self.image])

    # ------------------------------------------------------------------------------------------
    def _build_figure(self) -> None:
        fig = self.figure
        axes = fig.subplots(1, 4)
        self._axes = axes
        titles = ("input x", "linear map Ax", "f = ReLU(Ax)", "y = ReLU(B f)")
        self._grid_lines: list[Line2D] = []
        self._points: list[PointGroups] = []
        self._xor_marks: list[list[Line2D]] = []
        for ax, title in zip(axes, titles, strict=True):
            ax.set_title(title, fontsize=11)
            ax.set_aspect("equal", adjustable="box")
            ax.axhline(0, color="k", lw=0.6, zorder=0)
            ax.axvline(0, color="k", lw=0.6, zorder=0)
            ax.tick_params(labelsize=8)
            # all grid lines in one path, separated by NaNs: one draw call instead of 22
            (grid_line,) = ax.plot([], [], color="0.75", lw=0.6)
            pts = PointGroups(ax, PATTERN_COLORS, size=3.0)  # one group per activity pattern
            marks = [
                ax.plot([], [], "o", ms=9, mfc="white", mec="k", mew=1.5, label="XOR = 0")[0],
                ax.plot([], [], "s", ms=9, mfc="k", mec="k", label="XOR = 1")[0],
            ]
            self._grid_lines.append(grid_line)
            self._points.append(pts)
            self._xor_marks.append(marks)
            if ax is axes[0]:  # the input grid never moves: it stays in the background
                self.renderer.add_dynamic(pts, *marks)
            else:
                self.renderer.add_dynamic(grid_line, pts, *marks)
        self._draw_lines_and_corners(0, self._lines, self._corners)
        # the positive quadrant, where ReLU leaves points unchanged
        self._quadrant = Rectangle((0, 0), 1e3, 1e3, color="#2ca02c", alpha=0.08, zorder=0)
        axes[1].add_patch(self._quadrant)
        axes[0].set_xlim(-1.25, 1.25)
        axes[0].set_ylim(-1.25, 1.25)
        axes[0].set_xlabel("$x_1$")
        axes[0].set_ylabel("$x_2$")
        pattern_handles = [
            Line2D([], [], ls="", marker="o", ms=4, mec="none", color=c, label=lbl)
            for c, lbl in zip(PATTERN_COLORS, PATTERN_LABELS, strict=True)
        ]
        fig.legend(
            handles=[*pattern_handles, *self._xor_marks[0]],
            loc="outside lower center",
            ncols=6,
            fontsize=9,
            frameon=False,
            title="colour: which units of f (panels 1-3) or of y (panel 4) are non-zero",
            title_fontsize=9,
        )

    def _draw_lines_and_corners(self, k: int, line: np.ndarray, corner: np.ndarray) -> None:
        """Panel ``k``: the mapped grid lines ``(P, 2)`` and XOR corners ``(4, 2)``."""
        self._grid_lines[k].set_data(line[:, 0], line[:, 1])
        is_one = self._corner_labels == 1
        self._xor_marks[k][0].set_data(corner[~is_one, 0], corner[~is_one, 1])
        self._xor_marks[k][1].set_data(corner[is_one, 0], corner[is_one, 1])

    def _expand(self, values: dict[str, Any]) -> dict[str, Any]:
        for letter in ("A", "B"):
            if letter in values:
                M = np.asarray(values.pop(letter), dtype=np.float64)
                if M.shape != (2, 2):
                    raise ValueError(
                        f"ReluExplorer.set: {letter} must have shape (2, 2), got {M.shape}"
                    )
                for e, v in zip(_ENTRIES, M.ravel(), strict=True):
                    values[f"{letter.lower()}{e}"] = float(v)
        preset = values.get("preset")
        if preset is not None and preset != "custom":
            if preset not in RELU_PRESETS:
                raise ValueError(
                    f"ReluExplorer.set: unknown preset {preset!r}; use {[*RELU_PRESETS, 'custom']}"
                )
            A, B = RELU_PRESETS[preset]
            for letter, M in (("a", A), ("b", B)):
                for e, v in zip(_ENTRIES, M.ravel(), strict=True):
                    values.setdefault(f"{letter}{e}", float(v))
        elif preset is None and any(k[0] in "ab" and k[1:] in _ENTRIES for k in values):
            values["preset"] = "custom"
        return values

    def _matrix(self, letter: str) -> np.ndarray:
        p = self._params
        return np.array(
            [[p[f"{letter}11"], p[f"{letter}12"]], [p[f"{letter}21"], p[f"{letter}22"]]]
        )

    # ------------------------------------------------------------------------------------------
    def _compute(self) -> None:
        A, B = self._matrix("a"), self._matrix("b")
        x = self._x
        Ax = x @ A.T
        f = np.maximum(Ax, 0.0)
        Bf = f @ B.T
        y = np.maximum(Bf, 0.0)
        active_f = Ax > 0
        active_y = Bf > 0
        c = self._corners
        self._state = {
            "A": A,
            "B": B,
            "grid": x,
            "Ax": Ax,
            "f": f,
            "Bf": Bf,
            "y": y,
            "active_f": active_f,
            "active_y": active_y,
            "pattern_f": active_f[:, 0] + 2 * active_f[:, 1],
            "pattern_y": active_y[:, 0] + 2 * active_y[:, 1],
            "xor_x": c,
            "xor_labels": self._corner_labels,
            "xor_y": np.maximum(np.maximum(c @ A.T, 0.0) @ B.T, 0.0),
        }

    def _draw(self) -> None:
        s = self._state
        A, B = s["A"], s["B"]
        lines = self._lines  # (L * (S + 1), 2), a NaN row after each line
        line_Ax = lines @ A.T
        line_f = np.maximum(line_Ax, 0.0)
        line_y = np.maximum(line_f @ B.T, 0.0)
        corners = s["xor_x"]
        corner_Ax = corners @ A.T
        corner_f = np.maximum(corner_Ax, 0.0)
        panels = (
            (None, s["grid"], s["pattern_f"], None),
            (line_Ax, s["Ax"], s["pattern_f"], corner_Ax),
            (line_f, s["f"], s["pattern_f"], corner_f),
            (line_y, s["y"], s["pattern_y"], s["xor_y"]),
        )
        for k, (line, pts, pattern, corner) in enumerate(panels):
            self._points[k].set_groups([pts[pattern == code] for code in range(4)])
            if line is not None:
                self._draw_lines_and_corners(k, line, corner)
        # quantised limits: the background only changes when a limit crosses a level
        lim_ax = nice_limit(float(np.abs(s["Ax"]).max(initial=0.0)))
        lim_y = nice_limit(float(s["y"].max(initial=0.0)))
        if (lim_ax, lim_y) != self._limits:
            self._limits = (lim_ax, lim_y)
            ax1, ax2, ax3 = self._axes[1:]
            ax1.set_xlim(-lim_ax, lim_ax)
            ax1.set_ylim(-lim_ax, lim_ax)
            for ax, lim in ((ax2, lim_ax), (ax3, lim_y)):
                ax.set_xlim(-0.1 * lim, lim)
                ax.set_ylim(-0.1 * lim, lim)
            self.renderer.invalidate()


def relu_explorer(preset: str = "identity", resolution: int = 21) -> ReluExplorer:
    """Explore ``f = ReLU(Ax)`` and ``y = ReLU(B ReLU(Ax))`` on a grid of inputs.

    Parameters
    ----------
    preset : {"identity", "rotation", "xor"}
        Initial matrices (see :data:`RELU_PRESETS`).
    resolution : int
        Grid points per axis.

    Returns
    -------
    ReluExplorer
        Display it (last expression of a cell); drive it with ``.set(A=..., B=...)``.
    """
    return ReluExplorer(resolution=resolution, preset=preset)
