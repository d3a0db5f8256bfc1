"""Jacobians of modules and of whole models, and the products backprop uses instead of them.

Per-module Jacobians (:func:`module_jacobian`), the full ``dy/dx`` accumulated in forward mode
(:func:`sequential_jacobian`) or from ``D_out`` VJPs (:func:`reverse_mode_jacobian`), and the
two products that never form a Jacobian: :func:`vjp` (``v^T J``, reverse mode, backprop) and
:func:`jvp` (``J u``, forward mode). The package docstring (:mod:`course_lib.jacobians`) has the
maths.

Shapes: ``N`` is the batch size, ``D_in`` / ``D_out`` the input / output width of the whole
model; a single sample may be given as ``(D_in,)`` or ``(1, D_in)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from ..activations import Softmax
from ..modules import Identity, Linear, Module, Sequential

__all__ = [
    "is_elementwise",
    "module_jacobian",
    "sequential_jacobian",
    "reverse_mode_jacobian",
    "vjp",
    "jvp",
]


def is_elementwise(module: Module) -> bool:
    """True for modules whose Jacobian is diagonal: they offer ``derivative(x)``."""
    return not isinstance(module, Softmax) and callable(getattr(module, "derivative", None))


def _as_batch(x: np.ndarray, who: str) -> tuple[np.ndarray, bool]:
    """Return ``x`` as a float64 batch ``(N, D)`` and whether it was a single sample ``(D,)``."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        return x[None, :], True
    if x.ndim != 2:
        raise ValueError(f"{who}: expected x of shape (D,) or (N, D), got shape {x.shape}")
    return x, False


def module_jacobian(module: Module, x: np.ndarray, *, dense: bool = False) -> np.ndarray:
    """The Jacobian of one module with respect to its input, at ``x``.

    Parameters
    ----------
    module : Module
        A :class:`Linear`, an elementwise activation (anything with ``derivative(x)``,
        including :class:`Identity`), a :class:`Softmax`, or a :class:`Sequential` of these.
    x : np.ndarray
        One sample, shape ``(D_in,)``, or a batch ``(N, D_in)``.
    dense : bool
        Return a diagonal Jacobian as the full matrix instead of its diagonal.

    Returns
    -------
    np.ndarray
        For one sample: ``(D_out, D_in)``, or ``(D,)`` for an elementwise module (its diagonal,
        unless ``dense``). For a batch: ``(N, D_out, D_in)`` or ``(N, D)``. A Linear layer's
        batch Jacobian is a read-only broadcast view of ``W`` (no copy: it is the same for
        every sample).
    """
    xb, single = _as_batch(x, "module_jacobian")
    n = xb.shape[0]
    if isinstance(module, Linear):
        w = module.weight.data
        jac = np.broadcast_to(w, (n, *w.shape))
    elif is_elementwise(module):
        jac = np.asarray(module.derivative(xb), dtype=np.float64)  # (N, D): the diagonals
        if dense:
            jac = _diag_embed(jac)
    elif isinstance(module, Softmax):
        if module.axis not in (-1, 1):
            raise ValueError(f"module_jacobian: Softmax over axis {module.axis} is not supported")
        s = module.function(xb)  # no cache touched
        # d s_i / d x_j = s_i (delta_ij - s_j)
        jac = s[:, :, None] * (np.eye(s.shape[1]) - s[:, None, :])
    elif isinstance(module, Sequential):
        jac = sequential_jacobian(module, xb)
    else:
        raise TypeError(
            f"module_jacobian: no closed-form Jacobian for {type(module).__name__}; "
            "use reverse_mode_jacobian(module, x), which only needs its backward()"
        )
    return jac[0] if single else jac


def _diag_embed(d: np.ndarray) -> np.ndarray:
    """``(N, D)`` diagonals -> ``(N, D, D)`` diagonal matrices."""
    n, k = d.shape
    out = np.zeros((n, k, k), dtype=d.dtype)
    idx = np.arange(k)
    out[:, idx, idx] = d
    return out


