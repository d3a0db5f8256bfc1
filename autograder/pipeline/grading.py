"""``course grade``: the grading pipeline, one small step after another.

    intake -> release check -> sanitize -> execute -> score -> store -> export

- :func:`intake_step` finds and reads every submission (:mod:`autograder.pipeline.intake`);
- :func:`release_check_step` prepares the assignment from ``solutions/`` and rejects
  notebooks of another assignment (:mod:`autograder.assignments.master`,
  :mod:`autograder.pipeline.sanitize`);
- :func:`sanitize_step` restores locked, test and deleted cells as nbgrader does and runs the
  static integrity checks (:mod:`autograder.pipeline.checks`);
- :func:`execute_step` runs the jobs on the warm, sandboxed worker pool
  (:mod:`autograder.isolation.pool`);
- :func:`score_step` applies nbgrader's scoring rule (:mod:`autograder.pipeline.score`) and
  :func:`store_step` records the grade without ever losing an earlier one
  (:mod:`autograder.pipeline.store`);
- the run ends by writing ``WORKSPACE/grades.csv`` for every student graded there so far.
"""

from __future__ import annotations

import ast
import base64
import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autograder.assignments.master import Assignment, load_assignment
from autograder.isolation import public_lib
from autograder.isolation.pool import WorkerPool, default_jobs
from autograder.isolation.runner import PUBLIC_LIB_DIR
from autograder.limits import Limits
from autograder.pipeline import checks, intake
from autograder.pipeline.sanitize import check_assignment, sanitize
from autograder.pipeline.score import CellScore, merge_outputs, score_notebook, zero_scores
from autograder.pipeline.store import ResultStore, status_of, write_csv
from autograder.workspace import Workspace, atomic_write

GRADER_VERSION = "1"


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
class Pending:
    """One submission on its way through the pipeline."""

    sub: intake.Submission
    record: dict[str, Any] | None = None
    notebook: Any = None
    job: dict[str, Any] | None = None
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    results: dict[int, dict[str, Any]] = field(default_factory=dict)
    tamper: list[str] = field(default_factory=list)
    action: str = ""


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


# -- steps -------------------------------------------------------------------------------
def intake_step(
    source: Path, assignment: Assignment, workspace: Workspace, roster: list[str] | None
) -> list[Pending]:
    """Find and read the submissions; add roster students with no submission."""
    subs = intake.collect(source, assignment.name, workspace.intake_dir)
    if roster:
        present = {s.student_id.casefold() for s in subs}
        for student in roster:
            if student.casefold() not in present:
                subs.append(
                    intake.Submission(
                        student_id=student,
                        origin="(none)",
                        problem=f"no submission found for {student} in {source.name}",
                    )
                )
    for sub in subs:
        _archive(sub, assignment, workspace)
    return [Pending(sub=s) for s in sorted(subs, key=lambda s: s.student_id.casefold())]


