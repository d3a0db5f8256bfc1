"""Interactive explorers for the lectures: ipywidgets controls and a matplotlib figure.

Each explorer is a class with plain-Python parameters and state, and a displayable ``.widget``::

    from course_lib.widgets import relu_explorer
    ex = relu_explorer()      # the last expression of a cell displays it
    ex.set(preset="xor")      # what the controls do, from code
    ex.state["y"]             # the derived arrays

No ipympl or other front-end extension is needed: the figure is rendered to PNG (Agg, redrawing
only what changed) and shown in an ``ipywidgets.Image``.

============================  =================================================================
``relu_explorer()``           ``f = ReLU(Ax)`` folds the plane, ``y = ReLU(B f)``; presets
``xor_explorer()``            the XOR network of Goodfellow 6.1, its feature space, training
``activation_explorer()``     activations, derivatives, saturation, dead units after training
``cost_explorer()``           MSE vs Huber with an outlier; cross-entropy vs MSE on a sigmoid
``backprop_explorer()``       forward values and backward gradients, node by node
============================  =================================================================
"""

from .activations import ActivationExplorer, activation_explorer
from .backprop import GRAPHS, BackpropExplorer, backprop_explorer
from .costs import CostExplorer, cost_explorer
from .explorer import Explorer
from .relu import RELU_PRESETS, ReluExplorer, relu_explorer
from .rendering import FigureRenderer
from .xor import XOR_PRESETS, XorExplorer, xor_explorer

__all__ = [
    "Explorer",
    "FigureRenderer",
    "relu_explorer",
    "xor_explorer",
    "activation_explorer",
    "cost_explorer",
    "backprop_explorer",
    "ReluExplorer",
    "XorExplorer",
    "ActivationExplorer",
    "CostExplorer",
    "BackpropExplorer",
    "RELU_PRESETS",
    "XOR_PRESETS",
    "GRAPHS",
]
