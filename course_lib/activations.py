"""Activation functions as modules, each with its local derivative beside the forward.

Elementwise activations work on any shape (batch-first), keep the input's float dtype and
offer ``derivative(x)``: ``f'(x)`` elementwise, for plots and diagonal Jacobians, without
touching the cache. ``backward(g)`` returns ``g * f'(x)`` for the cached input, never mutating
``g`` or ``x``. ``Softmax`` is not elementwise: its backward is a vector-Jacobian product.
"""

from __future__ import annotations

import numpy as np

from .modules import Identity, Module, Parameter
from .utils import as_float_array, normal_cdf

__all__ = [
    "Activation",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "GELU",
    "Sigmoid",
    "Tanh",
    "Softmax",
    "ACTIVATIONS",
    "sigmoid",
]

_INV_SQRT_2PI = float(1.0 / np.sqrt(2.0 * np.pi))  # a Python float keeps float32 inputs float32


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Numerically stable logistic ``1 / (1 + exp(-x))``, same shape; no overflow warning."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


class Activation(Module):
    """Base class of elementwise activations.

    Subclasses implement ``_f(x)`` and ``derivative(x)``; the default ``backward`` multiplies
    the upstream gradient by ``derivative(x)`` at the cached input.

    Shapes
    ------
    forward: ``x (N, ...) -> y (N, ...)``; cache: ``x`` (or ``y`` when cheaper).
    backward: ``dy (N, ...) -> dx (N, ...)``, ``dx = dy * f'(x)``.
    """

    _x: np.ndarray | None = None

    def _f(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """``f'(x)`` elementwise. ``x``: any shape; returns the same shape."""
        raise NotImplementedError

    def function(self, x: np.ndarray) -> np.ndarray:
        """``f(x)`` elementwise without caching (for plots). Same shape as ``x``."""
        return self._f(as_float_array(x, type(self).__name__))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Apply ``f`` elementwise and cache ``x``. Any shape; returns the same shape."""
        x = as_float_array(x, type(self).__name__)
        self._x = x
        return self._f(x)

    def _check_backward(self, grad_output: np.ndarray) -> np.ndarray:
        x = self._x
        if x is None:
            raise RuntimeError(f"{type(self).__name__}: backward() called before forward()")
        if grad_output.shape != x.shape:
            raise ValueError(
                f"{type(self).__name__}: backward expected grad_output of shape {x.shape} "
                f"(the last forward's input), got {grad_output.shape}"
            )
        return x

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Return ``grad_output * f'(x)``, same shape as ``x``."""
        x = self._check_backward(grad_output)
        return grad_output * self.derivative(x)


class ReLU(Activation):
    """Rectified linear unit ``max(0, x)``; ``ReLU'(x) = 1 if x > 0 else 0`` (0 at the kink).

    Caches the boolean mask ``x > 0`` of active units.
    """

    _mask: np.ndarray | None = None

    def _f(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, 0)

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """1 where ``x > 0``, 0 elsewhere (including ``x == 0``), in ``x``'s dtype."""
        return (np.asarray(x) > 0).astype(np.result_type(x, np.float32))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``max(0, x)``; caches the mask ``x > 0``. Any shape."""
        x = as_float_array(x, "ReLU")
        self._x = x
        self._mask = x > 0
        return np.maximum(x, 0)

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """``grad_output`` where the unit was active, 0 elsewhere."""
        self._check_backward(grad_output)
        return grad_output * self._mask


class LeakyReLU(Activation):
    """``x if x > 0 else negative_slope * x``: a small gradient where the unit is off.

    Parameters
    ----------
    negative_slope : float
        The slope for ``x <= 0`` (PyTorch's default 0.01).
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = float(negative_slope)

    def _f(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, x * self.negative_slope)

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """1 for ``x > 0``, ``negative_slope`` for ``x <= 0``."""
        x = np.asarray(x)
        return np.where(x > 0, 1.0, self.negative_slope).astype(np.result_type(x, np.float32))

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class PReLU(Activation):
    """Parametric ReLU: a leaky ReLU whose slope ``a`` is learned (one shared scalar).

    Parameters
    ----------
    init : float
        Initial slope (PyTorch's default 0.25).

    Attributes
    ----------
    weight : Parameter
        The slope ``a``, shape ``()``; ``backward`` adds ``sum(dy * min(x, 0))`` to its grad.
    """

    def __init__(self, init: float = 0.25, dtype: np.dtype | type = np.float64) -> None:
        self.weight = Parameter(np.array(init, dtype=dtype), "weight")

    def _f(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, x * self.weight.data)

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """1 for ``x > 0``, ``a`` for ``x <= 0`` (derivative with respect to ``x``)."""
        x = np.asarray(x)
        return np.where(x > 0, 1.0, self.weight.data).astype(np.result_type(x, np.float32))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Accumulate ``da = sum(dy * min(x, 0))``; return ``dy * f'(x)``."""
        x = self._check_backward(grad_output)
        neg = x <= 0
        self.weight.grad += np.sum(grad_output * x * neg)
        return np.where(neg, grad_output * self.weight.data, grad_output)

    def __repr__(self) -> str:
        return f"PReLU(a={float(self.weight.data):.4g})"


class ELU(Activation):
    """Exponential linear unit ``x if x > 0 else alpha * (exp(x) - 1)``, smooth for alpha=1.

    Parameters
    ----------
    alpha : float
        The value approached as ``x -> -inf`` is ``-alpha``.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def _f(self, x: np.ndarray) -> np.ndarray:
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """1 for ``x > 0``, ``alpha * exp(x)`` for ``x <= 0``."""
        x = np.asarray(x)
        return np.where(x > 0, 1.0, self.alpha * np.exp(np.minimum(x, 0))).astype(
            np.result_type(x, np.float32)
        )

    def __repr__(self) -> str:
        return f"ELU(alpha={self.alpha})"


class GELU(Activation):
    """Gaussian error linear unit ``x * Phi(x)``, exact or with the tanh approximation.

    Parameters
    ----------
    approximate : {"none", "tanh"}
        ``"none"``: ``Phi`` is the standard normal CDF (PyTorch's default);
        ``"tanh"``: ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.
    """

    _C = float(np.sqrt(2.0 / np.pi))

    def __init__(self, approximate: str = "none") -> None:
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def _f(self, x: np.ndarray) -> np.ndarray:
        if self.approximate == "tanh":
            # 0.5 (1 + tanh(u)) = sigmoid(2u), without the cancellation of 1 + tanh(u) near -1
            return x * sigmoid(2.0 * self._C * (x + 0.044715 * x**3))
        return x * normal_cdf(x)

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """``Phi(x) + x phi(x)`` (exact) or the derivative of the tanh form."""
        x = np.asarray(x)
        if self.approximate == "tanh":
            s = sigmoid(2.0 * self._C * (x + 0.044715 * x**3))  # = 0.5 (1 + tanh(u))
            du = self._C * (1.0 + 3 * 0.044715 * x**2)
            return s + 2.0 * x * s * (1.0 - s) * du  # 0.5 (1 - tanh(u)^2) = 2 s (1 - s)
        return normal_cdf(x) + x * _INV_SQRT_2PI * np.exp(-0.5 * x * x)

    def __repr__(self) -> str:
        return f"GELU(approximate={self.approximate!r})"


class Sigmoid(Activation):
    """Logistic ``sigma(x) = 1 / (1 + exp(-x))`` in (0, 1); ``sigma' = sigma (1 - sigma)``.

    Caches the output ``y``, since ``sigma'(x) = y (1 - y)``; saturates for ``|x| >> 1``.
    """

    _y: np.ndarray | None = None

    def _f(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(x)

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """``sigma(x) (1 - sigma(x))``, at most 0.25 (at ``x = 0``)."""
        s = sigmoid(np.asarray(x))
        return s * (1.0 - s)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``sigma(x)`` elementwise; caches the output. Any shape."""
        y = super().forward(x)
        self._y = y
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """``grad_output * y * (1 - y)`` with ``y`` the cached output."""
        self._check_backward(grad_output)
        y = self._y
        return grad_output * y * (1.0 - y)


class Tanh(Activation):
    """Hyperbolic tangent in (-1, 1), zero-centred; ``tanh' = 1 - tanh^2`` (caches the output)."""

    _y: np.ndarray | None = None

    def _f(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """``1 - tanh(x)^2``, at most 1 (at ``x = 0``)."""
        t = np.tanh(np.asarray(x))
        return 1.0 - t * t

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``tanh(x)`` elementwise; caches the output. Any shape."""
        y = super().forward(x)
        self._y = y
        return y

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """``grad_output * (1 - y^2)`` with ``y`` the cached output."""
        self._check_backward(grad_output)
        y = self._y
        return grad_output * (1.0 - y * y)


class Softmax(Module):
    """Softmax along ``axis``: ``exp(x - max) / sum(exp(x - max))``, rows summing to 1.

    Subtracting the row maximum changes nothing mathematically and keeps ``exp`` finite for
    logits of any size.

    Shapes
    ------
    forward: ``x (N, C) -> s (N, C)``; cache: ``s``.
    backward (a VJP, no Jacobian): ``dx = s * (g - sum(g * s, axis, keepdims=True))``.
    """

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis
        self._s: np.ndarray | None = None

    def function(self, x: np.ndarray) -> np.ndarray:
        """Stable softmax of ``x`` along ``axis`` without caching; same shape as ``x``."""
        x = as_float_array(x, "Softmax")
        if x.ndim == 0:
            raise ValueError("Softmax: expected at least a 1-D array of scores, got a scalar")
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        return e / e.sum(axis=self.axis, keepdims=True)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Stable softmax of ``x`` along ``axis``; same shape as ``x``. Caches the output."""
        s = self.function(x)
        self._s = s
        return s

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Vector-Jacobian product ``s * (g - <g, s>)``; same shape as the input."""
        s = self._s
        if s is None:
            raise RuntimeError("Softmax: backward() called before forward()")
        if grad_output.shape != s.shape:
            raise ValueError(
                f"Softmax: backward expected grad_output of shape {s.shape}, "
                f"got {grad_output.shape}"
            )
        dot = np.sum(grad_output * s, axis=self.axis, keepdims=True)
        return s * (grad_output - dot)

    def __repr__(self) -> str:
        return f"Softmax(axis={self.axis})"


ACTIVATIONS: dict[str, type[Module]] = {
    "identity": Identity,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "prelu": PReLU,
    "elu": ELU,
    "gelu": GELU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "softmax": Softmax,
}
