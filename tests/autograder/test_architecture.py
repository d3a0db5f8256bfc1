"""ARCHITECTURE.md matches the tree: every path it names exists, every grader folder is named."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEXT = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")


def _named_paths() -> set[str]:
    """Paths written as `a/b/` or `a/b.py` (in backticks or the diagrams)."""
    found = set(
        re.findall(r"(?<![\w/])((?:autograder|course_lib|course_site|benchmarks)/[\w/.]*)", TEXT)
    )
    return {p.rstrip(".") for p in found if not p.endswith("/<ex>")}


def test_every_path_it_names_exists():
    missing = sorted(p for p in _named_paths() if not (ROOT / p).exists())
    assert not missing, f"ARCHITECTURE.md names paths that are not in the tree: {missing}"


def test_every_grader_folder_and_step_is_named():
    folders = sorted(
        f"autograder/{p.name}/"
        for p in (ROOT / "autograder").iterdir()
        if p.is_dir() and (p / "__init__.py").is_file()
    )
    assert folders, "autograder/ has no subpackages"
    unnamed = [f for f in folders if f not in TEXT]
    assert not unnamed, f"ARCHITECTURE.md does not describe {unnamed}"
    steps = [
        p.name for p in (ROOT / "autograder" / "pipeline").glob("*.py") if p.stem != "__init__"
    ]
    unnamed = [s for s in steps if s not in TEXT]
    assert not unnamed, f"pipeline steps missing from ARCHITECTURE.md: {unnamed}"
