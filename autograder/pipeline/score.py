"""Score an executed notebook with nbgrader's own rule.

The kernel's per-cell outputs are put into the sanitized notebook, nbgrader's ``LimitOutput``
rule is applied (it runs before scoring in ``nbgrader autograde`` and can drop outputs), then
each grade cell is scored by :func:`nbgrader.utils.determine_grade`: a code cell earns its
points unless an output is an ``error`` or a ``stderr`` stream, or a numeric ``execute_result``
asks for partial credit. Cells that never ran because the kernel died or was killed get an
``error`` output naming the reason, so they score zero while the cells before them keep their
points.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Any

from autograder.assignments.master import Assignment


@dataclass
class CellScore:
    """The score of one grade cell.

    Attributes
    ----------
    grade_id : str
        Cell id (a gradebook column).
    points : float or None
        Points earned; None when the cell needs manual grading.
    max_points : float
        Points available.
    outcome : str
        ``"passed"``, ``"failed"`` (assertion), ``"error"`` (other exception), ``"stderr"``
        (wrote to stderr), ``"partial"``, ``"not run"``, ``"manual"`` or ``"unanswered"``.
    ename, evalue : str or None
        The error, if any.
    duration : float
        Seconds the cell ran.
    hidden : bool
        The cell contains hidden tests.
    """

    grade_id: str
    points: float | None
    max_points: float
    outcome: str
    ename: str | None = None
    evalue: str | None = None
    duration: float = 0.0
    hidden: bool = False

    def to_dict(self) -> dict[str, Any]:
        """As stored in a record."""
        return asdict(self)


def merge_outputs(nb: Any, results: dict[int, dict[str, Any]], stop: dict[str, Any] | None) -> None:
    """Put the kernel's outputs into the notebook's code cells (in place).

    Parameters
    ----------
    nb : NotebookNode
        The sanitized notebook.
    results : dict
        Cell index -> the kernel's result for that cell.
    stop : dict or None
        If the kernel died or was killed: ``{"cell": index, "reason": str}``; that cell and
        all later code cells get an error output saying so.
    """
    from nbformat import from_dict

    count = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        result = results.get(index)
        if result is not None:
            count += 1
            cell.outputs = [from_dict(o) for o in result.get("outputs", [])]
            cell.execution_count = count
            continue
        if stop is not None and index >= stop.get("cell", -1) >= 0:
            reason = stop.get("reason") or "the kernel stopped"
            ename = "DeadKernelError" if index == stop["cell"] else "NotRunError"
            evalue = reason if index == stop["cell"] else f"not run: {reason}"
            cell.outputs = [
                from_dict(
                    {
                        "output_type": "error",
                        "ename": ename,
                        "evalue": evalue,
                        "traceback": [f"{ename}: {evalue}"],
                    }
                )
            ]


def score_notebook(
    nb: Any, assignment: Assignment, results: dict[int, dict[str, Any]]
) -> list[CellScore]:
    """Score every grade cell of an executed notebook, in the assignment's column order.

    Parameters
    ----------
    nb : NotebookNode
        Sanitized notebook with outputs merged (:func:`merge_outputs`).
    assignment : Assignment
        Gives the columns and points.
    results : dict
        Cell index -> kernel result (for durations and error names).

    Returns
    -------
    list of CellScore
        One per grade cell of the assignment (cells absent from the notebook score 0).
    """
    from nbgrader.preprocessors import LimitOutput
    from nbgrader.utils import determine_grade

    log = logging.getLogger("autograder.pipeline.score")
    limit_output = LimitOutput()  # nbgrader's own, with its defaults (1000 lines, 100 frames)
    found: dict[str, tuple[int, Any]] = {}
    for index, cell in enumerate(nb.cells):
        limit_output.preprocess_cell(cell, {}, index)
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and meta.get("grade_id"):
            found[meta["grade_id"]] = (index, cell)
    scores = []
    for master in assignment.graded_cells:
        if master.grade_id not in found:
            scores.append(CellScore(master.grade_id, 0.0, master.points, "not run", hidden=False))
            continue
        index, cell = found[master.grade_id]
        result = results.get(index, {})
        try:
            points, max_points = determine_grade(cell, log)
        except ValueError as exc:  # partial credit above the maximum
            scores.append(
                CellScore(master.grade_id, 0.0, master.points, "error", "ValueError", str(exc))
            )
            continue
        error = next((o for o in cell.get("outputs", []) if o.output_type == "error"), None)
        outcome = _outcome(cell, master, points, max_points, error)
        scores.append(
            CellScore(
                grade_id=master.grade_id,
                points=None if points is None else float(points),
                max_points=float(max_points),
                outcome=outcome,
                ename=error.ename if error is not None else None,
                evalue=(error.evalue[:500] if error is not None else None),
                duration=float(result.get("duration", 0.0)),
                hidden=master.hidden,
            )
        )
    return scores


def _outcome(cell: Any, master: Any, points: float | None, max_points: float, error: Any) -> str:
    """The cell's outcome word (see :class:`CellScore`), from nbgrader's points and outputs."""
    stderr = any(o.output_type == "stream" and o.name == "stderr" for o in cell.get("outputs", []))
    if points is None:
        return "manual"
    if master.solution and points == 0:
        return "unanswered"
    if error is not None:
        if error.ename in ("DeadKernelError", "NotRunError"):
            return "not run"
        return "failed" if error.ename == "AssertionError" else "error"
    if stderr and points == 0:
        return "stderr"
    return "partial" if points < max_points else "passed"


def zero_scores(assignment: Assignment, outcome: str = "not run") -> list[CellScore]:
    """Every grade cell at zero (a submission that could not be executed)."""
    return [
        CellScore(c.grade_id, 0.0, c.points, outcome, hidden=c.hidden)
        for c in assignment.graded_cells
    ]


@dataclass
class Scored:
    """An executed submission with its scores.

    Attributes
    ----------
    notebook : NotebookNode
        The sanitized notebook with every cell's outputs (as nbgrader would store it).
    scores : list of CellScore
        One per grade cell of the assignment.
    flags, notes : list of str
        What execution added for the instructor (timeouts, memory, truncated output, manual
        grading).
    """

    notebook: Any
    scores: list[CellScore]
    flags: list[str]
    notes: list[str]


def score_submission(
    notebook: Any, results: dict[int, dict[str, Any]], done: dict[str, Any], assignment: Assignment
) -> Scored:
    """Merge the execution results into the notebook, score it and say what went wrong.

    Parameters
    ----------
    notebook : NotebookNode
        The sanitized notebook that was executed (outputs are merged into it).
    results : dict
        Code-cell index -> result, from the executor.
    done : dict
        How execution ended (``status``, ``reason``, ``cell``).
    assignment : Assignment
        Columns and points.
    """
    flags: list[str] = []
    stop = None
    if done.get("status") in ("died", "killed"):
        stop = {"cell": done.get("cell", -1), "reason": done.get("reason")}
        flags.append(done.get("reason") or done["status"])
    merge_outputs(notebook, results, stop)
    scores = score_notebook(notebook, assignment, results)
    flags += _execution_flags(notebook, results)
    manual = [s.grade_id for s in scores if s.points is None]
    if manual:  # formgrader shows these cells; the total counts them once graded there
        cells = "1 cell" if len(manual) == 1 else f"{len(manual)} cells"
        flags.append(f"needs manual grading: {cells} ({', '.join(manual)})")
    return Scored(notebook, scores, flags, [])


def _execution_flags(notebook: Any, results: dict[int, dict[str, Any]]) -> list[str]:
    """Timeouts, memory errors and truncated outputs, by cell."""
    labels = {}
    for index, cell in enumerate(notebook.cells):
        meta = cell.metadata.get("nbgrader", {}) or {}
        labels[index] = f"'{meta['grade_id']}'" if meta.get("grade_id") else f"#{index}"
    flags, truncated = [], []
    for index in sorted(results):
        result, label = results[index], labels.get(index, index)
        if result.get("dropped"):
            truncated.append(f"{label}: {result['dropped']:,} characters")
        if result.get("ename") == "CellTimeoutError":
            flags.append(f"cell {label} timed out (infinite loop?)")
        elif result.get("ename") == "MemoryError":
            flags.append(f"memory limit reached in cell {label}")
    if truncated:
        flags.append(f"output over the cap, truncated ({'; '.join(truncated)})")
    return flags
