"""Look inside a deep network at initialisation: activations and gradients, layer by layer.

Parts 5 and 9 ask the same question of many networks: how large are the activations and the
gradients in each layer? :func:`deep_mlp` builds the plain ``width``-wide stacks they use,
:func:`layer_statistics` runs one forward and one backward pass module by module and keeps every
intermediate array, and the plotting helpers turn those arrays into per-layer histograms and
per-layer scales.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from ..losses import Loss, MSELoss
from ..modules import Linear, Module, Sequential
from ..utils import as_rng

__all__ = [
    "LayerStatistics",
    "deep_mlp",
    "layer_statistics",
    "deep_network_statistics",
    "gradient_norms_per_layer",
    "rms",
    "saturated_fraction",
    "backward_gains",
    "plot_layer_histograms",
    "plot_scale_per_layer",
]


def deep_mlp(
    activation: Callable[[], Module],
    *,
    depth: int = 10,
    width: int = 64,
    out_features: int = 1,
    in_features: int | None = None,
    init: str | Callable[..., np.ndarray] = "he",
    gain: float = 1.0,
    rng: np.random.Generator | int | None = None,
) -> Sequential:
    """``depth`` hidden layers ``Linear(., width) -> activation``, then ``Linear(width, out)``.

    Parameters
    ----------
    activation : callable
        Makes a fresh activation module, e.g. the class ``Tanh`` or ``lambda: LeakyReLU(0.1)``.
    depth, width, out_features : int
        Number of hidden layers, their width ``D`` and the output width ``K``.
    in_features : int, optional
        Input width ``D_0``; default ``width``.
    init : str or callable
        Weight initialiser of every ``Linear`` (see :mod:`course_lib.initializers`).
    gain : float
        Multiplies the initial weights of the hidden layers (not of the output layer), to make
        them deliberately too small or too large.
    rng : np.random.Generator, int or None
        Randomness of the weights, drawn layer after layer from one generator.

    Returns
    -------
    Sequential
        Maps ``(N, D_0)`` to ``(N, K)``; its modules alternate ``Linear``, activation, ... and end
        with the output ``Linear``.
    """
    d_in = width if in_features is None else in_features
    if depth < 1 or width < 1 or out_features < 1 or d_in < 1:
        raise ValueError(
            f"deep_mlp: depth, width, in_features and out_features must be >= 1, got {depth}, "
            f"{width}, {d_in}, {out_features}"
        )
    g = as_rng(rng)
    layers: list[Module] = []
    for k in range(depth):
        linear = Linear(d_in if k == 0 else width, width, init=init, rng=g)
        linear.weight.data *= gain
        layers += [linear, activation()]
    layers.append(Linear(width, out_features, init=init, rng=g))
    return Sequential(*layers)


@dataclass
class LayerStatistics:
    """Everything one forward and backward pass computed in the hidden layers of a network.

    Lists run from the input to the output, one entry per activation module (hidden layer).

    Attributes
    ----------
    pre_activations : list of np.ndarray
        The input ``a`` of each activation module, shape ``(N, D_l)``.
    activations : list of np.ndarray
        Its output ``h = g(a)``, shape ``(N, D_l)``.
    activation_grads : list of np.ndarray
        ``dL/dh`` for each hidden layer's output, shape ``(N, D_l)``.
    weight_grads : list of np.ndarray
        ``dL/dW`` of every ``Linear`` (the output layer last), shape ``(D_out, D_in)`` each.
    loss : float
        The loss of the pass.
    """

    pre_activations: list[np.ndarray] = field(default_factory=list)
    activations: list[np.ndarray] = field(default_factory=list)
    activation_grads: list[np.ndarray] = field(default_factory=list)
    weight_grads: list[np.ndarray] = field(default_factory=list)
    loss: float = float("nan")


def layer_statistics(
    model: Sequential,
    X: np.ndarray,
    target: np.ndarray | None = None,
    loss: Loss | None = None,
) -> LayerStatistics:
    """Run ``loss(model(X), target)`` and its backward pass module by module, keeping every array.

    The model's gradients are reset first, so ``weight_grads`` are those of this one pass.
    Without a ``target`` only the forward pass runs (``activation_grads``, ``weight_grads`` stay
    empty and ``loss`` NaN).

    Parameters
    ----------
    model : Sequential
        ``Linear`` layers and activation modules (anything that is not a ``Linear`` counts as an
        activation).
    X : np.ndarray
        Inputs, shape ``(N, D_0)``.
    target : np.ndarray, optional
        Whatever ``loss`` expects, e.g. shape ``(N, K)`` for the default ``MSELoss``.
    loss : Loss, optional
        Default ``MSELoss()``.

    Returns
    -------
    LayerStatistics
    """
    loss = MSELoss() if loss is None else loss
    stats = LayerStatistics()
    model.zero_grad()
    h = np.asarray(X, dtype=np.float64)
    for module in model:
        if not isinstance(module, Linear):
            stats.pre_activations.append(h)
        h = module.forward(h)
        if not isinstance(module, Linear):
            stats.activations.append(h)
    if target is None:
        return stats
    stats.loss = float(loss(h, target))
    grad = loss.backward()
    grads: list[np.ndarray] = []
    for module in reversed(list(model)):
        if not isinstance(module, Linear):
            grads.append(grad)
        grad = module.backward(grad)
    stats.activation_grads = grads[::-1]
    stats.weight_grads = [m.weight.grad.copy() for m in model if isinstance(m, Linear)]
    return stats


def deep_network_statistics(
    activation: Callable[[], Module],
    init: str = "he",
    *,
    depth: int = 10,
    width: int = 64,
    batch: int = 256,
    gain: float = 1.0,
    seed: int = 0,
) -> LayerStatistics:
    """:func:`layer_statistics` of a fresh :func:`deep_mlp` on a random regression batch.

    One generator seeded with ``seed`` draws, in this order, the weights, a standard normal batch
    ``(batch, width)`` and standard normal targets ``(batch, 1)``; the loss is ``MSELoss``.

    Parameters
    ----------
    activation : callable
        Makes an activation module, e.g. ``Sigmoid``.
    init : str
        Weight initialiser.
    depth, width, batch : int
        Hidden layers, their width and the batch size ``N``.
    gain : float
        Multiplies the initial hidden weights (see :func:`deep_mlp`).
    seed : int
        Seed of the generator.

    Returns
    -------
    LayerStatistics
        ``depth`` hidden layers; ``depth + 1`` weight gradients (the output layer last).
    """
    rng = np.random.default_rng(seed)
    net = deep_mlp(activation, depth=depth, width=width, init=init, gain=gain, rng=rng)
    X = rng.standard_normal((batch, width))
    target = rng.standard_normal((batch, 1))
    return layer_statistics(net, X, target)


def gradient_norms_per_layer(
    activation: Callable[[], Module],
    init: str = "he",
    *,
    depth: int = 10,
    width: int = 64,
    batch: int = 256,
    gain: float = 1.0,
    seed: int = 0,
) -> np.ndarray:
    """Frobenius norm of ``dL/dW`` in each hidden layer, from :func:`deep_network_statistics`.

    Parameters are those of :func:`deep_network_statistics`.

    Returns
    -------
    np.ndarray
        Shape ``(depth,)``: entry ``k`` belongs to hidden layer ``k + 1`` (1 = next to the input).
    """
    stats = deep_network_statistics(
        activation, init, depth=depth, width=width, batch=batch, gain=gain, seed=seed
    )
    return np.array([np.linalg.norm(g) for g in stats.weight_grads[:depth]])


def rms(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Root mean square of each array: ``sqrt(mean(a ** 2))``; returns shape ``(len(arrays),)``."""
    return np.array([np.sqrt(np.mean(np.square(a))) for a in arrays])


