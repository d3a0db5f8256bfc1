"""Python-side cost of one slider update of each interactive explorer (course_lib.widgets).

A slider update is ``ex.set(name=value)``: recompute the state, update the figure's artists in
place, redraw (restore the cached background, draw only the changing artists: Agg "blitting")
and encode the PNG that the ``ipywidgets.Image`` sends to the browser. The script sweeps one
slider per explorer through 50 values, like a drag, and times the three parts separately:

- **state + artists**: ``ex.update(render=False)``, the numpy work and the ``set_data`` calls;
- **draw**: ``ex.renderer.draw()``, restoring the background and drawing the changed artists
  (a full redraw when an axis limit had to change: counted in the table);
- **PNG**: ``ex.renderer.png()``, encoding the canvas.

It reports the median and the 90th percentile of wall-clock time and the median CPU time of the
process (``time.process_time``), which is what to compare when the machine is shared::

    python benchmarks/bench_widgets.py            # 50 updates per explorer
    python benchmarks/bench_widgets.py --n 20     # quicker

Target (issue 4): <= 16 ms median per update (60 updates per second) for explorers 1-4. The
backprop explorer redraws its whole (small) graph each step and is listed for information.
The activation explorer's training run happens once per new (activation, parameter, step
size); the sweep measures the cached updates, and a separate row the cold one with training.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from course_lib.widgets import (  # noqa: E402
    activation_explorer,
    backprop_explorer,
    cost_explorer,
    relu_explorer,
    xor_explorer,
)
from course_lib.widgets.explorer import Explorer  # noqa: E402


@dataclass
class Timing:
    """Per-update samples in milliseconds (wall and CPU) of the parts of an update."""

    name: str
    control: str
    wall: dict[str, np.ndarray]
    cpu: dict[str, np.ndarray]
    full_draws: int
    png_kib: float
    full_redraw: tuple[float, float] = (float("nan"), float("nan"))


def time_updates(
    name: str, ex: Explorer, control: str, values: list, prepare: Callable[[], None] | None = None
) -> Timing:
    """Time ``ex.set(control=v)`` for each ``v``, split into state, draw and PNG."""
    parts = ("state + artists", "draw", "PNG", "total")
    wall = {p: [] for p in parts}
    cpu = {p: [] for p in parts}
    full_before = ex.renderer.full_draws
    sizes = []
    for value in values:
        if prepare is not None:
            prepare()
        stamps_w = [time.perf_counter()]
        stamps_c = [time.process_time()]
        # the body of Explorer.set, split so that each part can be timed
        with ex._lock:
            expanded = ex._expand({control: value})
            clean = {k: ex._validate(k, v) for k, v in expanded.items()}
            ex._params.update(clean)
            ex._sync_controls(clean)
            ex._changed(clean)
            ex.update(render=False)
            stamps_w.append(time.perf_counter())
            stamps_c.append(time.process_time())
            ex.renderer.draw()
            stamps_w.append(time.perf_counter())
            stamps_c.append(time.process_time())
            png = ex.renderer.png()
            ex.image.value = png
            stamps_w.append(time.perf_counter())
            stamps_c.append(time.process_time())
        sizes.append(len(png))
        for samples, stamps in ((wall, stamps_w), (cpu, stamps_c)):
            for p, a, b in zip(parts[:3], stamps[:-1], stamps[1:], strict=True):
                samples[p].append(1e3 * (b - a))
            samples["total"].append(1e3 * (stamps[-1] - stamps[0]))
    return Timing(
        name,
        control,
        {p: np.array(v) for p, v in wall.items()},
        {p: np.array(v) for p, v in cpu.items()},
        ex.renderer.full_draws - full_before,
        float(np.mean(sizes)) / 1024,
        time_full_redraw(ex),
    )


def sweep(lo: float, hi: float, n: int, step: float) -> list[float]:
    """``n`` slider positions from ``lo`` to ``hi`` and back, on the slider's step grid."""
    half = np.linspace(lo, hi, (n + 1) // 2)
    values = np.concatenate([half, half[::-1]])[:n]
    return [round(float(np.round(v / step) * step), 6) for v in values]


def time_full_redraw(ex: Explorer, repeats: int = 3) -> tuple[float, float]:
    """Median (wall, CPU) ms of a render that redraws the whole figure (after invalidate)."""
    wall, cpu = [], []
    for _ in range(repeats):
        ex.renderer.invalidate()
        w, c = time.perf_counter(), time.process_time()
        ex.render()
        wall.append(1e3 * (time.perf_counter() - w))
        cpu.append(1e3 * (time.process_time() - c))
    return float(np.median(wall)), float(np.median(cpu))


def run(n: int) -> list[Timing]:
    """Build each explorer, warm it up, and time ``n`` updates of one of its sliders."""
    results = []

    ex = relu_explorer()
    ex.set(preset="rotation")
    time_updates("relu", ex, "a11", sweep(-1.0, 1.0, 6, 0.05))  # warm-up
    results.append(time_updates("1 relu_explorer", ex, "a11", sweep(-1.0, 1.0, n, 0.05)))

    ex = xor_explorer()
    time_updates("xor", ex, "W11", sweep(0.5, 1.5, 6, 0.05))
    results.append(time_updates("2 xor_explorer", ex, "W11", sweep(0.5, 1.5, n, 0.05)))

    ex = activation_explorer(activation="elu")
    alphas = [0.5, 0.8, 1.0, 1.2, 1.5]
    time_updates("act", ex, "elu_alpha", alphas)  # trains (and caches) each alpha once
    cycle = [alphas[i % len(alphas)] for i in range(n)]
    results.append(time_updates("3 activation_explorer", ex, "elu_alpha", cycle))
    cold = [2.0, 2.2, 2.4, 2.6, 2.8]  # new values: each trains the MLP
    results.append(time_updates("3 activation_explorer (cold)", ex, "elu_alpha", cold))

    ex = cost_explorer()
    time_updates("cost", ex, "outlier_y", sweep(-10, 30, 6, 0.5))
    results.append(time_updates("4 cost_explorer", ex, "outlier_y", sweep(-10, 30, n, 0.5)))

    ex = backprop_explorer(graph="sigmoid neuron")
    steps = [i % (ex.state["n_steps"] + 1) for i in range(n)]
    time_updates("backprop", ex, "step", steps[:5])
    results.append(time_updates("5 backprop_explorer", ex, "step", steps))
    return results


def table(results: list[Timing]) -> str:
    """The results as a Markdown table (milliseconds)."""
    head = (
        "| explorer (slider) | state + artists | draw | PNG | **total** median | total p90 "
        "| total CPU median | full redraws in the sweep | one full redraw (wall / CPU) "
        "| PNG KiB |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    rows = []
    for r in results:
        med = {p: float(np.median(v)) for p, v in r.wall.items()}
        p90 = float(np.percentile(r.wall["total"], 90))
        cpu = float(np.median(r.cpu["total"]))
        rows.append(
            f"| {r.name} (`{r.control}`, {len(r.wall['total'])} updates) "
            f"| {med['state + artists']:.1f} | {med['draw']:.1f} | {med['PNG']:.1f} "
            f"| **{med['total']:.1f}** | {p90:.1f} | {cpu:.1f} | {r.full_draws} "
            f"| {r.full_redraw[0]:.0f} / {r.full_redraw[1]:.0f} | {r.png_kib:.0f} |"
        )
    return "\n".join([head, *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50, help="updates per explorer (default 50)")
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"python {platform.python_version()}, matplotlib {matplotlib.__version__}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs, "
        f"load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
    )
    results = run(args.n)
    print(table(results))
    load = os.getloadavg()
    print(f"\nload average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; times in ms")


if __name__ == "__main__":
    main()
