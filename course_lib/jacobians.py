"""Jacobians versus vector-Jacobian products: what backpropagation avoids, in numbers.

A network ``y = f_M(... f_2(f_1(x)))`` has the Jacobian ``J = J_M ... J_2 J_1`` (chain rule),
where ``J_m = d f_m / d(input of f_m)`` is evaluated at the module's input for that sample:

- :class:`~course_lib.modules.Linear`: ``J = W``, shape ``(D_out, D_in)``, equal for every sample.
- an elementwise activation ``f``: ``J = diag(f'(x))``. It is diagonal, so this module stores only
  the vector ``f'(x)`` (shape ``(D,)``), and multiplying by it scales rows or columns,
  ``D`` multiply-adds instead of ``D^2`` per column. Pass ``dense=True`` to get the matrix anyway.
- :class:`~course_lib.activations.Softmax`: ``J = diag(s) - s s^T``, dense, shape ``(C, C)``.

The full Jacobian can be accumulated in two orders. *Forward mode* multiplies left to right in
the order of the forward pass, ``J_2 J_1``, then ``J_3 (J_2 J_1)`` and so on; every partial
product has ``D_in`` columns. *Reverse mode* starts from the output. When the output is a scalar
loss it starts from a row vector ``g = dL/dy`` and only ever multiplies a vector by a matrix:
``((g J_M) J_{M-1}) ...``. That is a chain of vector-Jacobian products (VJPs), and a VJP never
needs the Jacobian itself: ``module.backward(g)`` computes ``g J`` directly from the forward
cache (``g @ W`` for Linear, ``g * f'(x)`` for an activation). That is backpropagation.
:func:`jacobian_cost` measures all of this for an MLP.

Shapes: ``N`` is the batch size, ``D_in`` / ``D_out`` the input / output width of the whole
model; a single sample may be given as ``(D_in,)`` or ``(1, D_in)``.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from .activations import ACTIVATIONS, Softmax
from .modules import Identity, Linear, Module, Sequential
from .utils import as_rng

__all__ = [
    "is_elementwise",
    "module_jacobian",
    "sequential_jacobian",
    "reverse_mode_jacobian",
    "vjp",
    "jvp",
    "MethodCost",
    "JacobianCostReport",
    "jacobian_cost",
]

BYTES_PER_FLOAT = 8  # float64


# ================================================================================================
# per-module Jacobians
# ================================================================================================
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


# ================================================================================================
# the cost of Jacobians versus VJPs
# ================================================================================================
@dataclass
class MethodCost:
    """Cost of one way to get ``dL/dx`` (see :func:`jacobian_cost`).

    Attributes
    ----------
    name : str
    macs : int
        Multiply-adds for the whole batch (closed form).
    memory_bytes : int
        Bytes of the arrays the method materializes (float64); what they are is in ``note``.
    seconds : float
        Median measured wall time.
    note : str
    """

    name: str
    macs: int
    memory_bytes: int
    seconds: float
    note: str


@dataclass
class JacobianCostReport:
    """Result of :func:`jacobian_cost`: one :class:`MethodCost` per method, and memory sizes.

    Attributes
    ----------
    widths : tuple of int
        ``(d_0, ..., d_L)``.
    batch : int
    activation : str
    methods : dict of str to MethodCost
        Keys ``"forward_pass"``, ``"forward_dense"``, ``"forward_diagonal"``, ``"reverse_dense"``,
        ``"reverse_diagonal"``, ``"backprop"``.
    memory : dict of str to int
        Bytes of: ``"batch_jacobians_dense"`` (every module's Jacobian of the whole batch,
        ``(N D_out) x (N D_in)``, as the math writes it), ``"sample_jacobians_dense"``
        (per-sample dense Jacobians), ``"sample_jacobians_diagonal"`` (the same with diagonal
        activations stored as vectors), ``"input_output_jacobian"`` (``dy/dx``, ``N d_L d_0``),
        ``"backprop_cache"`` (module inputs kept by the forward pass) and ``"parameters"``.
    max_discrepancy : float
        Largest ``|dL/dx|`` difference between the methods (they must agree).
    """

    widths: tuple[int, ...]
    batch: int
    activation: str
    methods: dict[str, MethodCost] = field(default_factory=dict)
    memory: dict[str, int] = field(default_factory=dict)
    max_discrepancy: float = 0.0

    def to_markdown(self) -> str:
        """The report as Markdown tables (methods, then memory), with ratios to backprop."""
        bp = self.methods["backprop"]
        lines = [
            f"MLP widths {list(self.widths)}, {self.activation}, batch {self.batch}, "
            "scalar loss; cost of dL/dx (backprop also gets every dL/dW)",
            "",
            "| method | multiply-adds | x backprop | memory | time (median) | materializes |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for m in self.methods.values():
            ratio = f"{m.macs / bp.macs:.3g}" if bp.macs else "-"
            lines.append(
                f"| {m.name} | {m.macs:,} | {ratio} | {_fmt_bytes(m.memory_bytes)} | "
                f"{_fmt_seconds(m.seconds)} | {m.note} |"
            )
        lines += ["", "| memory of ... | bytes |", "|---|---:|"]
        lines += [f"| {k.replace('_', ' ')} | {_fmt_bytes(v)} |" for k, v in self.memory.items()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_markdown()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _fmt_bytes(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.3g} {unit}"
        n /= 1000
    return f"{n} B"  # pragma: no cover


def _fmt_seconds(s: float) -> str:
    return f"{s * 1e3:.3g} ms" if s >= 1e-3 else f"{s * 1e6:.3g} us"


def _closed_form(widths: Sequence[int], n: int) -> tuple[dict[str, int], dict[str, int]]:
    """Multiply-adds and memory (bytes) of each method, as formulas in the widths.

    Linear layers ``l = 1..L`` map ``d_{l-1} -> d_l``; an activation of width ``d_l`` follows
    each but the last. ``d_0`` is the input width, ``N`` the batch.
    """
    d = list(widths)
    L = len(d) - 1
    lin = [d[l] * d[l - 1] for l in range(1, L + 1)]  # entries of each W_l
    act = [d[l] for l in range(1, L)]  # widths of the activations
    b = BYTES_PER_FLOAT
    macs = {
        "forward_pass": n * sum(lin),
        # A_1 = W_1 is free; then J_m A: out*in*d_0 for each later Linear, d^2 d_0 (dense) or
        # d d_0 (diagonal) per activation; then g A: d_L d_0.
        "forward_dense": n * (d[0] * sum(lin[1:]) + d[0] * sum(a * a for a in act) + d[L] * d[0]),
        "forward_diagonal": n * (d[0] * sum(lin[1:]) + d[0] * sum(act) + d[L] * d[0]),
        # g J_L ... J_1: out*in per Linear, d^2 (dense) or d (diagonal) per activation
        "reverse_dense": n * (sum(lin) + sum(a * a for a in act)),
        "reverse_diagonal": n * (sum(lin) + sum(act)),
        # model.backward: dx = g W and dW = g^T x per Linear, g * f'(x) per activation
        "backprop": n * (2 * sum(lin) + sum(act)),
    }
    cache = n * (sum(d[:L]) + sum(act))  # inputs of every Linear and every activation
    method_memory = {
        "forward_pass": b * cache,
        # activation Jacobians + every partial product A_m (the first is a copy of W_1)
        "forward_dense": b * n * (sum(a * a for a in act) + d[0] * (sum(d[1:]) + sum(act))),
        "forward_diagonal": b * n * (sum(act) + d[0] * (sum(d[1:]) + sum(act))),
        # activation Jacobians kept from the forward sweep (a Linear's Jacobian is W itself)
        "reverse_dense": b * n * sum(a * a for a in act),
        "reverse_diagonal": b * n * sum(act),
        "backprop": b * cache,
    }
    memory = {
        "batch_jacobians_dense": b * n * n * (sum(lin) + sum(a * a for a in act)),
        "sample_jacobians_dense": b * n * (sum(lin) + sum(a * a for a in act)),
        "sample_jacobians_diagonal": b * n * (sum(lin) + sum(act)),
        "input_output_jacobian": b * n * d[L] * d[0],
        "backprop_cache": b * cache,
        "parameters": b * (sum(lin) + sum(d[1:])),
    }
    return macs | {f"mem:{k}": v for k, v in method_memory.items()}, memory


def _median_time(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def jacobian_cost(
    widths: Sequence[int],
    batch: int = 1,
    repeats: int = 7,
    *,
    activation: str = "relu",
    rng: np.random.Generator | int | None = 0,
) -> JacobianCostReport:
    """Compare building Jacobians with backprop's VJPs for an MLP: multiply-adds, memory, time.

    The model is ``Linear(d_0, d_1), act, Linear(d_1, d_2), act, ..., Linear(d_{L-1}, d_L)``
    followed by a scalar loss ``L = sum(g * y)`` with a fixed random ``g = dL/dy`` ``(N, d_L)``
    (any scalar loss looks like this to the network). Each method computes ``dL/dx``
    ``(N, d_0)`` for the batch; the results are checked to agree.

    - ``forward_dense`` / ``forward_diagonal``: forward mode, ``A_m = J_m A_{m-1}`` left to right
      (``D_in`` columns throughout), then ``g A``; activation Jacobians as dense ``diag``
      matrices or exploited as diagonals.
    - ``reverse_dense`` / ``reverse_diagonal``: reverse mode over materialized Jacobians,
      ``((g J_M) J_{M-1}) ...``: vector-matrix products only, thanks to the scalar output.
    - ``backprop``: ``model.backward(g)``, VJPs from the forward cache, no Jacobian at all; it
      also produces every ``dL/dW``.
    - ``forward_pass``: the forward pass all of them need first (timed on its own).

    Parameters
    ----------
    widths : sequence of int
        ``[d_0, d_1, ..., d_L]``, at least two entries.
    batch : int
        ``N``.
    repeats : int
        Timing repetitions; the median is reported.
    activation : str
        A key of ``course_lib.activations.ACTIVATIONS`` with an elementwise ``derivative``.
    rng : np.random.Generator, int or None
        For the weights, the input and ``g``.

    Returns
    -------
    JacobianCostReport
        ``print(report)`` or ``report.to_markdown()`` gives the tables.
    """
    widths = tuple(int(w) for w in widths)
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"jacobian_cost: widths must be >= 2 positive ints, got {list(widths)}")
    if batch < 1 or repeats < 1:
        raise ValueError(f"jacobian_cost: batch and repeats must be >= 1, got {batch}, {repeats}")
    if activation not in ACTIVATIONS or not is_elementwise(ACTIVATIONS[activation]()):
        raise ValueError(f"jacobian_cost: activation must be elementwise, got {activation!r}")
    g = as_rng(rng)
    layers: list[Module] = []
    for l in range(1, len(widths)):
        layers.append(Linear(widths[l - 1], widths[l], rng=g))
        if l < len(widths) - 1:
            layers.append(ACTIVATIONS[activation]())
    model = Sequential(*layers)
    x = g.standard_normal((batch, widths[0]))
    seed = g.standard_normal((batch, widths[-1]))  # dL/dy of the scalar loss

    t_forward, (inputs, _) = _median_time(lambda: _module_inputs(model, x), repeats)

    def forward_mode(dense: bool) -> np.ndarray:
        acc = None
        for module, xin in zip(model, inputs, strict=True):
            acc = _left_apply(module_jacobian(module, xin, dense=dense), acc)
        return np.einsum("nk,nkj->nj", seed, acc)

    def reverse_mode(dense: bool) -> np.ndarray:
        r = seed
        for module, xin in zip(reversed(model.layers), reversed(inputs), strict=True):
            if isinstance(module, Linear):
                r = r @ module.weight.data  # the Linear's Jacobian is W
            else:
                jac = module_jacobian(module, xin, dense=dense)
                r = np.einsum("ni,nij->nj", r, jac) if dense else r * jac
        return r

    def backprop() -> np.ndarray:
        return model.backward(seed)

    report = JacobianCostReport(widths=widths, batch=batch, activation=activation)
    formulas, report.memory = _closed_form(widths, batch)
    notes = {
        "forward_pass": "module inputs: the cache backprop reads",
        "forward_dense": "dense diag(f') + every partial Jacobian (d_m x d_0)",
        "forward_diagonal": "f' vectors + every partial Jacobian (d_m x d_0)",
        "reverse_dense": "dense diag(f') kept for the backward sweep",
        "reverse_diagonal": "f' vectors kept for the backward sweep",
        "backprop": "no Jacobian: reads the forward cache",
    }
    report.methods["forward_pass"] = MethodCost(
        "forward pass",
        formulas["forward_pass"],
        formulas["mem:forward_pass"],
        t_forward,
        notes["forward_pass"],
    )
    runs = {
        "forward_dense": ("forward mode, dense Jacobians", lambda: forward_mode(True)),
        "forward_diagonal": ("forward mode, diagonal activations", lambda: forward_mode(False)),
        "reverse_dense": ("reverse mode, dense Jacobians", lambda: reverse_mode(True)),
        "reverse_diagonal": ("reverse mode, diagonal activations", lambda: reverse_mode(False)),
        "backprop": ("backprop (VJPs)", backprop),
    }
    results = {}
    with _grads_preserved(model):
        for key, (name, fn) in runs.items():
            seconds, results[key] = _median_time(fn, repeats)
            report.methods[key] = MethodCost(
                name, formulas[key], formulas[f"mem:{key}"], seconds, notes[key]
            )
    reference = results["backprop"]
    report.max_discrepancy = max(float(np.max(np.abs(r - reference))) for r in results.values())
    scale = float(np.max(np.abs(reference))) or 1.0
    if report.max_discrepancy > 1e-9 * scale:
        raise RuntimeError(f"jacobian_cost: methods disagree by {report.max_discrepancy:.3g}")
    return report
