"""Sanitize a submitted notebook exactly as ``nbgrader autograde`` does, plus integrity checks.

nbgrader's sanitizing preprocessors are ``ClearOutput``, ``DeduplicateIds``,
``OverwriteKernelspec``, ``OverwriteCells`` and ``CheckCellMetadata``; each step below is the
same rule on an in-memory master (:class:`autograder.assignments.master.Assignment`) instead of the
gradebook database:

- outputs and execution counts cleared;
- a grade id used twice: only the last cell keeps its nbgrader metadata;
- the kernelspec replaced by the source's;
- for every cell with a known grade id: cell type, locked flag and points restored, checksum
  set, and a locked cell whose checksum changed gets its master source back (this is what
  brings the hidden tests back);
- grade cells the student deleted are put back after the preceding master cell (nbgrader's
  ``OverwriteCells.add_missing_cells``), and so are deleted locked cells.

Stricter than nbgrader (tampering that nbgrader would let through): the ``grade`` and
``solution`` flags of known cells are restored too, and unknown grade ids lose their nbgrader
metadata. Before any of this, :func:`check_assignment` recognises a notebook of another
assignment.
"""

from __future__ import annotations

import copy
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from autograder.assignments.master import Assignment, MasterCell

MISSING_CELL_NOTE = (
    "This cell (id:{cell_id}) was missing from the submission. It was added back by nbgrader.\n\n"
)


@dataclass
class SanitizeReport:
    """What sanitizing changed.

    Attributes
    ----------
    flags : list of str
        Worth the instructor's attention (restored deleted cells, tampered metadata...).
    notes : list of str
        Routine (edited locked cells restored, as nbgrader does silently).
    """

    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _meta(cell: dict[str, Any]) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_ids(nb: Any) -> list[str]:
    """Grade ids present in a notebook, in order."""
    return [_meta(c)["grade_id"] for c in nb["cells"] if "grade_id" in _meta(c)]


def check_assignment(nb: Any, assignment: Assignment) -> str | None:
    """Recognise a notebook made for another assignment.

    Parameters
    ----------
    nb : NotebookNode
        The submitted notebook.
    assignment : Assignment
        The assignment being graded.

    Returns
    -------
    str or None
        The problem, or None if the notebook plausibly belongs to this assignment.
    """
    ids = set(grade_ids(nb))
    ours = set(assignment.by_id)
    if not ids or ids & ours:
        return None
    best, overlap = None, 0
    for other, other_ids in assignment.siblings.items():
        common = len(ids & other_ids)
        if common > overlap:
            best, overlap = other, common
    if best is not None:
        return (
            f"wrong assignment: this notebook is {best} ({overlap} of its cells match {best}, "
            f"none of {assignment.name}'s {len(ours)} cells is present)"
        )
    return (
        f"wrong assignment: none of {assignment.name}'s {len(ours)} nbgrader cells is present "
        f"(found unknown cell ids {', '.join(sorted(ids)[:4])})"
    )


def compute_checksum(cell: Any) -> str:
    """nbgrader's checksum of a cell."""
    from nbgrader.utils import compute_checksum as nbgrader_checksum

    return nbgrader_checksum(cell)


def _restore_cell(cell: Any, master: MasterCell, report: SanitizeReport) -> None:
    meta = cell.metadata.nbgrader
    edited_meta = []
    if cell.cell_type != master.cell_type:
        edited_meta.append("cell type")
        cell.cell_type = master.cell_type
        if master.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    for key, value in (
        ("locked", master.locked),
        ("grade", master.grade),
        ("solution", master.solution),
    ):
        if bool(meta.get(key, False)) != value:
            edited_meta.append(key)
        meta[key] = value
    if master.task:
        meta["task"] = True
    if master.grade:
        if float(meta.get("points", -1) or 0) != master.points:
            edited_meta.append("points")
        meta["points"] = master.points
    else:
        meta.pop("points", None)
    meta["checksum"] = master.checksum
    if edited_meta:
        report.flags.append(
            f"nbgrader metadata of cell '{master.grade_id}' was edited ({', '.join(edited_meta)}):"
            " restored"
        )
    if master.locked and compute_checksum(cell) != master.checksum:
        cell.source = master.source
        kind = "test" if master.is_test else "locked"
        report.notes.append(f"edited {kind} cell '{master.grade_id}' restored")


