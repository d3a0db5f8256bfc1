"""Learning XOR (Goodfellow et al., *Deep Learning*, section 6.1) with one hidden ReLU layer.

The network is ``h = ReLU(W^T x + c)`` (two hidden units) and ``yhat = w^T h + b``. As in the book
the output is read as a regression on the 0/1 targets: the training loss is the mean squared
error ``J = 1/4 sum_x (yhat(x) - y(x))^2`` and a point is classified as 1 when ``yhat > 0.5``.
The book's solution ``W = [[1, 1], [1, 1]], c = [0, -1], w = [1, -2], b = 0`` gives
``yhat = 0, 1, 1, 0`` on ``(0,0), (0,1), (1,0), (1,1)``: all four points right, ``J = 0``.

Panels: the input space coloured by ``yhat`` (red: class 1, blue: class 0, white: the 0.5
boundary), the feature space ``h`` where the four points become linearly separable, the four
outputs against their targets, and the loss curve of the last training run.

The *train* button runs full-batch gradient descent (``course_lib.optim.SGD`` on
``course_lib.losses.MSELoss``) from a random start, in a background thread so that the *stop*
button keeps working, and animates the panels. Every click draws a new start from a
``np.random.Generator`` spawned from the explorer's seed. With only two hidden units about half of
the random starts reach the solution; the others end in a local minimum with a dead unit (press
train again). :meth:`XorExplorer.train` is the same loop, synchronous, for code and tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..data import xor
from .artists import DivergingColors, PixelImage
from .explorer import Explorer
from .rendering import nice_limit
from .xor_training import gradient_descent, load_weights, random_start, weights_of, xor_network

__all__ = ["XorExplorer", "xor_explorer", "XOR_PRESETS"]

XOR_PRESETS: dict[str, dict[str, Any]] = {
    "goodfellow": {
        "W": np.array([[1.0, 1.0], [1.0, 1.0]]),
        "c": np.array([0.0, -1.0]),
        "w": np.array([1.0, -2.0]),
        "b": 0.0,
    },
}
"""Preset name -> ``{"W": (2, 2), "c": (2,), "w": (2,), "b": float}``."""

_W_NAMES = ("W11", "W12", "W21", "W22")
_LIMIT = 4.0
_RES = 81
_CMAP = "RdBu_r"


class XorExplorer(Explorer):
    """Sliders for ``W, c, w, b`` of ``yhat = w^T ReLU(W^T x + c) + b``, training with animation.

    Parameters
    ----------
    seed : int or None
        Seed of the ``np.random.SeedSequence`` from which every *train* click spawns its
        generator (``None``: fresh entropy).
    lr : float
        Initial step size of gradient descent.
    steps : int
        Initial number of gradient steps per training run.
    dpi : float
        Resolution of the rendered image.

    Notes
    -----
    Parameters (``ex.params``; ``ex.set`` also takes ``W=(2, 2)``, ``c=(2,)``, ``w=(2,)``):
    ``W11, W12, W21, W22, c1, c2, w1, w2, b`` in [-4, 4] (``W[i, j]`` connects input ``i`` to
    hidden unit ``j``), ``preset`` (``"goodfellow"`` or ``"custom"``), ``lr``, ``steps``.

    State (``ex.state``): ``W (2, 2)``, ``c (2,)``, ``w (2,)``, ``b``; ``X (4, 2)`` the inputs,
    ``targets (4,)``; ``h (4, 2)`` hidden features; ``output (4,)`` ``yhat``; ``predicted (4,)``
    int (``yhat > 0.5``); ``correct (4,)`` bool; ``accuracy``; ``loss`` (MSE at the current
    parameters); ``grid_output (R, R)`` ``yhat`` over the input panel; ``loss_history (K,)`` of
    the last training run; ``training`` (bool); ``steps_done``; ``runs`` (train clicks so far);
    ``diverged`` (the last run overflowed and stopped).
    """

    kind = "xor"

    def __init__(
        self, seed: int | None = 0, lr: float = 0.1, steps: int = 2000, dpi: float = 72.0
    ) -> None:
        super().__init__(figsize=(12.0, 3.4), dpi=dpi)
        self._X, labels = xor()
        self._targets = labels.astype(np.float64)
        self._seeds = np.random.SeedSequence(seed)
        self._runs = 0
        self._history = np.zeros(0)
        self._steps_done = 0
        self._diverged = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._training = False
        g = np.linspace(-0.5, 1.5, _RES)
        gx, gy = np.meshgrid(g, g)
        self._grid = np.column_stack([gx.ravel(), gy.ravel()])
        self._h_limit = 0.0
        controls = widgets.HBox([*self._weight_columns(), self._training_column(lr, steps)])
        controls.add_class("course-xor-controls")
        self._model = xor_network()
        self._build_figure()
        self._finish([controls, self.image])

    def _weight_columns(self) -> list[widgets.VBox]:
        """The sliders of ``W``, ``c`` and ``w, b``, at the book's solution, in three columns."""
        p = XOR_PRESETS["goodfellow"]
        values = dict(zip(_W_NAMES, p["W"].ravel(), strict=True))
        values |= {f"c{i + 1}": v for i, v in enumerate(p["c"])}
        values |= {f"w{i + 1}": v for i, v in enumerate(p["w"])}
        values["b"] = p["b"]
        sliders = {
            n: self._slider(n, float(v), -_LIMIT, _LIMIT, 0.05, width="200px")
            for n, v in values.items()
        }
        self._weight_sliders = list(sliders.values())
        col = widgets.Layout(align_items="flex-start")
        columns = (
            ("<b>W</b> (input i -> unit j)", _W_NAMES),
            ("<b>c</b> (hidden bias)", ("c1", "c2")),
            ("<b>w, b</b> (output)", ("w1", "w2", "b")),
        )
        return [
            widgets.VBox([widgets.HTML(title), *(sliders[n] for n in names)], layout=col)
            for title, names in columns
        ]

    def _training_column(self, lr: float, steps: int) -> widgets.VBox:
        """The preset, the step size and steps of training, *train* / *stop* and the status."""
        self.preset = self._control(
            "preset",
            widgets.Dropdown,
            width="180px",
            label_width="45px",
            options=["goodfellow", "custom"],
            value="goodfellow",
            description="preset",
        )
        lr_slider = self._control(
            "lr",
            widgets.FloatLogSlider,
            width="260px",
            label_width="65px",
            value=lr,
            base=10,
            min=-3,
            max=0,
            step=0.1,
            description="step size",
            readout_format=".3f",
        )
        steps_slider = self._control(
            "steps",
            widgets.IntSlider,
            width="260px",
            label_width="45px",
            value=steps,
            min=100,
            max=10000,
            step=100,
            description="steps",
        )
        self.train_button = widgets.Button(description="train", icon="play", button_style="success")
        self.train_button.add_class("course-xor-train")
        self.stop_button = widgets.Button(description="stop", icon="stop", disabled=True)
        self.stop_button.add_class("course-xor-stop")
        self.train_button.on_click(lambda _: self.start_training())
        self.stop_button.on_click(lambda _: self.stop_training())
        self.status = widgets.HTML()
        self.status.add_class("course-xor-status")
        buttons = widgets.HBox([self.train_button, self.stop_button])
        return widgets.VBox(
            [self.preset, lr_slider, steps_slider, buttons, self.status],
            layout=widgets.Layout(align_items="flex-start"),
        )

    # ------------------------------------------------------------------------------------------
    def _build_figure(self) -> None:
        axes = self.figure.subplots(1, 4)
        self._axes = axes
        ax_in, ax_h, ax_out, ax_loss = axes
        self._colors = DivergingColors(_CMAP, -1.0, 0.5, 2.0, alpha=0.6)
        self._img_in = PixelImage(ax_in, (-0.5, 1.5, -0.5, 1.5))
        self._img_h = PixelImage(ax_h, (0.0, 1.0, 0.0, 1.0))
        for ax in (ax_in, ax_h):
            ax.set_aspect("equal", adjustable="box")
        ax_in.set_xlim(-0.5, 1.5)
        ax_in.set_ylim(-0.5, 1.5)
        self.renderer.add_dynamic(self._img_in, self._img_h)  # images first, under the points
        marks = {}
        for ax, key in ((ax_in, "in"), (ax_h, "h")):
            zero = ax.plot([], [], "o", ms=10, mfc="#1f77b4", mec="k", label="y = 0")[0]
            one = ax.plot([], [], "s", ms=10, mfc="#d62728", mec="k", label="y = 1")[0]
            wrong = ax.plot([], [], "x", ms=14, mew=2.5, color="k", label="misclassified")[0]
            marks[key] = (zero, one, wrong)
            self.renderer.add_dynamic(zero, one, wrong)
        self._marks = marks
        ax_in.set_title("input space: class 1 where ŷ > 0.5", fontsize=10)
        ax_in.set_xlabel("$x_1$")
        ax_in.set_ylabel("$x_2$")
        ax_h.set_title("feature space h = ReLU(Wᵀx + c)", fontsize=10)
        ax_h.set_xlabel("$h_1$")
        ax_h.set_ylabel("$h_2$")
        ax_in.legend(loc="upper center", fontsize=8, ncols=3, bbox_to_anchor=(0.5, -0.2))

        names = ["(0,0)", "(0,1)", "(1,0)", "(1,1)"]
        self._bars = ax_out.bar(range(4), np.zeros(4), color="0.6", width=0.6)
        ax_out.plot(range(4), self._targets, "_", ms=28, mew=3, color="k", label="target")
        ax_out.axhline(0.5, color="k", ls="--", lw=1, label="threshold 0.5")
        ax_out.set_xticks(range(4), names)
        ax_out.set_ylim(-1.0, 2.0)
        ax_out.set_xlabel("input x")
        ax_out.set_title("output ŷ = wᵀh + b", fontsize=10)
        ax_out.legend(loc="upper center", fontsize=8, ncols=2, bbox_to_anchor=(0.5, -0.2))
        self.renderer.add_dynamic(*self._bars.patches)

        (self._loss_line,) = ax_loss.semilogy([], [], color="#9467bd", lw=1.5)
        ax_loss.set_ylim(1e-6, 10.0)
        ax_loss.set_xlabel("gradient step")
        ax_loss.set_ylabel("MSE loss")
        ax_loss.set_title("loss of the last training run", fontsize=10)
        self.renderer.add_dynamic(self._loss_line)
        self._loss_xlim = 0

    # ------------------------------------------------------------------------------------------
    def _expand(self, values: dict[str, Any]) -> dict[str, Any]:
        explicit = any(k in values for k in ("W", "c", "w", "b", *_W_NAMES, "c1", "c2", "w1", "w2"))
        preset = values.get("preset")
        if preset is not None and preset != "custom":
            if preset not in XOR_PRESETS:
                raise ValueError(
                    f"XorExplorer.set: unknown preset {preset!r}; use {[*XOR_PRESETS, 'custom']}"
                )
            for key, v in XOR_PRESETS[preset].items():
                values.setdefault(key, v)
        elif preset is None and explicit:
            values["preset"] = "custom"
        for key, shape, names in (
            ("W", (2, 2), _W_NAMES),
            ("c", (2,), ("c1", "c2")),
            ("w", (2,), ("w1", "w2")),
        ):
            if key in values:
                arr = np.asarray(values.pop(key), dtype=np.float64)
                if arr.shape != shape:
                    raise ValueError(
                        f"XorExplorer.set: {key} must have shape {shape}, got {arr.shape}"
                    )
                for n, v in zip(names, arr.ravel(), strict=True):
                    values[n] = float(v)
        return values

    def _changed(self, changed: dict[str, Any]) -> None:
        if "steps" in changed:
            self._loss_xlim = 0  # new x range for the loss panel

    def _weights(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        p = self._params
        W = np.array([[p["W11"], p["W12"]], [p["W21"], p["W22"]]])
        return W, np.array([p["c1"], p["c2"]]), np.array([p["w1"], p["w2"]]), float(p["b"])

    def _compute(self) -> None:
        W, c, w, b = self._weights()
        X = self._X
        h = np.maximum(X @ W + c, 0.0)
        out = h @ w + b
        predicted = (out > 0.5).astype(np.int64)
        correct = predicted == self._targets.astype(np.int64)
        grid_out = np.maximum(self._grid @ W + c, 0.0) @ w + b
        self._state = {
            "W": W,
            "c": c,
            "w": w,
            "b": b,
            "X": X,
            "targets": self._targets,
            "h": h,
            "output": out,
            "predicted": predicted,
            "correct": correct,
            "accuracy": float(correct.mean()),
            "loss": float(np.mean((out - self._targets) ** 2)),
            "grid_output": grid_out.reshape(_RES, _RES),
            "loss_history": self._history,
            "training": self._training,
            "steps_done": self._steps_done,
            "runs": self._runs,
            "diverged": self._diverged,
        }

    def _draw(self) -> None:
        s = self._state
        w, b = s["w"], s["b"]
        self._img_in.set_data(self._colors(s["grid_output"]))
        h = s["h"]
        lim = nice_limit(float(h.max(initial=0.0)) * 1.15, (1.25, 2.5, 5.0, 10.0, 20.0, 40.0))
        if lim != self._h_limit:
            self._h_limit = lim
            ax_h = self._axes[1]
            ax_h.set_xlim(-0.08 * lim, lim)
            ax_h.set_ylim(-0.08 * lim, lim)
            self._img_h.set_extent((-0.08 * lim, lim, -0.08 * lim, lim))
            g = np.linspace(-0.08 * lim, lim, _RES)
            self._hgrid = np.stack(np.meshgrid(g, g), axis=-1)  # (R, R, 2)
            self.renderer.invalidate()
        self._img_h.set_data(self._colors(self._hgrid @ w + b))
        one = s["targets"] == 1
        wrong = ~s["correct"]
        for key, pts in (("in", s["X"]), ("h", h)):
            zero_m, one_m, wrong_m = self._marks[key]
            zero_m.set_data(pts[~one, 0], pts[~one, 1])
            one_m.set_data(pts[one, 0], pts[one, 1])
            wrong_m.set_data(pts[wrong, 0], pts[wrong, 1])
        for bar, value, cls in zip(self._bars.patches, s["output"], s["predicted"], strict=True):
            bar.set_height(float(np.clip(value, -1.5, 2.5)))
            bar.set_facecolor("#d62728" if cls else "#1f77b4")
        steps = int(self._params["steps"])
        if self._loss_xlim != max(steps, len(self._history)):
            self._loss_xlim = max(steps, len(self._history))
            self._axes[3].set_xlim(0, self._loss_xlim)
            self.renderer.invalidate()
        hist = self._history
        self._loss_line.set_data(np.arange(1, len(hist) + 1), hist)
        doing = "training" if s["training"] else "trained" if s["runs"] else "not trained yet"
        if s["diverged"]:
            doing = "diverged: the step size is too large"
        self.status.value = (
            f"<b>{int(s['correct'].sum())}/4 correct</b>, MSE {s['loss']:.4f}<br>"
            f"run {s['runs']} ({doing}): step {s['steps_done']}"
        )

    # ------------------------------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------------------------------
    def _show_model(self) -> None:
        """Copy the model's weights into the parameters (sliders clamp what they cannot show)."""
        with self._lock:
            W, c, w, b = weights_of(self._model)
            values = {n: float(v) for n, v in zip(_W_NAMES, W.ravel(), strict=True)}
            values.update(c1=float(c[0]), c2=float(c[1]), w1=float(w[0]), w2=float(w[1]))
            values.update(b=b, preset="custom")
            self._params.update(values)
            self._sync_controls(values)
            self.update()

    def train(
        self,
        steps: int | None = None,
        lr: float | None = None,
        seed: int | np.random.Generator | None = None,
        restart: bool = True,
        frame_every: int = 0,
        callback: Callable[[int, np.ndarray], None] | None = None,
        stop: threading.Event | None = None,
    ) -> np.ndarray:
        """Full-batch gradient descent on the MSE of the four XOR points, synchronously.

        Parameters
        ----------
        steps : int, optional
            Number of gradient steps (default: the *steps* slider).
        lr : float, optional
            Step size (default: the *step size* slider).
        seed : int or Generator, optional
            Randomness of the start; by default a generator spawned from the explorer's seed
            (a new one per call, as per click of *train*).
        restart : bool
            Start from random weights (``True``) or from the current parameters.
        frame_every : int
            Show the weights in the explorer every ``frame_every`` steps (0: only at the end).
        callback : callable, optional
            ``callback(step, losses_so_far)`` after each frame.
        stop : threading.Event, optional
            Training stops after the current step once this is set (the *stop* button).

        Returns
        -------
        np.ndarray
            The loss before each step, shape ``(steps_done,)``; shorter than ``steps`` when
            stopped with :meth:`stop_training` or when the loss overflowed (then the last step
            is undone and ``state["diverged"]`` is true).
        """
        steps = int(self._params["steps"] if steps is None else steps)
        lr = float(self._params["lr"] if lr is None else lr)
        if steps < 1:
            raise ValueError(f"XorExplorer.train: steps must be >= 1, got {steps}")
        self._begin_run(restart, seed)

        def show(done: int, losses: np.ndarray) -> None:
            self._history = losses
            self._steps_done = done
            self._show_model()
            if callback is not None:
                callback(done, losses)

        losses, self._diverged = gradient_descent(
            self._model, self._X, self._targets[:, None], steps, lr, stop, frame_every, show
        )
        show(len(losses), losses)
        return self._history.copy()

    def _begin_run(self, restart: bool, seed: int | np.random.Generator | None) -> None:
        """Count the run, set the network's start and clear the loss history (see :meth:`train`)."""
        with self._lock:
            self._runs += 1
            if not restart:
                load_weights(self._model, *self._weights())
            elif isinstance(seed, np.random.Generator):
                random_start(self._model, seed)
            else:  # None: a new generator spawned from the explorer's seed
                spawned = self._seeds.spawn(1)[0] if seed is None else seed
                random_start(self._model, np.random.default_rng(spawned))
            self._history = np.zeros(0)
            self._steps_done = 0

    def start_training(self, frame_every: int | None = None) -> threading.Thread:
        """Run :meth:`train` in a background thread, animating every ``frame_every`` steps.

        This is what the *train* button does; *stop* calls :meth:`stop_training`.

        Returns
        -------
        threading.Thread
            The training thread (already started).
        """
        if self._thread is not None and self._thread.is_alive():
            return self._thread
        steps = int(self._params["steps"])
        every = frame_every if frame_every is not None else max(10, steps // 80)
        self._stop = stop = threading.Event()
        self._set_training(True)

        def run() -> None:
            try:
                self.train(frame_every=every, stop=stop)
            finally:
                self._set_training(False)

        self._thread = threading.Thread(target=run, name="xor-explorer-training", daemon=True)
        self._thread.start()
        return self._thread

    def stop_training(self) -> None:
        """Ask the running background training to stop after its current step (else no-op)."""
        if self._thread is not None and self._thread.is_alive():
            self._stop.set()

    def _set_training(self, training: bool) -> None:
        with self._lock:
            self._training = training
            self.train_button.disabled = training
            self.stop_button.disabled = not training
            for control in (*self._weight_sliders, self.preset):
                control.disabled = training
            self._state["training"] = training
            if not training:
                self.update()


def xor_explorer(seed: int | None = 0, lr: float = 0.1, steps: int = 2000) -> XorExplorer:
    """Explore the XOR network ``yhat = w^T ReLU(W^T x + c) + b`` and train it.

    Parameters
    ----------
    seed : int or None
        Seed for the random starts of the *train* button.
    lr : float
        Initial step size.
    steps : int
        Initial number of gradient steps per run.

    Returns
    -------
    XorExplorer
        Starts at the book's solution ``W = [[1, 1], [1, 1]], c = [0, -1], w = [1, -2], b = 0``.
    """
    return XorExplorer(seed=seed, lr=lr, steps=steps)
