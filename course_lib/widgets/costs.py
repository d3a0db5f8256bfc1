"""Cost functions: Euclidean (MSE) vs Huber under an outlier, cross-entropy vs MSE on a sigmoid.

Left: a noisy line with one outlier whose position is set with two sliders. Two straight lines
``t = slope * x + intercept`` are fitted: by least squares (the Euclidean / MSE loss, closed form)
and by the Huber loss with threshold ``delta`` (iteratively re-weighted least squares, which
converges to the exact Huber minimiser). The squared loss lets the outlier pull its line; Huber
grows only linearly beyond ``delta`` and barely moves.

Middle and right: a sigmoid output ``p = sigmoid(z)`` with target ``t``, as the logit ``z``
varies: the loss and the magnitude of its gradient with respect to ``z``

- cross-entropy ``-[t log p + (1 - t) log(1 - p)]``, gradient ``p - t``;
- squared error ``(p - t)^2``, gradient ``2 (p - t) p (1 - p)``.

Where the prediction is confidently wrong, the sigmoid saturates and the MSE gradient vanishes
(shaded: learning stalls), while cross-entropy's gradient stays near 1: the log undoes the exp.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..activations import sigmoid
from ..data import regression_with_outliers
from .artists import Spans
from .explorer import Explorer

__all__ = ["CostExplorer", "cost_explorer", "fit_least_squares", "fit_huber"]

STALL = 0.05
"""``|dMSE/dz|`` below this while the prediction is on the wrong side counts as stalled."""


def _design(x: np.ndarray) -> np.ndarray:
    """``[x, 1]`` rows, shape ``(N, 2)``, for a line ``slope * x + intercept``."""
    return np.column_stack([x, np.ones_like(x)])


def fit_least_squares(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The line minimising the mean squared error (closed form).

    Parameters
    ----------
    x, t : np.ndarray
        Inputs and targets, shape ``(N,)`` each.

    Returns
    -------
    np.ndarray
        ``(slope, intercept)``, shape ``(2,)``.
    """
    coef, *_ = np.linalg.lstsq(_design(x), t, rcond=None)
    return coef


def fit_huber(
    x: np.ndarray, t: np.ndarray, delta: float = 1.0, iterations: int = 100, tol: float = 1e-12
) -> tuple[np.ndarray, int]:
    """The line minimising the Huber loss, by iteratively re-weighted least squares.

    Each iteration solves a weighted least-squares problem with weights ``1`` for residuals
    ``|r| <= delta`` and ``delta / |r|`` beyond, the weights for which the weighted squared loss
    has the Huber loss's gradient at the current line. It starts from the least-squares line.

    Parameters
    ----------
    x, t : np.ndarray
        Shape ``(N,)`` each.
    delta : float
        Huber threshold (``HuberLoss(delta)``: quadratic inside, linear outside).
    iterations : int
        Maximum number of re-weightings.
    tol : float
        Stop when the coefficients move less than this.

    Returns
    -------
    coef : np.ndarray
        ``(slope, intercept)``, shape ``(2,)``.
    iterations : int
        Re-weightings used.
    """
    D = _design(x)
    coef = fit_least_squares(x, t)
    for k in range(1, iterations + 1):
        r = np.abs(D @ coef - t)
        w = np.where(r <= delta, 1.0, delta / np.maximum(r, 1e-300))
        DW = D * w[:, None]
        new = np.linalg.solve(DW.T @ D, DW.T @ t)
        moved = np.max(np.abs(new - coef))
        coef = new
        if moved < tol:
            return coef, k
    return coef, iterations


def _softplus(z: np.ndarray) -> np.ndarray:
    """``log(1 + exp(z))`` without overflow."""
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def sigmoid_losses(z: np.ndarray, target: int) -> dict[str, np.ndarray]:
    """Cross-entropy and squared error of ``p = sigmoid(z)`` against ``target``, and gradients.

    Parameters
    ----------
    z : np.ndarray
        Logits, shape ``(M,)``.
    target : {0, 1}

    Returns
    -------
    dict
        ``p, ce, mse, grad_ce, grad_mse``, each shape ``(M,)``; gradients are ``d/dz``.
    """
    p = sigmoid(z)
    ce = _softplus(-z) if target == 1 else _softplus(z)
    return {
        "p": p,
        "ce": ce,
        "mse": (p - target) ** 2,
        "grad_ce": p - target,
        "grad_mse": 2.0 * (p - target) * p * (1.0 - p),
    }


