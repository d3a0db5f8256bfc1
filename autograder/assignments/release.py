"""Generate the student release ``exercises/`` from the source notebooks in ``solutions/``.

The release is made by nbgrader itself: its ``GenerateAssignment`` converter runs in-process on a
temporary course directory (so the repository's gradebook is never touched), with the default
preprocessor chain minus ``SaveCells`` (the only step that needs a database; it does not change
the notebook). The result is byte-for-byte what ``nbgrader generate_assignment <ex>`` writes
from the repository root with ``nbgrader_config.py``. Every release is then checked: no outputs
or execution counts, no nbgrader region markers, and no line that only occurs inside a
``### BEGIN SOLUTION`` or ``### BEGIN HIDDEN TESTS`` region of the source.

    course release                  # regenerate every exercises/<ex>/<ex>.ipynb
    course release --check          # exit 1 and list drift, write nothing
    course release ex01_modules     # one exercise
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

__all__ = [
    "REPO_ROOT",
    "ReleaseError",
    "discover_exercises",
    "generate",
    "strip_outputs",
    "find_leaks",
    "release",
    "main",
]

REPO_ROOT = Path(__file__).resolve().parents[2]

_MARKERS = (
    "### BEGIN SOLUTION",
    "### END SOLUTION",
    "### BEGIN HIDDEN TESTS",
    "### END HIDDEN TESTS",
    "### BEGIN MARK SCHEME",
    "### END MARK SCHEME",
)
_REGIONS = (
    ("### BEGIN SOLUTION", "### END SOLUTION"),
    ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
    ("### BEGIN MARK SCHEME", "### END MARK SCHEME"),
)
# What nbgrader puts in place of a cleared region (these may legitimately appear in a release).
_STUBS = frozenset({"# YOUR CODE HERE", "raise NotImplementedError()", "YOUR ANSWER HERE"})


class ReleaseError(RuntimeError):
    """A release could not be generated or would leak solution or hidden-test text."""


def discover_exercises(root: Path = REPO_ROOT) -> list[str]:
    """Names of the assignments under ``<root>/solutions`` (folders holding a notebook), sorted."""
    source = Path(root) / "solutions"
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


@contextlib.contextmanager
def _python_bin_on_path() -> Iterator[None]:
    """Put this interpreter's ``bin`` first on ``PATH`` (nbgrader shells out to ``alembic``)."""
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), old])
    try:
        yield
    finally:
        os.environ["PATH"] = old


def _nbgrader_generate(exercise: str, root: Path, out_dir: Path) -> Path:
    """Run nbgrader's GenerateAssignment for ``exercise`` into ``out_dir/<exercise>``."""
    from nbgrader.converters import GenerateAssignment
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.preprocessors import SaveCells
    from traitlets.config import Config

    chain = [
        p
        for p in GenerateAssignment.class_traits()["preprocessors"].default()
        if p is not SaveCells
    ]
    cfg = Config()
    cfg.CourseDirectory.root = str(out_dir)
    cfg.CourseDirectory.source_directory = str(Path(root).resolve() / "solutions")
    cfg.CourseDirectory.release_directory = str(out_dir)
    cfg.CourseDirectory.db_url = f"sqlite:///{out_dir / 'unused.db'}"
    cfg.GenerateAssignment.no_database = True
    cfg.GenerateAssignment.preprocessors = chain
    coursedir = CourseDirectory(config=cfg)
    coursedir.assignment_id = exercise
    converter = GenerateAssignment(coursedir=coursedir, config=cfg)
    converter.force = True
    converter.log.setLevel(logging.WARNING)
    with _python_bin_on_path():
        try:
            converter.start()
        except Exception as exc:  # nbgrader raises NbGraderException and friends
            raise ReleaseError(f"nbgrader could not generate {exercise}: {exc}") from exc
    return out_dir / exercise


def strip_outputs(nb: NotebookNode) -> NotebookNode:
    """Remove outputs and execution counts of every code cell, in place; returns ``nb``."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def _region_lines(source: str) -> tuple[list[str], list[str]]:
    """Split a cell's lines into (inside any nbgrader region, outside), stripped, non-empty."""
    inside, outside = [], []
    end = None
    for raw in source.splitlines():
        line = raw.strip()
        if end is None:
            for begin, stop in _REGIONS:
                if line.startswith(begin):
                    end = stop
                    break
            else:
                if line:
                    outside.append(line)
            continue
        if line.startswith(end):
            end = None
        elif line:
            inside.append(line)
    return inside, outside


