"""A synthetic class: realistic submissions generated from an assignment's source notebook.

Every student starts from the student release and fills in the solution cells from
``solutions/``; then each persona changes something a real class does:

=================  ==============================================================
``ada``            full marks
``alan``           full marks, plus scratch cells of their own
``grace``          typical bug: gradients assigned instead of accumulated (``+=`` -> ``=``)
``linus``          typical bug: a sum over the wrong axis (``axis=0`` -> ``axis=1``)
``margaret``       typical bug: the last exercise left unfinished
``bob``            blank: the release, untouched
``lucy``           full marks, submitted after the deadline
``larry``          an infinite loop in a solution cell
``carl``           a crash: a segmentation fault through ctypes half-way
``hannah``         a memory hog
``tom``            a tamper attempt: patches numpy, the test helpers, builtins and
                   IPython's traceback display, shadows ``AssertionError``, and reads
                   ``solutions/`` — on top of a blank notebook
``bea``            a broken upload: truncated JSON
=================  ==============================================================

:data:`EXPECTATIONS` says what grading each one must produce (tests check it).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from autograder.assignments.master import Assignment

_BEGIN = re.compile(r"^\s*### BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*### END SOLUTION\s*$")

#: What each persona must get: "max", "zero", "blank" (same as bob), "partial" (0 < x < max),
#: "below_max"; and a phrase its status must contain ("" = status "graded").
EXPECTATIONS: dict[str, tuple[str, str]] = {
    "ada": ("max", ""),
    "alan": ("max", ""),
    "grace": ("partial", ""),
    "linus": ("partial", ""),
    "margaret": ("partial", ""),
    "bob": ("zero", ""),
    "lucy": ("max", "late by"),
    "larry": ("below_max", "timed out"),
    "carl": ("partial", "segmentation fault"),
    "hannah": ("below_max", "memory limit"),
    "tom": ("blank", "suspicious code"),
    "bea": ("zero", "malformed notebook JSON"),
}

TAMPER_CELL = """\
# "Help" the tests along.
import builtins, sys
import numpy as np
import course_lib.testing as ct
from IPython import get_ipython

np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
for _name in dir(ct):
    if _name.startswith("assert"):
        setattr(ct, _name, lambda *a, **k: None)
builtins.isinstance = lambda *a: True
sys.excepthook = lambda *a: None
get_ipython().showtraceback = lambda *a, **k: None
AssertionError = type("AssertionError", (Exception,), {{}})

class Anything:
    def __eq__(self, other):
        return True

import os
for _path in ("../../solutions", {solutions!r}, "/root"):
    try:
        print(_path, os.listdir(_path))
    except OSError as exc:
        print(_path, "unreadable:", exc)
"""


def _source(cell: dict[str, Any]) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _meta(cell: dict[str, Any]) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def solution_code(source_nb: dict[str, Any]) -> dict[str, str]:
    """The solution cells' code with the ``### BEGIN/END SOLUTION`` lines removed.

    Parameters
    ----------
    source_nb : dict
        The nbgrader source notebook (with solutions).

    Returns
    -------
    dict
        grade_id -> code a student who solved it would have written.
    """
    code = {}
    for cell in source_nb["cells"]:
        meta = _meta(cell)
        if meta.get("solution") and cell["cell_type"] == "code":
            lines = [
                ln for ln in _source(cell).splitlines() if not (_BEGIN.match(ln) or _END.match(ln))
            ]
            code[meta["grade_id"]] = "\n".join(lines)
    return code


def fill_release(release: dict[str, Any], fills: dict[str, str]) -> dict[str, Any]:
    """A copy of the release with some solution cells' sources replaced (grade id -> code)."""
    nb = copy.deepcopy(release)
    for cell in nb["cells"]:
        grade_id = _meta(cell).get("grade_id")
        if grade_id in fills:
            cell["source"] = fills[grade_id]
    return nb


def _mutate_first(fills: dict[str, str], pattern: str, replacement: str) -> str | None:
    """Apply a textual bug to the first solution that has ``pattern``; return its id."""
    for grade_id, code in fills.items():
        if pattern in code:
            fills[grade_id] = code.replace(pattern, replacement, 1)
            return grade_id
    return None


def insert_after(nb: dict[str, Any], grade_id: str, source: str) -> None:
    """Insert a new code cell after the cell with this grade id (in place)."""
    from nbformat.v4 import new_code_cell

    index = next(i for i, c in enumerate(nb["cells"]) if _meta(c).get("grade_id") == grade_id)
    cell = new_code_cell(source)
    if (nb.get("nbformat"), nb.get("nbformat_minor", 0)) < (4, 5):
        cell.pop("id", None)
    nb["cells"].insert(index + 1, json.loads(json.dumps(cell)))


@dataclass
class SyntheticStudent:
    """One generated submission."""

    student_id: str
    description: str
    notebook: dict[str, Any] | None
    raw: bytes | None = None
    timestamp: datetime | None = None


def make_class(
    assignment: Assignment, source_nb: dict[str, Any], due: datetime
) -> list[SyntheticStudent]:
    """Generate the twelve personas for an assignment.

    Parameters
    ----------
    assignment : Assignment
        Gives the release and the cell ids.
    source_nb : dict
        The nbgrader source notebook (solutions).
    due : datetime
        The deadline: everyone submits a day before it, ``lucy`` two hours after.

    Returns
    -------
    list of SyntheticStudent
        In the order of the table in the module docstring.
    """
    return _personas(assignment, source_nb, due)


def _personas(
    assignment: Assignment, source_nb: dict[str, Any], due: datetime
) -> list[SyntheticStudent]:
    """Build the personas (see :func:`make_class`): honest work, then faults and attacks."""
    solved = solution_code(source_nb)
    on_time = due - timedelta(days=1)
    return _honest(assignment, solved, due, on_time) + _faulty(assignment, solved, on_time)


