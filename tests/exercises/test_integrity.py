"""Integrity: graded cells that import course_lib's reference implementation are flagged."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from autograding import EXERCISES
from mutations import BUGS, apply

from autograder.pipeline.integrity import find_reference_imports, main


def _cell(source: str, grade_id: str, *, solution: bool = False, points: int = 0):
    """A code cell with nbgrader metadata (schema 3): solution, test (points) or read-only."""
    meta = {
        "grade": points > 0,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points:
        meta["points"] = points
    cell = nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})
    cell.id = grade_id
    return cell


def _nb(code: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell("from course_lib.modules import Module, Parameter", "setup"),
        _cell(f"### BEGIN SOLUTION\n{code}\n### END SOLUTION", "answer", solution=True),
        _cell("import course_lib.modules as ref\nassert True", "test_answer", points=1),
    ]
    nbformat.validate(nb)
    return nb


FLAGGED = {
    "ex01_modules": [
        "from course_lib import Linear",
        "from course_lib.modules import Linear as L",
        "import course_lib.modules",
        "import course_lib\nlayer = course_lib.Linear(2, 3)",
        "import course_lib as cl\nact = cl.activations.ReLU()",
        "from course_lib import modules",
        "from course_lib.activations import *",
        "import importlib\nm = importlib.import_module('course_lib.activations')",
        "%matplotlib inline\nfrom course_lib import Sigmoid",
        "def broken(:\nfrom course_lib.modules import Sequential",
    ],
    "ex02_losses": [
        "from course_lib.losses import CrossEntropyLoss",
        "from course_lib import HuberLoss",
        "from course_lib.activations import Softmax",
    ],
    "ex03_backprop": [
        "from course_lib.gradcheck import numerical_gradient",
        "from course_lib.train import fit",
        "from course_lib import ReLU",
    ],
    "ex04_autograd": ["from course_lib.autograd import Value", "import course_lib.autograd as ag"],
}

ALLOWED = {
    "ex01_modules": [
        "from course_lib.modules import Module, Parameter",
        "from course_lib import data, plotting",
        "from course_lib.gradcheck import rel_error, numerical_gradient",
        "import course_lib\nX, y = course_lib.data.xor()",
        "class Linear(Module):\n    def f(self):\n        return Module.__init__",
    ],
    "ex03_backprop": [
        "from course_lib.losses import CrossEntropyLoss",
        "from course_lib.gradcheck import rel_error",
        "from course_lib.data import moons",
    ],
    "ex04_autograd": ["from course_lib.modules import Linear"],
    "ex05_quiz": ["from course_lib import Linear, ReLU"],
}


@pytest.mark.parametrize(
    ("exercise", "code"), [(ex, code) for ex, codes in FLAGGED.items() for code in codes]
)
def test_reference_import_is_flagged(exercise: str, code: str) -> None:
    findings = find_reference_imports(_nb(code), exercise)
    assert findings, code
    assert all("cell answer" in f and "implement yourself" in f for f in findings)


@pytest.mark.parametrize(
    ("exercise", "code"), [(ex, code) for ex, codes in ALLOWED.items() for code in codes]
)
def test_allowed_imports_are_not_flagged(exercise: str, code: str) -> None:
    assert find_reference_imports(_nb(code), exercise) == []


def test_locked_cells_are_not_scanned() -> None:
    nb = _nb("x = 1")
    assert find_reference_imports(nb, "ex01_modules") == []  # the test cell imports modules


def test_unknown_exercise_uses_every_rule() -> None:
    assert find_reference_imports(_nb("from course_lib.autograd import Value"))


def test_student_added_cells_are_scanned() -> None:
    nb = _nb("x = 1")
    nb.cells.append(nbformat.v4.new_code_cell("from course_lib import Tanh"))
    assert find_reference_imports(nb, "ex01_modules")


@pytest.mark.parametrize("folder", ["solutions", "exercises"])
@pytest.mark.parametrize("exercise", EXERCISES)
def test_course_notebooks_are_clean(repo: Path, folder: str, exercise: str) -> None:
    path = repo / folder / exercise / f"{exercise}.ipynb"
    assert find_reference_imports(path) == []


@pytest.mark.parametrize("mutant", [m for m in BUGS if "reference" in m.id], ids=lambda m: m.id)
def test_reference_mutants_are_flagged(mutant, tmp_path: Path) -> None:
    path = tmp_path / mutant.notebook / f"{mutant.notebook}.ipynb"
    path.parent.mkdir()
    nbformat.write(apply(mutant), path)
    findings = find_reference_imports(path)  # the exercise is inferred from the path
    assert len(findings) == 1 and "course_lib" in findings[0]
    assert main([str(path)]) == 1


def test_runtime_check_rejects_the_reference() -> None:
    from course_lib.modules import Linear
    from course_lib.testing import assert_own_implementation

    with pytest.raises(AssertionError, match="own implementation"):
        assert_own_implementation(Linear, name="Linear", reference=Linear)