def saturated_fraction(
    activation: Module, pre_activations: Sequence[np.ndarray], threshold: float = 0.05
) -> np.ndarray:
    """Fraction of entries where the activation's slope is below ``threshold``, per layer.

    Parameters
    ----------
    activation : Module
        An elementwise activation with a ``derivative(a)`` method (``Tanh()``, ``Sigmoid()``...).
    pre_activations : sequence of np.ndarray
        Its inputs, one array per layer, e.g. ``LayerStatistics.pre_activations``.
    threshold : float
        ``|g'(a)| < threshold`` counts as saturated (the grey bands of ``plot_activations``).

    Returns
    -------
    np.ndarray
        Shape ``(len(pre_activations),)``, values in ``[0, 1]``.
    """
    return np.array(
        [np.mean(np.abs(activation.derivative(a)) < threshold) for a in pre_activations]
    )


def backward_gains(model: Sequential, stats: LayerStatistics) -> tuple[np.ndarray, np.ndarray]:
    """Measured and predicted factor by which each hidden layer scales the backward gradient.

    Between hidden layers ``k - 1`` and ``k`` (``h_k = g(a_k)``, ``a_k = W_k h_{k-1} + b_k``) the
    gradient is ``dL/dh_{k-1} = W_k^T (g'(a_k) * dL/dh_k)``. With zero-mean weights independent of
    the rest, its mean square is ``chi_k`` times that of ``dL/dh_k``, where
    ``chi_k = n_out * E[w^2] * E[g'(a_k)^2]`` and ``n_out`` is the number of rows of ``W_k``.

    Parameters
    ----------
    model : Sequential
        The network ``stats`` was computed for: ``Linear`` and elementwise activation modules
        (each with a ``derivative`` method) alternating, ``Linear`` first.
    stats : LayerStatistics
        From :func:`layer_statistics` with ``L`` hidden layers.

    Returns
    -------
    measured : np.ndarray
        ``rms(dL/dh_{k-1}) / rms(dL/dh_k)`` for ``k = 2..L``, shape ``(L - 1,)``.
    predicted : np.ndarray
        ``sqrt(chi_k)`` with the layer's own weights and pre-activations, shape ``(L - 1,)``.
    """
    pairs = [
        (model[i - 1], model[i])
        for i in range(1, len(model))
        if not isinstance(model[i], Linear) and isinstance(model[i - 1], Linear)
    ]
    if len(pairs) != len(stats.pre_activations) or len(pairs) < 2:
        raise ValueError(
            "backward_gains: expected a model of alternating Linear and activation modules "
            f"matching stats ({len(stats.pre_activations)} hidden layers), found {len(pairs)}"
        )
    grads = rms(stats.activation_grads)
    measured = grads[:-1] / grads[1:]
    predicted = np.array(
        [
            np.sqrt(
                lin.weight.data.shape[0]
                * np.mean(lin.weight.data**2)
                * np.mean(act.derivative(a) ** 2)
            )
            for (lin, act), a in zip(pairs[1:], stats.pre_activations[1:], strict=True)
        ]
    )
    return measured, predicted


