"""Exercises that grade fairly: correct code in any style gets full marks, a mistake its hint.

The cases are in ``fairness_cases.py``: more than 30 correct solutions written in styles
different from the reference (some of which make numpy warn on the way to the right result),
and the typical mistakes of the issue "Exercises that grade fairly", each with the cells it
must fail and the phrases their messages must contain. The cases are packed into a small
class per exercise, graded once by ``course grade`` (the student's code in the sandbox, the
tests in the judge) and once by plain ``nbgrader autograde`` (everything in the student's
kernel, where anything written to stderr zeroes a cell) in a second process at the same time.
Both must give full marks to every variant, the intended hint to every mistake, and no
points lost anywhere else: a mistake costs its own points once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from autograding import shared_once
from fairness_cases import CASES, MISTAKES, VARIANTS, Case, apply, classes

from autograder.limits import Limits
from autograder.pipeline.grading import GradeOptions, grade
from autograder.workspace import Workspace

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
GRADERS = ("course grade", "nbgrader")
CLASSES = classes()
STUDENT_OF = {c.id: (ex, s) for ex, st in CLASSES.items() for s, cs in st.items() for c in cs}

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("fairness")]


def _write_class(base: Path) -> dict[str, dict[str, str]]:
    """Every packed notebook, in an nbgrader tree per exercise; ``{ex: {student: path}}``."""
    paths: dict[str, dict[str, str]] = {}
    for ex, students in CLASSES.items():
        for student, cases in students.items():
            path = base / "class" / ex / student / ex / f"{ex}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(apply(cases, ex), path)
            paths.setdefault(ex, {})[student] = str(path)
    return paths


def _course_grade(base: Path) -> dict:
    """``{ex: {student: {grade_id: [points, max_points, message]}}}`` from ``course grade``."""
    workspace = Workspace(base / "workspace", root=REPO)
    options = GradeOptions(jobs=2, limits=Limits(cell_timeout=60), progress=False)
    results: dict = {}
    for ex in CLASSES:
        run = grade(ex, base / "class" / ex, root=REPO, workspace=workspace, options=options)
        assert run.ok, run.grader_errors
        for record in run.records:
            results.setdefault(ex, {})[record["student_id"]] = {
                c["grade_id"]: [
                    c["points"],
                    c["max_points"],
                    f"{c['ename']}: {c['evalue']}" if c.get("ename") else c["outcome"],
                ]
                for c in record["cells"]
            }
    return results


def _grade_both(base: Path) -> dict:
    """Both graders on the same class, nbgrader in a second process meanwhile."""
    paths = _write_class(base)
    spec = base / "nbgrader-spec.json"
    spec.write_text(json.dumps({"work": str(base / "nbgrader"), "classes": paths}))
    out = base / "nbgrader-results.json"
    env = dict(
        os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    )
    nbgrader = subprocess.Popen(
        [sys.executable, str(HERE / "autograding.py"), str(spec), str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ours = _course_grade(base)
    finally:
        _, err = nbgrader.communicate(timeout=900)
    assert nbgrader.returncode == 0, err[-3000:]
    return {"course grade": ours, "nbgrader": json.loads(out.read_text())}


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The packed class graded by both graders, once per session (shared by xdist workers)."""
    return shared_once(tmp_path_factory, "fairness", _grade_both)


def _cells(graded: dict, grader: str, case: Case) -> dict[str, list]:
    ex, student = STUDENT_OF[case.id]
    return graded[grader][ex][student]


def test_the_suite_covers_the_issue() -> None:
    assert len(VARIANTS) >= 30 and len(MISTAKES) >= 18
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    assert {c.exercise for c in VARIANTS} == {c.exercise for c in MISTAKES} == set(CLASSES)
    required = {
        "linear-einsum",
        "sigmoid-where-both-branches",
        "softmax-all-pairs-overflow",
        "ce-take-along-axis-eye",
        "kl-where-log-warns",
        "gradcheck-ordereddict",
        "train-returns-array",
        "autograd-recursive-two-frames",
        "autograd-kahn",
        "linear-bias-grad-not-summed",
        "linear-returns-dW",
        "softmax-global-max",
        "numgrad-missing-factor-two",
        "train-without-zero-grad",
        "train-new-generator-every-epoch",
        "autograd-mul-assigns",
    }
    assert required <= {c.id for c in CASES}


