"""The mutation catalogue graded by ``course grade``: the judge agrees with a plain kernel.

``test_mutations.py`` runs every catalogued bug and correct variant in one Jupyter kernel, as
``nbgrader autograde`` does. Here the same notebooks go through ``course grade``, where the
student's code runs in the sandboxed runner and the tests in the judge: every correct variant
(einsum, ``np.where``, recursive topological sorts...) must keep full marks, and every bug must
lose points, so moving the tests out of the student's process neither fails correct code nor
lets a bug through.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from autograding import shared_once
from mutations import BUGS, CATALOGUE, VARIANTS, apply

from autograder.limits import Limits
from autograder.pipeline.grading import GradeOptions, grade
from autograder.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("judge-mutations")]


def _grade_catalogue(base: Path) -> dict[str, dict]:
    """Every mutant graded with two workers; student id = mutant id."""
    workspace = Workspace(base / "ws", root=REPO)
    records: dict[str, dict] = {}
    for exercise in sorted({m.notebook for m in CATALOGUE}):
        folder = base / exercise
        for mutant in (m for m in CATALOGUE if m.notebook == exercise):
            target = folder / mutant.id / exercise
            target.mkdir(parents=True)
            nb = apply(mutant)
            (target / f"{exercise}.ipynb").write_text(json.dumps(nb, indent=1))
            for extra in (REPO / "solutions" / exercise).iterdir():
                if extra.suffix != ".ipynb" and extra.is_file():
                    (target / extra.name).write_bytes(extra.read_bytes())
        options = GradeOptions(jobs=2, limits=Limits(cell_timeout=60), progress=False)
        run = grade(exercise, folder, root=REPO, workspace=workspace, options=options)
        assert run.ok, run.grader_errors
        records.update({r["student_id"]: r for r in run.records})
    return records


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    """The catalogue graded once per session, shared by the xdist workers."""
    return shared_once(tmp_path_factory, "judge-mutations", _grade_catalogue)


@pytest.mark.parametrize("variant", VARIANTS, ids=[m.id for m in VARIANTS])
def test_correct_variants_keep_full_marks_under_the_judge(graded, variant):
    record = graded[variant.id]
    # answers graded by hand have no points yet (None): every automatic cell must be full
    lost = [c["grade_id"] for c in record["cells"] if c["points"] not in (None, c["max_points"])]
    assert not lost, (lost, record["status"])


#: Mutants that import the reference after writing their own class: in the sandbox the import
#: fails (the reference is not there), so the student's own code is graded, and flagged.
BORROWERS = {"linear-is-course-lib-reference", "autograd-value-is-reference"}


@pytest.mark.parametrize("bug", BUGS, ids=[m.id for m in BUGS])
def test_bugs_lose_points_under_the_judge(graded, bug):
    record = graded[bug.id]
    if bug.id in BORROWERS:
        assert "imports the reference implementation" in record["status"]
        ename = {c.get("ename") for c in record["cells"]}
        assert record["total"] == record["max_total"] or "ImportError" in str(ename)
    else:
        assert record["total"] < record["max_total"], record["status"]


def test_every_mutant_was_graded(graded):
    assert {m.id for m in CATALOGUE} <= set(graded)
    assert all(r["graded"] for r in graded.values())
