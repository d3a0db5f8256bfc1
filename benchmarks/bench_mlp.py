"""One training step of an MLP: course_lib vs a hand-fused numpy step vs torch CPU.

A step is forward, cross-entropy loss, backward and an SGD update of a ``Linear + ReLU`` MLP.
The three implementations are timed round-robin in the same process (so machine noise hits
them alike) and the medians and ratios are printed as a Markdown table::

    python benchmarks/bench_mlp.py            # all four shapes
    python benchmarks/bench_mlp.py --quick    # fewer repeats

torch is optional (``pip install -e ".[bench]"``); without it that column is skipped.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from course_lib import SGD, CrossEntropyLoss, Linear, ReLU, Sequential

SHAPES: list[tuple[list[int], int, type]] = [
    ([2, 8, 2], 4, np.float64),
    ([2, 64, 64, 2], 256, np.float64),
    ([784, 256, 10], 128, np.float32),
    ([784, 512, 512, 10], 256, np.float32),
]
LR = 0.01


def make_weights(widths: list[int], dtype: type, seed: int = 0) -> list[tuple[np.ndarray, ...]]:
    """He-initialised ``(W (out, in), b (out,))`` pairs shared by all three implementations."""
    rng = np.random.default_rng(seed)
    out = []
    for a, b in zip(widths[:-1], widths[1:], strict=True):
        W = (rng.standard_normal((b, a)) * np.sqrt(2.0 / a)).astype(dtype)
        out.append((W, np.zeros(b, dtype=dtype)))
    return out


def course_lib_step(widths, dtype, x, y) -> Callable[[], float]:
    """The course_lib step: the Module API as students and lectures use it."""
    layers = []
    for i, (W, b) in enumerate(make_weights(widths, dtype)):
        lin = Linear(W.shape[1], W.shape[0], dtype=dtype)
        lin.weight.data[...] = W
        lin.bias.data[...] = b
        layers.append(lin)
        if i < len(widths) - 2:
            layers.append(ReLU())
    model = Sequential(*layers)
    loss = CrossEntropyLoss()
    opt = SGD(model.parameters(), lr=LR)

    def step() -> float:
        value = loss.forward(model.forward(x), y)
        model.backward(loss.backward(), input_grad=False)
        opt.step()
        opt.zero_grad()
        return value

    return step


def fused_numpy_step(widths, dtype, x, y) -> Callable[[], float]:
    """A hand-written numpy step: no objects, in-place masks, updates fused into backward."""
    params = [(W.copy(), b.copy()) for W, b in make_weights(widths, dtype)]
    rows = np.arange(x.shape[0])
    n = x.shape[0]

    def step() -> float:
        hs = [x]
        h = x
        for W, b in params[:-1]:
            h = h @ W.T
            h += b
            np.maximum(h, 0, out=h)
            hs.append(h)
        W, b = params[-1]
        z = h @ W.T
        z += b
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        value = -float(np.log(z[rows, y]).mean())
        z[rows, y] -= 1
        z /= n
        g = z
        for i in range(len(params) - 1, -1, -1):
            W, b = params[i]
            dW = g.T @ hs[i]
            db = g.sum(axis=0)
            if i > 0:
                g = g @ W
                g *= hs[i] > 0
            W -= LR * dW
            b -= LR * db
        return value

    return step


def torch_step(widths, dtype, x, y) -> Callable[[], float] | None:
    """The same network in torch (CPU, eager), or ``None`` when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    mods = []
    for i, (W, b) in enumerate(make_weights(widths, dtype)):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=tdtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        mods.append(lin)
        if i < len(widths) - 2:
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step() -> float:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
        return float(loss.detach())

    return step


def time_round_robin(
    steps: dict[str, Callable[[], float]], repeats: int, target_s: float = 0.02
) -> dict[str, float]:
    """Median seconds per step of each implementation, measured interleaved."""
    inner = {}
    for name, fn in steps.items():
        for _ in range(3):
            fn()  # warm-up
        t0 = time.perf_counter()
        k = 0
        while time.perf_counter() - t0 < target_s:
            fn()
            k += 1
        inner[name] = max(1, k)
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(repeats):
        for name, fn in steps.items():
            k = inner[name]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            samples[name].append((time.perf_counter() - t0) / k)
    return {name: statistics.median(v) for name, v in samples.items()}


def check_same_losses(steps: dict[str, Callable[[], float]], widths, dtype) -> None:
    """Fresh copies of each implementation give the same first losses (same maths)."""
    first = {name: [fn() for _ in range(3)] for name, fn in steps.items()}
    ref = first["fused numpy"]
    tol = 1e-9 if dtype == np.float64 else 1e-3
    for name, values in first.items():
        if not np.allclose(values, ref, rtol=tol, atol=tol):
            raise AssertionError(
                f"{name} disagrees with the fused step on {widths}: {values} vs {ref}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=31, help="timed rounds (median taken)")
    parser.add_argument("--quick", action="store_true", help="7 rounds instead of 31")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit BLAS and torch to this many threads (default: the libraries' own default); "
        "on a busy shared machine, spinning thread pools make timings erratic",
    )
    args = parser.parse_args()
    repeats = 7 if args.quick else args.repeats
    if args.threads is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            parser.error("--threads needs threadpoolctl (pip install -e '.[bench]')")
        threadpool_limits(args.threads)
        try:
            import torch

            torch.set_num_threads(args.threads)
        except ImportError:
            pass

    try:
        import torch

        torch_info = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        torch_info = "torch not installed"
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}, {torch_info}\n"
    )
    print(
        "| widths | batch | dtype | course_lib | fused numpy | torch CPU | "
        "course_lib / fused | course_lib / torch |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for widths, batch, dtype in SHAPES:
        rng = np.random.default_rng(1)
        x = rng.standard_normal((batch, widths[0])).astype(dtype)
        y = rng.integers(0, widths[-1], batch)
        makers = {
            "course_lib": course_lib_step,
            "fused numpy": fused_numpy_step,
            "torch": torch_step,
        }
        check = {n: m(widths, dtype, x, y) for n, m in makers.items()}
        check_same_losses({n: f for n, f in check.items() if f is not None}, widths, dtype)
        steps = {n: m(widths, dtype, x, y) for n, m in makers.items()}
        steps = {n: f for n, f in steps.items() if f is not None}
        med = time_round_robin(steps, repeats)
        cl, fu = med["course_lib"], med["fused numpy"]
        to = med.get("torch")

        def fmt(s: float | None) -> str:
            return "n/a" if s is None else f"{s * 1e6:,.0f} µs"

        r_to = "n/a" if to is None else f"{cl / to:.2f}x"
        print(
            f"| {widths} | {batch} | {np.dtype(dtype).name} | {fmt(cl)} | {fmt(fu)} | "
            f"{fmt(to)} | {cl / fu:.2f}x | {r_to} |"
        )


if __name__ == "__main__":
    main()
