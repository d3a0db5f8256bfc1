"""Experiments and figures of part 6 (architecture, width and depth).

- :func:`n_params`, :func:`mlp`: count parameters, build an MLP from a list of widths.
- :func:`relu_interpolant`, :func:`plot_interpolant`: the constructive universal approximation
  of a 1-D function by one hidden layer of ReLUs.
- :func:`torch_default_init`, :func:`spread_kinks`, :func:`train_one_hidden_layer`: how the
  initial biases place a 1-D ReLU network's kinks, and what training makes of it.
- :func:`depth_vs_width`, :func:`plot_accuracy_by_architecture`: the same parameter budget
  spent on different depths, several seeds each.
- :func:`hidden_unit_mosaic`, :func:`plot_hidden_units`: every hidden unit's activation over
  the input plane.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from ..activations import ReLU
from ..losses import CrossEntropyLoss, MSELoss
from ..mlp import mlp
from ..modules import Linear, Module, Sequential
from ..optim import Adam
from ..plotting import grid_points
from ..train import accuracy, fit
from ..utils import as_rng
from ._adam import fit_adam

__all__ = [
    "n_params",
    "mlp",
    "relu_interpolant",
    "plot_interpolant",
    "torch_default_init",
    "spread_kinks",
    "kinks",
    "first_layer",
    "train_one_hidden_layer",
    "DepthWidthResult",
    "depth_vs_width",
    "plot_accuracy_by_architecture",
    "hidden_unit_mosaic",
    "plot_hidden_units",
]


def n_params(model: Module) -> int:
    """Number of scalar parameters of ``model`` (weights and biases of every layer)."""
    return int(sum(p.data.size for p in model.parameters()))


def relu_interpolant(
    f: Callable[[np.ndarray], np.ndarray], n_units: int, lo: float = -2.0, hi: float = 2.0
) -> Sequential:
    """A ``1-n-1`` ReLU network that interpolates ``f`` at ``n + 1`` equally spaced knots.

    With knots ``k_0 < ... < k_n`` and slopes ``s_j = (f(k_{j+1}) - f(k_j)) / (k_{j+1} - k_j)``,
    hidden unit ``j`` computes ``ReLU(x - k_j)`` and the output is
    ``f(k_0) + s_0 ReLU(x - k_0) + sum_{j>=1} (s_j - s_{j-1}) ReLU(x - k_j)``: linear between
    the knots, exact at them.

    Parameters
    ----------
    f : callable
        Maps an array of shape ``(M,)`` to ``(M,)``.
    n_units : int
        Hidden units ``n`` (at least 1).
    lo, hi : float
        The interval ``[k_0, k_n]``.

    Returns
    -------
    Sequential
        ``Linear(1, n), ReLU, Linear(n, 1)``: maps ``(N, 1)`` to ``(N, 1)``.
    """
    if n_units < 1:
        raise ValueError(f"relu_interpolant: n_units must be >= 1, got {n_units}")
    knots = np.linspace(lo, hi, n_units + 1)
    values = np.asarray(f(knots), dtype=np.float64).reshape(-1)
    slopes = np.diff(values) / np.diff(knots)
    net = Sequential(Linear(1, n_units), ReLU(), Linear(n_units, 1))
    net[0].weight.data[:] = 1.0
    net[0].bias.data[:] = -knots[:-1]
    net[2].weight.data[0] = np.concatenate([[slopes[0]], np.diff(slopes)])
    net[2].bias.data[:] = values[0]
    return net


def plot_interpolant(
    f: Callable[[np.ndarray], np.ndarray],
    n_units: int,
    ax: Axes | None = None,
    lo: float = -2.0,
    hi: float = 2.0,
    points: int = 801,
) -> float:
    """Draw ``f`` and its :func:`relu_interpolant` with ``n_units`` units; return the max error.

    Parameters
    ----------
    f : callable
        ``(M,) -> (M,)``.
    n_units : int
        Hidden units.
    ax : Axes, optional
        Where to draw; a new figure otherwise.
    lo, hi : float
        Interval.
    points : int
        Samples of the interval where the error is measured.

    Returns
    -------
    float
        ``max |net(x) - f(x)|`` over the samples.
    """
    xs = np.linspace(lo, hi, points)[:, None]
    net = relu_interpolant(f, n_units, lo, hi)
    target = np.asarray(f(xs[:, 0])).reshape(-1, 1)
    err = float(np.max(np.abs(net(xs) - target)))
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3))
    ax.plot(xs, target, "k", lw=3, alpha=0.3, label="target")
    ax.plot(xs, net(xs), label=f"{n_units} ReLU units")
    ax.set_title(f"{n_units} hidden units: max error {err:.3f}", fontsize="medium")
    ax.legend(fontsize="small", loc="upper center")
    return err


def torch_default_init(layer: Linear, rng: np.random.Generator | int | None = None) -> Linear:
    """Redraw a layer's parameters as ``torch.nn.Linear`` initialises them; returns the layer.

    PyTorch draws the weight *and* the bias from ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``;
    ``course_lib.Linear`` uses He-normal weights and zero biases.

    Parameters
    ----------
    layer : Linear
        Changed in place: ``weight`` ``(D_out, D_in)`` and ``bias`` ``(D_out,)``.
    rng : np.random.Generator, int or None
        Randomness.

    Returns
    -------
    Linear
        The same layer.
    """
    g = as_rng(rng)
    bound = 1.0 / np.sqrt(layer.in_features)
    layer.weight.data[:] = g.uniform(-bound, bound, size=layer.weight.data.shape)
    if layer.bias is not None:
        layer.bias.data[:] = g.uniform(-bound, bound, size=layer.bias.data.shape)
    return layer


def spread_kinks(
    layer: Linear, lo: float, hi: float, rng: np.random.Generator | int | None = None
) -> Linear:
    """Set the biases of a ``Linear(1, n)`` so that unit ``j``'s kink sits at a uniform point.

    Unit ``j`` of ``ReLU(w_j x + b_j)`` has its kink where ``w_j x + b_j = 0``, at
    ``x = -b_j / w_j``; we draw the kinks from ``U(lo, hi)`` and set ``b_j = -w_j k_j``.

    Parameters
    ----------
    layer : Linear
        A layer with one input; its ``bias`` ``(n,)`` is changed in place.
    lo, hi : float
        Interval of the kinks.
    rng : np.random.Generator, int or None
        Randomness.

    Returns
    -------
    Linear
        The same layer.
    """
    if layer.in_features != 1 or layer.bias is None:
        raise ValueError("spread_kinks: expected a Linear(1, n) layer with a bias")
    points = as_rng(rng).uniform(lo, hi, layer.out_features)
    layer.bias.data[:] = -layer.weight.data[:, 0] * points
    return layer


def kinks(layer: Linear) -> np.ndarray:
    """Kink positions ``-b_j / w_j`` of the units of a ``Linear(1, n)``, shape ``(n,)``."""
    if layer.in_features != 1 or layer.bias is None:
        raise ValueError("kinks: expected a Linear(1, n) layer with a bias")
    return -layer.bias.data / layer.weight.data[:, 0]


def first_layer(
    width: int,
    init: str = "spread",
    *,
    seed: int = 0,
    lo: float = -2.0,
    hi: float = 2.0,
) -> Linear:
    """The hidden layer ``Linear(1, width)`` of a 1-D ReLU network, initialised one of three ways.

    Parameters
    ----------
    width : int
        Hidden units.
    init : {"spread", "course_lib", "torch"}
        ``"course_lib"``: the default ``Linear`` (He-normal weights, zero biases: every kink at
        0); ``"torch"``: :func:`torch_default_init`; ``"spread"``: default weights, kinks spread
        uniformly over ``[lo, hi]`` (:func:`spread_kinks`).
    seed : int
        Seeds the weights (and the kinks or the PyTorch-style draw).
    lo, hi : float
        Interval of the kinks for ``"spread"``.

    Returns
    -------
    Linear
        ``weight`` ``(width, 1)``, ``bias`` ``(width,)``.
    """
    layer = Linear(1, width, rng=seed)
    if init == "torch":
        torch_default_init(layer, rng=seed)
    elif init == "spread":
        spread_kinks(layer, lo, hi, rng=seed)
    elif init != "course_lib":
        raise ValueError(
            f"first_layer: unknown init {init!r}; use 'spread', 'course_lib' or 'torch'"
        )
    return layer


def train_one_hidden_layer(
    f: Callable[[np.ndarray], np.ndarray],
    width: int,
    init: str = "spread",
    *,
    seed: int = 0,
    epochs: int = 300,
    lr: float = 0.03,
    lo: float = -2.0,
    hi: float = 2.0,
    n_train: int = 100,
) -> tuple[Sequential, float]:
    """Fit a ``1-width-1`` ReLU network to ``n_train`` samples of ``f`` on ``[lo, hi]`` with Adam.

    Parameters
    ----------
    f : callable
        ``(M,) -> (M,)``.
    width : int
        Hidden units.
    init : {"spread", "course_lib", "torch"}
        How the hidden layer starts (see :func:`first_layer`); with ``"torch"`` the output layer
        is drawn PyTorch's way too, otherwise it is a default ``Linear(width, 1)``.
    seed : int
        Seeds the hidden layer (``seed``) and the output layer (``seed + 1``).
    epochs, lr : int, float
        Full-batch Adam steps and learning rate.
    lo, hi : float
        Interval of the training inputs (and of the spread kinks).
    n_train : int
        Equally spaced training inputs.

    Returns
    -------
    net : Sequential
        The trained network, ``(N, 1) -> (N, 1)``.
    mse : float
        Its final training loss.
    """
    out = Linear(width, 1, rng=seed + 1)
    if init == "torch":
        torch_default_init(out, rng=seed + 1)
    net = Sequential(first_layer(width, init, seed=seed, lo=lo, hi=hi), ReLU(), out)
    x = np.linspace(lo, hi, n_train)[:, None]
    target = np.asarray(f(x[:, 0])).reshape(-1, 1)
    hist = fit(
        net,
        MSELoss(),
        x,
        target,
        epochs=epochs,
        optimizer=Adam(net.parameters(), lr=lr),
        progress=False,
    )
    return net, hist.loss[-1]


@dataclass
class DepthWidthResult:
    """Outcome of :func:`depth_vs_width`.

    Attributes
    ----------
    test_accuracy : dict of str to list of float
        Architecture name (``"2-8-8-3"``) -> test accuracy per seed.
    n_params : dict of str to int
        Architecture name -> number of parameters.
    models : dict of (str, int) to Sequential
        ``(name, seed)`` -> the trained network.
    """

    test_accuracy: dict[str, list[float]] = field(default_factory=dict)
    n_params: dict[str, int] = field(default_factory=dict)
    models: dict[tuple[str, int], Sequential] = field(default_factory=dict)

    def mean(self, name: str) -> float:
        """Mean test accuracy of one architecture over the seeds."""
        return float(np.mean(self.test_accuracy[name]))

    def spread(self, name: str) -> float:
        """Max minus min test accuracy of one architecture over the seeds."""
        acc = self.test_accuracy[name]
        return float(np.max(acc) - np.min(acc))


def depth_vs_width(
    architectures: Sequence[Sequence[int]],
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    seeds: Sequence[int] = range(4),
    epochs: int = 150,
    lr: float = 0.03,
) -> DepthWidthResult:
    """Train every architecture from every seed with full-batch Adam and cross-entropy.

    Parameters
    ----------
    architectures : sequence of sequence of int
        Widths ``[d_0, ..., d_L]`` of each MLP (ReLU hidden layers, see :func:`mlp`).
    X_train, X_test : np.ndarray
        Inputs, ``(N, d_0)`` and ``(M, d_0)``.
    y_train, y_test : np.ndarray
        Integer labels, ``(N,)`` and ``(M,)``.
    seeds : sequence of int
        Seeds of the initial weights.
    epochs, lr : int, float
        Adam steps and learning rate.

    Returns
    -------
    DepthWidthResult
    """
    result = DepthWidthResult()
    for sizes in architectures:
        name = "-".join(map(str, sizes))
        result.test_accuracy[name] = []
        for seed in seeds:
            model = mlp(sizes, rng=seed)
            fit_adam(model, CrossEntropyLoss(), X_train, y_train, epochs=epochs, lr=lr)
            result.test_accuracy[name].append(accuracy(model, X_test, y_test))
            result.models[name, seed] = model
        result.n_params[name] = n_params(model)
    return result


def plot_accuracy_by_architecture(
    test_accuracy: Mapping[str, Sequence[float]], ax: Axes | None = None, title: str = ""
) -> Axes:
    """One column of dots per architecture (one dot per seed) and a bar at the mean.

    Parameters
    ----------
    test_accuracy : mapping of str to sequence of float
        Architecture name -> accuracy per seed.
    ax : Axes, optional
        Where to draw; a new figure otherwise.
    title : str
        Axes title.

    Returns
    -------
    Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    for i, accs in enumerate(test_accuracy.values()):
        ax.scatter(np.full(len(accs), i), accs, alpha=0.7)
        ax.plot([i - 0.2, i + 0.2], [np.mean(accs)] * 2, "k")
    ax.set_xticks(range(len(test_accuracy)), list(test_accuracy), fontsize="small")
    ax.set_ylabel("test accuracy")
    if title:
        ax.set_title(title, fontsize="medium")
    return ax


