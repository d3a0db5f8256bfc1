"""The module system: ``Parameter``, ``Module``, ``Sequential``, ``Linear`` and ``Identity``.

Every layer of the course is a :class:`Module`. A module's ``forward(x)`` computes its output and
caches what ``backward`` needs; ``backward(grad_output)`` receives ``dL/d(output)``, *adds*
(``+=``) ``dL/dp`` into each parameter's ``.grad`` and returns ``dL/dx``. Arrays are numpy and
batch-first: ``x`` has shape ``(N, D)``. The layout matches ``torch.nn`` so the names carry over.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from . import initializers as _init
from .utils import as_float_array, as_rng, check_batch

__all__ = ["Parameter", "Module", "Sequential", "Linear", "Identity"]


class Parameter:
    """A trainable array and the gradient accumulated into it.

    Parameters
    ----------
    data : array-like
        The initial value, any shape; stored as a floating ndarray (float64 unless ``data`` is
        already a float array of another precision).
    name : str, optional
        A label used in messages.

    Attributes
    ----------
    data : np.ndarray
        The value, shape ``S``.
    grad : np.ndarray
        ``dL/d(data)``, shape ``S``, zeros until a ``backward`` adds into it.
    """

    __slots__ = ("data", "grad", "name")

    def __init__(self, data: np.ndarray, name: str = "") -> None:
        self.data = as_float_array(data, "Parameter", "data")
        if self.data is data:
            self.data = self.data.copy()
        self.grad = np.zeros_like(self.data)
        self.name = name

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``data`` (and of ``grad``)."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """The dtype of ``data``."""
        return self.data.dtype

    def zero_grad(self) -> None:
        """Reset ``grad`` to zeros in place."""
        self.grad.fill(0.0)

    def __repr__(self) -> str:
        label = f"{self.name}, " if self.name else ""
        return f"Parameter({label}shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of every layer: forward, backward and recursive parameter discovery.

    Subclasses implement ``forward(x)`` and ``backward(grad_output)``. Parameters are found by
    looking at the instance's attributes in the order they were set: a :class:`Parameter`, a
    child :class:`Module`, or a list/tuple of them. The order is therefore stable.
    """

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute the output for a batch ``x`` and cache what ``backward`` needs."""
        raise NotImplementedError(f"{type(self).__name__} must implement forward(x)")

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Return ``dL/dx`` given ``dL/d(output)``; add ``dL/dp`` into each ``p.grad``."""
        raise NotImplementedError(f"{type(self).__name__} must implement backward(grad_output)")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    # -- parameter discovery ---------------------------------------------------------------
    def _children(self) -> Iterator[tuple[str, Parameter | Module]]:
        for key, value in vars(self).items():
            if key.startswith("_"):
                continue
            if isinstance(value, Parameter | Module):
                yield key, value
            elif isinstance(value, list | tuple):
                for i, item in enumerate(value):
                    if isinstance(item, Parameter | Module):
                        yield f"{key}.{i}" if key != "layers" else str(i), item

    def named_parameters(self, prefix: str = "") -> list[tuple[str, Parameter]]:
        """All parameters of this module and its children, with dotted names, in stable order.

        Returns
        -------
        list of (str, Parameter)
            e.g. ``[("0.weight", W1), ("0.bias", b1), ("2.weight", W2), ...]`` for a Sequential.
        """
        out: list[tuple[str, Parameter]] = []
        seen: set[int] = set()
        for name, child in self._children():
            full = f"{prefix}{name}"
            if isinstance(child, Parameter):
                if id(child) not in seen:
                    seen.add(id(child))
                    out.append((full, child))
            else:
                for sub_name, p in child.named_parameters(prefix=f"{full}."):
                    if id(p) not in seen:
                        seen.add(id(p))
                        out.append((sub_name, p))
        return out

    def parameters(self) -> list[Parameter]:
        """All parameters, recursively, in the order of :meth:`named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Reset every parameter's ``grad`` to zeros."""
        for p in self.parameters():
            p.grad.fill(0.0)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(Module):
    """The identity module ``f(x) = x`` (a linear unit). Any shape; no parameters."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Return ``x`` unchanged, shape ``(N, ...)``."""
        self._seen = True
        return x

    def function(self, x: np.ndarray) -> np.ndarray:
        """``f(x) = x`` without caching (for plots)."""
        return np.asarray(x)

    def derivative(self, x: np.ndarray) -> np.ndarray:
        """``f'(x) = 1`` everywhere: no saturation, the gradient passes unchanged."""
        return np.ones_like(np.asarray(x), dtype=np.result_type(x, np.float32))

    def backward(self, grad_output: np.ndarray) -> np.ndarray:
        """Return ``grad_output`` unchanged: the local derivative is 1."""
        if not getattr(self, "_seen", False):
            raise RuntimeError("Identity: backward() called before forward()")
        return grad_output


