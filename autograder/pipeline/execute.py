"""Execute admitted submissions on the isolation layer and collect what each cell did.

An :class:`~autograder.pipeline.admit.Admitted` becomes a *job* (plain data: the code cells,
where each runs, the limits and the files, see :func:`build_job`); an executor (the local
:class:`~autograder.isolation.pool.WorkerPool` or a Dask cluster) runs the jobs and streams
events back; :func:`execute` turns them into one :class:`Executed` per submission, in the
order they finish.
"""

from __future__ import annotations

import ast
import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from autograder.assignments.master import Assignment
from autograder.isolation import public_lib
from autograder.isolation.pool import Event, WorkerPool
from autograder.isolation.runner import PUBLIC_LIB_DIR
from autograder.limits import Limits
from autograder.pipeline.admit import Admitted


class Executor(Protocol):
    """What runs jobs: :class:`~autograder.isolation.pool.WorkerPool` or a Dask pool."""

    info: dict[str, Any]

    def start(self) -> Executor: ...
    def wait_ready(self) -> dict[str, Any]: ...
    def run(self, jobs: list[dict[str, Any]]) -> Iterator[Event]: ...
    def close(self) -> None: ...


@dataclass
class Executed:
    """One submission after execution.

    Attributes
    ----------
    admitted : Admitted
        What was executed.
    results : dict
        Code-cell index -> that cell's result (outputs, error, duration...).
    done : dict
        How the submission ended: ``status`` (``"ok"``, ``"died"``, ``"killed"``,
        ``"grader_error"``, ``"sandbox_error"``), ``reason``, ``mode``, timings, peaks.
    """

    admitted: Admitted
    results: dict[int, dict[str, Any]] = field(default_factory=dict)
    done: dict[str, Any] = field(default_factory=dict)


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
    admitted: Admitted, assignment: Assignment, limits: Limits, lib: dict[str, bytes]
) -> dict[str, Any]:
    """The job a worker runs: the code cells, where each runs, limits and files."""
    cells = []
    for index, cell in enumerate(admitted.notebook.cells):
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
    files = dict(admitted.submission.extra_files)
    files.update(assignment.files)  # the assignment's own files win, as in nbgrader
    files.update(lib)
    return {
        "id": admitted.student_id,
        "cells": cells,
        "timeout": limits.cell_timeout,
        "wall_clock": limits.wall_clock,
        "output_cap": limits.output_cap,
        "files": [
            {"path": path, "data": base64.b64encode(data).decode("ascii")}
            for path, data in files.items()
        ],
    }


def execute(executor: Executor, jobs: list[tuple[Admitted, dict[str, Any]]]) -> Iterator[Executed]:
    """Run the jobs; yield each submission once it is done (in the order they finish)."""
    by_id = {admitted.student_id: Executed(admitted) for admitted, _ in jobs}
    for event in executor.run([job for _, job in jobs]):
        executed = by_id.get(event.job)
        if executed is None:
            continue
        if event.kind == "cell":
            executed.results[int(event.data["index"])] = event.data
        elif event.kind == "done":
            executed.done = event.data
            yield by_id.pop(event.job)


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


def make_executor(
    assignment: Assignment, options: Any, secrets: list[str], log_dir: Path
) -> Executor:
    """The executor of a grading run: warm sandboxed workers, local or on a Dask cluster.

    ``options`` is the run's :class:`~autograder.pipeline.grading.GradeOptions` (limits,
    jobs, dask); ``secrets`` are the host paths a submission must never see (the repository,
    the workspace, the submissions, home folders).
    """
    limits = options.limits
    imports = assignment_imports(assignment)
    init = {
        "sandbox": limits.sandbox,
        "secrets": secrets,
        "packages": sorted({"course_lib", *(name.split(".")[0] for name in imports)}),
        "preload": imports,
        "memory_mb": limits.memory_mb,
        "max_processes": limits.max_processes,
    }
    if options.dask:
        from autograder.cluster.dask_pool import DaskPool  # optional extra: course[dask]

        return DaskPool(options.dask, init, log_dir)
    return WorkerPool(options.jobs, init, log_dir)
