"""Cell constructors for nbgrader source notebooks (nbgrader cell metadata, schema version 3).

Each helper returns an ``nbformat`` v4 cell with a stable ``id`` and the ``nbgrader`` metadata that
``nbgrader generate_assignment`` expects:

=============  ========  =====  ======  =================================================
helper         solution  grade  locked  nbgrader's name
=============  ========  =====  ======  =================================================
``readonly``   False     False  True    read-only cell (set-up code, helpers)
``solution``   True      False  False   autograded answer (``### BEGIN SOLUTION`` inside)
``tests``      False     True   True    autograder tests, public (shown to students)
``hidden``     False     True   True    autograder tests whose body is hidden
=============  ========  =====  ======  =================================================

Sources are dedented and stripped, so generator scripts can indent them freely.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

__all__ = [
    "markdown",
    "readonly",
    "solution",
    "tests",
    "hidden",
    "notebook",
    "write",
    "HIDDEN_BANNER",
]

#: First line of every hidden-test cell: the only text of the cell left in the student release.
HIDDEN_BANNER = "# Hidden tests: they run when your notebook is graded."

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def _clean(source: str) -> str:
    return textwrap.dedent(source).strip("\n")


def _meta(grade_id: str, *, grade: bool, solution: bool, locked: bool, points: float | None):
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def markdown(source: str, *, id: str) -> NotebookNode:
    """A plain markdown cell (instructions, maths) with cell id ``id``."""
    cell = nbformat.v4.new_markdown_cell(_clean(source))
    cell.id = id
    return cell


def readonly(source: str, *, id: str) -> NotebookNode:
    """A locked, ungraded code cell: nbgrader restores it before grading."""
    cell = nbformat.v4.new_code_cell(
        _clean(source), metadata=_meta(id, grade=False, solution=False, locked=True, points=None)
    )
    cell.id = id
    return cell


def solution(source: str, *, id: str) -> NotebookNode:
    """An autograded-answer cell; ``source`` holds ``### BEGIN SOLUTION`` regions."""
    text = _clean(source)
    if "### BEGIN SOLUTION" not in text:
        raise ValueError(f"solution cell {id!r} has no '### BEGIN SOLUTION' region")
    cell = nbformat.v4.new_code_cell(
        text, metadata=_meta(id, grade=False, solution=True, locked=False, points=None)
    )
    cell.id = id
    return cell


def tests(source: str, *, id: str, points: float) -> NotebookNode:
    """A graded, locked test cell whose code students see (public tests)."""
    if points <= 0:
        raise ValueError(f"test cell {id!r} needs positive points, got {points!r}")
    cell = nbformat.v4.new_code_cell(
        _clean(source), metadata=_meta(id, grade=True, solution=False, locked=True, points=points)
    )
    cell.id = id
    return cell


def hidden(body: str, *, id: str, points: float, visible: str = "") -> NotebookNode:
    """A graded, locked test cell whose ``body`` lies between the hidden-test markers.

    Parameters
    ----------
    body : str
        The hidden test code (removed from the student release).
    id : str
        Cell id and nbgrader ``grade_id``.
    points : float
        Points earned when the cell runs without an error.
    visible : str
        Optional public code or comments kept in the release, after the banner line.
    """
    parts = [HIDDEN_BANNER]
    if visible:
        parts.append(_clean(visible))
    parts += ["### BEGIN HIDDEN TESTS", _clean(body), "### END HIDDEN TESTS"]
    return tests("\n".join(parts), id=id, points=points)


def notebook(cells: Iterable[NotebookNode]) -> NotebookNode:
    """A v4.5 notebook with the python3 kernelspec; checks that cell ids are unique."""
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    ids = [c.id for c in nb.cells]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise ValueError(f"duplicate cell ids: {sorted(dup)}")
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


def write(nb: NotebookNode, path: Path) -> Path:
    """Write ``nb`` to ``path`` exactly as nbgrader / nbconvert would (indent 1, final newline)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text, encoding="utf-8")
    return path
