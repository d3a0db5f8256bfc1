"""``course export``: grades as the gradebook holds them, for a spreadsheet or an LMS.

The scores come from nbgrader's gradebook (``WORKSPACE/gradebook.db``), so a manual score or an
extra credit typed in formgrader counts exactly as it does in ``nbgrader export``; the results
store adds what the gradebook does not keep (the status: reasons and flags).

Formats:

``csv`` (default)
    ``student_id``, one column per graded cell, ``total``, ``max_total``, ``status``.
``canvas``
    Canvas's gradebook import: ``Student``, ``ID`` (the Canvas user id read from the
    submission's file name), ``SIS User ID``, ``SIS Login ID``, ``Section`` and one column named
    after the assignment (``--lms-column "Exercise 1 (123456)"`` to match a Canvas assignment
    by its id), preceded by Canvas's ``Points Possible`` row.
``moodle``
    Moodle's offline grading worksheet: ``Identifier`` (``Participant <id>``, read from the
    submission's folder name), ``Full name``, ``Email address``, ``Status``, ``Grade``,
    ``Maximum Grade``, ``Grade can be changed``, ``Last modified (submission)``,
    ``Last modified (grade)``, ``Feedback comments``.

Only students whose submission came from that LMS's export appear in an LMS file; the others are
listed as skipped.
"""

from __future__ import annotations

import copy
import csv
import io
import warnings
from pathlib import Path
from typing import Any

from autograder.outputs.grades_csv import grades_table
from autograder.workspace import Workspace, atomic_write

FORMATS = ("csv", "canvas", "moodle")


def gradebook_scores(workspace: Workspace, assignment: str) -> dict[str, dict[str, Any]]:
    """Per student: ``{"cells": {grade_id: score}, "total", "max_total", "needs_manual"}``.

    ``score`` is nbgrader's: the manual score when one was given, else the auto score; the
    total adds extra credit. Empty when the workspace has no gradebook.
    """
    path = workspace.path / "gradebook.db"
    if not path.is_file():
        return {}
    from nbgrader.api import Gradebook, MissingEntry

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Gradebook(workspace.gradebook_url) as gb:
            try:
                submissions = gb.find_assignment(assignment).submissions
            except MissingEntry:
                return {}
            return {s.student_id: _scores_of(s) for s in submissions}


def _scores_of(submission: Any) -> dict[str, Any]:
    grades = [g for notebook in submission.notebooks for g in notebook.grades]
    return {
        "cells": {g.name: g.score for g in grades},
        "total": float(submission.score),
        "max_total": float(submission.max_score),
        "needs_manual": bool(submission.needs_manual_grade),
    }


def with_gradebook_scores(
    records: list[dict[str, Any]], scores: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Copies of the records with the gradebook's scores (manual grades included)."""
    out = []
    for record in records:
        mine = scores.get(record["student_id"])
        if mine is not None:
            record = copy.deepcopy(record)
            for cell in record.get("cells", []):
                if cell["grade_id"] in mine["cells"]:
                    cell["points"] = mine["cells"][cell["grade_id"]]
            record["total"], record["max_total"] = mine["total"], mine["max_total"]
            record["status"] = _manual_status(record["status"], mine["needs_manual"])
        out.append(record)
    return out


def _manual_status(status: str, needs_manual: bool) -> str:
    """The status once formgrader has (or has not yet) graded the written answers."""
    reasons = [r for r in status.split("; ") if not r.startswith("needs manual grading")]
    if needs_manual:
        reasons.append("needs manual grading")
    reasons = [r for r in reasons if r != "graded"]
    return "; ".join(reasons) or "graded"


def export(
    workspace: Workspace,
    records: list[dict[str, Any]],
    fmt: str = "csv",
    output: Path | None = None,
    column: str | None = None,
) -> tuple[Path, list[str]]:
    """Write the export; return its path and the students left out (no LMS identity).

    Parameters
    ----------
    workspace : Workspace
        Holds the gradebook.
    records : list of dict
        The results-store records to export (one assignment for the LMS formats).
    fmt : str
        ``"csv"``, ``"canvas"`` or ``"moodle"``.
    output : Path, optional
        Default: ``WORKSPACE/grades.csv`` or ``WORKSPACE/<assignment>-<fmt>.csv``.
    column : str, optional
        Canvas: the assignment column's header (default: the assignment name).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    assignments = sorted({r["assignment"] for r in records})
    merged = []
    for name in assignments:
        mine = [r for r in records if r["assignment"] == name]
        merged += with_gradebook_scores(mine, gradebook_scores(workspace, name))
    if fmt == "csv":
        header, rows = grades_table(merged)
        skipped: list[str] = []
        path = output or workspace.grades_csv
    else:
        if len(assignments) != 1:
            raise ValueError(f"--format {fmt} exports one assignment: pass --assignment EX")
        make = _canvas_rows if fmt == "canvas" else _moodle_rows
        header, rows, skipped = make(merged, column or assignments[0])
        path = output or workspace.path / f"{assignments[0]}-{fmt}.csv"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    atomic_write(path, buffer.getvalue())
    return path, skipped


def _lms(record: dict[str, Any], system: str) -> dict[str, str] | None:
    lms = (record.get("submission") or {}).get("lms")
    return lms if lms and lms.get("system") == system else None


def _points(value: float) -> str:
    return f"{value:g}"


def _canvas_rows(records: list[dict[str, Any]], column: str) -> tuple[list, list, list[str]]:
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
    maximum = max((r["max_total"] for r in records), default=0.0)
    rows = [["Points Possible", "", "", "", "", _points(maximum)]]
    skipped = []
    for record in records:
        lms = _lms(record, "canvas")
        if lms is None:
            skipped.append(record["student_id"])
            continue
        rows.append([lms["name"], lms["id"], "", "", "", _points(record["total"])])
    return header, rows, skipped


def _moodle_rows(records: list[dict[str, Any]], column: str) -> tuple[list, list, list[str]]:
    del column  # Moodle's worksheet belongs to one assignment: no column name
    header = [
        "Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
        "Grade can be changed", "Last modified (submission)", "Last modified (grade)",
        "Feedback comments",
    ]  # fmt: skip
    rows, skipped = [], []
    for record in records:
        lms = _lms(record, "moodle")
        if lms is None:
            skipped.append(record["student_id"])
            continue
        status = "Submitted for grading" if record.get("graded") else "No submission"
        comment = "" if record["status"] == "graded" else record["status"][:500]
        rows.append([
            f"Participant {lms['id']}", lms["name"], "", status, _points(record["total"]),
            _points(record["max_total"]), "Yes", "", "", comment,
        ])  # fmt: skip
    return header, rows, skipped
