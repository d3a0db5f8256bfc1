"""The lecture notebooks: committed clean, well-formed, and running top to bottom quickly.

Two groups of tests:

- static checks (fast): every notebook in ``lectures/`` is stored without outputs or execution
  counts, states its learning goals at the top, imports ``course_lib``, and keeps its code cells
  short; each part ``NN`` ends with ``quiz(topic=TOPICS[NN - 1])`` (one topic per part; parts
  beyond the last topic end with a review quiz) and links to the course map and to its previous
  and next part; the course map links every part that exists; links between notebooks resolve;
- execution (``slow``): each notebook runs in a fresh kernel (nbclient, as
  :func:`course_site.execute.execute_notebook` does for the course site) without an error output,
  without a warning or anything else on stderr, and all of them together within
  :data:`TIME_BUDGET` seconds.

The kernels get one BLAS thread and a throw-away quiz-progress file (see
:func:`course_site.execute.kernel_env`), so runs are reproducible and touch nothing in ``$HOME``.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import nbformat
import pytest

from course_lib.quiz import TOPICS
from course_site.execute import execute_notebook, kernel_env

ROOT = Path(__file__).resolve().parents[2]
LECTURES = ROOT / "lectures"
NOTEBOOKS = sorted(LECTURES.glob("*.ipynb"))
#: Lecture parts: ``NN_topic.ipynb`` with ``NN >= 01`` (``00_index.ipynb`` is the course map).
PARTS = [p for p in NOTEBOOKS if re.match(r"\d\d_", p.name) and int(p.name[:2]) >= 1]
INDEX = LECTURES / "00_index.ipynb"
#: The parts every edition of the course has; more (e.g. 09) may follow them.
MIN_PARTS = 8
#: No code cell of a lecture may be longer than this many lines (helpers live in course_lib).
MAX_CELL_LINES = 30
#: Parts whose code cells are all at most 20 lines long, like short d2l-style cells.
SHORT_CELL_PARTS = ("00", "01", "02", "03", "04")
SHORT_CELL_LINES = 20
#: Across the whole series, at most this many code cells may be longer than SHORT_CELL_LINES.
MAX_LONG_CELLS = 5

#: Seconds all lectures together may take to execute, kernel starts included (2 cores).
TIME_BUDGET = 90.0
#: Seconds one cell may take before the run is aborted.
CELL_TIMEOUT = 120

_IMPORTS_COURSE_LIB = re.compile(r"^\s*(from|import)\s+course_lib\b", re.MULTILINE)
_QUIZ_CALL = re.compile(r"""\bquiz\(\s*topic\s*=\s*(["'])(.+?)\1""")
_ANY_QUIZ_CALL = re.compile(r"\bquiz\(")
_NOTEBOOK_LINK = re.compile(r"\]\((?:\./)?([^)\s/#]+\.ipynb)(?:#[^)\s]*)?\)")

_executed: dict[str, tuple[nbformat.NotebookNode, float]] = {}


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


# ------------------------------------------------------------------------------------------------
# static checks
# ------------------------------------------------------------------------------------------------
def _number(path: Path) -> int:
    return int(path.name[:2])


def test_parts_are_numbered_consecutively_and_the_index_exists() -> None:
    numbers = sorted(_number(p) for p in PARTS)
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= MIN_PARTS, (
        f"expected parts 01..NN (at least {MIN_PARTS:02d}) in {LECTURES} without gaps or "
        f"repeats, found parts {numbers} ({[p.name for p in PARTS]})"
    )
    assert INDEX.is_file(), f"the course map {INDEX.name} is missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_without_outputs(path: Path) -> None:
    nb = _read(path)
    dirty = [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} have outputs or an execution count; clear them "
        "(e.g. `jupyter nbconvert --clear-output --inplace` or nbstripout) before committing"
    )
    assert "widgets" not in nb.metadata, f"{path.name}: saved widget state in the metadata"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_starts_with_learning_goals(path: Path) -> None:
    nb = _read(path)
    top = [c.source for c in nb.cells[:3] if c.cell_type == "markdown"]
    assert top and top[0].lstrip().startswith("#"), (
        f"{path.name}: the first cell should be a markdown title"
    )
    assert any("learning goals" in src.lower() for src in top), (
        f"{path.name}: no 'Learning goals' in the first markdown cells; state what the "
        "student will be able to do at the top"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_imports_course_lib(path: Path) -> None:
    code = [c.source for c in _code_cells(_read(path))]
    assert any(_IMPORTS_COURSE_LIB.search(src) for src in code), (
        f"{path.name}: no code cell imports course_lib (lectures use the library, "
        "never a copy of it)"
    )
    if any(re.search(r"\b(plt|matplotlib)\b", src) for src in code):
        assert "%matplotlib inline" in code[0], (
            f"{path.name}: plots, so the first code cell should start with %matplotlib inline"
        )


@pytest.mark.parametrize("path", PARTS, ids=_ids(PARTS))
def test_part_ends_with_a_quiz_on_its_own_topic(path: Path) -> None:
    """Part NN ends with ``quiz(topic=TOPICS[NN - 1])``: one topic per part, none shared.

    Parts after the last topic (a closing part) end with some quiz, e.g. an adaptive review.
    """
    cells = _code_cells(_read(path))
    assert cells, f"{path.name}: no code cells"
    last = cells[-1].source
    n = _number(path)
    if n > len(TOPICS):
        assert _ANY_QUIZ_CALL.search(last), (
            f"{path.name}: the last code cell should call quiz(...) (a review, e.g. "
            f"quiz(adaptive=True, n=10)); it is:\n{last}"
        )
        return
    m = _QUIZ_CALL.search(last)
    assert m, (
        f"{path.name}: the last code cell should call quiz(topic={TOPICS[n - 1]!r}) "
        f"(from course_lib.quiz import quiz); it is:\n{last}"
    )
    assert m.group(2) == TOPICS[n - 1], (
        f"{path.name}: part {n:02d} asks quiz topic {m.group(2)!r}, but its topic is "
        f"{TOPICS[n - 1]!r} (course_lib.quiz.TOPICS[{n - 1}]; one topic per part, in order)"
    )


@pytest.mark.parametrize("path", PARTS, ids=_ids(PARTS))
def test_part_links_to_the_map_and_its_neighbours(path: Path) -> None:
    """The top of part NN links to the course map and to parts NN-1 and NN+1 (where they exist)."""
    nb = _read(path)
    top = "\n".join(c.source for c in nb.cells[:2] if c.cell_type == "markdown")
    linked = set(_NOTEBOOK_LINK.findall(top))
    by_number = {_number(p): p.name for p in PARTS}
    n = _number(path)
    wanted = {INDEX.name} | {by_number[k] for k in (n - 1, n + 1) if k in by_number}
    missing = sorted(wanted - linked)
    assert not missing, (
        f"{path.name}: the first cells should link to {sorted(wanted)} (previous part, course "
        f"map, next part); missing {missing}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_code_cells_are_short(path: Path) -> None:
    """Each code cell shows one idea: drawing and experiment plumbing lives in course_lib."""
    limit = SHORT_CELL_LINES if path.name[:2] in SHORT_CELL_PARTS else MAX_CELL_LINES
    long = {
        i: len(c.source.strip().splitlines())
        for i, c in enumerate(_read(path).cells)
        if c.cell_type == "code" and len(c.source.strip().splitlines()) > limit
    }
    assert not long, (
        f"{path.name}: code cells longer than {limit} lines (cell index: lines): {long}; move "
        "helpers into course_lib.lecture_aids and keep one idea per cell"
    )


def test_few_code_cells_over_twenty_lines_across_the_series() -> None:
    long = [
        f"{path.name} cell {i} ({len(c.source.strip().splitlines())} lines)"
        for path in NOTEBOOKS
        for i, c in enumerate(_read(path).cells)
        if c.cell_type == "code" and len(c.source.strip().splitlines()) > SHORT_CELL_LINES
    ]
    assert len(long) <= MAX_LONG_CELLS, (
        f"{len(long)} code cells are longer than {SHORT_CELL_LINES} lines, at most "
        f"{MAX_LONG_CELLS} may be: {long}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_links_between_notebooks_resolve(path: Path) -> None:
    nb = _read(path)
    links = {
        target
        for c in nb.cells
        if c.cell_type == "markdown"
        for target in _NOTEBOOK_LINK.findall(c.source)
    }
    broken = sorted(t for t in links if not (LECTURES / t).is_file())
    assert not broken, f"{path.name} links to notebooks that do not exist: {broken}"


def test_index_links_every_part() -> None:
    """The course map links every ``NN_*.ipynb`` part that exists (new parts included)."""
    nb = _read(INDEX)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    linked = set(_NOTEBOOK_LINK.findall(text))
    missing = sorted(p.name for p in PARTS if p.name not in linked)
    assert not missing, f"{INDEX.name} does not link to {missing}"


# ------------------------------------------------------------------------------------------------
# execution
# ------------------------------------------------------------------------------------------------
def _execute(path: Path, tmp_dir: Path) -> tuple[nbformat.NotebookNode, float]:
    """Execute ``path`` once per test session (cached), errors recorded as outputs."""
    if path.name not in _executed:
        env = kernel_env(tmp_dir / f"{path.stem}-quiz-progress.json")
        _executed[path.name] = execute_notebook(
            path, timeout=CELL_TIMEOUT, env=env, allow_errors=True
        )
    return _executed[path.name]


def _problems(nb: nbformat.NotebookNode) -> list[str]:
    """Error outputs, stderr output and warnings in an executed notebook, one line each."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"cell {i} ({cell.source.strip().splitlines()[0][:60]!r})"
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"{where}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream":
                text = out.text.strip()
                if out.name == "stderr" and text:
                    found.append(f"{where}: wrote to stderr: {text[:300]}")
                elif "Warning" in text:
                    found.append(f"{where}: printed a warning: {text[:300]}")
    return found


@pytest.mark.slow
@pytest.mark.xdist_group(name="lectures")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_cleanly_in_a_fresh_kernel(path: Path, tmp_path_factory) -> None:
    nb, seconds = _execute(path, tmp_path_factory.mktemp("lectures"))
    problems = _problems(nb)
    assert not problems, f"{path.name} ({seconds:.1f} s):\n  " + "\n  ".join(problems)


@pytest.mark.slow
@pytest.mark.xdist_group(name="lectures")
def test_all_lectures_run_within_the_time_budget(tmp_path_factory) -> None:
    """All lectures together execute in under 90 s of wall time on 2 cores.

    The notebooks run one after another in this process. When other work shares the machine
    (the other pytest-xdist worker, other jobs), wall time stretches with the load; the budget
    then scales by the load average over the two cores this budget was set for, and the
    message says so.
    """
    start = time.perf_counter()
    load_before = os.getloadavg()[0]
    tmp = tmp_path_factory.mktemp("lectures")
    times = {p.name: _execute(p, tmp)[1] for p in NOTEBOOKS}
    total = sum(times.values())
    load = max(load_before, os.getloadavg()[0])
    budget = TIME_BUDGET * max(1.0, load / 2.0)
    table = "\n".join(f"  {name:<40} {sec:6.1f} s" for name, sec in times.items())
    print(f"\nlecture execution times (this test waited {time.perf_counter() - start:.1f} s):")
    print(table + f"\n  {'total':<40} {total:6.1f} s (budget {budget:.0f} s at load {load:.1f})")
    assert total < budget, (
        f"the lectures take {total:.1f} s together, over the {TIME_BUDGET:.0f} s budget "
        f"(scaled to {budget:.0f} s for a load average of {load:.1f} on 2 cores); make the "
        f"slowest ones lighter (smaller data, fewer epochs):\n{table}"
    )
