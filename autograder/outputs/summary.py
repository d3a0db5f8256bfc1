"""What ``course grade`` prints: a progress bar with one line per student, then the table."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from autograder.pipeline.grading import GradeRun

_MARKS = {"graded": "", "cached": " (unchanged)", "kept": " (earlier grade kept)"}


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def student_line(record: dict[str, Any], action: str) -> str:
    """One finished student, as printed under the progress bar."""
    return (
        f"  {record['student_id']:<22} {record['total']:>6g} / {record['max_total']:<5g}"
        f" {_shorten(record.get('status', ''), 90)}{_MARKS.get(action, '')}"
    )


class Progress:
    """A tqdm bar plus one line per finished student (or nothing when disabled)."""

    def __init__(self, total: int, enabled: bool, name: str) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=f"grading {name}", unit="student", file=sys.stderr)

    def update(self, record: dict[str, Any], action: str) -> None:
        """Print a finished student and advance the bar."""
        if self.bar is None:
            return
        self.bar.write(student_line(record, action), file=sys.stdout)
        self.bar.set_postfix_str(record["student_id"][:20])
        self.bar.update(1)

    def close(self) -> None:
        """Close the bar."""
        if self.bar is not None:
            self.bar.close()


def summary_table(run: GradeRun) -> str:
    """The end-of-run table: one line per student, then totals."""
    lines = [f"{'student':<24}{'score':>8}  {'max':<6}status", "-" * 78]
    for record in run.records:
        status = _shorten(record["status"], 100)
        if run.actions.get(record["student_id"]) == "kept":
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
