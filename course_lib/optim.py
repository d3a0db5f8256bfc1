"""Optimisers that update a list of :class:`~course_lib.modules.Parameter` in place.

``SGD`` (with momentum and L2 weight decay, PyTorch's conventions) and ``Adam``. Both work on
any float dtype and allocate their buffers once, not per step.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .modules import Parameter

__all__ = ["Optimizer", "SGD", "Adam"]


class Optimizer:
    """Base class: holds the parameters; ``step()`` updates them, ``zero_grad()`` resets grads."""

    def __init__(self, parameters: Iterable[Parameter], lr: float) -> None:
        params = list(parameters)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"{type(self).__name__}: item {i} of parameters must be a Parameter, got "
                    f"{type(p).__name__} (pass model.parameters())"
                )
        if not (lr > 0 and np.isfinite(lr)):
            raise ValueError(f"{type(self).__name__}: lr must be a positive number, got {lr!r}")
        self.parameters = params
        self.lr = float(lr)

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to zero in place."""
        for p in self.parameters:
            p.grad.fill(0.0)

    def step(self) -> None:
        """Update every parameter from its ``grad``."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent ``p -= lr * v`` with ``v = momentum * v + (g + wd * p)``.

    Parameters
    ----------
    parameters : iterable of Parameter
        E.g. ``model.parameters()``.
    lr : float
        Step size.
    momentum : float
        Heavy-ball momentum in [0, 1); 0 is plain SGD.
    weight_decay : float
        L2 penalty coefficient added to the gradient.
    """

    def __init__(
        self,
        parameters: Iterable[Parameter],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(parameters, lr)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        if weight_decay < 0:
            raise ValueError(f"SGD: weight_decay must be >= 0, got {weight_decay!r}")
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self._buf = [np.empty_like(p.data) for p in self.parameters]
        self._velocity = [np.zeros_like(p.data) for p in self.parameters] if momentum else None

    def step(self) -> None:
        """One update of every parameter in place."""
        lr, wd, mu = self.lr, self.weight_decay, self.momentum
        for i, p in enumerate(self.parameters):
            g = p.grad
            if wd:
                g = g + wd * p.data
            if mu:
                v = self._velocity[i]
                v *= mu
                v += g
                g = v
            buf = self._buf[i]
            np.multiply(g, lr, out=buf, casting="unsafe")
            p.data -= buf


class Adam(Optimizer):
    """Adam: bias-corrected first and second moment estimates of the gradient.

    Parameters
    ----------
    parameters : iterable of Parameter
    lr : float
        Step size (PyTorch's default 1e-3).
    betas : (float, float)
        Decay rates of the moment estimates.
    eps : float
        Added to the denominator's square root.
    """

    def __init__(
        self,
        parameters: Iterable[Parameter],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(parameters, lr)
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"Adam: betas must be in [0, 1), got {betas!r}")
        self.betas = (float(b1), float(b2))
        self.eps = float(eps)
        self.t = 0
        self._m = [np.zeros_like(p.data) for p in self.parameters]
        self._v = [np.zeros_like(p.data) for p in self.parameters]

    def step(self) -> None:
        """One Adam update of every parameter in place."""
        self.t += 1
        b1, b2 = self.betas
        c1 = 1.0 - b1**self.t
        c2 = 1.0 - b2**self.t
        for p, m, v in zip(self.parameters, self._m, self._v, strict=True):
            g = p.grad
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            p.data -= (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)
