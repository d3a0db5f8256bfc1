"""The cost of Jacobians versus VJPs: multiply-adds, memory and time of five ways to get ``dL/dx``.

:func:`jacobian_cost` builds an MLP and computes ``dL/dx`` of a scalar loss by forward mode and by
reverse mode over materialized Jacobians (dense, or with the activations' diagonal Jacobians kept
as vectors) and by backprop's VJPs, which form no Jacobian at all. It reports the closed-form
multiply-adds and memory next to the measured times, and checks that all the methods agree.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..activations import ACTIVATIONS
from ..mlp import mlp
from ..modules import Linear, Sequential
from ..utils import as_rng
from .products import _grads_preserved, _left_apply, _module_inputs, is_elementwise, module_jacobian

__all__ = ["MethodCost", "JacobianCostReport", "jacobian_cost"]

BYTES_PER_FLOAT = 8  # float64

# method key -> (name in the table, what the method materializes); the table's row order
METHODS = {
    "forward_pass": ("forward pass", "module inputs: the cache backprop reads"),
    "forward_dense": (
        "forward mode, dense Jacobians",
        "dense diag(f') + every partial Jacobian (d_m x d_0)",
    ),
    "forward_diagonal": (
        "forward mode, diagonal activations",
        "f' vectors + every partial Jacobian (d_m x d_0)",
    ),
    "reverse_dense": (
        "reverse mode, dense Jacobians",
        "dense diag(f') kept for the backward sweep",
    ),
    "reverse_diagonal": (
        "reverse mode, diagonal activations",
        "f' vectors kept for the backward sweep",
    ),
    "backprop": ("backprop (VJPs)", "no Jacobian: reads the forward cache"),
}


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
    batch, repeats : int
        ``N``; timing repetitions (the median is reported).
    activation : str
        A key of ``course_lib.activations.ACTIVATIONS`` with an elementwise ``derivative``.
    rng : np.random.Generator, int or None
        For the weights, the input and ``g``.

    Returns
    -------
    JacobianCostReport
        ``print(report)`` or ``report.to_markdown()`` gives the tables.
    """
    widths = _checked_widths(widths, batch, repeats, activation)
    g = as_rng(rng)
    model = mlp(widths, g, ACTIVATIONS[activation])
    x = g.standard_normal((batch, widths[0]))
    seed = g.standard_normal((batch, widths[-1]))  # dL/dy of the scalar loss
    seconds, results = _time_methods(model, x, seed, repeats)
    report = JacobianCostReport(widths=widths, batch=batch, activation=activation)
    formulas, report.memory = _closed_form(widths, batch)
    for key, (name, note) in METHODS.items():
        report.methods[key] = MethodCost(
            name, formulas[key], formulas[f"mem:{key}"], seconds[key], note
        )
    report.max_discrepancy = _max_discrepancy(results, reference=results["backprop"])
    return report


def _time_methods(
    model: Sequential, x: np.ndarray, seed: np.ndarray, repeats: int
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Median seconds of every method of :data:`METHODS`, and the ``dL/dx`` ``(N, d_0)`` of each.

    ``x`` is the input ``(N, d_0)``, ``seed`` is ``g = dL/dy`` ``(N, d_L)``. The forward pass runs
    (and is timed) first; the others reuse its module inputs. Parameter grads are left unchanged.
    """
    seconds = {}
    seconds["forward_pass"], (inputs, _) = _median_time(lambda: _module_inputs(model, x), repeats)
    runs = {
        "forward_dense": lambda: forward_mode_dldx(model, inputs, seed, dense=True),
        "forward_diagonal": lambda: forward_mode_dldx(model, inputs, seed, dense=False),
        "reverse_dense": lambda: reverse_mode_dldx(model, inputs, seed, dense=True),
        "reverse_diagonal": lambda: reverse_mode_dldx(model, inputs, seed, dense=False),
        "backprop": lambda: model.backward(seed),
    }
    results = {}
    with _grads_preserved(model):
        for key, fn in runs.items():
            seconds[key], results[key] = _median_time(fn, repeats)
    return seconds, results


def forward_mode_dldx(
    model: Sequential, inputs: list[np.ndarray], seed: np.ndarray, *, dense: bool
) -> np.ndarray:
    """``dL/dx = g A_M`` with ``A_m = J_m A_{m-1}`` accumulated left to right (forward mode).

    Parameters
    ----------
    model : Sequential
        Of modules supported by :func:`~course_lib.jacobians.module_jacobian`.
    inputs : list of np.ndarray
        Each module's input from the forward pass, ``(N, d_in of that module)``.
    seed : np.ndarray
        ``g = dL/dy``, shape ``(N, d_L)``.
    dense : bool
        Build the activations' diagonal Jacobians as dense matrices.

    Returns
    -------
    np.ndarray
        ``(N, d_0)``.
    """
    acc = None
    for module, xin in zip(model, inputs, strict=True):
        acc = _left_apply(module_jacobian(module, xin, dense=dense), acc)
    return np.einsum("nk,nkj->nj", seed, acc)


def reverse_mode_dldx(
    model: Sequential, inputs: list[np.ndarray], seed: np.ndarray, *, dense: bool
) -> np.ndarray:
    """``dL/dx = ((g J_M) J_{M-1}) ... J_1`` over materialized Jacobians (reverse mode).

    A Linear's Jacobian is ``W`` itself; the activations' Jacobians are built from their
    inputs, as dense ``(N, d, d)`` matrices or as diagonals ``(N, d)``. Parameters and the
    result's shape ``(N, d_0)`` as in :func:`forward_mode_dldx`.
    """
    r = seed
    for module, xin in zip(reversed(model.layers), reversed(inputs), strict=True):
        if isinstance(module, Linear):
            r = r @ module.weight.data  # the Linear's Jacobian is W
        else:
            jac = module_jacobian(module, xin, dense=dense)
            r = np.einsum("ni,nij->nj", r, jac) if dense else r * jac
    return r


def _checked_widths(
    widths: Sequence[int], batch: int, repeats: int, activation: str
) -> tuple[int, ...]:
    """The widths as a tuple of ints, or a ``ValueError`` naming the bad argument."""
    widths = tuple(int(w) for w in widths)
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"jacobian_cost: widths must be >= 2 positive ints, got {list(widths)}")
    if batch < 1 or repeats < 1:
        raise ValueError(f"jacobian_cost: batch and repeats must be >= 1, got {batch}, {repeats}")
    if activation not in ACTIVATIONS or not is_elementwise(ACTIVATIONS[activation]()):
        raise ValueError(f"jacobian_cost: activation must be elementwise, got {activation!r}")
    return widths


def _max_discrepancy(results: dict[str, np.ndarray], reference: np.ndarray) -> float:
    """Largest ``|dL/dx|`` difference to ``reference`` ``(N, d_0)``; raise if they disagree."""
    worst = max(float(np.max(np.abs(r - reference))) for r in results.values())
    scale = float(np.max(np.abs(reference))) or 1.0
    if worst > 1e-9 * scale:
        raise RuntimeError(f"jacobian_cost: methods disagree by {worst:.3g}")
    return worst