def _module_inputs(model: Sequential, x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Run ``model`` forward on ``x`` ``(N, D_in)``; return each module's input, and the output."""
    inputs = []
    for module in model:
        inputs.append(x)
        x = module.forward(x)
    return inputs, x


def _left_apply(jac: np.ndarray, acc: np.ndarray | None) -> np.ndarray:
    """Forward-mode step ``J @ acc`` for a batch; a 2-D ``jac`` ``(N, D)`` is a diagonal.

    ``acc``: ``(N, D_prev, D_in)`` or ``None`` (then the result is ``J`` itself, dense).
    """
    if acc is None:
        return _diag_embed(jac) if jac.ndim == 2 else np.array(jac)
    if jac.ndim == 2:
        return jac[:, :, None] * acc  # diag(d) @ A scales the rows of A
    return jac @ acc


def sequential_jacobian(model: Module, x: np.ndarray) -> np.ndarray:
    """Full Jacobian ``dy/dx`` of a model, by chaining per-module Jacobians in forward order.

    ``A_1 = J_1``, ``A_m = J_m A_{m-1}``: each product is the Jacobian of the first ``m``
    modules, with ``D_in`` columns. Diagonal Jacobians scale rows (never built densely).

    Parameters
    ----------
    model : Sequential or Module
        A :class:`Sequential` of modules supported by :func:`module_jacobian` (a single module
        is treated as a one-module Sequential).
    x : np.ndarray
        One sample ``(D_in,)`` or a batch ``(N, D_in)``.

    Returns
    -------
    np.ndarray
        ``(D_out, D_in)`` for one sample, ``(N, D_out, D_in)`` for a batch.
    """
    xb, single = _as_batch(x, "sequential_jacobian")
    modules = list(model) if isinstance(model, Sequential) else [model]
    acc: np.ndarray | None = None
    for module in modules:
        acc = _left_apply(module_jacobian(module, xb), acc)
        xb = module.forward(xb)
    if acc is None:  # an empty Sequential is the identity
        acc = np.broadcast_to(np.eye(xb.shape[1]), (xb.shape[0], xb.shape[1], xb.shape[1])).copy()
    return acc[0] if single else acc


@contextlib.contextmanager
def _grads_preserved(model: Module) -> Iterator[None]:
    """Let ``model.backward`` run without changing any parameter's ``.grad``."""
    saved = [p.grad.copy() for p in model.parameters()]
    try:
        yield
    finally:
        for p, g in zip(model.parameters(), saved, strict=True):
            p.grad[...] = g


def reverse_mode_jacobian(model: Module, x: np.ndarray) -> np.ndarray:
    """Full Jacobian ``dy/dx`` from ``D_out`` VJPs (one ``model.backward`` on a batch).

    Row ``i`` of ``J`` is ``e_i^T J``: the VJP with the ``i``-th unit vector. All rows come from
    one forward/backward of the sample repeated ``D_out`` times with ``grad_output = I``. Works
    for any module with a correct ``backward``; parameter gradients are left unchanged.

    Parameters
    ----------
    model : Module
    x : np.ndarray
        One sample ``(D_in,)`` or a batch ``(N, D_in)``.

    Returns
    -------
    np.ndarray
        ``(D_out, D_in)`` for one sample, ``(N, D_out, D_in)`` for a batch.
    """
    xb, single = _as_batch(x, "reverse_mode_jacobian")
    n, d_in = xb.shape
    d_out = model.forward(xb[:1]).shape[1]
    repeated = np.repeat(xb, d_out, axis=0)  # (N * D_out, D_in)
    seeds = np.tile(np.eye(d_out), (n, 1))  # (N * D_out, D_out)
    with _grads_preserved(model):
        model.forward(repeated)
        rows = model.backward(seeds)
    jac = rows.reshape(n, d_out, d_in)
    return jac[0] if single else jac


def vjp(model: Module, x: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vector-Jacobian product ``v^T J`` by reverse mode (``model.backward``), per sample.

    No Jacobian is formed; parameter gradients are left unchanged.

    Parameters
    ----------
    model : Module
    x : np.ndarray
        ``(D_in,)`` or ``(N, D_in)``.
    v : np.ndarray
        ``(D_out,)`` or ``(N, D_out)``, matching ``x``.

    Returns
    -------
    np.ndarray
        ``(D_in,)`` or ``(N, D_in)``: ``J^T v`` for each sample.
    """
    xb, single = _as_batch(x, "vjp")
    vb = np.asarray(v, dtype=np.float64).reshape(xb.shape[0], -1)
    with _grads_preserved(model):
        out = model.forward(xb)
        if out.shape != vb.shape:
            raise ValueError(f"vjp: v must have the output's shape {out.shape}, got {vb.shape}")
        dx = model.backward(vb.copy())
    return dx[0] if single else dx


def _module_jvp(module: Module, x: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(f(x), J u)`` for one module; ``x``, ``u``: ``(N, D_in)``."""
    if isinstance(module, Sequential):
        for sub in module:
            x, u = _module_jvp(sub, x, u)
        return x, u
    y = module.forward(x)
    if isinstance(module, Linear):
        return y, u @ module.weight.data.T
    if isinstance(module, Identity):
        return y, u
    if is_elementwise(module):
        return y, u * module.derivative(x)
    if isinstance(module, Softmax):
        return y, y * (u - np.sum(u * y, axis=1, keepdims=True))  # J is symmetric
    # no closed-form rule: build the module's Jacobian from its backward (exact, costs D_out VJPs)
    return y, np.einsum("nij,nj->ni", reverse_mode_jacobian(module, x), u)


def jvp(model: Module, x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Jacobian-vector product ``J u`` by forward mode: push the tangent ``u`` through each module.

    Costs about one extra forward pass; no Jacobian is formed.

    Parameters
    ----------
    model : Module
    x : np.ndarray
        ``(D_in,)`` or ``(N, D_in)``.
    u : np.ndarray
        A direction in input space, same shape as ``x``.

    Returns
    -------
    np.ndarray
        ``(D_out,)`` or ``(N, D_out)``: the directional derivative of the output along ``u``.
    """
    xb, single = _as_batch(x, "jvp")
    ub = np.asarray(u, dtype=np.float64).reshape(xb.shape)
    _, out = _module_jvp(model, xb, ub)
    return out[0] if single else out