def _known_gap(request: pytest.FixtureRequest, grader: str, case: Case) -> None:
    if grader == "course grade" and case.judge_gap:
        request.applymarker(pytest.mark.xfail(reason=case.judge_gap, strict=False))


@pytest.mark.parametrize("grader", GRADERS)
@pytest.mark.parametrize("case", VARIANTS, ids=[c.id for c in VARIANTS])
def test_correct_variant_gets_full_marks(
    graded: dict, grader: str, case: Case, request: pytest.FixtureRequest
) -> None:
    _known_gap(request, grader, case)
    cells = _cells(graded, grader, case)
    lost = {gid: c for gid, c in cells.items() if c[0] is not None and c[0] != c[1]}
    assert not lost, f"{case.id} ({case.description}) loses points under {grader}: {lost}"


@pytest.mark.parametrize("grader", GRADERS)
@pytest.mark.parametrize("case", MISTAKES, ids=[c.id for c in MISTAKES])
def test_mistake_gets_its_hint(graded: dict, grader: str, case: Case) -> None:
    cells = _cells(graded, grader, case)
    for gid, phrases in case.fails.items():
        points, _, message = cells[gid]
        assert points == 0, f"{case.id}: {gid} keeps its points under {grader}"
        if grader == "nbgrader":
            phrases = phrases + case.nbgrader_phrases.get(gid, ())
        missing = [p for p in phrases if p not in message]
        assert not missing, f"{case.id}: {gid} under {grader} lacks {missing}:\n{message}"


@pytest.mark.parametrize("grader", GRADERS)
@pytest.mark.parametrize(
    ("exercise", "student"),
    [(ex, s) for ex, st in CLASSES.items() for s in st if s.startswith("mistake")],
)
def test_a_mistake_costs_only_its_own_cells(
    graded: dict, grader: str, exercise: str, student: str
) -> None:
    failing = {gid for case in CLASSES[exercise][student] for gid in case.fails}
    cells = graded[grader][exercise][student]
    lost = {
        gid: c
        for gid, c in cells.items()
        if gid not in failing and c[0] is not None and c[0] != c[1]
    }
    assert not lost, f"{[c.id for c in CLASSES[exercise][student]]} also cost {lost}"


def test_both_graders_give_the_same_scores(graded: dict) -> None:
    """Cell by cell (students holding a case with a known gap of ``course grade`` aside)."""
    gaps = {STUDENT_OF[c.id] for c in CASES if c.judge_gap}
    scores = {
        grader: {
            (ex, s, gid): c[0]
            for ex, st in graded[grader].items()
            for s, cs in st.items()
            for gid, c in cs.items()
            if (ex, s) not in gaps
        }
        for grader in GRADERS
    }
    assert scores["course grade"] == scores["nbgrader"]


def test_record_the_scores(graded: dict, repo: Path) -> None:
    """Keep each case's score under both graders in tests/artifacts/fairness.json."""
    table = []
    for case in CASES:
        row = {"id": case.id, "exercise": case.exercise, "kind": case.kind}
        for grader in GRADERS:
            cells = _cells(graded, grader, case)
            if case.kind == "variant":
                row[grader] = [
                    sum(c[0] or 0 for c in cells.values()),
                    sum(c[1] for c in cells.values() if c[0] is not None),
                ]
            else:
                row[grader] = {gid: cells[gid][0] for gid in case.fails}
        table.append(row)
    out = repo / "tests" / "artifacts"
    out.mkdir(parents=True, exist_ok=True)
    (out / "fairness.json").write_text(json.dumps(table, indent=1))