def _honest(
    assignment: Assignment, solved: dict[str, str], due: datetime, on_time: datetime
) -> list[SyntheticStudent]:
    """Full marks (tidy, with scratch cells, late), the typical bugs, a blank notebook."""
    release, solution_ids = assignment.release, list(solved)
    alan = fill_release(release, solved)
    insert_after(alan, solution_ids[0], "# scratch work\nprint('trying things out')\n_tmp = 1 + 1")
    grace = dict(solved)
    if _mutate_first(grace, "+=", "=") is None:
        grace[solution_ids[0]] = ""
    linus = dict(solved)
    if _mutate_first(linus, "axis=0", "axis=1") is None and _mutate_first(linus, ".T", "") is None:
        linus[solution_ids[-1]] = ""
    margaret = {k: v for k, v in solved.items() if k != solution_ids[-1]}
    late = due + timedelta(hours=2)
    return [
        SyntheticStudent("ada", "full marks", fill_release(release, solved), timestamp=on_time),
        SyntheticStudent("alan", "full marks, with scratch cells", alan, timestamp=on_time),
        SyntheticStudent(
            "grace", "bug: gradients assigned, not accumulated", fill_release(release, grace),
            timestamp=on_time,
        ),
        SyntheticStudent(
            "linus", "bug: sum over the wrong axis", fill_release(release, linus),
            timestamp=on_time,
        ),
        SyntheticStudent(
            "margaret", "bug: last exercise unfinished", fill_release(release, margaret),
            timestamp=on_time,
        ),
        SyntheticStudent(
            "bob", "blank (the release, untouched)", copy.deepcopy(release), timestamp=on_time
        ),
        SyntheticStudent(
            "lucy", "full marks, two hours late", fill_release(release, solved), timestamp=late
        ),
    ]  # fmt: skip


def _faulty(
    assignment: Assignment, solved: dict[str, str], on_time: datetime
) -> list[SyntheticStudent]:
    """An infinite loop, a segfault, a memory hog, a tamper attempt, a truncated upload."""
    release, solution_ids = assignment.release, list(solved)
    tests = [c.grade_id for c in assignment.cells if c.is_test]
    larry = dict(solved)
    larry[solution_ids[-1]] = (
        "while True:  # an accidental infinite loop\n    pass\n" + larry[solution_ids[-1]]
    )
    carl = fill_release(release, solved)
    insert_after(
        carl, tests[min(2, len(tests) - 1)], "import ctypes\nctypes.string_at(0)  # segfault"
    )
    hannah = dict(solved)
    hannah[solution_ids[-1]] = (
        "import numpy as np\n_cache = np.ones((200_000, 100_000))  # 160 GB\n"
        + hannah[solution_ids[-1]]
    )
    tom = copy.deepcopy(release)
    solutions_dir = str(assignment.source_path.parent.parent)
    insert_after(tom, solution_ids[0], TAMPER_CELL.format(solutions=solutions_dir))
    broken = json.dumps(fill_release(release, solved), indent=1).encode()
    return [
        SyntheticStudent("larry", "infinite loop", fill_release(release, larry), timestamp=on_time),
        SyntheticStudent("carl", "crash (segfault) half-way", carl, timestamp=on_time),
        SyntheticStudent("hannah", "memory hog", fill_release(release, hannah), timestamp=on_time),
        SyntheticStudent("tom", "tamper attempt (on a blank notebook)", tom, timestamp=on_time),
        SyntheticStudent(
            "bea", "broken upload (truncated JSON)", None, raw=broken[: len(broken) // 2],
            timestamp=on_time,
        ),
    ]  # fmt: skip


def write_class(students: list[SyntheticStudent], exercise: str, folder: Path) -> Path:
    """Write the class as an nbgrader tree ``<student>/<exercise>/<exercise>.ipynb``.

    Parameters
    ----------
    students : list of SyntheticStudent
        From :func:`make_class`.
    exercise : str
        Assignment name.
    folder : Path
        Destination (replaced).

    Returns
    -------
    Path
        ``folder``.
    """
    import shutil

    if folder.exists():
        shutil.rmtree(folder)
    for student in students:
        target = folder / student.student_id / exercise
        target.mkdir(parents=True)
        if student.raw is not None:
            data = student.raw
        else:
            data = (json.dumps(student.notebook, indent=1) + "\n").encode()
        (target / f"{exercise}.ipynb").write_bytes(data)
        if student.timestamp is not None:
            (target / "timestamp.txt").write_text(
                student.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z").strip() + "\n"
            )
    return folder


def check_expectations(records: list[dict[str, Any]]) -> list[tuple[str, bool, str]]:
    """Compare a graded synthetic class with :data:`EXPECTATIONS`.

    Parameters
    ----------
    records : list of dict
        Grading records of the synthetic class.

    Returns
    -------
    list of (student, ok, detail)
        One entry per persona.
    """
    by_id = {r["student_id"]: r for r in records}
    blank = by_id.get("bob", {}).get("total")
    out = []
    for student, (score, phrase) in EXPECTATIONS.items():
        record = by_id.get(student)
        if record is None:
            out.append((student, False, "not graded"))
            continue
        total, top = record["total"], record["max_total"]
        ok_score = {
            "max": total == top,
            "zero": total == 0,
            "blank": blank is not None and total == blank,
            "partial": 0 < total < top,
            "below_max": total < top,
        }[score]
        status = record["status"]
        ok_status = (phrase in status) if phrase else status == "graded"
        detail = f"{total:g}/{top:g} (expected {score}); status: {status[:80]}"
        out.append((student, ok_score and ok_status, detail))
    return out
