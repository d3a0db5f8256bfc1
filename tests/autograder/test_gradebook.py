"""Grades where instructors look for them: nbgrader's gradebook, formgrader's manual grades,
``nbgrader export`` and the LMS import files.

``course grade`` records every grade through nbgrader's own API; these tests read the gradebook
back with the same API, type manual grades into it as formgrader does, and check that nothing an
instructor did by hand is lost, that a run killed with SIGKILL is completed by the next one, and
that ``course export`` agrees with ``nbgrader export``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import ag_cases
import nbformat
import pytest

from autograder.outputs.lms_export import export
from autograder.pipeline.grading import grade
from autograder.pipeline.store import ResultStore
from autograder.workspace import Workspace

pytestmark = pytest.mark.xdist_group("autograder")

MANUAL_ID = "explain_relu"


def _gradebook(workspace: Workspace):
    from nbgrader.api import Gradebook

    warnings.simplefilter("ignore")
    return Gradebook(workspace.gradebook_url)


def _cli(*args: str, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        [sys.executable, "-m", "autograder.cli", *args],
        capture_output=True, text=True, timeout=timeout, env=env, check=False, **kw,
    )  # fmt: skip


def test_gradebook_holds_the_table_of_the_class(fx_graded):
    """Every student of the run, every cell's auto score, and the same totals."""
    with _gradebook(fx_graded.workspace) as gb:
        assignment = gb.find_assignment(ag_cases.EXERCISE)
        assert sorted(c.name for c in assignment.notebooks[0].grade_cells) == sorted(ag_cases.CELLS)
        submissions = {s.student_id: s for s in assignment.submissions}
        assert set(submissions) == set(fx_graded.records)
        for student, record in fx_graded.records.items():
            submission = submissions[student]
            assert submission.score == pytest.approx(record["total"]), student
            grades = {g.name: g.auto_score for g in submission.notebooks[0].grades}
            assert grades == {c["grade_id"]: c["points"] for c in record["cells"]}, student


def test_nbgrader_export_gives_the_totals_of_course_export(fx_graded, tmp_path):
    """``nbgrader export`` on the gradebook ``course grade`` wrote, against ``course export``."""
    ours, _ = export(fx_graded.workspace, ResultStore(fx_graded.workspace).records(),
                     output=tmp_path / "ours.csv")  # fmt: skip
    theirs = tmp_path / "nbgrader.csv"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.run(
        ["nbgrader", "export", f"--CourseDirectory.db_url={fx_graded.workspace.gradebook_url}",
         f"--CsvExportPlugin.to={theirs}"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    with open(ours) as f:
        course_totals = {row["student_id"]: float(row["total"]) for row in csv.DictReader(f)}
    with open(theirs) as f:
        nbgrader_totals = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    assert nbgrader_totals == course_totals


def _course_with_manual_cell(tmp_path: Path) -> Path:
    """A copy of the fixture course whose source gains a written answer graded by hand."""
    root = tmp_path / "course"
    shutil.copytree(ag_cases.FIXTURE_ROOT, root)
    path = root / "solutions" / ag_cases.EXERCISE / f"{ag_cases.EXERCISE}.ipynb"
    nb = nbformat.read(path, as_version=4)
    meta = {"grade": True, "grade_id": MANUAL_ID, "locked": False, "points": 2,
            "schema_version": 3, "solution": True, "task": False}  # fmt: skip
    answer = "ReLU passes positive inputs unchanged and maps negative inputs to zero."
    nb.cells.append(nbformat.v4.new_markdown_cell(answer, metadata={"nbgrader": meta}))
    nbformat.write(nb, path)
    return root


def _small_class(folder: Path) -> Path:
    ag_cases.tree("full", ag_cases.notebook())(folder)
    ag_cases.tree("relu_only", ag_cases.notebook(softmax=None))(folder)
    ag_cases.tree("blank", ag_cases.notebook(relu=None, softmax=None))(folder)
    return folder


def test_manual_grades_and_comments_survive_regrading(tmp_path):
    root = _course_with_manual_cell(tmp_path)
    workspace = Workspace(tmp_path / "ws", root=root)
    folder = _small_class(tmp_path / "class")
    options = ag_cases.fixture_options(jobs=1)
    run = grade(ag_cases.EXERCISE, folder, root=root, workspace=workspace, options=options)
    full = next(r for r in run.records if r["student_id"] == "full")
    assert full["total"] == 10 and full["max_total"] == 12
    assert f"needs manual grading: 1 cell ({MANUAL_ID})" in full["status"]
    with _gradebook(workspace) as gb:  # what an instructor types into formgrader
        manual = gb.find_grade(MANUAL_ID, ag_cases.EXERCISE, ag_cases.EXERCISE, "full")
        assert manual.auto_score is None and manual.needs_manual_grade
        manual.manual_score = 1.5
        manual.needs_manual_grade = False  # formgrader clears it when a score is typed
        gb.find_comment(
            MANUAL_ID, ag_cases.EXERCISE, ag_cases.EXERCISE, "full"
        ).manual_comment = "Good, but say why the zero region matters."
        gb.find_grade("test_relu", ag_cases.EXERCISE, ag_cases.EXERCISE, "full").extra_credit = 0.5
        gb.db.commit()
    options.force = True
    grade(ag_cases.EXERCISE, folder, root=root, workspace=workspace, options=options)
    with _gradebook(workspace) as gb:
        manual = gb.find_grade(MANUAL_ID, ag_cases.EXERCISE, ag_cases.EXERCISE, "full")
        assert manual.manual_score == 1.5 and not manual.needs_manual_grade
        comment = gb.find_comment(MANUAL_ID, ag_cases.EXERCISE, ag_cases.EXERCISE, "full")
        assert comment.manual_comment.startswith("Good, but")
        relu = gb.find_grade("test_relu", ag_cases.EXERCISE, ag_cases.EXERCISE, "full")
        assert relu.extra_credit == 0.5 and relu.auto_score == 2
        assert gb.find_submission(ag_cases.EXERCISE, "full").score == pytest.approx(12.0)
    path, _ = export(workspace, ResultStore(workspace).records(), output=tmp_path / "out.csv")
    rows = {row["student_id"]: row for row in csv.DictReader(path.open())}
    assert float(rows["full"]["total"]) == pytest.approx(12.0)  # 10 auto + 1.5 manual + 0.5
    assert rows["full"][MANUAL_ID] == "1.5"
    assert "needs manual grading" not in rows["full"]["status"]  # graded by hand
    assert "needs manual grading" in rows["blank"]["status"]


def test_sigkill_mid_run_then_rerun_completes_the_gradebook(tmp_path):
    folder = tmp_path / "class"
    students = [f"s{i:02d}" for i in range(8)]
    slow = "import time\ntime.sleep(1.5)\n"
    for student in students:
        nb = ag_cases.with_cell(ag_cases.notebook(), "relu", slow)
        ag_cases.tree(student, nb)(folder)
    workspace = tmp_path / "ws"
    args = ["--root", str(ag_cases.FIXTURE_ROOT), "grade", ag_cases.EXERCISE, str(folder),
            "--workspace", str(workspace), "--jobs", "1", "--timeout", "10",
            "--no-progress"]  # fmt: skip
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "autograder.cli", *args],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True,
    )  # fmt: skip
    results = workspace / "results" / ag_cases.EXERCISE
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list(results.glob("*.json"))) < 2:
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)  # the grader and its workers, mid-run
    proc.wait()
    recorded = len(list(results.glob("*.json")))
    assert 2 <= recorded < len(students), "the kill must land mid-run"
    db = workspace / "gradebook.db"
    assert sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    done = _cli(*args)
    assert done.returncode == 0, done.stderr[-2000:]
    with _gradebook(Workspace(workspace)) as gb:
        submissions = {
            s.student_id: s.score for s in gb.find_assignment(ag_cases.EXERCISE).submissions
        }
    assert submissions == {s: pytest.approx(10.0) for s in students}