class Linear(Module):
    """Affine layer ``y = x @ W.T + b`` (the lecture's ``f = Ax`` has ``W = A``).

    Parameters
    ----------
    in_features, out_features : int
        Sizes ``D_in`` and ``D_out``.
    bias : bool
        Whether to learn an additive bias ``b``.
    init : {"he", "xavier", "zeros"} or callable
        Weight initialiser (see :mod:`course_lib.initializers`); a callable gets
        ``(shape, rng, dtype)``.
    rng : np.random.Generator or int, optional
        Randomness for the initialiser.
    dtype : numpy dtype
        float64 (default, what gradient checks need) or float32.

    Attributes
    ----------
    weight : Parameter
        Shape ``(D_out, D_in)``, the same layout as ``torch.nn.Linear``.
    bias : Parameter or None
        Shape ``(D_out,)``.

    Shapes
    ------
    forward: ``x (N, D_in) -> y (N, D_out)``; cache: ``x``.
    backward: ``dy (N, D_out) -> dx (N, D_in)``; ``weight.grad += dy.T @ x``,
    ``bias.grad += dy.sum(axis=0)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        init: str = "he",
        rng: np.random.Generator | int | None = None,
        dtype: np.dtype | type = np.float64,
    ) -> None:
        for nm, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
                raise ValueError(f"Linear: {nm} must be a positive int, got {v!r}")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Linear: dtype must be a float dtype, got {dtype}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        shape = (self.out_features, self.in_features)
        self.weight = Parameter(_init.initialize(init, shape, as_rng(rng), dtype), "weight")
        self.bias = Parameter(np.zeros(self.out_features, dtype=dtype), "bias") if bias else None
        self._x: np.ndarray | None = None
        self._who = f"Linear({self.in_features} -> {self.out_features})"

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute ``x @ W.T + b``.

        Parameters
        ----------
        x : np.ndarray
            Shape ``(N, in_features)``.

        Returns
        -------
        np.ndarray
            Shape ``(N, out_features)``.
        """
        x = as_float_array(x, self._who)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            check_batch(x, self._who, self.in_features)
        self._x = x
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad_output: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Accumulate ``dW``, ``db`` and return ``dx``.

        Parameters
        ----------
        grad_output : np.ndarray
            ``dL/dy``, shape ``(N, out_features)``.
        input_grad : bool
            Compute ``dL/dx``. ``False`` skips that product (like PyTorch for an input that
            does not require grad, e.g. the data fed to the first layer) and returns ``None``.

        Returns
        -------
        np.ndarray or None
            ``dL/dx``, shape ``(N, in_features)``.
        """
        x = self._x
        if x is None:
            raise RuntimeError(f"{self._who}: backward() called before forward()")
        if grad_output.shape != (x.shape[0], self.out_features):
            raise ValueError(
                f"{self._who}: backward expected grad_output of shape "
                f"({x.shape[0]}, {self.out_features}) to match the last forward, "
                f"got {grad_output.shape}"
            )
        self.weight.grad += grad_output.T @ x
        if self.bias is not None:
            self.bias.grad += np.add.reduce(grad_output, axis=0)  # sum over the batch
        if not input_grad:
            return None
        return grad_output @ self.weight.data

    def __repr__(self) -> str:
        return (
            f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}, dtype={self.weight.data.dtype})"
        )


class Sequential(Module):
    """A chain of modules: forward in order, backward in reverse.

    Parameters
    ----------
    *modules : Module
        The layers, e.g. ``Sequential(Linear(2, 8), ReLU(), Linear(8, 2))``.

    Shapes
    ------
    forward: ``x (N, D_0) -> y (N, D_L)``; backward: ``dy (N, D_L) -> dx (N, D_0)``.
    """

    def __init__(self, *modules: Module) -> None:
        if len(modules) == 1 and isinstance(modules[0], list | tuple):
            modules = tuple(modules[0])
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(
                    f"Sequential: item {i} must be a Module, got {type(m).__name__} ({m!r})"
                )
        self.layers: list[Module] = list(modules)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Apply each layer in order. ``x``: ``(N, D_0)``; returns ``(N, D_L)``."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_output: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Back-propagate through the layers in reverse order.

        Parameters
        ----------
        grad_output : np.ndarray
            ``dL/dy``, shape ``(N, D_L)``.
        input_grad : bool
            ``False`` skips ``dL/dx`` of the first layer when it is a :class:`Linear`
            (its input is data); then returns ``None``.

        Returns
        -------
        np.ndarray or None
            ``dL/dx``, shape ``(N, D_0)``.
        """
        g = grad_output
        layers = self.layers
        for layer in reversed(layers[1:]):
            g = layer.backward(g)
        if not layers:
            return g
        first = layers[0]
        if not input_grad and isinstance(first, Linear | Sequential):
            return first.backward(g, input_grad=False)
        return first.backward(g)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "".join(f"\n  ({i}): {m!r}" for i, m in enumerate(self.layers))
        return f"Sequential({inner}\n)"
