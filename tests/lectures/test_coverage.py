"""Every study-notes heading of the source lecture is taught in some lecture notebook.

The headings live in ``seed_headings.txt`` beside this file (one per line, in the order of the
study notes, repeats removed), so these tests stand alone. ``lectures/coverage.json`` maps each
heading to the notebooks that teach it (or lists it under ``omitted`` with a reason), and every
mapped notebook must carry the heading text in a markdown heading, or in a
``<!-- covers: HEADING -->`` comment. When the source material is present (``../shared/seed``
beside the repository, or the folder named by ``COURSE_SEED_DIR``), the fixture is also checked
against it.
"""

from __future__ import annotations

import html
import json
import os
import re
from functools import cache
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
LECTURES = ROOT / "lectures"
COVERAGE = LECTURES / "coverage.json"
FIXTURE = Path(__file__).with_name("seed_headings.txt")
SEED_NAME = "000_d44a2706230b4c69.txt"

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_COVERS = re.compile(r"<!--\s*covers:\s*(.*?)\s*-->", re.IGNORECASE | re.DOTALL)


def normalize(text: str) -> str:
    """Case-fold, unescape HTML entities, straighten quotes, drop emphasis, squeeze spaces."""
    text = html.unescape(text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("*", "").replace("`", "")
    return " ".join(text.split()).casefold()


def read_fixture() -> list[str]:
    """The seed's study-notes headings, in order, without repeats (``#`` lines are comments)."""
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def headings_from_seed(text: str) -> list[str]:
    """Headings of the "Study Notes" part of a seed: the lines that are not ``- `` bullets."""
    lines = text.splitlines()
    try:
        start = lines.index("Study Notes") + 1
    except ValueError:
        pytest.fail("the seed has no 'Study Notes' line")
    out: list[str] = []
    for ln in lines[start:]:
        ln = ln.strip()
        if ln and not ln.startswith("- ") and ln not in out:
            out.append(ln)
    return out


@cache
def coverage() -> dict:
    """The parsed ``lectures/coverage.json``."""
    return json.loads(COVERAGE.read_text(encoding="utf-8"))


@cache
def markers(notebook: str) -> tuple[str, ...]:
    """Normalized markdown headings and ``covers:`` markers of one lecture notebook."""
    nb = nbformat.read(LECTURES / notebook, as_version=4)
    found: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            m = _HEADING.match(line)
            if m:
                found.append(normalize(m.group(1)))
        found.extend(normalize(c) for c in _COVERS.findall(cell.source))
    return tuple(found)


def test_coverage_file_has_the_expected_structure() -> None:
    data = coverage()
    assert isinstance(data.get("headings"), dict), "coverage.json needs a 'headings' object"
    assert isinstance(data.get("omitted", {}), dict), "'omitted' must map heading -> reason"
    for heading, notebooks in data["headings"].items():
        assert isinstance(notebooks, list) and notebooks, (
            f"{heading!r}: expected a non-empty list of notebook file names, got {notebooks!r}"
        )
    for heading, reason in data.get("omitted", {}).items():
        assert isinstance(reason, str) and len(reason.split()) >= 3, (
            f"omitted heading {heading!r} needs a reason (a short sentence), got {reason!r}"
        )
    both = set(data["headings"]) & set(data.get("omitted", {}))
    assert not both, f"headings both mapped and omitted: {sorted(both)}"


def test_every_heading_is_mapped() -> None:
    data = coverage()
    expected = read_fixture()
    accounted = set(data["headings"]) | set(data.get("omitted", {}))
    missing = [h for h in expected if h not in accounted]
    unknown = sorted(accounted - set(expected))
    assert not missing, f"study-notes headings missing from lectures/coverage.json: {missing}"
    assert not unknown, (
        f"coverage.json names headings that are not in the study notes: {unknown} "
        f"(spell them exactly as in {FIXTURE.name})"
    )
    todo = [
        h
        for h, nbs in data["headings"].items()
        if not all(isinstance(n, str) and n.endswith(".ipynb") for n in nbs)
    ]
    assert not todo, f"headings not mapped to notebooks yet (e.g. 'TODO' entries): {todo}"


def test_mapped_notebooks_exist() -> None:
    missing = sorted(
        {
            (n, h)
            for h, nbs in coverage()["headings"].items()
            for n in nbs
            if n.endswith(".ipynb") and not (LECTURES / n).is_file()
        }
    )
    assert not missing, f"coverage.json maps headings to notebooks that do not exist: {missing}"


def _mapped_pairs() -> list[tuple[str, str]]:
    data = coverage()
    return [
        (h, n)
        for h, nbs in data["headings"].items()
        for n in nbs
        if isinstance(n, str) and n.endswith(".ipynb")
    ]


@pytest.mark.parametrize(("heading", "notebook"), _mapped_pairs())
def test_notebook_names_the_heading(heading: str, notebook: str) -> None:
    if not (LECTURES / notebook).is_file():
        pytest.fail(f"{notebook} does not exist (mapped from {heading!r})")
    want = normalize(heading)
    found = markers(notebook)
    assert any(want in m for m in found), (
        f"{notebook} is mapped to {heading!r} but none of its markdown headings (or "
        f"'<!-- covers: ... -->' markers) contains that text; headings found: {list(found)}"
    )


def _seed_path() -> Path | None:
    candidates = []
    if os.environ.get("COURSE_SEED_DIR"):
        candidates.append(Path(os.environ["COURSE_SEED_DIR"]) / SEED_NAME)
    candidates.append(ROOT.parent / "shared" / "seed" / SEED_NAME)
    return next((p for p in candidates if p.is_file()), None)


def test_fixture_matches_the_seed() -> None:
    path = _seed_path()
    if path is None:
        pytest.skip(
            f"source material {SEED_NAME} not found (../shared/seed or $COURSE_SEED_DIR); "
            "the committed fixture seed_headings.txt is used alone"
        )
    assert headings_from_seed(path.read_text(encoding="utf-8")) == read_fixture(), (
        f"{FIXTURE.name} is out of date with {path}; regenerate it from the seed's study notes"
    )