def _archive(sub: intake.Submission, assignment: Assignment, workspace: Workspace) -> None:
    """Keep every file received (by content hash) and import the latest in nbgrader's layout."""
    if sub.path is None or not sub.sha256:
        return
    target = workspace.archive_dir(assignment.name, sub.student_id) / f"{sub.sha256[:16]}.ipynb"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sub.path, target)
    submitted = workspace.submitted_path(assignment.name, sub.student_id)
    submitted.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sub.path, submitted)
    stamp = submitted.parent / "timestamp.txt"
    if sub.timestamp is not None:
        stamp.write_text(sub.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC") + "\n")
    elif stamp.exists():
        stamp.unlink()


def release_check_step(pending: Pending, assignment: Assignment) -> None:
    """Reject a notebook that belongs to another assignment."""
    sub = pending.sub
    if sub.problem is None and sub.notebook is not None:
        problem = check_assignment(sub.notebook, assignment)
        if problem:
            sub.problem = problem


def sanitize_step(pending: Pending, assignment: Assignment, options: GradeOptions) -> None:
    """Restore instructor cells, run the static checks, note lateness."""
    sub = pending.sub
    pending.flags += sub.flags
    if sub.late:
        pending.flags.append("late (marked late by the LMS)")
    if options.due is not None and sub.timestamp is not None and sub.timestamp > options.due:
        pending.flags.append(f"late by {_duration(sub.timestamp - options.due)}")
    if sub.problem or sub.notebook is None:
        return
    nb, report = sanitize(sub.notebook, assignment)
    pending.notebook = nb
    pending.flags += report.flags
    pending.notes += report.notes
    pending.flags += [
        f"imports the reference implementation: {f}"
        for f in checks.reference_imports(nb, assignment.name)
    ]
    pending.flags += checks.suspicious_cells(nb)


def cell_place(meta: dict[str, Any]) -> str:
    """Where a code cell runs: ``"judge"`` (test cells), ``"both"`` (the instructor's locked
    set-up cells: the student's code needs their names, the tests too) or ``"student"``."""
    locked = bool(meta.get("locked")) and not meta.get("solution")
    if locked and meta.get("grade"):
        return "judge"
    return "both" if locked else "student"


def runner_files(assignment: Assignment) -> dict[str, bytes]:
    """The public ``course_lib`` of the assignment, as files for the submission's process."""
    instructor = [
        c.source
        for c in assignment.cells
        if c.cell_type == "code" and c.locked and not c.grade and not c.solution
    ]
    library = public_lib.build(instructor, set(assignment.solution_names))
    return {f"{PUBLIC_LIB_DIR}/{path}": data for path, data in library.items()}


def build_job(
    pending: Pending, assignment: Assignment, limits: Limits, lib: dict[str, bytes]
) -> dict[str, Any]:
    """The job a worker runs: the code cells, where each runs, limits and files."""
    cells = []
    for index, cell in enumerate(pending.notebook.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {}) or {}
        cells.append(
            {
                "index": index,
                "source": cell.source,
                "where": cell_place(meta),
                "label": meta.get("grade_id") or f"#{index}",
                "timeout": limits.cell_timeout,
            }
        )
    files = dict(pending.sub.extra_files)
    files.update(assignment.files)  # the assignment's own files win, as in nbgrader
    files.update(lib)
    return {
        "id": pending.sub.student_id,
        "cells": cells,
        "timeout": limits.cell_timeout,
        "wall_clock": limits.wall_clock,
        "output_cap": limits.output_cap,
        "files": [
            {"path": path, "data": base64.b64encode(data).decode("ascii")}
            for path, data in files.items()
        ],
    }


def execute_step(
    pool: WorkerPool, jobs: list[Pending], on_done: Callable[[Pending, dict[str, Any]], None]
) -> None:
    """Run the jobs on the pool, collecting each cell's result; call ``on_done`` per job."""
    by_id = {p.sub.student_id: p for p in jobs}
    for event in pool.run([p.job for p in jobs if p.job is not None]):
        pending = by_id.get(event.job)
        if pending is None:
            continue
        if event.kind == "cell":
            pending.results[int(event.data["index"])] = event.data
        elif event.kind == "done":
            on_done(pending, event.data)


def score_step(
    pending: Pending, assignment: Assignment, done: dict[str, Any]
) -> tuple[list[CellScore], dict[str, Any] | None]:
    """Merge outputs into the notebook and score it; return scores and the stop info."""
    status = done.get("status", "grader_error")
    stop = None
    if status in ("died", "killed"):
        stop = {"cell": done.get("cell", -1), "reason": done.get("reason")}
        pending.flags.append(done.get("reason") or status)
    merge_outputs(pending.notebook, pending.results, stop)
    scores = score_notebook(pending.notebook, assignment, pending.results)
    labels = {}
    for index, cell in enumerate(pending.notebook.cells):
        meta = cell.metadata.get("nbgrader", {}) or {}
        labels[index] = f"'{meta['grade_id']}'" if meta.get("grade_id") else f"#{index}"
    truncated = []
    for index in sorted(pending.results):
        result = pending.results[index]
        if result.get("dropped"):
            truncated.append(f"{labels.get(index, index)}: {result['dropped']:,} characters")
        if result.get("ename") == "CellTimeoutError":
            pending.flags.append(f"cell {labels.get(index, index)} timed out (infinite loop?)")
        elif result.get("ename") == "MemoryError":
            pending.flags.append(f"memory limit reached in cell {labels.get(index, index)}")
    if truncated:
        pending.flags.append(f"output over the cap, truncated ({'; '.join(truncated)})")
    manual = [s.grade_id for s in scores if s.points is None]
    if manual:
        pending.notes.append(f"needs manual grading: {', '.join(manual)}")
    return scores, stop


def make_record(
    pending: Pending,
    assignment: Assignment,
    options: GradeOptions,
    scores: list[CellScore],
    *,
    graded: bool,
    problem: str | None = None,
    run: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A results-store record for one student."""
    sub = pending.sub
    total = sum(s.points or 0.0 for s in scores)
    record = {
        "student_id": sub.student_id,
        "assignment": assignment.name,
        "graded": graded,
        "problem": problem,
        "flags": list(dict.fromkeys(pending.flags)),
        "notes": list(dict.fromkeys(pending.notes)),
        "tamper": pending.tamper,
        "cells": [s.to_dict() for s in scores],
        "total": round(total, 6),
        "max_total": assignment.max_total,
        "submission": {
            "origin": sub.origin,
            "sha256": sub.sha256,
            "timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
            "late": sub.late,
        },
        "run": run or {},
        "graded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "digest": assignment.digest,
        "limits": options.limits.signature(),
        "grader_version": GRADER_VERSION,
    }
    record["status"] = status_of(record)
    return record


def store_step(
    store: ResultStore, pending: Pending, record: dict[str, Any], workspace: Workspace | None
) -> dict[str, Any]:
    """Save the record (never losing an earlier grade) and the executed notebook."""
    action, stored = store.save(record)
    pending.action = "kept" if action == "kept" else "graded"
    pending.record = stored
    if action == "saved" and workspace and pending.notebook is not None and record.get("graded"):
        import nbformat

        atomic_write(
            workspace.autograded_path(record["assignment"], record["student_id"]),
            nbformat.writes(pending.notebook),
        )
    return stored


# -- the pipeline ----------------------------------------------------------------------
def _duration(delta: Any) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d"] if days else []
    if hours or days:
        parts.append(f"{hours} h")
    parts.append(f"{minutes} min")
    return " ".join(parts)


def assignment_imports(assignment: Assignment) -> list[str]:
    """Modules the assignment's cells import (preloaded by the workers)."""
    names: set[str] = set()
    for cell in assignment.master["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    return sorted(names)


def _cached(store: ResultStore, pending: Pending, assignment: Assignment, limits: Limits):
    old = store.load(assignment.name, pending.sub.student_id)
    if (
        old
        and old.get("graded")
        and old.get("submission", {}).get("sha256") == pending.sub.sha256
        and old.get("digest") == assignment.digest
        and old.get("limits") == limits.signature()
        and old.get("grader_version") == GRADER_VERSION
    ):
        return old
    return None


def _line(record: dict[str, Any], action: str) -> str:
    mark = {"graded": "", "cached": " (unchanged)", "kept": " (earlier grade kept)"}.get(action, "")
    status = record.get("status", "")
    if len(status) > 90:
        status = status[:87] + "..."
    return (
        f"  {record['student_id']:<22} {record['total']:>6g} / {record['max_total']:<5g}"
        f" {status}{mark}"
    )


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
    autograder.assignments.master.AssignmentError, autograder.pipeline.intake.IntakeError
        If the assignment or the submissions path is unusable (nothing is graded).
    """
    options = options or GradeOptions()
    started = time.monotonic()
    root = Path(root).resolve()
    workspace.ensure()
    store = ResultStore(workspace)
    assignment = load_assignment(root, exercise, workspace)
    if not Path(submissions).exists():
        raise intake.IntakeError(
            f"submissions not found: {Path(submissions).resolve()} does not exist"
        )
    pool = _make_pool(options, assignment, root, workspace, Path(submissions))
    pool.start()
    finished: list[Pending] = []
    grader_errors: list[str] = []
    sandbox_info = ""
    lib = runner_files(assignment)
    try:
        pending = intake_step(Path(submissions), assignment, workspace, options.roster)
        jobs: list[Pending] = []
        for item in pending:
            try:
                job = _prepare(item, assignment, options, store, lib)
            except Exception as exc:  # one malformed submission never stops the batch
                _record_failure(store, item, assignment, options, workspace, "preparing", exc)
                job = None
            if job is None:
                finished.append(item)
            else:
                jobs.append(item)
        progress = _progress(len(pending), options.progress, assignment.name)
        for item in finished:
            progress.update(item)
        if jobs:
            pool.wait_ready()
            sandbox_info = pool_sandbox_description(pool)

            def on_done(item: Pending, done: dict[str, Any]) -> None:
                try:
                    _finish(item, done, assignment, options, store, workspace, grader_errors)
                except Exception as exc:  # a result that cannot be scored is that student's
                    _record_failure(store, item, assignment, options, workspace, "scoring", exc)
                progress.update(item)
                finished.append(item)

            execute_step(pool, jobs, on_done)
        progress.close()
    finally:
        pool.close()
        # always end with the gradebook of every student graded here so far
        csv_path = write_csv(workspace.grades_csv, store.records())
    records = sorted((p.record for p in finished if p.record), key=lambda r: r["student_id"])
    actions = {p.sub.student_id: p.action for p in finished}
    return GradeRun(
        assignment=assignment,
        records=records,
        actions=actions,
        grader_errors=grader_errors,
        sandbox=sandbox_info or "not needed (nothing to execute)",
        csv_path=csv_path,
        duration=time.monotonic() - started,
        warnings=list(assignment.warnings),
    )


def _prepare(
    item: Pending,
    assignment: Assignment,
    options: GradeOptions,
    store: ResultStore,
    lib: dict[str, bytes],
) -> dict[str, Any] | None:
    """Release check, sanitize and the job; None when there is nothing to execute."""
    release_check_step(item, assignment)
    sanitize_step(item, assignment, options)
    sub = item.sub
    if sub.problem or item.notebook is None:
        problem = sub.problem or "no notebook"
        record = make_record(
            item, assignment, options, zero_scores(assignment), graded=False, problem=problem
        )
        store_step(store, item, record, None)
        return None
    cached = None if options.force else _cached(store, item, assignment, options.limits)
    if cached is not None:
        item.record, item.action = cached, "cached"
        return None
    item.job = build_job(item, assignment, options.limits, lib)
    return item.job


def _finish(
    item: Pending,
    done: dict[str, Any],
    assignment: Assignment,
    options: GradeOptions,
    store: ResultStore,
    workspace: Workspace,
    grader_errors: list[str],
) -> None:
    """Score a finished job and record it."""
    status = done.get("status")
    run = {
        "duration": done.get("duration", 0.0),
        "status": status,
        "reason": done.get("reason"),
        "sandbox": done.get("mode"),
        "round_trips": done.get("round_trips"),
        "test_seconds": done.get("test_seconds"),
        "limits": done.get("limits"),
        "peak": done.get("peak"),
    }
    if status in ("grader_error", "sandbox_error"):
        reason = done.get("reason") or status
        grader_errors.append(f"{item.sub.student_id}: {reason}")
        record = make_record(
            item,
            assignment,
            options,
            zero_scores(assignment),
            graded=False,
            problem=f"not graded, grader failure: {reason}",
            run=run,
        )
    else:
        scores, _ = score_step(item, assignment, done)
        record = make_record(item, assignment, options, scores, graded=True, run=run)
    store_step(store, item, record, workspace)


def _record_failure(
    store: ResultStore,
    item: Pending,
    assignment: Assignment,
    options: GradeOptions,
    workspace: Workspace,
    stage: str,
    exc: Exception,
) -> None:
    """Record an exception while handling one submission as that submission's reason.

    The traceback goes to the workspace's log for the instructor; the batch goes on.
    """
    import traceback

    workspace.logs_dir.mkdir(parents=True, exist_ok=True)
    with open(workspace.logs_dir / "submission-errors.log", "a", encoding="utf-8") as log:
        log.write(f"--- {item.sub.student_id} ({stage})\n{traceback.format_exc()}\n")
    detail = f"{type(exc).__name__}: {exc}"[:300]
    problem = f"could not be processed while {stage}: {detail}"
    record = make_record(
        item, assignment, options, zero_scores(assignment), graded=False, problem=problem
    )
    try:
        store_step(store, item, record, None)
    except Exception:  # the store keeps an earlier grade; the record is at least in memory
        item.record = record


def _make_pool(
    options: GradeOptions,
    assignment: Assignment,
    root: Path,
    workspace: Workspace,
    submissions: Path,
) -> WorkerPool:
    secrets = [str(root), str(workspace.path), str(submissions.resolve()), "/root"]
    home = Path.home()
    if str(home) not in ("/", ""):
        secrets.append(str(home))
    imports = assignment_imports(assignment)
    packages = sorted({"course_lib", *(name.split(".")[0] for name in imports)})
    init = {
        "sandbox": options.limits.sandbox,
        "secrets": secrets,
        "packages": packages,
        "preload": imports,
        "memory_mb": options.limits.memory_mb,
        "max_processes": options.limits.max_processes,
    }
    if options.dask:
        from autograder.cluster.dask_pool import DaskPool  # optional extra: course[dask]

        return DaskPool(options.dask, init, workspace.logs_dir)
    return WorkerPool(options.jobs, init, workspace.logs_dir)


def pool_sandbox_description(pool: WorkerPool) -> str:
    """The sandbox the workers run with (from their start-up message)."""
    return pool.info.get("sandbox_detail", "") or "see worker logs"


class _progress:
    """tqdm bar plus one line per finished student (or nothing when disabled)."""

    def __init__(self, total: int, enabled: bool, name: str) -> None:
        self.enabled = enabled
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=f"grading {name}", unit="student", file=sys.stderr)

    def update(self, item: Pending) -> None:
        if self.bar is None or item.record is None:
            return
        self.bar.write(_line(item.record, item.action), file=sys.stdout)
        self.bar.set_postfix_str(item.sub.student_id[:20])
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def summary_table(run: GradeRun) -> str:
    """The end-of-run table: one line per student, then totals."""
    lines = [f"{'student':<24}{'score':>8}  {'max':<6}status", "-" * 78]
    for record in run.records:
        status = record["status"]
        if len(status) > 100:
            status = status[:97] + "..."
        action = run.actions.get(record["student_id"], "")
        if action == "kept":
            status += " [earlier grade kept]"
        lines.append(
            f"{record['student_id']:<24}{record['total']:>8g}  {record['max_total']:<6g}{status}"
        )
    graded = sum(1 for r in run.records if r.get("graded"))
    flagged = sum(1 for r in run.records if r["status"] != "graded")
    mean = sum(r["total"] for r in run.records) / len(run.records) if run.records else 0.0
    lines.append("-" * 78)
    if flagged:
        lines.append(f"full reasons: {run.csv_path} (status column) and `course report`")
    lines.append(
        f"{len(run.records)} submissions, {graded} executed, {flagged} flagged, "
        f"mean {mean:.2f} / {run.assignment.max_total:g}, {run.duration:.1f} s"
    )
    return "\n".join(lines)


def records_json(run: GradeRun) -> str:
    """The run's records as JSON (for ``--json``)."""
    return json.dumps(run.records, indent=1, default=str)


__all__ = ["GradeOptions", "GradeRun", "grade", "summary_table"]
