"""Activation functions side by side: ``f``, ``f'``, saturation, and what they do to a network.

Pick any elementwise activation of :data:`course_lib.activations.ACTIVATIONS`, set its parameter
(Leaky ReLU's ``negative_slope``, PReLU's initial ``a``, ELU's ``alpha``, GELU's ``approximate``)
and see

1. ``f(x)`` and ``f'(x)`` on ``[-4, 4]``, with the saturating region ``|f'(x)| < 0.05`` shaded
   (there the gradient that reaches earlier layers almost vanishes);
2. for a small training run (a 4-layer MLP ``2 -> 16 -> 16 -> 16 -> 2`` with this activation
   after each hidden layer, full-batch gradient descent on cross-entropy, 300 steps on
   ``course_lib.data.moons``, same seed for every activation), per hidden layer after training:

   - **dead** units: ``f'(z) = 0`` for every training point, i.e. a ReLU that is never active
     (no gradient ever flows through it again);
   - **saturated** units: ``|f'(z)| < 0.05`` for most (at least 90 %) of the training points
     (a ReLU that is off for half the points is sparse, not saturated);
   - the mean ``|f'(z)|`` over points and units, the factor by which the layer scales gradients;

3. the training loss, against ReLU's at the same step size.

Training results are cached per (activation, parameter, step size), so revisiting a setting is
instantaneous; a new setting trains once (a fraction of a second, a few seconds for the exact
GELU). The parameter sliders update when released (``continuous_update=False``) for that reason.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..data import moons
from .activation_training import (
    DEAD,
    ELEMENTWISE,
    MOST,
    SATURATION,
    TrainingStats,
    make_activation,
    train_mlp,
)
from .artists import Spans
from .explorer import Explorer

__all__ = [
    "ActivationExplorer",
    "activation_explorer",
    "TrainingStats",
    "make_activation",
    "train_mlp",
    "ELEMENTWISE",
    "SATURATION",
    "DEAD",
    "MOST",
]

_PRETTY = {
    "identity": "Identity (linear)",
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "prelu": "PReLU",
    "elu": "ELU",
    "gelu": "GELU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
}

#: Which parameter slider belongs to which activation.
_PARAM_OF = {
    "leaky_relu": "negative_slope",
    "prelu": "prelu_a",
    "elu": "elu_alpha",
    "gelu": "gelu_approximate",
}

_LAYER_COLORS = ("#d62728", "#ff7f0e", "#1f77b4")


class ActivationExplorer(Explorer):
    """A dropdown over the elementwise activations, their parameters, curves and unit statistics.

    Parameters
    ----------
    activation : str
        Initial activation, a key of :data:`ELEMENTWISE`.
    steps : int
        Gradient steps of each training run.
    n_points : int
        Size of the ``moons`` training set.
    seed : int
        Seed of the data and of the network's initial weights (shared by all activations).
    dpi : float
        Resolution of the rendered image.

    Notes
    -----
    Parameters (``ex.params``): ``activation``; ``negative_slope`` in [0, 0.5];
    ``prelu_a`` in [0, 1]; ``elu_alpha`` in [0.1, 3]; ``gelu_approximate`` ("none" or "tanh");
    ``lr`` (the training step size, one of 0.01, 0.03, 0.1, 0.3, 1.0).

    State (``ex.state``): ``x (M,)``, ``f (M,)``, ``df (M,)`` the curves; ``saturated_x (M,)``
    bool, ``|f'(x)| < 0.05``; ``name`` (e.g. ``"ELU(alpha=1.0)"``); ``losses (K,)``,
    ``reference_losses (K',)`` (ReLU); ``accuracy``; ``dead``, ``saturated``, ``mean_grad``
    ``(3,)`` per hidden layer after training (and ``*_init`` before); ``diverged``; ``cached``
    (whether this setting's training came from the cache); ``cache_size``.
    """

    kind = "activation"

    def __init__(
        self,
        activation: str = "relu",
        steps: int = 300,
        n_points: int = 200,
        seed: int = 0,
        dpi: float = 72.0,
    ) -> None:
        super().__init__(figsize=(11.0, 3.3), dpi=dpi)
        if activation not in ELEMENTWISE:
            raise ValueError(f"activation_explorer: unknown activation {activation!r}")
        self._steps = int(steps)
        self._seed = int(seed)
        self._X, self._y = moons(int(n_points), noise=0.15, rng=seed)
        self._cache: dict[tuple, TrainingStats] = {}
        self._x = np.linspace(-4.0, 4.0, 401)

        self.status = widgets.HTML()
        self.status.add_class("course-activation-status")
        self._build_figure()
        controls = widgets.HBox([self._build_controls(activation), self.status])
        controls.add_class("course-activation-controls")
        self._finish([controls, self.image])

    def _build_controls(self, activation: str) -> widgets.VBox:
        """The activation, the parameter of each (one shown at a time) and the training lr."""
        wide = {"width": "320px", "label_width": "95px"}  # a Layout each: hiding one hides one
        column = [
            self._control(
                "activation",
                widgets.Dropdown,
                options=[(_PRETTY.get(n, n), n) for n in ELEMENTWISE],
                value=activation,
                description="activation",
                **wide,
            )
        ]
        for name, value, lo, hi, step, description in (
            ("negative_slope", 0.01, 0.0, 0.5, 0.01, "negative_slope"),
            ("prelu_a", 0.25, 0.0, 1.0, 0.05, "a (initial)"),
            ("elu_alpha", 1.0, 0.1, 3.0, 0.1, "alpha"),
        ):
            column.append(
                self._control(
                    name,
                    widgets.FloatSlider,
                    value=value,
                    min=lo,
                    max=hi,
                    step=step,
                    description=description,
                    continuous_update=False,
                    **wide,
                )
            )
        for name, options, value, description in (
            ("gelu_approximate", ["none", "tanh"], "none", "approximate"),
            ("lr", [0.01, 0.03, 0.1, 0.3, 1.0], 0.1, "training lr"),
        ):
            column.append(
                self._control(
                    name,
                    widgets.Dropdown,
                    options=options,
                    value=value,
                    description=description,
                    **wide,
                )
            )
        return widgets.VBox(column)

    # ------------------------------------------------------------------------------------------
    def _build_figure(self) -> None:
        ax_f, ax_units, ax_loss = self.figure.subplots(
            1, 3, gridspec_kw={"width_ratios": [1.2, 1.0, 1.0]}
        )
        self._axes = (ax_f, ax_units, ax_loss)
        lo, hi = self._x[0], self._x[-1]
        self._saturated = Spans(ax_f, 4, color="0.82", linewidth=0)
        (self._f_line,) = ax_f.plot([], [], lw=2.2, color="#1f77b4", label="f(x)")
        (self._df_line,) = ax_f.plot([], [], lw=1.6, ls="--", color="#d62728", label="f'(x)")
        ax_f.fill_between([], [], color="0.82", label="|f'(x)| < 0.05 (saturated)")
        ax_f.axhline(0, color="k", lw=0.6)
        ax_f.axvline(0, color="k", lw=0.6)
        ax_f.set_xlim(lo, hi)
        ax_f.set_ylim(-3.3, 4.3)
        ax_f.set_xlabel("x")
        ax_f.set_title("activation and its derivative", fontsize=10)
        ax_f.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=3, fontsize=8)
        self.renderer.add_dynamic(*self._saturated.patches, self._f_line, self._df_line)

        groups = ("dead", "saturated", "mean |f'|")
        centers = np.arange(len(groups))
        self._bars = []
        for i in range(3):
            bars = ax_units.bar(
                centers + (i - 1) * 0.26,
                np.zeros(len(groups)),
                width=0.26,
                color=_LAYER_COLORS[i],
                label=f"hidden layer {i + 1}",
            )
            self._bars.append(bars)
            self.renderer.add_dynamic(*bars.patches)
        ax_units.set_xticks(centers, groups)
        ax_units.set_ylim(0, 1.05)
        ax_units.set_ylabel("fraction of units / mean")
        ax_units.set_title("hidden units after training", fontsize=10)
        ax_units.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=3, fontsize=8)

        (self._ref_line,) = ax_loss.plot([], [], color="0.6", lw=1.5, label="ReLU (reference)")
        (self._loss_line,) = ax_loss.plot([], [], color="#9467bd", lw=2, label="selected")
        ax_loss.set_xlim(0, self._steps)
        ax_loss.set_ylim(0, 1.2)
        ax_loss.set_xlabel("gradient step")
        ax_loss.set_ylabel("cross-entropy")
        ax_loss.set_title(f"training loss ({len(self._y)} moons points)", fontsize=10)
        ax_loss.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize=8)
        self.renderer.add_dynamic(self._ref_line, self._loss_line)

    # ------------------------------------------------------------------------------------------
    def _key(self, name: str, lr: float) -> tuple:
        param = _PARAM_OF.get(name)
        value = self._params[param] if param else None
        if isinstance(value, float):
            value = round(value, 9)
        return (name, value, float(lr))

    def training(self, name: str | None = None, lr: float | None = None) -> TrainingStats:
        """The (cached) training run for activation ``name`` at the current parameters.

        Parameters
        ----------
        name : str, optional
            Activation name; default the selected one.
        lr : float, optional
            Step size; default the selected one.

        Returns
        -------
        TrainingStats
        """
        name = self._params["activation"] if name is None else name
        lr = float(self._params["lr"] if lr is None else lr)
        key = self._key(name, lr)
        if key not in self._cache:
            self.status.value = (
                f"<div style='margin-left:16px'><i>training the MLP with {_PRETTY[name]} "
                f"(lr {lr:g}, {self._steps} steps)...</i></div>"
            )
            self._cache[key] = train_mlp(
                name, self._params, lr, self._X, self._y, steps=self._steps, seed=self._seed
            )
        return self._cache[key]

    def _compute(self) -> None:
        name = self._params["activation"]
        act = make_activation(name, self._params)
        x = self._x
        f = act.function(x)
        df = act.derivative(x)
        cached = self._key(name, float(self._params["lr"])) in self._cache
        stats = self.training()
        reference = self.training("relu")
        self._state = {
            "name": repr(act) if name not in ("relu", "sigmoid", "tanh", "identity") else name,
            "x": x,
            "f": f,
            "df": df,
            "saturated_x": np.abs(df) < SATURATION,
            "losses": stats.losses,
            "reference_losses": reference.losses,
            "accuracy": stats.accuracy,
            "dead": stats.dead,
            "saturated": stats.saturated,
            "mean_grad": stats.mean_grad,
            "dead_init": stats.dead_init,
            "saturated_init": stats.saturated_init,
            "mean_grad_init": stats.mean_grad_init,
            "diverged": stats.diverged,
            "cached": cached,
            "cache_size": len(self._cache),
            **stats.extra,
        }

    def _draw(self) -> None:
        s = self._state
        self._f_line.set_data(s["x"], s["f"])
        self._df_line.set_data(s["x"], s["df"])
        self._saturated.set_mask(s["x"], s["saturated_x"])
        values = np.stack([s["dead"], s["saturated"], np.clip(s["mean_grad"], 0, 1.05)])  # (3, L)
        for i, bars in enumerate(self._bars):
            for bar, v in zip(bars.patches, values[:, i], strict=True):
                bar.set_height(float(v))
        ref = s["reference_losses"]
        self._ref_line.set_data(np.arange(ref.size), ref)
        self._loss_line.set_data(np.arange(s["losses"].size), s["losses"])
        name = self._params["activation"]
        for param, control in self._controls.items():
            if param in _PARAM_OF.values():
                shown = _PARAM_OF.get(name) == param
                control.layout.display = None if shown else "none"
        rows = "".join(
            f"<tr><td>layer {i + 1}</td><td>{s['dead'][i]:.0%}</td><td>{s['saturated'][i]:.0%}"
            f"</td><td>{s['mean_grad'][i]:.3f}</td></tr>"
            for i in range(len(s["dead"]))
        )
        verdict = (
            f"<b style='color:#c0392b'>diverged after {s['losses'].size} steps: lower the lr</b>"
            if s["diverged"]
            else f"final loss {s['losses'][-1]:.3f}, training accuracy {s['accuracy']:.0%}"
        )
        learned = ""
        if "learned_a" in s:
            learned = "<br>learned a per layer: " + ", ".join(f"{a:.3f}" for a in s["learned_a"])
        self.status.value = (
            f"<div style='font-size:12px; margin-left:16px'><b>{s['name']}</b>: {verdict}"
            f"{learned}<table style='margin-top:4px; line-height:1.2'><tr><th></th><th>dead</th>"
            f"<th>saturated</th><th>mean |f'|</th></tr>{rows}</table></div>"
        )


def activation_explorer(activation: str = "relu", steps: int = 300) -> ActivationExplorer:
    """Compare activation functions: curves, saturation and dead units in a trained MLP.

    Parameters
    ----------
    activation : str
        Initial activation (``"relu"``, ``"leaky_relu"``, ``"prelu"``, ``"elu"``, ``"gelu"``,
        ``"sigmoid"``, ``"tanh"``, ``"identity"``).
    steps : int
        Gradient steps of each (cached) training run.

    Returns
    -------
    ActivationExplorer
    """
    return ActivationExplorer(activation=activation, steps=steps)
