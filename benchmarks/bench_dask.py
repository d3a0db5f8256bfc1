"""Grading on Dask: ``course grade --dask local:2`` against ``course grade --jobs 2``.

The same submissions of ``ex01_modules`` (the mix of :mod:`bench_grading`: correct, gradients
assigned instead of accumulated, a sum over the wrong axis, unfinished, blank) are graded by
both commands on the same machine, one run each, timed end to end as commands (interpreter
start-up, the local cluster and the workers included), and their per-cell scores compared.

Then, on a ``LocalCluster`` of two workers bound to 127.0.0.1, it measures what a task costs
on top of grading (a no-op task's round trip, a task carrying one job's bytes, the scheduler's
throughput) and what the grading process itself spends per submission (reading and preparing
it before the workers start; scoring and recording its result), and from those estimates the
wall time of 10,000 submissions on 10, 50 and 200 workers::

    python benchmarks/bench_dask.py                # 200 submissions, one run each
    python benchmarks/bench_dask.py --repeat 3     # the fastest of 3 alternating runs each
    python benchmarks/bench_dask.py -n 40 --json results.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_grading import EXERCISE, MIX, write_class  # noqa: E402

#: Submissions of the estimate, and worker counts (one thread, one grading process each).
TARGET = 10_000
WORKERS = (10, 50, 200)


def run_course_grade(folder: Path, name: str, executor: list[str]) -> dict[str, Any]:
    """Time ``course grade EX CLASS <executor>`` as a command; return seconds and records."""
    workspace = folder / name
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    command = [
        sys.executable, "-m", "autograder.cli", "--root", str(ROOT), "grade", EXERCISE,
        str(folder / "class"), *executor, "--workspace", str(workspace), "--no-progress",
    ]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"course grade failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    # CPU seconds of the command and the processes it waited for (less noisy than wall time
    # on a shared machine; a process killed before reaping its own children leaves them out)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    records = {}
    for path in sorted((workspace / "results" / EXERCISE).glob("*.json")):
        record = json.loads(path.read_text())
        records[record["student_id"]] = record
    sandbox = next((ln for ln in proc.stdout.splitlines() if ln.startswith("sandbox:")), "")
    return {"seconds": seconds, "cpu": cpu, "records": records, "sandbox": sandbox}


def cell_scores(records: dict[str, dict]) -> dict[str, dict[str, float]]:
    """Student -> {grade_id: points}."""
    return {s: {c["grade_id"]: c["points"] for c in r["cells"]} for s, r in records.items()}


def task_overhead(client: Any, payload: bytes, rounds: int = 100) -> dict[str, float]:
    """Median round trip (s) of a no-op task and of a task carrying ``payload``; amortized
    seconds per task when 500 no-op tasks are submitted at once."""

    def round_trip(*args: Any) -> float:
        start = time.perf_counter()
        client.submit(len, *args, pure=False).result()
        return time.perf_counter() - start

    for _ in range(10):  # warm the connections
        round_trip(b"")
    noop = statistics.median(round_trip(b"") for _ in range(rounds))
    carrying = statistics.median(round_trip(payload) for _ in range(rounds))
    start = time.perf_counter()
    client.gather([client.submit(len, b"", pure=False) for _ in range(500)])
    burst = (time.perf_counter() - start) / 500
    return {"noop_round_trip": noop, "job_round_trip": carrying, "burst_per_task": burst}


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.thread_time()


def _timed_pool(base: type, marks: dict[str, float]) -> type:
    """A ``DaskPool`` that starts its workers before anything is read and notes, in ``marks``,
    when the jobs are ready and the time the caller spends between two of its events."""

    class TimedPool(base):
        def start(self) -> Any:
            began = time.perf_counter()
            super().start()
            self.hello = super().wait_ready()
            marks["warm_start"] = time.perf_counter() - began
            marks["start"], marks["start_cpu"] = _now()
            return self

        def wait_ready(self) -> dict[str, Any]:
            marks["prepared"], marks["prepared_cpu"] = _now()
            return self.hello

        def run(self, jobs: list[dict[str, Any]]) -> Any:
            marks["jobs"] = len(jobs)
            marks["job_bytes"] = statistics.median(len(json.dumps(j)) for j in jobs)
            for event in super().run(jobs):
                wall, cpu = _now()
                yield event
                marks["outside"] += time.perf_counter() - wall
                marks["outside_cpu"] += time.thread_time() - cpu

    return TimedPool


def client_costs(folder: Path, address: str, n: int) -> dict[str, float]:
    """Grade ``n`` submissions in this process on the cluster at ``address`` and time the
    grading process's own work: preparing them (intake, sanitizing, jobs) and scoring and
    recording each result (the time spent outside the executor's ``run``).

    The workers are started and warm before the submissions are read (``start`` waits for
    them), so they do not compete with the preparation for this machine's CPUs. Wall and
    CPU seconds of the main thread are both kept: on this shared machine the workers run
    beside the grading process; on a cluster they have their own machines.
    """
    from autograder.cluster import dask_pool
    from autograder.limits import Limits
    from autograder.pipeline import grading
    from autograder.pipeline.grading import GradeOptions
    from autograder.workspace import Workspace

    marks: dict[str, float] = {"outside": 0.0, "outside_cpu": 0.0}
    timed_pool = _timed_pool(dask_pool.DaskPool, marks)

    small = folder / "small"
    for student in sorted(p.name for p in (folder / "class").iterdir())[:n]:
        shutil.copytree(folder / "class" / student, small / student)
    collect = getattr(grading, "_collect", None)  # reads the submissions, once the
    # gradebook is open (opening it, a few seconds once per run, is not per submission)

    def timed_collect(*args: Any, **kwargs: Any) -> Any:
        marks["start"], marks["start_cpu"] = _now()
        return collect(*args, **kwargs)

    original, dask_pool.DaskPool = dask_pool.DaskPool, timed_pool
    if collect is not None:
        grading._collect = timed_collect
    try:
        options = GradeOptions(limits=Limits(), progress=False, dask=address)
        workspace = Workspace(folder / "timed", root=ROOT)
        run = grading.grade(EXERCISE, small, root=ROOT, workspace=workspace, options=options)
    finally:
        dask_pool.DaskPool = original
        if collect is not None:
            grading._collect = collect
    jobs = marks["jobs"]
    return {
        "prepare": (marks["prepared"] - marks["start"]) / jobs,
        "prepare_cpu": (marks["prepared_cpu"] - marks["start_cpu"]) / jobs,
        "record": marks["outside"] / jobs,
        "record_cpu": marks["outside_cpu"] / jobs,
        "warm_start": marks["warm_start"],
        "grading": statistics.median(r["run"]["duration"] for r in run.records),
        "job_bytes": marks["job_bytes"],
    }


def measure_cluster(folder: Path, n: int) -> tuple[dict[str, float], dict[str, float]]:
    """Start a local cluster of two workers; return task overheads and client costs."""
    from distributed import Client

    from autograder.cluster.dask_pool import local_cluster

    cluster = local_cluster(2)
    client = Client(cluster, set_as_default=False)
    try:
        costs = client_costs(folder, cluster.scheduler_address, n)
        payload = b"x" * int(costs["job_bytes"])
        overhead = task_overhead(client, payload)
    finally:
        client.close()
        cluster.close()
    return overhead, costs


def estimate(costs: dict[str, float], overhead: dict[str, float]) -> dict[int, float]:
    """Seconds for :data:`TARGET` submissions on each of :data:`WORKERS` workers.

    The grading process reads and prepares every submission while the workers start (CPU
    seconds: on a cluster it has its machine to itself); then each worker grades its share,
    one task after another (grading plus a task's round trip), unless the grading process,
    which scores and records every result one at a time, or the scheduler is slower.
    """
    start = max(TARGET * costs["prepare_cpu"], costs["warm_start"])
    per_task = costs["grading"] + overhead["job_round_trip"]
    serial = TARGET * max(costs["record_cpu"], overhead["burst_per_task"])
    return {w: start + max(math.ceil(TARGET / w) * per_task, serial) for w in WORKERS}


def report(args: argparse.Namespace, figures: dict[str, Any]) -> None:
    """Print the Markdown tables."""
    local, dask = figures["jobs_s"], figures["dask_s"]
    runs = "one run each" if args.repeat <= 1 else f"fastest of {args.repeat} runs each"
    print(f"\n{args.n} submissions of {EXERCISE} ({', '.join(MIX)} in turn), {runs}\n")
    print("| grader | wall clock | per submission | CPU |\n|---|---:|---:|---:|")
    for name, wall, cpu in [
        ("--jobs 2", local, figures["jobs_cpu_s"]),
        ("--dask local:2", dask, figures["dask_cpu_s"]),
    ]:
        print(f"| `course grade {name}` | {wall:.1f} s | {wall / args.n:.3f} s | {cpu:.1f} s |")
    print(
        f"\nDask / local: {figures['ratio']:.3f} (target <= 1.15); identical per-cell scores: "
        f"{'yes' if not figures['mismatches'] else 'NO ' + ', '.join(figures['mismatches'])}; "
        f"load average {figures['load_before'][0]:.1f} before, {figures['load_after'][0]:.1f} after"
    )
    if args.repeat > 1:
        print(f"every run (s): {figures['all_runs_s']}")
    o, c = figures["overhead"], figures["client"]
    print(
        f"\nper task: no-op round trip {o['noop_round_trip'] * 1e3:.1f} ms, with a job's "
        f"{c['job_bytes'] / 1024:.0f} KiB {o['job_round_trip'] * 1e3:.1f} ms, 500 at once "
        f"{o['burst_per_task'] * 1e3:.2f} ms each; grading process per submission: prepare "
        f"{c['prepare'] * 1e3:.1f} ms ({c['prepare_cpu'] * 1e3:.1f} ms CPU), score and "
        f"record {c['record'] * 1e3:.1f} ms ({c['record_cpu'] * 1e3:.1f} ms CPU); a worker "
        f"grades one in {c['grading']:.3f} s; warm start {c['warm_start']:.1f} s\n"
    )
    print(f"| {TARGET:,} submissions on | estimated wall time |\n|---|---:|")
    for workers, seconds in figures["estimate"].items():
        print(f"| {workers} workers | {seconds / 60:.1f} min ({seconds:,.0f} s) |")


def compare(folder: Path, repeat: int) -> dict[str, Any]:
    """Run both commands ``repeat`` times, alternating which goes first; keep every run."""
    runs: dict[str, list[dict[str, Any]]] = {"jobs": [], "dask": []}
    commands = {"jobs": ["--jobs", "2"], "dask": ["--dask", "local:2"]}
    for i in range(repeat):
        for name in ("jobs", "dask") if i % 2 == 0 else ("dask", "jobs"):
            runs[name].append(run_course_grade(folder, f"{name}{i}", commands[name]))
    return runs


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200, help="submissions (default 200)")
    parser.add_argument("--timed", type=int, default=60, help="submissions of the timed run")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each command, alternating (default 1)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    try:
        write_class(args.n, folder)
        load_before = os.getloadavg()
        runs = compare(folder, max(1, args.repeat))
        load_after = os.getloadavg()
        overhead, costs = measure_cluster(folder, min(args.timed, args.n))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    scores = [cell_scores(r["records"]) for r in runs["jobs"] + runs["dask"]]
    reference = scores[0]
    students = set().union(*scores)
    local, dask = (min(runs[k], key=lambda r: r["seconds"]) for k in ("jobs", "dask"))
    figures = {
        "submissions": args.n,
        "jobs_s": round(local["seconds"], 2),
        "dask_s": round(dask["seconds"], 2),
        "ratio": round(dask["seconds"] / local["seconds"], 3),
        "jobs_cpu_s": round(local["cpu"], 1),
        "dask_cpu_s": round(dask["cpu"], 1),
        "all_runs_s": {k: [round(r["seconds"], 1) for r in v] for k, v in runs.items()},
        "mismatches": sorted(
            s for s in students if any(x.get(s) != reference.get(s) for x in scores)
        ),
        "sandbox": {"jobs": local["sandbox"], "dask": dask["sandbox"]},
        "overhead": overhead,
        "client": costs,
        "estimate": {w: round(s) for w, s in estimate(costs, overhead).items()},
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in load_after],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    report(args, figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0 if not figures["mismatches"] and len(reference) == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
