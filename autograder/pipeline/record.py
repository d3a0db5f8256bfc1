"""The record of one student's grade: what the results store keeps and every output reads.

A record is plain JSON: the student, the cells' scores and total, the reason when nothing was
executed, the flags for the instructor, where the submission came from, how it ran (sandbox,
limits, timings) and what it was graded with (assignment digest, limits, grader version), so
that an unchanged submission is not run again (:func:`reusable`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from autograder.assignments.master import Assignment
from autograder.limits import Limits
from autograder.pipeline.admit import Admitted
from autograder.pipeline.score import CellScore, zero_scores
from autograder.pipeline.store import status_of

#: Bump when a change to the grader changes scores (cached grades are then re-run).
GRADER_VERSION = "1"

#: Fields of the executor's ``done`` message kept in ``record["run"]``.
RUN_FIELDS = {
    "duration": "duration",
    "status": "status",
    "reason": "reason",
    "sandbox": "mode",
    "round_trips": "round_trips",
    "test_seconds": "test_seconds",
    "limits": "limits",
    "peak": "peak",
}


def make_record(
    admitted: Admitted,
    assignment: Assignment,
    limits: Limits,
    scores: list[CellScore],
    *,
    problem: str | None = None,
    flags: list[str] | None = None,
    notes: list[str] | None = None,
    done: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A results-store record for one student.

    Parameters
    ----------
    admitted : Admitted
        The submission and the flags found before execution.
    assignment : Assignment
        What it was graded against.
    limits : Limits
        The limits it was graded with.
    scores : list of CellScore
        One per grade cell.
    problem : str, optional
        Why it was not graded (then ``graded`` is False and the scores are zeros).
    flags, notes : list of str, optional
        Added by execution and scoring.
    done : dict, optional
        The executor's end-of-submission message (``record["run"]``).
    """
    sub = admitted.submission
    record = {
        "student_id": sub.student_id,
        "assignment": assignment.name,
        "graded": problem is None,
        "problem": problem,
        "flags": list(dict.fromkeys([*admitted.flags, *(flags or [])])),
        "notes": list(dict.fromkeys([*admitted.notes, *(notes or [])])),
        "cells": [s.to_dict() for s in scores],
        "total": round(sum(s.points or 0.0 for s in scores), 6),
        "max_total": assignment.max_total,
        "submission": {
            "origin": sub.origin,
            "sha256": sub.sha256,
            "timestamp": sub.timestamp.isoformat() if sub.timestamp else None,
            "late": sub.late,
            "lms": _lms_identity(sub),
        },
        "run": {key: done.get(source) for key, source in RUN_FIELDS.items()} if done else {},
        "graded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "digest": assignment.digest,
        "limits": limits.signature(),
        "grader_version": GRADER_VERSION,
    }
    record["status"] = status_of(record)
    return record


def _lms_identity(sub: Any) -> dict[str, str] | None:
    """``{"system", "id", "name"}`` of a submission that came from a Canvas or Moodle export."""
    if not sub.lms_system:
        return None
    return {"system": sub.lms_system, "id": sub.lms_id, "name": sub.display_name or ""}


def not_graded(
    admitted: Admitted, assignment: Assignment, limits: Limits, problem: str, **extra: Any
) -> dict[str, Any]:
    """The record of a submission that got no grade: every cell at zero, with the reason."""
    return make_record(
        admitted, assignment, limits, zero_scores(assignment), problem=problem, **extra
    )


def reusable(
    old: dict[str, Any] | None, admitted: Admitted, assignment: Assignment, limits: Limits
) -> bool:
    """Whether an earlier record still holds: same file, assignment, limits and grader."""
    return bool(
        old
        and old.get("graded")
        and old.get("submission", {}).get("sha256") == admitted.submission.sha256
        and old.get("digest") == assignment.digest
        and old.get("limits") == limits.signature()
        and old.get("grader_version") == GRADER_VERSION
    )
