"""Grading a class: ``course grade --jobs 2`` against serial ``nbgrader autograde``.

Forty submissions of ``ex01_modules`` (correct ones and the typical bugs of
:mod:`autograder.demo.synthetic_class`: gradients assigned instead of accumulated, a sum over
the wrong axis,
an unfinished exercise, a blank notebook) are written once as an nbgrader tree. Both graders
run on the same copies on the same machine, one run each, each timed end to end as a command
(interpreter start-up, imports and workers included; ``nbgrader generate_assignment`` is set-up
and not timed). The per-cell scores are then compared::

    python benchmarks/bench_grading.py              # 40 submissions, --jobs 2
    python benchmarks/bench_grading.py -n 10 --jobs 2 --json results.json

Both use the repository's ``nbgrader_config.py`` (so the same per-cell timeout).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nbgrader_harness import make_course, nbgrader_env, read_scores  # noqa: E402

from autograder.assignments.master import load_assignment  # noqa: E402
from autograder.demo import synthetic_class  # noqa: E402
from autograder.workspace import Workspace  # noqa: E402

EXERCISE = "ex01_modules"
#: The mix of the class: (persona of autograder.demo.synthetic_class, how many out of every 5).
MIX = ["ada", "grace", "linus", "margaret", "bob"]


def write_class(n: int, folder: Path) -> dict[str, str]:
    """Write ``n`` submissions (cycling through :data:`MIX`); return student -> persona."""
    workspace = Workspace(folder / "prep", root=ROOT)
    assignment = load_assignment(ROOT, EXERCISE, workspace)
    source = json.loads(assignment.source_path.read_text(encoding="utf-8"))
    due = datetime.now(UTC) + timedelta(days=1)
    personas = {s.student_id: s for s in synthetic_class.make_class(assignment, source, due)}
    kinds = {}
    for i in range(n):
        kind = MIX[i % len(MIX)]
        student = f"s{i + 1:02d}"
        target = folder / "class" / student / EXERCISE
        target.mkdir(parents=True)
        (target / f"{EXERCISE}.ipynb").write_text(json.dumps(personas[kind].notebook, indent=1))
        kinds[student] = kind
    shutil.rmtree(folder / "prep")
    return kinds


def run_course_grade(folder: Path, jobs: int) -> tuple[float, dict[str, dict[str, float]]]:
    """Time ``course grade EX CLASS --jobs N`` as a command; return seconds and cell scores."""
    workspace = folder / "workspace"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    command = [
        sys.executable,
        "-m",
        "autograder.cli",
        "--root",
        str(ROOT),
        "grade",
        EXERCISE,
        str(folder / "class"),
        "--jobs",
        str(jobs),
        "--workspace",
        str(workspace),
        "--no-progress",
    ]
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"course grade failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    scores = {}
    for path in sorted((workspace / "results" / EXERCISE).glob("*.json")):
        record = json.loads(path.read_text())
        scores[record["student_id"]] = {c["grade_id"]: c["points"] for c in record["cells"]}
        TRIPS.append(record.get("run", {}).get("round_trips") or 0)
    return seconds, scores


#: Judge round trips per submission, filled by :func:`run_course_grade`.
TRIPS: list[int] = []


def channel_round_trip(calls: int = 2000) -> dict[str, float]:
    """Median seconds of one judge -> runner round trip (a call with a (16, 9) array, and an
    attribute read), between two processes on the judge's own channel."""
    import socket
    import statistics

    import numpy as np

    from autograder.isolation import remote, wire

    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the "runner": serves a namespace holding one function and one object
        ours.close()
        peer = remote.Peer(wire.FrameSocket(theirs), "r")
        space = {"double": lambda x: 2.0 * x, "layer": type("Layer", (), {"width": 9})()}
        peer.handlers["lookup"] = lambda _, names: {n: space[n] for n in names}
        while True:
            try:
                header, buffers = peer.channel.recv(None)
            except wire.WireError:
                os._exit(0)
            peer.serve(header, buffers)
    theirs.close()
    peer = remote.Peer(wire.FrameSocket(ours), "j", remote.JudgePolicy(), guarded=True)
    names = peer.request("lookup", ["double", "layer"])
    double, layer = names["double"], names["layer"]
    x = np.random.default_rng(0).standard_normal((16, 9))
    timings: dict[str, list[float]] = {"call (16, 9) array": [], "attribute read": []}
    for _ in range(calls):
        start = time.perf_counter()
        double(x)
        timings["call (16, 9) array"].append(time.perf_counter() - start)
        start = time.perf_counter()
        layer.width  # noqa: B018 - the read is what is timed
        timings["attribute read"].append(time.perf_counter() - start)
        peer.release()
    ours.close()
    os.waitpid(pid, 0)
    return {k: statistics.median(v) for k, v in timings.items()}


def run_nbgrader(folder: Path) -> tuple[float, dict[str, dict[str, float]]]:
    """Time stock ``nbgrader autograde EX`` (serial) on the same files."""
    course = make_course(ROOT, EXERCISE, folder / "nbgrader")
    shutil.copytree(folder / "class", course / "submitted")
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", EXERCISE],
        cwd=course,
        env=nbgrader_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"nbgrader autograde failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return seconds, read_scores(course, EXERCISE)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=40, help="submissions (default 40)")
    parser.add_argument("--jobs", type=int, default=2, help="course grade workers (default 2)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        kinds = write_class(args.n, folder)
        load_before = os.getloadavg()
        ours_s, ours = run_course_grade(folder, args.jobs)
        theirs_s, theirs = run_nbgrader(folder)
        load_after = os.getloadavg()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    mismatches = sorted(s for s in kinds if ours.get(s) != theirs.get(s))
    ratio = theirs_s / ours_s
    trip = channel_round_trip()
    figures = {
        "submissions": args.n,
        "jobs": args.jobs,
        "course_grade_s": round(ours_s, 1),
        "nbgrader_autograde_s": round(theirs_s, 1),
        "speedup": round(ratio, 2),
        "judge_round_trips_per_submission_median": sorted(TRIPS)[len(TRIPS) // 2] if TRIPS else 0,
        "round_trip_median_us": {k: round(v * 1e6, 1) for k, v in trip.items()},
        "identical_scores": not mismatches,
        "mismatches": mismatches,
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(f"\n{args.n} submissions of {EXERCISE} ({', '.join(MIX)} in turn), one run each\n")
    print("| grader | wall-clock | per submission |")
    print("|---|---|---|")
    print(f"| `course grade --jobs {args.jobs}` | {ours_s:.1f} s | {ours_s / args.n:.2f} s |")
    print(f"| `nbgrader autograde` (serial) | {theirs_s:.1f} s | {theirs_s / args.n:.2f} s |")
    print(
        f"\nspeed-up {ratio:.2f}x; identical per-cell scores: "
        f"{'yes' if not mismatches else 'NO ' + ', '.join(mismatches)}; "
        f"{os.cpu_count()} CPUs, load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after"
    )
    median_trips = figures["judge_round_trips_per_submission_median"]
    print(
        f"judge round trips per submission (median): {median_trips}; one round trip: "
        + ", ".join(f"{k} {v * 1e6:.0f} µs" for k, v in trip.items())
        + f" (about {median_trips * trip['call (16, 9) array']:.2f} s per submission)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")
    return 0 if not mismatches else 1


if __name__ == "__main__":
    sys.exit(main())
