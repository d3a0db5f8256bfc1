"""An instructor edits a source notebook, as JupyterLab saves it; ``course release`` and
``course grade`` follow the edit.

The source notebook in ``solutions/`` is the only source of an exercise: a changed instruction,
a new hidden assertion or new points must reach the release and the grades with nothing but
``course release`` in between, and the hidden assertion must never reach the release.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.cli import main

pytestmark = pytest.mark.slow

EXERCISE = "ex05_quiz"
#: The instructor's edits: a sentence in question 1, a stricter hidden check of question 10,
#: question 3 worth 3 points instead of 1.
NEW_TEXT = "Hint added by the instructor: count the rows of `weight` first."
NEW_ASSERTION = 'ct.assert_number_close(q10, expected, name="q10 (to 6 digits)", rtol=1e-6)'
REWEIGHTED, NEW_POINTS = "check_q03", 3


def _cell(nb: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    return next(c for c in nb.cells if c.get("id") == cell_id)


def _edit_like_jupyterlab(path: Path) -> int:
    """Change a markdown cell, a hidden-test cell and a cell's points; save as JupyterLab does
    (nbformat, indent 1). Returns the new total of points."""
    nb = nbformat.read(path, as_version=4)
    _cell(nb, "md-q01").source += f"\n\n{NEW_TEXT}"
    hidden = _cell(nb, "check_q10")
    head, tail = hidden.source.split("### END HIDDEN TESTS")
    hidden.source = f"{head}    {NEW_ASSERTION}\n### END HIDDEN TESTS{tail}"
    _cell(nb, REWEIGHTED).metadata["nbgrader"]["points"] = NEW_POINTS
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return sum(
        c.metadata["nbgrader"]["points"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    )


def _student(release: Path, source: Path, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The release with every answer cell filled: the solution's code, or ``answers[grade_id]``."""
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(source, as_version=4).cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            code = re.sub(r"^\s*### (BEGIN|END) SOLUTION\n?", "", solutions[grade_id], flags=re.M)
            cell.source = answers.get(grade_id, code)
    return nb


@pytest.fixture
def course(tmp_path: Path, repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the course with one exercise; nbgrader's ``alembic`` on PATH."""
    root = tmp_path / "course"
    shutil.copytree(repo / "solutions" / EXERCISE, root / "solutions" / EXERCISE)
    shutil.copytree(repo / "exercises" / EXERCISE, root / "exercises" / EXERCISE)
    shutil.copy(repo / "nbgrader_config.py", root / "nbgrader_config.py")
    bin_dir = str(Path(sys.executable).parent)
    monkeypatch.setenv("PATH", os.pathsep.join([bin_dir, os.environ.get("PATH", "")]))
    return root


def test_an_edited_source_notebook_is_released_and_graded(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = course / "solutions" / EXERCISE / f"{EXERCISE}.ipynb"
    release = course / "exercises" / EXERCISE / f"{EXERCISE}.ipynb"
    root = ["--root", str(course)]
    total = _edit_like_jupyterlab(source)
    assert total == 16 + NEW_POINTS - 1

    assert main([*root, "release", "--check", EXERCISE]) == 1  # the old release is out of date
    assert main([*root, "release", EXERCISE]) == 0
    assert main([*root, "release", "--check", EXERCISE]) == 0
    capsys.readouterr()

    released = nbformat.read(release, as_version=4)
    assert NEW_TEXT in _cell(released, "md-q01").source
    text = release.read_text(encoding="utf-8")
    assert "rtol=1e-6" not in text and "to 6 digits" not in text
    assert "BEGIN HIDDEN TESTS" not in text
    assert _cell(released, REWEIGHTED).metadata["nbgrader"]["points"] == NEW_POINTS

    submissions = course / "submissions"
    submissions.mkdir()
    students = {
        "right": {},
        # within the released tolerance (1e-3) but not the instructor's new one (1e-6)
        "rounded": {"q10": "q10 = 0.2395"},
    }
    for student, answers in students.items():
        nbformat.write(_student(release, source, answers), submissions / f"{student}.ipynb")
    workspace = course / "grading"
    code = main(
        [*root, "grade", EXERCISE, str(submissions), "--workspace", str(workspace)]
        + ["--jobs", "1", "--timeout", "60", "--no-progress"]
    )
    assert code == 0, capsys.readouterr().err
    with open(workspace / "grades.csv", newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert float(rows["right"]["max_total"]) == total
    assert float(rows["right"]["total"]) == total, rows["right"]
    assert float(rows["right"][REWEIGHTED]) == NEW_POINTS
    assert float(rows["rounded"]["total"]) == total - 1, rows["rounded"]
    assert float(rows["rounded"]["check_q10"]) == 0
