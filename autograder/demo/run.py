"""``course demo``: release, synthesize a class, grade it and report: the main job, end to end.

Runs on the repository's own first exercise (``ex01_modules``) in ``grading/``, the nbgrader
course directory, so formgrader (and ``nbgrader export``) show the demo class as they would a
real one. It refuses to write where a real class of that exercise is already graded (use another
``--workspace``). Twelve personas (:mod:`autograder.demo.synthetic_class`) cover full marks,
typical bugs, a blank notebook, a late one, an infinite loop, a segfault, a memory hog, a tamper
attempt and a broken upload; the demo checks that each got the grade it should and says where
the report and the feedback pages are.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from autograder.assignments.master import Assignment, load_assignment
from autograder.demo import synthetic_class
from autograder.limits import Limits
from autograder.outputs.feedback import write_feedback
from autograder.outputs.report import build_report
from autograder.outputs.summary import summary_table
from autograder.pipeline.grading import GradeOptions, GradeRun, grade
from autograder.pipeline.store import ResultStore
from autograder.workspace import Workspace

DEFAULT_EXERCISE = "ex01_modules"


@dataclass
class DemoResult:
    """What the demo produced."""

    run: GradeRun
    report: Path
    feedback: list[Path]
    checks: list[tuple[str, bool, str]]
    released: list[Path]
    duration: float

    @property
    def ok(self) -> bool:
        """Every submission graded and every persona got what it should."""
        return self.run.ok and all(ok for _, ok, _ in self.checks)


def _release(root: Path, exercise: str, echo: Callable[[str], None]) -> list[Path]:
    try:
        from autograder.assignments.release import release
    except ImportError:
        echo("release: autograder.assignments.release is not available, using the computed release")
        return []
    written = release([exercise], root=root)
    for path in written:
        echo(f"released {path.relative_to(root)}")
    return written


def _released_assignment(
    root: Path, exercise: str, workspace: Workspace, echo: Callable[[str], None]
) -> tuple[Assignment, list[Path]]:
    """The assignment, releasing it first if ``exercises/`` is missing or out of date."""
    assignment = load_assignment(root, exercise, workspace)
    if not assignment.warnings:
        echo(f"exercises/{exercise} is up to date with solutions/{exercise} (released)")
        return assignment, []
    released = _release(root, exercise, echo)
    return load_assignment(root, exercise, workspace), released


def run_demo(
    root: Path,
    workspace: Workspace,
    *,
    exercise: str = DEFAULT_EXERCISE,
    jobs: int | None = None,
    limits: Limits | None = None,
    progress: bool = True,
    echo: Callable[[str], None] = print,
) -> DemoResult:
    """Release, synthesize a class, grade it, write the report and feedback.

    Parameters
    ----------
    root : Path
        The course repository.
    workspace : Workspace
        Where the demo writes (``grading/demo`` by default on the command line).
    exercise : str
        The assignment to demonstrate.
    jobs : int, optional
        Parallel workers (default: CPU count).
    limits : Limits, optional
        Default: 10 s per cell, 90 s per submission, 512 MB.
    progress : bool
        Show progress bars.
    echo : callable
        Receives the lines to print.

    Returns
    -------
    DemoResult
        The grading run, the report, the feedback pages and the expectation checks.
    """
    started = time.monotonic()
    workspace.ensure()
    _refuse_real_class(workspace, exercise)
    assignment, released = _released_assignment(root, exercise, workspace, echo)
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    source = json.loads(assignment.source_path.read_text(encoding="utf-8"))
    students = synthetic_class.make_class(assignment, source, due)
    class_dir = synthetic_class.write_class(students, exercise, workspace.path / "demo-class")
    echo(f"generated a class of {len(students)} synthetic students in {class_dir}")
    options = GradeOptions(
        limits=limits or Limits(cell_timeout=10, wall_clock=90, memory_mb=512),
        due=due,
        force=True,
        progress=progress,
    )
    if jobs:
        options.jobs = jobs
    run = grade(exercise, class_dir, root=root, workspace=workspace, options=options)
    report = build_report(workspace, exercise)
    feedback = write_feedback(workspace, exercise)
    checks = synthetic_class.check_expectations(run.records)
    return DemoResult(run, report, feedback, checks, released, time.monotonic() - started)


class DemoError(RuntimeError):
    """The demo cannot run where it was asked to."""


def _refuse_real_class(workspace: Workspace, exercise: str) -> None:
    """Never mix the synthetic class with real students' grades."""
    real = sorted(
        r["student_id"]
        for r in ResultStore(workspace).records(exercise)
        if r["student_id"] not in synthetic_class.EXPECTATIONS
    )
    if real:
        raise DemoError(
            f"{workspace.path} already holds grades of {exercise} for {len(real)} real "
            f"student(s) ({', '.join(real[:3])}...): run the demo elsewhere, e.g. "
            "`course demo --workspace grading/demo`"
        )


def describe(result: DemoResult, students: dict[str, str] | None = None) -> str:
    """The text the demo prints at the end."""
    lines = ["", summary_table(result.run), "", "expected outcomes:"]
    for student, ok, detail in result.checks:
        lines.append(f"  {'ok ' if ok else 'BAD'} {student:<10} {detail}")
    lines += [
        "",
        f"sandbox:  {result.run.sandbox}",
        f"grades:   {result.run.csv_path}",
        "formgrader: `jupyter lab` from the repository root, then Nbgrader > Formgrader"
        if result.run.csv_path.parent.name == "grading"
        else f"gradebook: {result.run.csv_path.parent / 'gradebook.db'}",
        f"report:   {result.report}",
        f"feedback: {len(result.feedback)} pages in {result.report.parent.parent / 'feedback'}",
        f"demo finished in {result.duration:.1f} s",
    ]
    return "\n".join(lines)