def _lms_zip(path: Path) -> Path:
    nb = json.dumps(ag_cases.notebook()).encode()
    half = json.dumps(ag_cases.notebook(softmax=None)).encode()
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("smithjane_12345_67890_fx_basics.ipynb", nb)
        zf.writestr("smithjane2_LATE_22222_33333_fx_basics.ipynb", half)
        zf.writestr("Ada Lovelace_4444_assignsubmission_file_/fx_basics.ipynb", nb)
        zf.writestr("Alan Turing_5555_assignsubmission_file_/fx_basics.ipynb", half)
    return path


def test_canvas_and_moodle_exports_round_trip_the_lms_ids(tmp_path):
    workspace = tmp_path / "ws"
    common = ["--root", str(ag_cases.FIXTURE_ROOT)]
    graded = _cli(*common, "grade", ag_cases.EXERCISE, str(_lms_zip(tmp_path / "lms.zip")),
                  "--workspace", str(workspace), "--jobs", "1", "--no-progress")  # fmt: skip
    assert graded.returncode == 0, graded.stderr[-2000:]
    out = {}
    for fmt in ("canvas", "moodle"):
        done = _cli(*common, "export", "--format", fmt, "--assignment", ag_cases.EXERCISE,
                    "--workspace", str(workspace),
                    "--lms-column", "Exercise 1 (98765)")  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "skipped 2" in done.stdout  # the other LMS's students are not in this file
        out[fmt] = list(csv.reader((workspace / f"{ag_cases.EXERCISE}-{fmt}.csv").open()))
    canvas = out["canvas"]
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         "Exercise 1 (98765)"]  # fmt: skip
    assert canvas[1][0] == "Points Possible" and canvas[1][-1] == "10"
    assert {(r[0], r[1], r[-1]) for r in canvas[2:]} == {
        ("smithjane", "12345", "10"),
        ("smithjane2", "22222", "5"),
    }
    moodle = out["moodle"]
    assert moodle[0][:6] == ["Identifier", "Full name", "Email address", "Status", "Grade",
                             "Maximum Grade"]  # fmt: skip
    assert {(r[0], r[1], r[4]) for r in moodle[1:]} == {
        ("Participant 4444", "Ada Lovelace", "10"),
        ("Participant 5555", "Alan Turing", "5"),
    }


def test_gradebook_of_the_demo_class_equals_its_table(demo_run):
    """``course demo``'s class: formgrader's database holds the totals the demo printed."""
    workspace, result = demo_run
    with _gradebook(workspace) as gb:
        found = gb.find_assignment("ex01_modules").submissions
        totals = {s.student_id: s.score for s in found}
    assert totals == {r["student_id"]: pytest.approx(r["total"]) for r in result.run.records}
