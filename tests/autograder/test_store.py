"""Re-running is idempotent, and a recorded grade survives a later failure."""

from __future__ import annotations

import csv

import ag_cases
import pytest
from ag_cases import fixture_options

from autograder.pipeline.grading import grade
from autograder.pipeline.store import ResultStore
from autograder.workspace import Workspace

# One worker runs every autograder test, so the session fixtures (a whole class graded,
# the demo) are built once, and no other grading run's sandboxes overlap these checks.
pytestmark = pytest.mark.xdist_group("autograder")


def _grade(folder, workspace, **kw):
    return grade(
        "fx_basics",
        folder,
        root=ag_cases.FIXTURE_ROOT,
        workspace=workspace,
        options=fixture_options(jobs=2, **kw),
    )


def test_rerun_is_idempotent_and_late_failures_keep_grades(tmp_path):
    folder = tmp_path / "class"
    ok, blank = ag_cases.notebook(), ag_cases.notebook(relu=None, softmax=None)
    ag_cases.tree("sam", ok)(folder)
    ag_cases.tree("kim", blank)(folder)
    ag_cases.tree("lee", ok)(folder)
    workspace = Workspace(tmp_path / "ws", root=ag_cases.FIXTURE_ROOT)

    first = _grade(folder, workspace)
    assert {r["student_id"]: r["total"] for r in first.records} == {"sam": 10, "kim": 0, "lee": 10}
    csv_before = workspace.grades_csv.read_text()

    # the same submissions again: nothing re-run, same records, same CSV
    second = _grade(folder, workspace)
    assert set(second.actions.values()) == {"cached"}
    assert second.records == first.records
    assert workspace.grades_csv.read_text() == csv_before

    # later failures: a broken file, an empty one, the wrong assignment, a missing student
    (folder / "sam" / "fx_basics" / "fx_basics.ipynb").write_bytes(b'{"cells": [')
    (folder / "kim" / "fx_basics" / "fx_basics.ipynb").write_bytes(b"")
    ag_cases.tree("lee", ag_cases.other_assignment())(folder)
    third = _grade(folder, workspace)
    assert third.actions == {"sam": "kept", "kim": "kept", "lee": "kept"}
    store = ResultStore(workspace)
    sam = store.load("fx_basics", "sam")
    assert sam["total"] == 10 and sam["graded"]
    assert "malformed" in sam["kept_after"][-1]["status"]
    assert "wrong assignment" in store.load("fx_basics", "lee")["kept_after"][-1]["status"]
    with open(workspace.grades_csv, newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert rows["sam"]["total"] == "10" and rows["lee"]["total"] == "10"

    # a corrected resubmission replaces the grade, keeping a trace of the old one
    ag_cases.tree("kim", ok)(folder)
    fourth = _grade(folder, workspace)
    assert fourth.actions["kim"] == "graded"
    kim = store.load("fx_basics", "kim")
    assert kim["total"] == 10 and kim["superseded"][-1]["total"] == 0


def test_grades_csv_covers_everyone_graded_so_far(tmp_path):
    workspace = Workspace(tmp_path / "ws", root=ag_cases.FIXTURE_ROOT)
    first, second = tmp_path / "batch1", tmp_path / "batch2"
    ag_cases.tree("amy", ag_cases.notebook())(first)
    ag_cases.flat("bo", ag_cases.notebook(softmax=None))(second)
    _grade(first, workspace)
    run = _grade(second, workspace, roster=["bo", "cy"])
    with open(workspace.grades_csv, newline="") as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"amy", "bo", "cy"}
    assert rows["amy"]["total"] == "10" and rows["bo"]["total"] == "5"
    assert rows["cy"]["total"] == "0" and "no submission" in rows["cy"]["status"]
    assert run.actions["bo"] == "graded"


def test_wall_clock_limit_keeps_points_of_finished_cells(tmp_path):
    from autograder.limits import Limits

    nap = "    import time\n    time.sleep(2.5)\n"
    relu = "def relu(x):\n" + nap + "    return np.maximum(x, 0.0)"
    softmax = ag_cases.SOFTMAX_OK.replace("def softmax(z):\n", "def softmax(z):\n" + nap)
    folder = tmp_path / "class"
    ag_cases.tree("slowpoke", ag_cases.notebook(relu=relu, softmax=softmax))(folder)
    workspace = Workspace(tmp_path / "ws", root=ag_cases.FIXTURE_ROOT)
    options = fixture_options(jobs=1)
    options.limits = Limits(cell_timeout=5, wall_clock=6, memory_mb=512)
    run = grade(
        "fx_basics", folder, root=ag_cases.FIXTURE_ROOT, workspace=workspace, options=options
    )
    (record,) = run.records
    cells = {c["grade_id"]: c for c in record["cells"]}
    assert "wall-clock limit of 6 s" in record["status"]
    assert cells["test_relu"]["points"] == 2  # finished before the limit: kept
    assert cells["test_softmax_hidden"]["outcome"] == "not run"
    assert record["run"]["duration"] < 15
