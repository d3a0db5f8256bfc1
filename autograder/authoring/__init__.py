"""Generators of the exercises' nbgrader source notebooks (``solutions/<ex>/<ex>.ipynb``).

Each ``build_exNN`` module defines ``EXERCISE`` and ``build() -> NotebookNode``; the notebooks in
``solutions/`` are their output, so a change to an exercise is a reviewable change to Python code.

    python -m autograder.authoring            # rewrite every solutions/<ex>/<ex>.ipynb
    python -m autograder.authoring --check    # exit 1 if a committed notebook differs
"""

from __future__ import annotations

import importlib
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from .cells import write

__all__ = ["EXERCISES", "build", "source_path", "write_sources", "check_sources"]

#: Exercise ids in course order, each with its generator module ``build_<prefix>``.
EXERCISES: tuple[str, ...] = (
    "ex01_modules",
    "ex02_losses",
    "ex03_backprop",
    "ex04_autograd",
    "ex05_quiz",
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def build(exercise: str) -> NotebookNode:
    """Return the freshly generated source notebook of ``exercise`` (e.g. ``"ex01_modules"``)."""
    if exercise not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; expected one of {', '.join(EXERCISES)}")
    module = importlib.import_module(f"{__name__}.build_{exercise.split('_')[0]}")
    return module.build()


def source_path(exercise: str, root: Path = REPO_ROOT) -> Path:
    """``<root>/solutions/<exercise>/<exercise>.ipynb``."""
    return Path(root) / "solutions" / exercise / f"{exercise}.ipynb"


def write_sources(exercises: list[str] | None = None, root: Path = REPO_ROOT) -> list[Path]:
    """Generate and write the source notebooks; returns the paths written."""
    return [write(build(ex), source_path(ex, root)) for ex in exercises or EXERCISES]


def check_sources(exercises: list[str] | None = None, root: Path = REPO_ROOT) -> list[str]:
    """Names of the exercises whose committed source notebook differs from its generator."""
    drift = []
    for ex in exercises or EXERCISES:
        path = source_path(ex, root)
        text = nbformat.writes(build(ex))
        if not text.endswith("\n"):
            text += "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            drift.append(ex)
    return drift
