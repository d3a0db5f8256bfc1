"""The multilayer perceptron: ``Linear`` layers with an activation between each two.

``mlp([d_0, d_1, ..., d_L])`` is ``Linear(d_0, d_1), act, Linear(d_1, d_2), act, ...,
Linear(d_{L-1}, d_L)``: ``L`` affine maps, ``L - 1`` hidden layers, no activation after the last
map (the loss reads its output as logits or as a regression).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .activations import ReLU
from .modules import Linear, Module, Sequential
from .utils import as_rng

__all__ = ["mlp"]


def mlp(
    sizes: Sequence[int],
    rng: np.random.Generator | int | None = None,
    activation: Callable[[], Module] = ReLU,
    *,
    init: str = "he",
) -> Sequential:
    """``Linear(d_0, d_1), act, Linear(d_1, d_2), act, ..., Linear(d_{L-1}, d_L)``.

    Parameters
    ----------
    sizes : sequence of int
        Widths ``[d_0, ..., d_L]``, at least two.
    rng : np.random.Generator, int or None
        One generator draws all the weights, layer after layer.
    activation : callable
        Factory of the hidden activation module.
    init : str
        Initialiser of every ``Linear`` (``"he"`` or ``"xavier"``).

    Returns
    -------
    Sequential
        Maps ``(N, d_0)`` to ``(N, d_L)``.
    """
    if len(sizes) < 2:
        raise ValueError(f"mlp: need at least an input and an output width, got {list(sizes)}")
    g = as_rng(rng)
    layers: list[Module] = []
    for i, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(Linear(d_in, d_out, init=init, rng=g))
        if i < len(sizes) - 2:
            layers.append(activation())
    return Sequential(*layers)