def _missing_cell(master: MasterCell) -> Any:
    from nbformat import from_dict

    note = MISSING_CELL_NOTE.format(cell_id=master.grade_id)
    cell: dict[str, Any] = {
        "cell_type": master.cell_type,
        "metadata": {
            "deletable": False,
            "editable": False,
            "nbgrader": {
                "grade": master.grade,
                "grade_id": master.grade_id,
                "locked": master.locked,
                "checksum": master.checksum,
                "cell_type": master.cell_type,
                "solution": master.solution,
                "schema_version": 3,
            },
        },
        "source": note + master.source,
    }
    if master.grade:
        cell["metadata"]["nbgrader"]["points"] = master.points
    if master.cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
        cell["source"] = "# " + cell["source"]
    if master.solution:
        del cell["metadata"]["editable"]
    return from_dict(copy.deepcopy(cell))  # NotebookNode all the way down (nbgrader reads
    # ``cell.metadata.nbgrader``)


def sanitize(nb: Any, assignment: Assignment) -> tuple[Any, SanitizeReport]:
    """Return a sanitized copy of a submitted notebook, ready to execute.

    Parameters
    ----------
    nb : NotebookNode
        The submitted notebook (nbformat 4).
    assignment : Assignment
        The assignment (master cells).

    Returns
    -------
    (notebook, report) : tuple
        The sanitized notebook and what was changed.
    """
    from nbgrader.preprocessors import ClearOutput, DeduplicateIds

    nb = copy.deepcopy(nb)
    report = SanitizeReport()
    ClearOutput().preprocess(nb, {})
    report.flags += _duplicate_id_flags(nb)
    quiet = logging.getLogger("autograder.pipeline.sanitize")  # the flag above says it once
    quiet.setLevel(logging.ERROR)
    DeduplicateIds(log=quiet).preprocess(nb, {})  # the last copy of a repeated id wins
    # OverwriteKernelspec
    if assignment.kernelspec:
        nb.metadata["kernelspec"] = copy.deepcopy(assignment.kernelspec)
    _overwrite_cells(nb, assignment, report)
    _add_missing(nb, assignment, report)
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) >= (4, 5):
        for cell in nb.cells:  # cells ids are required from nbformat 4.5 on
            if not cell.get("id"):
                cell["id"] = uuid.uuid4().hex[:12]
    return nb, report


def _duplicate_id_flags(nb: Any) -> list[str]:
    """Flags for repeated grade ids; cells claiming a role without an id lose the role."""
    seen: set[str] = set()
    flags = []
    for cell in reversed(nb.cells):
        meta = _meta(cell)
        if not (meta.get("grade") or meta.get("solution") or meta.get("locked")):
            continue
        grade_id = meta.get("grade_id")
        if grade_id is None:
            cell.metadata["nbgrader"] = {}  # nbgrader's DeduplicateIds would fail on it
        elif grade_id in seen:
            flags.append(f"cell id '{grade_id}' appears twice: the earlier copy ignored")
        else:
            seen.add(grade_id)
    return flags


def _overwrite_cells(nb: Any, assignment: Assignment, report: SanitizeReport) -> None:
    """nbgrader's ``OverwriteCells``, from the assignment's master cells (not a gradebook)."""
    masters = assignment.by_id
    unknown = []
    for cell in nb.cells:
        grade_id = _meta(cell).get("grade_id")
        if grade_id is None:
            if "nbgrader" in cell.metadata and _meta(cell):
                cell.metadata["nbgrader"] = {}
            continue
        master = masters.get(grade_id)
        if master is None:
            unknown.append(grade_id)
            del cell.metadata["nbgrader"]
            continue
        _restore_cell(cell, master, report)
    if unknown:
        report.flags.append(
            f"unknown nbgrader cell ids treated as ordinary cells: {', '.join(unknown[:5])}"
        )


def _add_missing(nb: Any, assignment: Assignment, report: SanitizeReport) -> None:
    """Put back deleted grade and locked cells after the preceding master cell present."""
    present = set(grade_ids(nb))
    missing = [m for m in assignment.cells if m.grade_id not in present and (m.grade or m.locked)]
    if not missing:
        return
    if not present:
        report.flags.append(
            "no nbgrader cells in the notebook (not created from the released exercise?): "
            "the instructor cells were appended at the end"
        )
        for master in missing:
            nb.cells.append(_missing_cell(master))
        return
    order = [m.grade_id for m in assignment.cells]
    restored = []
    for master in missing:
        position = 0
        for earlier in reversed(order[: order.index(master.grade_id)]):
            ids = grade_ids(nb)
            if earlier in ids:
                index = next(
                    i for i, c in enumerate(nb.cells) if _meta(c).get("grade_id") == earlier
                )
                position = index + 1
                break
        nb.cells.insert(position, _missing_cell(master))
        restored.append(master.grade_id)
    kinds = "grade" if all(assignment.by_id[r].grade for r in restored) else "grade/locked"
    report.flags.append(f"deleted {kinds} cells restored: {', '.join(restored)}")
