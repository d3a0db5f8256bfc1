"""A scalar autograd engine for the chain-rule lecture, with a tiny network library and drawings.

============  ====================================================================================
``engine``    :class:`Value`: scalar nodes, each local derivative beside its operation, ``backward``
``nn``        :class:`Neuron`, :class:`Layer`, :class:`MLP` built on ``Value``; :func:`train`
``drawing``   :func:`trace` and :func:`draw_graph`: the graph with values and gradients (matplotlib)
============  ====================================================================================

>>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
>>> c = a * b + a          # a is used twice
>>> c.backward()
>>> a.grad, b.grad         # dc/da = b + 1, dc/db = a
(-2.0, 2.0)
"""

from .drawing import draw_graph, trace
from .engine import Value
from .nn import MLP, Layer, Neuron, TrainResult, train

__all__ = [
    "Value",
    "Neuron",
    "Layer",
    "MLP",
    "TrainResult",
    "train",
    "trace",
    "draw_graph",
]
