"""Scores equal those of serial grading and of stock ``nbgrader autograde``."""

from __future__ import annotations

import json
from pathlib import Path

import ag_cases
import pytest
from ag_cases import TIMEOUT, fixture_options

from autograder.pipeline.grading import grade
from autograder.workspace import Workspace

# One worker runs every autograder test, so the session fixtures (a whole class graded,
# the demo) are built once, and no other grading run's sandboxes overlap these checks.
pytestmark = pytest.mark.xdist_group("autograder")

#: Ordinary submissions (no attacks, no crashes) on which stock nbgrader is the reference.
ORDINARY = ["full", "unstable", "mutates", "deleted"]


def _cell_scores(records) -> dict[str, dict[str, float]]:
    return {
        r["student_id"]: {c["grade_id"]: c["points"] for c in r["cells"]}
        for r in records
        if r.get("graded")
    }


def test_parallel_equals_serial(fx_graded, tmp_path):
    """The whole class again with one worker: every cell score identical."""
    workspace = Workspace(tmp_path / "serial", root=ag_cases.FIXTURE_ROOT)
    run = grade(
        "fx_basics",
        fx_graded.folder,
        root=ag_cases.FIXTURE_ROOT,
        workspace=workspace,
        options=fixture_options(jobs=1),
    )
    serial = {r["student_id"]: r for r in run.records}
    parallel = fx_graded.records
    assert set(serial) == set(parallel)
    assert _cell_scores(serial.values()) == _cell_scores(parallel.values())
    assert {s: r["total"] for s, r in serial.items()} == {
        s: r["total"] for s, r in parallel.items()
    }


@pytest.fixture(scope="module")
def fx_nbgrader(fx_graded, tmp_path_factory):
    """Stock ``nbgrader autograde`` (serial, a kernel per notebook) on some of the class."""
    from nbgrader_harness import autograde

    names = [*ORDINARY, "monkey", "warns"]
    submissions = {s: fx_graded.workspace.submitted_path("fx_basics", s) for s in names}
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    reference = autograde(ag_cases.FIXTURE_ROOT, "fx_basics", submissions, course, TIMEOUT)
    return course, reference


@pytest.mark.slow
def test_matches_nbgrader_autograde(fx_graded, fx_nbgrader):
    """Same cell scores as stock nbgrader; the monkeypatching attack fools only nbgrader."""
    _, reference = fx_nbgrader
    ours = _cell_scores(fx_graded.records[s] for s in [*ORDINARY, "monkey"])
    for student in ORDINARY:
        assert ours[student] == reference.scores[student], student
    assert sum(reference.scores["monkey"].values()) > 0
    assert sum(ours["monkey"].values()) == 0
    # a warning from the student's code zeroes nbgrader's cell (stderr); the judge never reads
    # the student's stderr and judges the results: the correct relu keeps its points
    assert reference.scores["warns"]["test_relu"] == 0
    assert fx_graded.records["warns"]["total"] == 10


@pytest.mark.slow
def test_ex01_matches_nbgrader_autograde(demo_run, tmp_path):
    """On the real ex01_modules: a correct and two buggy synthetic students."""
    from nbgrader_harness import autograde

    workspace, result = demo_run
    names = ["ada", "grace"]
    submissions = {s: workspace.submitted_path("ex01_modules", s) for s in names}
    root = Path(__file__).resolve().parents[2]
    reference = autograde(root, "ex01_modules", submissions, tmp_path / "nbgrader", timeout=60)
    ours = _cell_scores(r for r in result.run.records if r["student_id"] in names)
    assert ours == reference.scores
    assert sum(ours["ada"].values()) == 28 > sum(ours["grace"].values())


@pytest.mark.slow
def test_sanitize_matches_nbgrader_overwrite_cells(fx_nbgrader, tmp_path):
    """Our sanitizing = nbgrader's ClearOutput/DeduplicateIds/OverwriteCells on tampered cells."""
    import nbformat
    from nbgrader.preprocessors import ClearOutput, DeduplicateIds, OverwriteCells

    from autograder.assignments.master import load_assignment
    from autograder.pipeline.sanitize import sanitize

    course, _ = fx_nbgrader
    workspace = Workspace(tmp_path / "ws", root=ag_cases.FIXTURE_ROOT)
    assignment = load_assignment(ag_cases.FIXTURE_ROOT, "fx_basics", workspace)
    nb = nbformat.reads(json.dumps(ag_cases.notebook(relu=ag_cases.RELU_IDENTITY)), as_version=4)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == "test_relu":
            cell.source = "pass  # edited test"
            meta["points"] = 100
        if meta.get("grade_id") == "setup":
            cell.source += "\nnp.allclose = None"
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", text="old output")]
    resources = {
        "nbgrader": {
            "notebook": "fx_basics",
            "assignment": "fx_basics",
            "db_url": f"sqlite:///{course / 'gradebook.db'}",
        }
    }
    theirs = nbformat.reads(nbformat.writes(nb), as_version=4)
    for step in (ClearOutput(), DeduplicateIds(), OverwriteCells(add_missing_cells=True)):
        theirs, resources = step.preprocess(theirs, resources)
    ours, report = sanitize(nb, assignment)
    assert [c.source for c in ours.cells] == [c.source for c in theirs.cells]
    assert [c.get("outputs") for c in ours.cells] == [c.get("outputs") for c in theirs.cells]
    for mine, nbg in zip(ours.cells, theirs.cells, strict=True):
        assert mine.metadata.get("nbgrader", {}).get("points") == nbg.metadata.get(
            "nbgrader", {}
        ).get("points")
    assert any("points" in flag for flag in report.flags)
