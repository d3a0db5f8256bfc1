"""Cost-function experiments: outliers, saturation, softmax gradients and output units.

Helpers for the cost-function lecture. Each computes with ``course_lib`` modules and losses, so
what a figure shows is what the library does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..activations import Sigmoid, Softmax
from ..losses import BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from ..modules import Linear, Sequential
from ..train import fit
from ._adam import fit_adam

__all__ = [
    "gaussian_nll",
    "fit_line",
    "per_point_pull",
    "plot_line_fits",
    "plot_pulls",
    "saturation_curves",
    "plot_saturation",
    "two_blobs",
    "logistic_weight_trajectory",
    "first_positive",
    "plot_softmax_gradient",
    "output_unit_curves",
    "plot_output_units",
]


def gaussian_nll(prediction: np.ndarray, target: np.ndarray, sigma: float) -> float:
    """Mean negative log-likelihood of ``target`` under ``N(prediction, sigma^2)``, per entry.

    ``mean((target - prediction)^2 / (2 sigma^2) + log(2 pi sigma^2) / 2)`` over all entries of
    the two arrays (same shape).
    """
    r = np.asarray(target, dtype=np.float64) - np.asarray(prediction, dtype=np.float64)
    return float(np.mean(r**2 / (2 * sigma**2) + 0.5 * np.log(2 * np.pi * sigma**2)))


def fit_line(
    loss: Loss, x: np.ndarray, t: np.ndarray, epochs: int = 150, lr: float = 0.1
) -> Linear:
    """Fit ``t = w x + b`` with Adam, full batch, starting from ``Linear(1, 1, rng=0)``.

    Parameters
    ----------
    loss : Loss
        E.g. ``MSELoss()`` or ``HuberLoss(1.0)``.
    x, t : np.ndarray
        Shapes ``(N, 1)`` each.

    Returns
    -------
    Linear
        The fitted line: ``weight`` of shape ``(1, 1)``, ``bias`` of shape ``(1,)``.
    """
    model = Linear(1, 1, rng=0)
    fit_adam(model, loss, x, t, epochs=epochs, lr=lr)
    return model


def per_point_pull(prediction: np.ndarray, target: np.ndarray, loss: Loss) -> np.ndarray:
    """``|dL/dprediction_n| * N``: how hard each of ``N`` points pulls on the fit.

    Multiplying by ``N`` undoes the loss's mean over the batch, so the numbers are per point.
    ``prediction`` and ``target`` have shape ``(N, 1)``; returns shape ``(N,)``.
    """
    loss(prediction, target)
    return np.abs(loss.backward()[:, 0]) * len(prediction)


def plot_line_fits(
    x: np.ndarray,
    t: np.ndarray,
    lines: Mapping[str, Linear],
    n_outliers: int,
    ax: Axes | None = None,
    true_line: tuple[float, float] = (2.0, 1.0),
) -> Axes:
    """Data (the last ``n_outliers`` rows marked as outliers), the true line and fitted lines."""
    ax = ax if ax is not None else plt.subplots(figsize=(5.5, 3.8))[1]
    k = len(x) - n_outliers
    ax.scatter(x[:k], t[:k], s=15, color="0.4", label="data")
    ax.scatter(x[k:], t[k:], s=40, color="tab:red", marker="x", label="outliers")
    grid = np.array([[x.min()], [x.max()]])
    slope, intercept = true_line
    ax.plot(grid, slope * grid + intercept, "k:", label=f"true line {slope:g}x + {intercept:g}")
    for name, model in lines.items():
        w, b = model.weight.data.item(), model.bias.data.item()
        ax.plot(grid, model(grid), lw=2, label=f"{name}: {w:.2f}x + {b:.2f}")
    ax.set_xlabel("x")
    ax.set_ylabel("t")
    ax.legend(fontsize="small")
    return ax


def plot_pulls(pulls: Mapping[str, np.ndarray], ax: Axes | None = None) -> Axes:
    """Side-by-side bars of each point's pull (shape ``(N,)`` per loss), one colour per loss."""
    ax = ax if ax is not None else plt.subplots(figsize=(5.5, 3.8))[1]
    width = 0.8 / max(1, len(pulls))
    for i, (name, pull) in enumerate(pulls.items()):
        offset = (i - (len(pulls) - 1) / 2) * width
        ax.bar(np.arange(len(pull)) + offset, pull, width=width, label=name)
    ax.set_xlabel("data point")
    ax.set_ylabel(r"$|\partial L / \partial \hat y_n|$ (per point)")
    ax.legend()
    return ax


