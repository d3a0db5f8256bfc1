"""nbgrader's gradebook: where a grade lives, so formgrader and ``nbgrader export`` see it.

The grading process is the gradebook's only writer during a run. It records, through nbgrader's
own API (:class:`nbgrader.api.Gradebook`):

- the assignment, its notebook and cells, by running nbgrader's ``SaveCells`` preprocessor on
  the source notebook, exactly as ``nbgrader generate_assignment`` does;
- every student and submission (with its timestamp, so nbgrader computes lateness against the
  assignment's due date);
- every grade cell's **auto** score, as nbgrader's ``SaveAutoGrades`` does: the manual score,
  extra credit and comments an instructor typed in formgrader are never written here, so they
  survive any re-grade; a cell with no auto score needs review until graded by hand, and a
  cell graded by hand needs it again only if its auto score changed.

Each student is one transaction: a run killed at any point leaves the gradebook consistent, and
the next run, which re-records every unchanged submission from the results store, completes it.
The database runs in SQLite's WAL mode (readers such as formgrader never block the grader;
commits cost ~30 ms instead of ~125 ms per student, measured on a 40-student class).
"""

from __future__ import annotations

import logging
import warnings
from datetime import datetime
from typing import Any

from autograder.assignments.master import Assignment, AssignmentError


class GradebookRecorder:
    """Records one assignment's grades in nbgrader's gradebook (a context manager).

    Parameters
    ----------
    db_url : str
        SQLAlchemy URL of the gradebook (``sqlite:///.../gradebook.db``).
    assignment : Assignment
        The assignment graded.
    due : datetime, optional
        The deadline, recorded as the assignment's due date when given.
    """

    def __init__(self, db_url: str, assignment: Assignment, due: datetime | None = None) -> None:
        self.db_url = db_url
        self.assignment = assignment
        self.due = due
        self.gradebook: Any = None

    def __enter__(self) -> GradebookRecorder:
        from nbgrader.api import Gradebook
        from sqlalchemy import text

        with _quiet_nbgrader():
            self.gradebook = Gradebook(self.db_url)
        self.gradebook.db.execute(text("PRAGMA journal_mode=WAL"))
        self.gradebook.db.execute(text("PRAGMA synchronous=NORMAL"))
        self._record_assignment()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.gradebook is not None:
            self.gradebook.close()
            self.gradebook = None

    def _record_assignment(self) -> None:
        """The assignment, its notebook and cells, as ``generate_assignment`` records them."""
        import nbformat
        from nbgrader.preprocessors import SaveCells

        name = self.assignment.name
        extra = {"duedate": self.due} if self.due is not None else {}
        self.gradebook.update_or_create_assignment(name, **extra)
        source = nbformat.read(self.assignment.source_path, as_version=4)
        resources = {"nbgrader": {"notebook": name, "assignment": name, "db_url": self.db_url}}
        try:
            with _quiet_nbgrader():
                SaveCells().preprocess(source, resources)
        except RuntimeError as exc:  # cells added or removed after students were recorded
            raise AssignmentError(
                f"nbgrader's gradebook refuses the new cells of {name}: {exc}. Grades already "
                "recorded stay; restore the cells, or move grading/gradebook.db aside to start "
                "a new gradebook"
            ) from None

    def record(self, record: dict[str, Any]) -> None:
        """Record one student's submission and auto scores (manual scores are left alone).

        Parameters
        ----------
        record : dict
            A results-store record (see :mod:`autograder.pipeline.record`). A record without a
            submitted notebook still creates the submission, with every cell at zero, as
            ``nbgrader autograde`` does for a missing notebook.
        """
        gb, name, student = self.gradebook, self.assignment.name, record["student_id"]
        try:
            with _quiet_nbgrader():
                gb.update_or_create_student(student)
                stamp = (record.get("submission") or {}).get("timestamp")
                extra = {"timestamp": datetime.fromisoformat(stamp)} if stamp else {}
                submission = gb.update_or_create_submission(name, student, **extra)
                _set_auto_scores(submission, record)
                gb.db.commit()
        except Exception:
            gb.db.rollback()  # this student's transaction only: the others stay recorded
            raise


def _set_auto_scores(submission: Any, record: dict[str, Any]) -> None:
    """Auto scores from the record, with nbgrader's review rule made kinder to re-grades.

    A cell missing from the record scores 0 (it never ran); a cell that needs manual grading
    has no auto score and needs review until graded by hand. As in nbgrader's
    ``SaveAutoGrades``, a cell graded by hand is flagged for review when its auto score
    changes; unlike it, a re-grade that leaves the auto score as it was leaves the
    instructor's review as it was.
    """
    scores = {cell["grade_id"]: cell for cell in record.get("cells", [])}
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            cell = scores.get(grade.name)
            auto = 0.0 if cell is None else cell["points"]
            if grade.manual_score is None:
                grade.needs_manual_grade = auto is None
            elif auto != grade.auto_score:
                grade.needs_manual_grade = True
            grade.auto_score = auto
        for comment in notebook.comments:
            cell = scores.get(comment.name)
            unanswered = cell is not None and cell.get("outcome") == "unanswered"
            comment.auto_comment = "No response." if unanswered else None


class _quiet_nbgrader:
    """Silence nbgrader's and SQLAlchemy's chatter (warnings, info logs) for a block."""

    def __enter__(self) -> None:
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore")
        self._level = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        logging.getLogger().setLevel(self._level)
        self._warnings.__exit__(*exc)
