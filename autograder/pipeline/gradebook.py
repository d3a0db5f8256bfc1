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

import copy
import logging
import queue
import threading
import warnings
from datetime import datetime
from typing import Any

from autograder.assignments.master import Assignment, AssignmentError

#: The logger nbgrader's SaveCells reports through: errors only (its debug lines are noise),
#: instead of lowering the whole process's root logger from the writer thread.
_QUIET = logging.getLogger("autograder.pipeline.gradebook.nbgrader")
_QUIET.setLevel(logging.ERROR)


class GradebookRecorder:
    """Records one assignment's grades in nbgrader's gradebook (a context manager).

    One writer thread owns the database: it opens it (creating it with nbgrader's alembic
    stamp, then ``SaveCells``) while the workers start, and writes each record handed to
    :meth:`record` while the next submissions are graded, so the grading loop never waits
    on SQLite (recording 40 students went from 2.7 s on the critical path to none).

    Parameters
    ----------
    db_url : str
        SQLAlchemy URL of the gradebook (``sqlite:///.../gradebook.db``).
    assignment : Assignment
        The assignment graded.
    due : datetime, optional
        The deadline, recorded as the assignment's due date when given.

    Attributes
    ----------
    failures : list of (str, str)
        ``(student, error)`` for each record the gradebook refused (read after the block).
    """

    def __init__(self, db_url: str, assignment: Assignment, due: datetime | None = None) -> None:
        self.db_url = db_url
        self.assignment = assignment
        self.due = due
        self.gradebook: Any = None
        self.failures: list[tuple[str, str]] = []
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._opened = threading.Event()
        self._open_error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, name="gradebook", daemon=True)

    def __enter__(self) -> GradebookRecorder:
        # Import here, in the grading thread: the grading thread imports nbgrader's
        # preprocessors too, and two threads importing one package can see it half-made.
        import alembic.script  # noqa: F401
        import nbformat  # noqa: F401
        import nbgrader.api  # noqa: F401
        import nbgrader.preprocessors  # noqa: F401
        from sqlalchemy.exc import SAWarning

        # nbgrader's own objects make SQLAlchemy warn about autoflush: noise for instructors
        warnings.filterwarnings("ignore", category=SAWarning)
        self._thread.start()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._open_error is not None and exc_type is None:
            raise self._open_error

    def ready(self) -> None:
        """Wait until the gradebook is open; raise why it could not be, if so."""
        self._opened.wait()
        if self._open_error is not None:
            raise self._open_error

    def record(self, record: dict[str, Any]) -> None:
        """Queue one student's record for the writer (see :meth:`_write`)."""
        self._queue.put(copy.deepcopy(record))

    def _serve(self) -> None:
        """The writer thread: open, then write records until the end of the block."""
        try:
            self._open()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the grading thread
            self._open_error = exc
        self._opened.set()
        while (record := self._queue.get()) is not None:
            if self._open_error is not None:
                continue
            try:
                self._write(record)
            except Exception as exc:
                self.failures.append((record["student_id"], f"{type(exc).__name__}: {exc}"))
        if self.gradebook is not None:
            self.gradebook.close()

    def _open(self) -> None:
        from nbgrader.api import Gradebook
        from sqlalchemy import text

        _create_if_new(self.db_url)
        self.gradebook = Gradebook(self.db_url)
        self.gradebook.db.execute(text("PRAGMA journal_mode=WAL"))
        self.gradebook.db.execute(text("PRAGMA synchronous=NORMAL"))
        self._record_assignment()

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
            SaveCells(log=_QUIET).preprocess(source, resources)
        except RuntimeError as exc:  # cells added or removed after students were recorded
            raise AssignmentError(
                f"nbgrader's gradebook refuses the new cells of {name}: {exc}. Grades already "
                "recorded stay; restore the cells, or move grading/gradebook.db aside to start "
                "a new gradebook"
            ) from None

    def _write(self, record: dict[str, Any]) -> None:
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
            gb.update_or_create_student(student)
            stamp = (record.get("submission") or {}).get("timestamp")
            extra = {"timestamp": datetime.fromisoformat(stamp)} if stamp else {}
            submission = gb.update_or_create_submission(name, student, **extra)
            _set_auto_scores(submission, record)
            gb.db.commit()
        except Exception:
            gb.db.rollback()  # this student's transaction only: the others stay recorded
            raise


def _create_if_new(db_url: str) -> None:
    """Create a new gradebook as ``nbgrader.api.Gradebook`` does, without its subprocess.

    nbgrader stamps a new database with the alembic head it gets by running ``alembic heads``
    in a subprocess (2.6 s on this project's 2-core machine, on the grading run's critical
    path); the same head read in-process takes 1.4 ms. An existing database is left alone.
    """
    import os

    import nbgrader
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.api import Base
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(db_url, future=True)
    try:
        if inspect(engine).get_table_names():
            return
        config = Config()
        config.set_main_option(
            "script_location", os.path.join(os.path.dirname(nbgrader.__file__), "alembic")
        )
        head = ScriptDirectory.from_config(config).get_current_head()
        with engine.begin() as connection:
            Base.metadata.create_all(bind=connection)
            connection.execute(
                text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
            )
            connection.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})
    finally:
        engine.dispose()


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