def plot_layer_histograms(
    arrays: Sequence[np.ndarray],
    ax: Axes | None = None,
    *,
    bins: int = 60,
    value_range: tuple[float, float] | None = None,
    log_abs: bool = False,
    title: str = "",
    xlabel: str = "value",
) -> Axes:
    """One histogram line per layer on a shared axis, coloured from the input (dark) to the output.

    Parameters
    ----------
    arrays : sequence of np.ndarray
        One array per layer (any shape, e.g. ``(N, D)``), first layer first.
    ax : Axes, optional
        Where to draw; a new figure otherwise.
    bins : int
        Histogram bins.
    value_range : (float, float), optional
        The binned interval; default the range of all values together (with ``log_abs``, from
        their 0.5 to their 99.5 percentile).
    log_abs : bool
        Histogram ``log10 |value|`` instead of the values (exact zeros are left out): layers whose
        scales differ by orders of magnitude then appear side by side, shifted.
    title, xlabel : str
        Labels.

    Returns
    -------
    Axes
        With one line per layer (``len(ax.lines)`` grows by ``len(arrays)``) and a legend.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3.0))
    if not arrays:
        raise ValueError("plot_layer_histograms: got no arrays")
    values = [np.ravel(a) for a in arrays]
    if log_abs:
        values = [np.log10(np.abs(v[v != 0])) for v in values]
    lo, hi = _value_range(values, log_abs) if value_range is None else value_range
    edges = np.linspace(lo, hi, bins + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    colours = plt.cm.viridis(np.linspace(0.0, 0.9, len(values)))
    for k, (v, colour) in enumerate(zip(values, colours, strict=True)):
        counts, _ = np.histogram(v, bins=edges)
        ax.plot(centres, counts / max(v.size, 1), color=colour, label=f"layer {k + 1}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction")
    if title:
        ax.set_title(title, fontsize="medium")
    if len(values) > 1:
        ax.legend(
            [ax.lines[-len(values)], ax.lines[-1]],
            ["layer 1", f"layer {len(values)}"],
            fontsize="small",
        )
    return ax


def _value_range(values: Sequence[np.ndarray], log_abs: bool) -> tuple[float, float]:
    """The interval that holds all ``values`` (1-D arrays), widened by 1 either side if empty.

    With ``log_abs`` (``values`` are then ``log10 |value|``), from the 0.5 to the 99.5 percentile.
    """
    every = np.concatenate(values)
    lo, hi = np.percentile(every, [0.5, 99.5]) if log_abs else (every.min(), every.max())
    return (float(lo), float(hi)) if hi > lo else (float(lo) - 1.0, float(hi) + 1.0)


def plot_scale_per_layer(
    curves: dict[str, np.ndarray],
    ax: Axes | None = None,
    *,
    ylabel: str = "RMS",
    title: str = "",
) -> Axes:
    """Plot one positive quantity per layer on a log scale, one line per setting.

    Parameters
    ----------
    curves : dict of str to np.ndarray
        Label -> values, shape ``(L,)`` each, layer 1 first.
    ax : Axes, optional
        Where to draw; a new figure otherwise.
    ylabel, title : str
        Labels.

    Returns
    -------
    Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(5.0, 3.2))
    for label, values in curves.items():
        values = np.asarray(values, dtype=np.float64)
        ax.semilogy(np.arange(1, values.size + 1), values, "o-", ms=3, label=label)
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="small")
    return ax