def saturation_curves(z: np.ndarray) -> dict[str, np.ndarray]:
    """Cost and its gradient for target 1, sigmoid + squared error against cross-entropy.

    Both are computed with ``course_lib``: ``Sigmoid`` then ``MSELoss`` backpropagated through
    both modules, and ``BCEWithLogitsLoss`` on the logit.

    Parameters
    ----------
    z : np.ndarray
        Logits, shape ``(M, 1)``, one example each, all with target 1.

    Returns
    -------
    dict of str to np.ndarray
        ``"mse"``, ``"mse_grad"``, ``"ce"``, ``"ce_grad"``: per-example cost and
        ``dcost/dz``, shape ``(M, 1)`` each.
    """
    z = np.asarray(z, dtype=np.float64)
    ones, n = np.ones_like(z), len(z)
    sig, mse = Sigmoid(), MSELoss()
    p = sig(z)
    mse(p, ones)
    mse_grad = sig.backward(mse.backward()) * n  # per example: undo the mean over the batch
    bce = BCEWithLogitsLoss()
    bce(z, ones)
    return {
        "mse": (p - 1) ** 2,
        "mse_grad": mse_grad,
        "ce": np.logaddexp(0.0, -z),
        "ce_grad": bce.backward() * n,
    }


def plot_saturation(
    z: np.ndarray, curves: Mapping[str, np.ndarray], axes: Sequence[Axes] | None = None
) -> Figure:
    """Costs (left) and ``|dcost/dz|`` on a log scale (right) from :func:`saturation_curves`."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    left, right = axes
    left.plot(z, curves["mse"], label="sigmoid + squared error")
    left.plot(z, curves["ce"], label=r"cross-entropy $-\log\sigma(z)$")
    left.set_ylabel("cost for target $y = 1$")
    right.semilogy(z, np.abs(curves["mse_grad"]), label="sigmoid + squared error")
    right.semilogy(z, np.abs(curves["ce_grad"]), label="cross-entropy")
    right.set_ylabel(r"$|\partial J / \partial z|$")
    for ax in axes:
        ax.set_xlabel("logit z (z < 0: confidently wrong)")
        ax.legend(fontsize="small")
    return left.figure


def two_blobs(n_per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One feature, class 0 around -1 and class 1 around +1 (standard deviation 0.5).

    Returns
    -------
    X : np.ndarray
        Shape ``(2 n, 1)``, class 0 first.
    Y : np.ndarray
        0/1 targets, shape ``(2 n, 1)``.
    """
    X = np.concatenate(
        [rng.normal(-1, 0.5, size=(n_per_class, 1)), rng.normal(1, 0.5, size=(n_per_class, 1))]
    )
    Y = np.concatenate([np.zeros((n_per_class, 1)), np.ones((n_per_class, 1))])
    return X, Y


def logistic_weight_trajectory(
    X: np.ndarray,
    Y: np.ndarray,
    cross_entropy: bool,
    w0: float = -6.0,
    epochs: int = 400,
    lr: float = 0.5,
) -> np.ndarray:
    """Weight of a one-input logistic unit after each epoch of full-batch gradient descent.

    The unit starts at weight ``w0`` and bias 0. With ``cross_entropy`` it is trained as
    ``Linear`` + ``BCEWithLogitsLoss``, otherwise as ``Linear`` + ``Sigmoid`` + ``MSELoss``.

    Parameters
    ----------
    X, Y : np.ndarray
        Shapes ``(N, 1)`` each (0/1 targets).

    Returns
    -------
    np.ndarray
        Shape ``(epochs,)``.
    """
    layer = Linear(1, 1, rng=0)
    layer.weight.data[:] = w0
    layer.bias.data[:] = 0.0
    if cross_entropy:
        model, loss = layer, BCEWithLogitsLoss()
    else:
        model, loss = Sequential(layer, Sigmoid()), MSELoss()
    weights: list[float] = []
    fit(
        model,
        loss,
        X,
        Y,
        epochs=epochs,
        lr=lr,
        progress=False,
        callback=lambda epoch, history: weights.append(layer.weight.data.item()),
    )
    return np.array(weights)


