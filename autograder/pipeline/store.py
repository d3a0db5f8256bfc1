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

import json
import shutil
from pathlib import Path
from typing import Any

from autograder.pipeline.intake import Submission
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


def archive_submission(sub: Submission, assignment: str, workspace: Workspace) -> None:
    """Keep every file received (by content hash) and put the latest in nbgrader's layout.

    ``WORKSPACE/archive/<ex>/<student>/<sha256[:16]>.ipynb`` keeps every version;
    ``WORKSPACE/submitted/<student>/<ex>/`` holds the latest with its ``timestamp.txt``.
    """
    if sub.path is None or not sub.sha256:
        return
    target = workspace.archive_dir(assignment, sub.student_id) / f"{sub.sha256[:16]}.ipynb"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sub.path, target)
    submitted = workspace.submitted_path(assignment, sub.student_id)
    submitted.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sub.path, submitted)
    stamp = submitted.parent / "timestamp.txt"
    if sub.timestamp is not None:
        stamp.write_text(sub.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f UTC") + "\n")
    elif stamp.exists():
        stamp.unlink()


def save_graded_notebook(notebook: Any, record: dict[str, Any], workspace: Workspace) -> None:
    """Write the executed notebook where ``course feedback`` (and nbgrader) expect it."""
    import nbformat

    path = workspace.autograded_path(record["assignment"], record["student_id"])
    atomic_write(path, nbformat.writes(notebook))