def find_leaks(source: NotebookNode, released: NotebookNode) -> list[str]:
    """Problems of a release: outputs, region markers, or text only found inside regions.

    Parameters
    ----------
    source : NotebookNode
        The nbgrader source notebook (with solutions and hidden tests).
    released : NotebookNode
        The generated student notebook.

    Returns
    -------
    list of str
        Empty when the release is clean.
    """
    secret: dict[str, str] = {}
    public: set[str] = set(_STUBS)
    for cell in source.cells:
        inside, outside = _region_lines(cell.source)
        public.update(outside)
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", cell.get("id", "?"))
        for line in inside:
            secret.setdefault(line, gid)
    secret = {line: gid for line, gid in secret.items() if line not in public}
    problems = []
    for i, cell in enumerate(released.cells):
        where = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", cell.get("id", i))
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"cell {where}: has outputs or an execution count")
        for marker in _MARKERS:
            if marker in cell.source:
                problems.append(f"cell {where}: contains the marker {marker!r}")
        for raw in cell.source.splitlines():
            line = raw.strip()
            if line in secret:
                problems.append(
                    f"cell {where}: leaks {line!r} from a solution/hidden region of {secret[line]}"
                )
    return problems


def _notebook_text(nb: NotebookNode) -> str:
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def generate(exercise: str, root: Path = REPO_ROOT) -> dict[str, bytes]:
    """Generate one assignment's release in memory and verify it.

    Parameters
    ----------
    exercise : str
        E.g. ``"ex01_modules"`` (the folder ``solutions/<exercise>``).
    root : Path
        Repository root.

    Returns
    -------
    dict
        ``{relative path inside exercises/<exercise>: file content}``.

    Raises
    ------
    ReleaseError
        When nbgrader fails or a notebook would leak solution or hidden-test text.
    """
    root = Path(root)
    src_dir = root / "solutions" / exercise
    if not any(src_dir.glob("*.ipynb")):
        raise ReleaseError(f"no source notebook in {src_dir}")
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix=f"release-{exercise}-") as tmp:
        out = _nbgrader_generate(exercise, root, Path(tmp))
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            rel = path.relative_to(out).as_posix()
            if path.suffix != ".ipynb":
                files[rel] = path.read_bytes()
                continue
            released = strip_outputs(nbformat.read(path, as_version=4))
            source = nbformat.read(src_dir / rel, as_version=4)
            problems = find_leaks(source, released)
            if problems:
                raise ReleaseError(
                    f"the release of {exercise}/{rel} is not clean:\n  " + "\n  ".join(problems)
                )
            files[rel] = _notebook_text(released).encode("utf-8")
    return files


def release(
    exercises: list[str] | None = None, root: Path = REPO_ROOT, *, check: bool = False
) -> list[Path]:
    """Generate ``exercises/<ex>/`` from ``solutions/<ex>/`` with nbgrader, verified.

    Parameters
    ----------
    exercises : list of str, optional
        Assignment names; all of ``solutions/`` by default.
    root : Path
        Repository root (holding ``solutions/`` and ``exercises/``).
    check : bool
        Compare with the committed ``exercises/`` instead of writing.

    Returns
    -------
    list of Path
        ``check=False``: the files written. ``check=True``: the files that differ from what
        nbgrader generates today (missing, changed, or not produced by nbgrader); empty when
        the committed release is up to date.

    Raises
    ------
    ReleaseError
        When generation fails or a release would leak solution or hidden-test text.
    """
    root = Path(root)
    names = list(exercises) if exercises else discover_exercises(root)
    result: list[Path] = []
    for ex in names:
        files = generate(ex, root)
        dest = root / "exercises" / ex
        if check:
            for rel, content in files.items():
                target = dest / rel
                if not target.is_file() or target.read_bytes() != content:
                    result.append(target)
            if dest.is_dir():
                extra = [
                    p
                    for p in dest.rglob("*")
                    if p.is_file()
                    and p.relative_to(dest).as_posix() not in files
                    and ".ipynb_checkpoints" not in p.parts
                    and "__pycache__" not in p.parts
                ]
                result.extend(sorted(extra))
            continue
        for rel, content in files.items():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            result.append(target)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autograder.assignments.release [--check] [--root DIR] [ex ...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.assignments.release",
        description="Generate the student release exercises/ from solutions/ with nbgrader.",
    )
    parser.add_argument("exercises", nargs="*", help="assignment names (default: all)")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help="repository root")
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    args = parser.parse_args(argv)
    known = discover_exercises(args.root)
    unknown = [ex for ex in args.exercises if ex not in known]
    if unknown:
        parser.error(f"unknown exercise(s) {', '.join(unknown)}; known: {', '.join(known)}")
    try:
        paths = release(args.exercises or None, args.root, check=args.check)
    except ReleaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.check:
        for path in paths:
            print(f"out of date: {path.relative_to(args.root)}")
        if paths:
            print(
                "run `python -m autograder.assignments.release` to regenerate exercises/",
                file=sys.stderr,
            )
        return 1 if paths else 0
    for path in paths:
        print(f"wrote {path.relative_to(args.root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
