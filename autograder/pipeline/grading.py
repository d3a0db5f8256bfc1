"""``course grade``: a class's submissions through the pipeline, one step after another.

    intake -> admit -> execute -> score -> record -> store -> export

Each step hands the next a typed value (see ``ARCHITECTURE.md``):

- :func:`~autograder.pipeline.intake.collect` finds and reads every submission
  (a :class:`~autograder.pipeline.intake.Submission` each);
- :func:`~autograder.pipeline.admit.admit` rejects another assignment's notebook, restores the
  instructor's cells as nbgrader does and flags integrity findings (an ``Admitted``);
- :func:`~autograder.pipeline.execute.execute` runs the jobs on the isolation layer, local
  workers or a Dask cluster (an ``Executed`` each, as they finish);
- :func:`~autograder.pipeline.score.score_submission` applies nbgrader's scoring rule
  (``Scored``); :func:`~autograder.pipeline.record.make_record` makes the record;
- :meth:`~autograder.pipeline.store.ResultStore.save` keeps it without ever losing an earlier
  grade, and the run ends by writing ``WORKSPACE/grades.csv``.

Any exception while handling one submission becomes that submission's reason; the batch goes on.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from autograder.assignments.master import Assignment, load_assignment
from autograder.isolation.pool import default_jobs
from autograder.limits import Limits
from autograder.outputs.lms_export import export
from autograder.outputs.summary import Progress
from autograder.pipeline import intake
from autograder.pipeline.admit import Admitted, admit
from autograder.pipeline.execute import (
    Executed,
    Executor,
    build_job,
    execute,
    make_executor,
    runner_files,
)
from autograder.pipeline.gradebook import GradebookRecorder
from autograder.pipeline.record import make_record, not_graded, reusable
from autograder.pipeline.score import score_submission
from autograder.pipeline.store import ResultStore, archive_submission, save_graded_notebook
from autograder.workspace import Workspace


@dataclass
class GradeOptions:
    """How to grade.

    Attributes
    ----------
    jobs : int
        Parallel workers (default: the CPU count).
    limits : Limits
        Per-cell and per-submission limits, sandbox mode.
    due : datetime or None
        Deadline; later timestamps are flagged as late.
    force : bool
        Re-grade submissions already graded with the same file and settings.
    roster : list of str or None
        Expected students: those without a submission get a zero ("no submission").
    progress : bool
        Show the progress bar and per-student lines.
    dask : str or None
        Grade on a Dask cluster instead of local workers: a scheduler address
        (``tcp://host:port``) or ``local:N`` (see :mod:`autograder.cluster`).
    """

    jobs: int = field(default_factory=default_jobs)
    limits: Limits = field(default_factory=Limits)
    due: datetime | None = None
    force: bool = False
    roster: list[str] | None = None
    progress: bool = True
    dask: str | None = None


@dataclass
class GradeRun:
    """What a ``course grade`` run did.

    Attributes
    ----------
    assignment : Assignment
        The assignment graded.
    records : list of dict
        The record in force for each student of this run (sorted by id).
    actions : dict
        Student id -> ``"graded"``, ``"cached"`` (unchanged, not re-run) or ``"kept"``
        (this attempt failed; the earlier grade stays).
    grader_errors : list of str
        Submissions the grader itself failed on (exit code 1).
    sandbox : str
        Description of the sandbox used.
    csv_path : Path
        The gradebook written.
    duration : float
        Seconds.
    warnings : list of str
        Release-check warnings.
    """

    assignment: Assignment
    records: list[dict[str, Any]]
    actions: dict[str, str]
    grader_errors: list[str]
    sandbox: str
    csv_path: Path
    duration: float
    warnings: list[str]

    @property
    def ok(self) -> bool:
        """True when every submission received a grade (a zero is a grade)."""
        return not self.grader_errors


@dataclass
class _Run:
    """What one grading run shares between its steps (read-only but for ``outcomes``)."""

    assignment: Assignment
    options: GradeOptions
    store: ResultStore
    workspace: Workspace
    outcomes: dict[str, tuple[dict[str, Any], str]] = field(default_factory=dict)
    grader_errors: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    gradebook: GradebookRecorder | None = None

    def keep(self, record: dict[str, Any], notebook: Any = None) -> dict[str, Any]:
        """Save a record (never losing an earlier grade) and note the outcome."""
        action, stored = self.store.save(record)
        if action == "saved" and notebook is not None and record.get("graded"):
            save_graded_notebook(notebook, record, self.workspace)
        self.outcomes[record["student_id"]] = (stored, "kept" if action == "kept" else "graded")
        if action == "saved":
            self.to_gradebook(stored)
        return stored

    def to_gradebook(self, record: dict[str, Any]) -> None:
        """Hand a record to nbgrader's gradebook (written by its own thread)."""
        if self.gradebook is not None:
            self.gradebook.record(record)


def grade(
    exercise: str,
    submissions: Path | str,
    *,
    root: Path | str,
    workspace: Workspace,
    options: GradeOptions | None = None,
) -> GradeRun:
    """Grade a class: every submission of ``exercise`` found in ``submissions``.

    Parameters
    ----------
    exercise : str
        Assignment name (``solutions/<exercise>/<exercise>.ipynb``).
    submissions : path
        nbgrader tree, flat folder of ``<student>.ipynb``, or an LMS ``.zip``.
    root : path
        The course repository.
    workspace : Workspace
        Where results go.
    options : GradeOptions, optional
        Jobs, limits, deadline...

    Returns
    -------
    GradeRun
        The records of this run, the CSV written and any grader errors.

    Raises
    ------
    AssignmentError, IntakeError
        If the assignment or the submissions path is unusable (nothing is graded).
    """
    options = options or GradeOptions()
    root, submissions = Path(root).resolve(), Path(submissions)
    workspace.ensure()
    assignment = load_assignment(root, exercise, workspace)
    run = _Run(assignment, options, ResultStore(workspace), workspace)
    if not submissions.exists():
        raise intake.IntakeError(f"submissions not found: {submissions.resolve()} does not exist")
    executor = make_executor(
        assignment, options, _secrets(root, workspace, submissions), workspace.logs_dir
    )
    executor.start()  # before reading anything: a bad cluster address fails here
    try:
        sandbox = _grade_all(submissions, run, executor)
    finally:
        executor.close()
        # always end with the gradebook of every student graded here so far
        csv_path, _ = export(workspace, run.store.records())
    return GradeRun(
        assignment=assignment,
        records=sorted((r for r, _ in run.outcomes.values()), key=lambda r: r["student_id"]),
        actions={student: action for student, (_, action) in run.outcomes.items()},
        grader_errors=run.grader_errors,
        sandbox=sandbox,
        csv_path=csv_path,
        duration=time.monotonic() - run.started,
        warnings=list(assignment.warnings),
    )


def _grade_all(submissions: Path, run: _Run, executor: Executor) -> str:
    """Intake, admit, execute, score and store every submission; return the sandbox used."""
    with GradebookRecorder(run.workspace.gradebook_url, run.assignment, run.options.due) as gb:
        run.gradebook = gb
        sandbox = _grade_recorded(submissions, run, executor)
    for student, error in gb.failures:
        run.grader_errors.append(
            f"{student}: not recorded in the gradebook ({error}); the grade is in the results "
            "store, the next run records it"
        )
    return sandbox


def _grade_recorded(submissions: Path, run: _Run, executor: Executor) -> str:
    """:func:`_grade_all` once the gradebook is open."""
    found = _collect(submissions, run)
    progress = Progress(len(found), run.options.progress, run.assignment.name)
    jobs = _admit_all(found, run, progress)
    sandbox = "not needed (nothing to execute)"
    if jobs:
        executor.wait_ready()
        run.gradebook.ready()  # opened while the workers started
        sandbox = executor.info.get("sandbox_detail", "") or "see worker logs"
        for executed in execute(executor, jobs):
            _conclude(executed, run)
            progress.update(*run.outcomes[executed.admitted.student_id])
    progress.close()
    return sandbox


def _secrets(root: Path, workspace: Workspace, submissions: Path) -> list[str]:
    """Host paths a submission must never see."""
    secrets = [str(root), str(workspace.path), str(submissions.resolve()), "/root"]
    home = str(Path.home())
    return secrets + ([home] if home not in ("/", "") else [])


def _collect(source: Path, run: _Run) -> list[intake.Submission]:
    """Intake: read the submissions, add roster students with none, archive what came."""
    subs = intake.collect(source, run.assignment.name, run.workspace.intake_dir)
    present = {s.student_id.casefold() for s in subs}
    for student in run.options.roster or []:
        if student.casefold() not in present:
            problem = f"no submission found for {student} in {source.name}"
            subs.append(intake.Submission(student_id=student, origin="(none)", problem=problem))
    for sub in subs:
        archive_submission(sub, run.assignment.name, run.workspace)
    return sorted(subs, key=lambda s: s.student_id.casefold())


def _admit_all(
    found: list[intake.Submission], run: _Run, progress: Progress
) -> list[tuple[Admitted, dict[str, Any]]]:
    """Admit each submission; record those with nothing to execute; return the jobs."""
    lib = runner_files(run.assignment)
    jobs = []
    for sub in found:
        admitted = Admitted(sub, None, None)
        try:
            admitted = admit(sub, run.assignment, run.options.due)
            job = _job_or_record(admitted, run, lib)
        except Exception as exc:  # one malformed submission never stops the batch
            _record_failure(admitted, run, "preparing", exc)
            job = None
        if job is None:
            progress.update(*run.outcomes[sub.student_id])
        else:
            jobs.append((admitted, job))
    return jobs


def _job_or_record(admitted: Admitted, run: _Run, lib: dict[str, bytes]) -> dict | None:
    """The job to execute, or None once the outcome is recorded (a problem, or unchanged)."""
    limits = run.options.limits
    if admitted.problem is not None:
        run.keep(not_graded(admitted, run.assignment, limits, admitted.problem))
        return None
    old = run.store.load(run.assignment.name, admitted.student_id)
    if not run.options.force and reusable(old, admitted, run.assignment, limits):
        run.outcomes[admitted.student_id] = (old, "cached")
        run.to_gradebook(old)  # completes a gradebook a killed run left behind
        return None
    return build_job(admitted, run.assignment, limits, lib)


def _conclude(executed: Executed, run: _Run) -> None:
    """Score and record one executed submission (a failure here is that student's reason)."""
    admitted, done, limits = executed.admitted, executed.done, run.options.limits
    try:
        status = done.get("status")
        if status in ("grader_error", "sandbox_error"):
            reason = done.get("reason") or status
            run.grader_errors.append(f"{admitted.student_id}: {reason}")
            problem = f"not graded, grader failure: {reason}"
            run.keep(not_graded(admitted, run.assignment, limits, problem, done=done))
            return
        scored = score_submission(admitted.notebook, executed.results, done, run.assignment)
        record = make_record(
            admitted, run.assignment, limits, scored.scores,
            flags=scored.flags, notes=scored.notes, done=done,
        )  # fmt: skip
        run.keep(record, scored.notebook)
    except Exception as exc:  # a result that cannot be scored is that student's
        _record_failure(admitted, run, "scoring", exc)


def _record_failure(admitted: Admitted, run: _Run, stage: str, exc: Exception) -> None:
    """Record an exception while handling one submission as that submission's reason.

    The traceback goes to the workspace's log for the instructor; the batch goes on.
    """
    _log_traceback(run.workspace, admitted.student_id, stage)
    problem = f"could not be processed while {stage}: {type(exc).__name__}: {exc}"[:360]
    record = not_graded(admitted, run.assignment, run.options.limits, problem)
    try:
        run.keep(record)
    except Exception:  # the store keeps an earlier grade; the record is at least in memory
        run.outcomes[admitted.student_id] = (record, "kept")


def _log_traceback(workspace: Workspace, student: str, stage: str) -> None:
    """Append the current exception's traceback to ``logs/submission-errors.log``."""
    workspace.logs_dir.mkdir(parents=True, exist_ok=True)
    with open(workspace.logs_dir / "submission-errors.log", "a", encoding="utf-8") as log:
        log.write(f"--- {student} ({stage})\n{traceback.format_exc()}\n")


__all__ = ["GradeOptions", "GradeRun", "grade"]
