"""course_lib: the reference implementation behind the Deep Feedforward Networks course.

Import what you need from the submodules, or the common names from here::

    from course_lib import Sequential, Linear, ReLU, CrossEntropyLoss, fit, data
"""

from . import alternatives, autograd, data, gradcheck, initializers, jacobians, optim
from .activations import ELU, GELU, LeakyReLU, PReLU, ReLU, Sigmoid, Softmax, Tanh
from .gradcheck import check_loss, check_module, numerical_gradient, numerical_jacobian, rel_error
from .losses import (
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    MSELoss,
    WeightedLoss,
)
from .modules import Identity, Linear, Module, Parameter, Sequential
from .optim import SGD, Adam
from .train import History, accuracy, fit, predict

__version__ = "0.1.0"

__all__ = [
    "alternatives",
    "autograd",
    "data",
    "gradcheck",
    "jacobians",
    "initializers",
    "optim",
    "Parameter",
    "Module",
    "Sequential",
    "Linear",
    "Identity",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "GELU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "MSELoss",
    "HuberLoss",
    "CrossEntropyLoss",
    "BCEWithLogitsLoss",
    "KLDivLoss",
    "WeightedLoss",
    "SGD",
    "Adam",
    "fit",
    "predict",
    "accuracy",
    "History",
    "numerical_gradient",
    "numerical_jacobian",
    "rel_error",
    "check_module",
    "check_loss",
]