def hidden_unit_mosaic(
    model: Sequential, X: np.ndarray, resolution: int = 60, margin: float = 0.2
) -> tuple[np.ndarray, int]:
    """Every hidden unit's activation over a grid covering the 2-D data, tiled into one image.

    Each ReLU layer gives one row of tiles, one tile per unit, each scaled to its own maximum
    (an all-zero tile is a unit that is off everywhere); tiles are separated by NaN borders.

    Parameters
    ----------
    model : Sequential
        Input width 2, with ``ReLU`` hidden layers of equal width.
    X : np.ndarray
        Data whose bounding box the grid covers, shape ``(N, 2)``.
    resolution : int
        Grid points per axis ``R``.
    margin : float
        Added around the data's bounding box.

    Returns
    -------
    mosaic : np.ndarray
        Shape ``(layers * (R + 4), units * (R + 4))``, values in ``[0, 1]`` or NaN.
    n_layers : int
        Number of rows of tiles.
    """
    xx, _, grid = grid_points(X, resolution=resolution, margin=margin)
    rows, h = [], grid
    for layer in model:
        h = layer(h)
        if isinstance(layer, ReLU):
            tiles = [
                h[:, j].reshape(xx.shape) / max(h[:, j].max(), 1e-12) for j in range(h.shape[1])
            ]
            rows.append(np.hstack([np.pad(t, 2, constant_values=np.nan) for t in tiles]))
    if not rows:
        raise ValueError("hidden_unit_mosaic: the model has no ReLU layer")
    return np.vstack(rows), len(rows)


def plot_hidden_units(model: Sequential, X: np.ndarray, ax: Axes | None = None) -> Axes:
    """Draw :func:`hidden_unit_mosaic`, bright = active, one labelled row per hidden layer.

    Parameters
    ----------
    model : Sequential
        As for :func:`hidden_unit_mosaic`.
    X : np.ndarray
        Shape ``(N, 2)``.
    ax : Axes, optional
        Where to draw; a new figure otherwise.

    Returns
    -------
    Axes
    """
    mosaic, n_layers = hidden_unit_mosaic(model, X)
    if ax is None:
        _, ax = plt.subplots(figsize=(12, 2.1 * n_layers))
    ax.imshow(mosaic, origin="lower", cmap="magma")
    ax.set_xticks([])
    ax.set_yticks(
        [(k + 0.5) * mosaic.shape[0] / n_layers for k in range(n_layers)],
        [f"layer {k + 1}" for k in range(n_layers)],
    )
    ax.set_title(
        "activation of each hidden unit over the input plane (bright = active)", fontsize="medium"
    )
    return ax
