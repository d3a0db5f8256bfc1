"""The CSV gradebook: one row per student, one column per graded cell, then total and status."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from autograder.workspace import atomic_write


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