class CostExplorer(Explorer):
    """An outlier to drag (MSE vs Huber fits) and a logit to slide (cross-entropy vs MSE).

    Parameters
    ----------
    n : int
        Number of regression points (the last one is the outlier).
    seed : int
        Seed of the data.
    dpi : float
        Resolution of the rendered image.

    Notes
    -----
    Parameters (``ex.params``): ``outlier_x`` in [-2, 2], ``outlier_y`` in [-10, 30], ``delta``
    in [0.1, 5] (Huber threshold), ``logit`` in [-10, 10], ``target`` (0 or 1).

    State (``ex.state``): ``x (N,)``, ``t (N,)`` the data with the outlier last;
    ``w_mse (2,)``, ``w_huber (2,)`` the fitted ``(slope, intercept)``; ``huber_iterations``;
    ``true_line (2,)``; ``z (M,)`` logits; ``p, ce, mse, grad_ce, grad_mse (M,)``;
    ``stalled (M,)`` bool (wrong side and ``|dMSE/dz| < 0.05``); ``at_logit``: dict of
    ``p, ce, mse, grad_ce, grad_mse`` at the slider's logit.
    """

    kind = "cost"

    def __init__(self, n: int = 20, seed: int = 0, dpi: float = 72.0) -> None:
        super().__init__(figsize=(11.0, 3.4), dpi=dpi)
        x, t = regression_with_outliers(n=n, n_outliers=1, rng=seed)
        self._x, self._t = x[:, 0].copy(), t[:, 0].copy()
        self._true = np.array([2.0, 1.0])  # the generator's slope and intercept
        self._z = np.linspace(-10.0, 10.0, 401)
        ox = round(float(np.round(self._x[-1] / 0.05) * 0.05), 2)
        oy = round(float(np.clip(np.round(self._t[-1] / 0.5) * 0.5, -10, 30)), 1)
        style = {"description_width": "70px"}
        sliders = [
            self._slider("outlier_x", ox, -2.0, 2.0, 0.05, "outlier x", "300px"),
            self._slider("outlier_y", oy, -10.0, 30.0, 0.5, "outlier y", "300px"),
            self._slider("delta", 1.0, 0.1, 5.0, 0.1, "Huber δ", "300px"),
        ]
        logit = self._slider("logit", -4.0, -10.0, 10.0, 0.1, "logit z", "300px")
        target = widgets.Dropdown(
            options=[0, 1], value=1, description="target t", layout=widgets.Layout(width="160px")
        )
        self._add_control("target", target, "dropdown")
        for w in (*sliders, logit, target):
            w.style = style
        self.status = widgets.HTML()
        self.status.add_class("course-cost-status")
        self._build_figure()
        controls = widgets.HBox(
            [
                widgets.VBox([widgets.HTML("<b>regression</b>"), *sliders]),
                widgets.VBox([widgets.HTML("<b>classification</b>"), logit, target]),
                self.status,
            ]
        )
        controls.add_class("course-cost-controls")
        self._finish([controls, self.image])

    # ------------------------------------------------------------------------------------------
    def _build_figure(self) -> None:
        ax_reg, ax_loss, ax_grad = self.figure.subplots(1, 3)
        self._axes = (ax_reg, ax_loss, ax_grad)
        xs = np.array([-2.3, 2.3])
        ax_reg.plot(xs, self._true[0] * xs + self._true[1], ls=":", color="0.4", label="true line")
        (self._inliers,) = ax_reg.plot([], [], "o", ms=4, color="0.35", label="data")
        (self._outlier,) = ax_reg.plot(
            [], [], "*", ms=16, color="#d62728", mec="k", mew=0.8, label="outlier (sliders)"
        )
        (self._mse_fit,) = ax_reg.plot([], [], lw=2, color="#1f77b4", label="MSE fit")
        (self._huber_fit,) = ax_reg.plot([], [], lw=2, color="#2ca02c", label="Huber fit")
        ax_reg.set_xlim(-2.3, 2.3)
        ax_reg.set_ylim(-12, 32)
        ax_reg.set_xlabel("x")
        ax_reg.set_ylabel("t")
        ax_reg.set_title("regression: outlier vs fitted lines", fontsize=10)
        ax_reg.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=3, fontsize=8)
        self.renderer.add_dynamic(self._inliers, self._outlier, self._mse_fit, self._huber_fit)

        z = self._z
        self._stalls = []
        for ax, top in ((ax_loss, 6.0), (ax_grad, 1.05)):
            self._stalls.append(Spans(ax, 2, color="#fad7a0", linewidth=0))
            ax.set_xlim(z[0], z[-1])
            ax.set_ylim(0, top)
            ax.set_xlabel("logit z   (p = sigmoid(z))")
        self.renderer.add_dynamic(*(p for spans in self._stalls for p in spans.patches))
        (self._ce_line,) = ax_loss.plot([], [], lw=2, color="#9467bd", label="cross-entropy")
        (self._mse_line,) = ax_loss.plot([], [], lw=2, color="#ff7f0e", label="MSE (p - t)²")
        (self._ce_g,) = ax_grad.plot([], [], lw=2, color="#9467bd", label="|dCE/dz| = |p - t|")
        (self._mse_g,) = ax_grad.plot([], [], lw=2, color="#ff7f0e", label="|dMSE/dz|")
        purple, orange = "#9467bd", "#ff7f0e"
        marks = [
            ax.plot([], [], "o", ms=8, color=c, mec="k")[0]
            for ax, c in (
                (ax_loss, purple),
                (ax_loss, orange),
                (ax_grad, purple),
                (ax_grad, orange),
            )
        ]
        self._marks = marks
        self._zline = [ax.axvline(0, color="k", lw=0.8, ls="--") for ax in (ax_loss, ax_grad)]
        ax_loss.fill_between([], [], color="#fad7a0", label="MSE stalls (wrong, flat)")
        ax_loss.set_title("loss of a sigmoid output", fontsize=10)
        ax_loss.set_ylabel("loss")
        ax_grad.set_title("gradient magnitude w.r.t. the logit", fontsize=10)
        ax_loss.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=8)
        ax_grad.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=8)
        self.renderer.add_dynamic(
            self._ce_line, self._mse_line, self._ce_g, self._mse_g, *self._zline, *marks
        )

    # ------------------------------------------------------------------------------------------
    def _compute(self) -> None:
        p = self._params
        x = self._x.copy()
        t = self._t.copy()
        x[-1], t[-1] = p["outlier_x"], p["outlier_y"]
        w_mse = fit_least_squares(x, t)
        w_huber, iterations = fit_huber(x, t, float(p["delta"]))
        target = int(p["target"])
        curves = sigmoid_losses(self._z, target)
        at = {k: float(v[0]) for k, v in sigmoid_losses(np.array([p["logit"]]), target).items()}
        stalled = (np.abs(curves["p"] - target) > 0.5) & (np.abs(curves["grad_mse"]) < STALL)
        self._state = {
            "x": x,
            "t": t,
            "w_mse": w_mse,
            "w_huber": w_huber,
            "huber_iterations": iterations,
            "true_line": self._true,
            "z": self._z,
            **curves,
            "stalled": stalled,
            "at_logit": at,
        }

    def _draw(self) -> None:
        s = self._state
        x, t = s["x"], s["t"]
        self._inliers.set_data(x[:-1], t[:-1])
        self._outlier.set_data(x[-1:], t[-1:])
        xs = np.array([-2.3, 2.3])
        self._mse_fit.set_data(xs, s["w_mse"][0] * xs + s["w_mse"][1])
        self._huber_fit.set_data(xs, s["w_huber"][0] * xs + s["w_huber"][1])
        z = s["z"]
        for spans in self._stalls:
            spans.set_mask(z, s["stalled"])
        self._ce_line.set_data(z, s["ce"])
        self._mse_line.set_data(z, s["mse"])
        self._ce_g.set_data(z, np.abs(s["grad_ce"]))
        self._mse_g.set_data(z, np.abs(s["grad_mse"]))
        z0 = float(self._params["logit"])
        at = s["at_logit"]
        values = (at["ce"], at["mse"], abs(at["grad_ce"]), abs(at["grad_mse"]))
        for mark, v in zip(self._marks, values, strict=True):
            mark.set_data([z0], [v])
        for line in self._zline:
            line.set_xdata([z0, z0])
        (m1, b1), (m2, b2) = s["w_mse"], s["w_huber"]
        self.status.value = (
            "<div style='font-size:12px; margin-left:16px'>"
            f"<b>MSE fit</b>: t = {m1:.2f} x + {b1:.2f}<br>"
            f"<b>Huber fit</b>: t = {m2:.2f} x + {b2:.2f} ({s['huber_iterations']} IRLS steps)<br>"
            f"true line: t = {self._true[0]:.2f} x + {self._true[1]:.2f}<br><br>"
            f"at z = {z0:.1f}: p = {at['p']:.4f}<br>"
            f"CE = {at['ce']:.3f}, |dCE/dz| = {abs(at['grad_ce']):.4f}<br>"
            f"MSE = {at['mse']:.3f}, |dMSE/dz| = {abs(at['grad_mse']):.4f}</div>"
        )


def cost_explorer(n: int = 20, seed: int = 0) -> CostExplorer:
    """Compare MSE with Huber on data with an outlier, and cross-entropy with MSE on a sigmoid.

    Parameters
    ----------
    n : int
        Number of regression points, the last one being the movable outlier.
    seed : int
        Seed of the data.

    Returns
    -------
    CostExplorer
    """
    return CostExplorer(n=n, seed=seed)
