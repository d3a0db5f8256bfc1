"""Run real ``nbgrader autograde`` on the solutions and on the untouched releases.

A temporary course directory gets a fresh gradebook: ``generate_assignment`` records every
exercise's cells (from the repository's ``solutions/``), then two "students" submit each
assignment: ``solution`` hands in the source notebook, ``release`` the committed
``exercises/<ex>/<ex>.ipynb`` as a student receives it. Each (assignment, student) is
autograded separately with nbgrader's ``Autograde`` converter, in-process, and timed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

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
    "ex03_backprop": 22,  # 20 graded by the tests, 2 by hand (a written answer)
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


def _score(grade) -> float | None:
    """A cell's score; None for an answer that waits to be graded by hand (nbgrader's
    ``Grade.score`` is then 0, with neither an automatic nor a manual score)."""
    if grade.auto_score is None and grade.manual_score is None:
        return None
    return float(grade.score)


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
        "seconds": {ex: {student: seconds}}}``; the score of an answer graded by hand is
        None until someone grades it.
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
                        g.name: [_score(g), float(g.max_score)] for g in sub.grades
                    }
    return result


def _message(cell) -> str:
    """What a graded cell reported: its error, or what it wrote to stderr (nbgrader's zero)."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return f"stderr: {output.get('text')}"
    return ""


def autograde_class(repo: Path, work: Path, exercise: str, notebooks: dict[str, Path]) -> dict:
    """Autograde a class of one exercise with nbgrader, in one ``Autograde`` run.

    Parameters
    ----------
    repo : Path
        The repository root (its ``solutions/`` is the assignment's source).
    work : Path
        An empty folder for the temporary course.
    exercise : str
    notebooks : dict
        ``{student id: path of the submitted notebook}``.

    Returns
    -------
    dict
        ``{student: {grade_id: [score, max_score, message]}}``: the score is None for an
        answer that waits to be graded by hand; the message is the cell's error or stderr.
    """
    import nbformat
    from nbgrader.api import Gradebook
    from nbgrader.converters import Autograde, GenerateAssignment
    from nbgrader.coursedir import CourseDirectory

    work.mkdir(parents=True, exist_ok=True)
    cfg = _config(repo, work)
    out: dict = {}
    with _environment(repo):
        coursedir = CourseDirectory(config=cfg)
        coursedir.assignment_id = exercise
        gen = GenerateAssignment(coursedir=coursedir, config=cfg)
        gen.force = True
        gen.log.setLevel(logging.WARNING)
        gen.start()
        for student, path in notebooks.items():
            dest = work / "submitted" / student / exercise / f"{exercise}.ipynb"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
        coursedir = CourseDirectory(config=cfg)
        coursedir.assignment_id = exercise
        coursedir.student_id = "*"
        grader = Autograde(coursedir=coursedir, config=cfg)
        grader.force = True
        grader.log.setLevel(logging.ERROR)
        grader.start()
        with Gradebook(cfg.CourseDirectory.db_url, "test-course") as gb:
            for student in notebooks:
                sub = gb.find_submission_notebook(exercise, exercise, student)
                graded = work / "autograded" / student / exercise / f"{exercise}.ipynb"
                cells = {
                    c.metadata.get("nbgrader", {}).get("grade_id"): c
                    for c in nbformat.read(graded, as_version=4).cells
                }
                out[student] = {
                    g.name: [_score(g), float(g.max_score), _message(cells.get(g.name, {}))]
                    for g in sub.grades
                }
    return out


def shared_once(tmp_path_factory: Any, name: str, compute: Callable[[Path], Any]) -> Any:
    """``compute(folder)`` once per session, shared by every pytest-xdist worker.

    The first worker to ask runs it, holding a file lock, and keeps its JSON result in the
    session's shared temporary folder; the others wait on the lock and read it.
    """
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return compute(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent  # one folder per session, shared by workers
    cache = shared / f"{name}.json"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if cache.exists():
                return json.loads(cache.read_text())
            result = compute(shared / name)
            cache.write_text(json.dumps(result))
            return result
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def main(argv: list[str]) -> int:
    """``python autograding.py SPEC.json OUT.json``: autograde classes in a separate process.

    ``SPEC.json`` holds ``{"work": folder, "classes": {exercise: {student: notebook path}}}``;
    ``OUT.json`` gets ``{exercise: autograde_class(...)}``.
    """
    spec = json.loads(Path(argv[0]).read_text())
    work = Path(spec["work"])
    results = {
        ex: autograde_class(REPO, work / ex, ex, {s: Path(p) for s, p in students.items()})
        for ex, students in spec["classes"].items()
    }
    Path(argv[1]).write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
