"""Run real ``nbgrader autograde`` on the solutions and on the untouched releases.

A temporary course directory gets a fresh gradebook: ``generate_assignment`` records every
exercise's cells (from the repository's ``solutions/``), then two "students" submit each
assignment: ``solution`` hands in the source notebook, ``release`` the committed
``exercises/<ex>/<ex>.ipynb`` as a student receives it. Each (assignment, student) is
autograded separately with nbgrader's ``Autograde`` converter, in-process, and timed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

#: The exercises, in course order: one folder per nbgrader source notebook
#: ``solutions/<ex>/<ex>.ipynb`` (the notebook is the source; there is no generator).
EXERCISES: tuple[str, ...] = tuple(
    sorted(p.parent.name for p in (REPO / "solutions").glob("*/*.ipynb") if p.stem == p.parent.name)
)

#: Points per assignment (the tests check the notebooks add up to these).
POINTS = {
    "ex01_modules": 28,
    "ex02_losses": 24,
    "ex03_backprop": 20,
    "ex04_autograd": 15,
    "ex05_quiz": 16,
}


STUDENTS = ("solution", "release")


@contextlib.contextmanager
def _environment(repo: Path) -> Iterator[None]:
    """PATH with this interpreter's ``bin`` (nbgrader shells out to ``alembic``) and PYTHONPATH
    with ``repo``, so that grading kernels import this checkout's course_lib."""
    saved = {k: os.environ.get(k) for k in ("PATH", "PYTHONPATH", "MPLBACKEND")}
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), saved["PATH"] or ""])
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(repo), saved["PYTHONPATH"] or "") if p
    )
    os.environ["MPLBACKEND"] = "Agg"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _config(repo: Path, work: Path):
    from traitlets.config import Config

    cfg = Config()
    cfg.CourseDirectory.root = str(work)
    cfg.CourseDirectory.course_id = "test-course"
    cfg.CourseDirectory.source_directory = str(repo / "solutions")
    cfg.CourseDirectory.release_directory = str(work / "release")
    cfg.CourseDirectory.submitted_directory = "submitted"
    cfg.CourseDirectory.autograded_directory = "autograded"
    cfg.CourseDirectory.db_url = f"sqlite:///{work / 'gradebook.db'}"
    cfg.Execute.timeout = 120
    return cfg


def autograde_all(repo: Path, work: Path, exercises: Sequence[str]) -> dict:
    """Autograde every exercise for both students.

    Parameters
    ----------
    repo : Path
        The repository root (``solutions/`` and ``exercises/``).
    work : Path
        An empty folder for the temporary course.
    exercises : sequence of str

    Returns
    -------
    dict
        ``{"grades": {ex: {student: {grade_id: [score, max_score]}}},
        "seconds": {ex: {student: seconds}}}``.
    """
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde, GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    work.mkdir(parents=True, exist_ok=True)
    cfg = _config(repo, work)
    result: dict = {"grades": {}, "seconds": {}}
    with _environment(repo):
        for ex in exercises:
            coursedir = CourseDirectory(config=cfg)
            coursedir.assignment_id = ex
            gen = GenerateAssignment(coursedir=coursedir, config=cfg)
            gen.force = True
            gen.log.setLevel(logging.WARNING)
            gen.start()
            for student in STUDENTS:
                src = (
                    repo / "solutions" / ex / f"{ex}.ipynb"
                    if student == "solution"
                    else repo / "exercises" / ex / f"{ex}.ipynb"
                )
                dest = work / "submitted" / student / ex / f"{ex}.ipynb"
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, dest)
                coursedir = CourseDirectory(config=cfg)
                coursedir.assignment_id = ex
                coursedir.student_id = student
                grader = Autograde(coursedir=coursedir, config=cfg)
                grader.force = True
                grader.log.setLevel(logging.WARNING)
                start = time.perf_counter()
                grader.start()
                result["seconds"].setdefault(ex, {})[student] = time.perf_counter() - start
        with Gradebook(cfg.CourseDirectory.db_url, "test-course") as gb:
            for ex in exercises:
                for student in STUDENTS:
                    sub = gb.find_submission_notebook(ex, ex, student)
                    result["grades"].setdefault(ex, {})[student] = {
                        g.name: [float(g.score), float(g.max_score)] for g in sub.grades
                    }
    return result