def first_positive(values: np.ndarray) -> int | None:
    """1-based index of the first positive entry of a 1-D array (an epoch number), or None."""
    hits = np.flatnonzero(np.asarray(values) > 0)
    return int(hits[0]) + 1 if hits.size else None


def plot_softmax_gradient(z: np.ndarray, y: int, axes: Sequence[Axes] | None = None) -> Figure:
    """The cross-entropy gradient ``softmax(z) - onehot(y)`` and the softmax Jacobian.

    Parameters
    ----------
    z : np.ndarray
        Logits of one example, shape ``(C,)``.
    y : int
        The true class.
    axes : sequence of Axes, optional
        Two axes; a new figure by default.

    Returns
    -------
    Figure
        Left: bars of ``softmax(z)``, ``onehot(y)`` and their difference per class. Right: the
        ``C x C`` Jacobian ``diag(s) - s s^T`` as an image.
    """
    z = np.asarray(z, dtype=np.float64).reshape(-1)
    s = Softmax().function(z)
    onehot = np.eye(len(z))[y]
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw={"width_ratios": [1.6, 1]})
    left, right = axes
    k = np.arange(len(z))
    for i, (values, label) in enumerate(
        [(s, "softmax(z)"), (onehot, f"onehot(y = {y})"), (s - onehot, "gradient s - onehot")]
    ):
        left.bar(k + (i - 1) * 0.27, values, width=0.27, label=label)
    left.axhline(0, color="k", lw=0.5)
    left.set_xticks(k)
    left.set_xlabel("class")
    left.legend(fontsize="small")
    jac = np.diag(s) - np.outer(s, s)
    limit = np.abs(jac).max()
    image = right.imshow(jac, cmap="RdBu_r", vmin=-limit, vmax=limit)
    right.set_xticks(k)
    right.set_yticks(k)
    right.set_xlabel("j (logit $z_j$)")
    right.set_ylabel("i (probability $s_i$)")
    right.figure.colorbar(image, ax=right, shrink=0.8)
    return left.figure


def output_unit_curves(a: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Loss and its gradient in the pre-activation for the three classic output units.

    For a target of 1 (regression target 1, Bernoulli target 1, class 0 of three): the linear
    unit with the squared error ``(a - 1)^2``, the sigmoid unit with the binary cross-entropy,
    and a softmax over the logits ``(a, 0, 0)`` with the cross-entropy of class 0. All are
    computed with ``course_lib`` losses and their backward passes.

    Parameters
    ----------
    a : np.ndarray
        Pre-activations (logits), shape ``(M,)``.

    Returns
    -------
    dict of str to (np.ndarray, np.ndarray)
        Name -> (loss, gradient with respect to ``a``), shapes ``(M,)`` each.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 1)
    m, out = len(a), {}
    mse = MSELoss()
    values = (a - 1.0) ** 2
    mse(a, np.ones_like(a))
    out["linear + squared error"] = (values[:, 0], mse.backward()[:, 0] * m)
    bce = BCEWithLogitsLoss()
    bce(a, np.ones_like(a))
    out["sigmoid + binary cross-entropy"] = (np.logaddexp(0.0, -a)[:, 0], bce.backward()[:, 0] * m)
    logits = np.column_stack([a, np.zeros((m, 2))])
    ce = CrossEntropyLoss()
    ce(logits, np.zeros(m, dtype=np.int64))
    loss = np.logaddexp(np.logaddexp(a, 0.0), 0.0)[:, 0] - a[:, 0]  # -log softmax(z)_0
    out["softmax + cross-entropy"] = (loss, ce.backward()[:, 0] * m)
    return out


def plot_output_units(a: np.ndarray, axes: Sequence[Axes] | None = None) -> Figure:
    """One panel per output unit: its loss and ``dloss/da`` against the pre-activation ``a``."""
    curves = output_unit_curves(a)
    if axes is None:
        _, axes = plt.subplots(1, len(curves), figsize=(13, 3.3), sharex=True)
    for ax, (name, (loss, grad)) in zip(axes, curves.items(), strict=True):
        ax.plot(a, loss, lw=2, label="loss")
        ax.plot(a, grad, "--", label=r"$\partial \ell / \partial a$")
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("pre-activation $a$ (target: 1 / class 0)")
        ax.set_ylim(-3, 6)
        ax.legend(fontsize="small")
    return axes[0].figure
