"""The results store: one JSON file per student and assignment, written atomically by one process.

Only the grading process writes (workers send results to it), each record goes to its own file
through ``os.replace``, so there is no database to lock and a crash leaves either the old or
the new record. Re-grading never destroys a grade: a new attempt that produced no grade (an
unreadable file, a grader failure, a wrong assignment) is recorded *beside* the earlier grade,
which stays in force.

A record::

    {"student_id", "assignment", "graded": bool, "status": "graded" | reasons,
     "flags": [...], "notes": [...], "cells": [{grade_id, points, max_points, outcome, ...}],
     "total", "max_total", "submission": {origin, sha256, timestamp, late},
     "run": {duration, sandbox, stop}, "graded_at", "digest", "limits",
     "superseded": [...], "kept_after": [...]}
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from autograder.workspace import Workspace, atomic_write


def status_of(record: dict[str, Any]) -> str:
    """``"graded"`` when nothing needs attention, otherwise the reasons, joined by ``"; "``."""
    reasons = list(record.get("flags") or [])
    if record.get("problem"):
        reasons.insert(0, record["problem"])
    return "; ".join(reasons) if reasons else "graded"


class ResultStore:
    """Read and write grading records under ``WORKSPACE/results``.

    Parameters
    ----------
    workspace : Workspace
        The grading workspace.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def path(self, assignment: str, student: str) -> Path:
        """The record file of a student."""
        return self.workspace.results_dir(assignment) / f"{student}.json"

    def load(self, assignment: str, student: str) -> dict[str, Any] | None:
        """The record of a student, or None."""
        path = self.path(assignment, student)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return None

    def records(self, assignment: str | None = None) -> list[dict[str, Any]]:
        """All records (of one assignment, or of all), sorted by student id."""
        names = [assignment] if assignment else self.workspace.exercises()
        out = []
        for name in names:
            folder = self.workspace.results_dir(name)
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.json")):
                try:
                    out.append(json.loads(path.read_text(encoding="utf-8")))
                except (OSError, ValueError):
                    continue
        return sorted(out, key=lambda r: (r.get("assignment", ""), r["student_id"].casefold()))

    def save(self, record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Store a record without ever losing an existing grade.

        Parameters
        ----------
        record : dict
            A new grading record.

        Returns
        -------
        (action, stored) : tuple
            ``"saved"`` (the new record is in force) or ``"kept"`` (the earlier grade stays,
            the failed attempt is noted in it), and the record now stored.
        """
        record["status"] = status_of(record)
        old = self.load(record["assignment"], record["student_id"])
        if old is not None and old.get("graded") and not record.get("graded"):
            attempt = {
                "at": record.get("graded_at"),
                "status": record["status"],
                "sha256": record.get("submission", {}).get("sha256"),
            }
            old.setdefault("kept_after", []).append(attempt)
            old["kept_after"] = old["kept_after"][-10:]
            stored = old
            action = "kept"
        else:
            if old is not None:
                history = old.pop("superseded", [])
                history.append(
                    {
                        "graded_at": old.get("graded_at"),
                        "total": old.get("total"),
                        "status": old.get("status"),
                        "sha256": old.get("submission", {}).get("sha256"),
                    }
                )
                record["superseded"] = history[-10:]
            stored = record
            action = "saved"
        atomic_write(
            self.path(record["assignment"], record["student_id"]),
            json.dumps(stored, indent=1, default=str),
        )
        return action, stored


def _format_points(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def grades_table(records: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """The gradebook as a header and rows.

    With one assignment the columns are ``student_id``, one per graded cell, ``total``,
    ``max_total``, ``status``. With several, cell columns are prefixed ``<assignment>/`` and
    ``total`` / ``max_total`` add up the assignments a student has.

    Parameters
    ----------
    records : list of dict
        Grading records.

    Returns
    -------
    (header, rows) : tuple
    """
    assignments = sorted({r["assignment"] for r in records})
    multi = len(assignments) > 1
    columns: list[tuple[str, str]] = []
    for name in assignments:
        seen = []
        for record in records:
            if record["assignment"] != name:
                continue
            for cell in record.get("cells", []):
                if cell["grade_id"] not in seen:
                    seen.append(cell["grade_id"])
        columns += [(name, cell_id) for cell_id in seen]
    header = ["student_id"] + [f"{a}/{c}" if multi else c for a, c in columns]
    header += ["total", "max_total", "status"]
    by_student: dict[str, dict[str, dict[str, Any]]] = {}
    for record in records:
        by_student.setdefault(record["student_id"], {})[record["assignment"]] = record
    rows = []
    for student in sorted(by_student, key=str.casefold):
        mine = by_student[student]
        row = [student]
        for name, cell_id in columns:
            record = mine.get(name)
            cells = {c["grade_id"]: c for c in (record or {}).get("cells", [])}
            row.append(_format_points(cells[cell_id]["points"]) if cell_id in cells else "")
        total = sum(float(r.get("total") or 0) for r in mine.values())
        max_total = sum(float(r.get("max_total") or 0) for r in mine.values())
        if multi:
            status = "; ".join(f"{n}: {mine[n]['status']}" for n in assignments if n in mine)
        else:
            status = next(iter(mine.values()))["status"]
        row += [_format_points(total), _format_points(max_total), status]
        rows.append(row)
    return header, rows


def write_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    """Write the gradebook CSV atomically.

    Parameters
    ----------
    path : Path
        Destination.
    records : list of dict
        Grading records.

    Returns
    -------
    Path
        ``path``.
    """
    header, rows = grades_table(records)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    atomic_write(path, buffer.getvalue())
    return path
