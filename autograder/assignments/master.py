"""Release check: the assignment as nbgrader would grade it, computed from ``solutions/``.

``nbgrader generate_assignment`` stores, for every nbgrader cell of the source notebook, the
cell *after* its solutions were replaced by stubs and *before* its hidden tests were removed;
``nbgrader autograde`` restores locked and test cells from those "master" cells. This module
runs the same nbgrader preprocessors (``LockCells``, ``ClearSolutions``, ``ComputeChecksums``...,
configured by the repository's ``nbgrader_config.py``) in-process and caches the result in the
workspace, keyed by a digest of the source. It also derives:

- the student release (``ClearHiddenTests`` applied), to check that ``exercises/`` is current;
- the names the assignment asks students to define (withheld from the public course_lib);
- the grade ids of the other assignments, to recognise a notebook uploaded to the wrong one.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from autograder.workspace import Workspace, atomic_write

#: Bump when the cached master format changes.
CACHE_VERSION = 1


class AssignmentError(ValueError):
    """The assignment cannot be found or processed."""


@dataclass
class MasterCell:
    """One nbgrader cell as nbgrader's gradebook stores it.

    Attributes
    ----------
    grade_id : str
        The cell's id.
    cell_type : str
        ``"code"`` or ``"markdown"``.
    locked, grade, solution, task : bool
        nbgrader flags.
    points : float
        Points of a grade cell (0 otherwise).
    checksum : str
        nbgrader's checksum of the master cell.
    source : str
        Master source (solutions stubbed, hidden tests present).
    index : int
        Position in the master notebook.
    hidden : bool
        Whether the source has a hidden-tests region.
    """

    grade_id: str
    cell_type: str
    locked: bool
    grade: bool
    solution: bool
    task: bool
    points: float
    checksum: str
    source: str
    index: int
    hidden: bool = False

    @property
    def is_test(self) -> bool:
        """An autograded test cell: graded, not a solution, code."""
        return self.grade and not self.solution and self.cell_type == "code"


@dataclass
class Assignment:
    """An assignment ready for grading.

    Attributes
    ----------
    name : str
        E.g. ``"ex01_modules"`` (also the notebook's name).
    source_path : Path
        ``solutions/<name>/<name>.ipynb``.
    digest : str
        Hash of the source folder and the nbgrader config.
    master : dict
        The master notebook (nbformat 4 JSON): what nbgrader restores cells from.
    release : dict
        The student version (hidden tests removed).
    cells : list of MasterCell
        Its nbgrader cells, in order.
    solution_names : list of str
        Top-level names the solution cells define.
    siblings : dict
        Other assignment name -> set of its grade ids.
    files : dict
        Extra files of the assignment folder: relative path -> bytes.
    warnings : list of str
        Release-check findings (for example a stale ``exercises/``).
    """

    name: str
    source_path: Path
    digest: str
    master: dict[str, Any]
    release: dict[str, Any]
    cells: list[MasterCell]
    solution_names: list[str] = field(default_factory=list)
    siblings: dict[str, set[str]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def by_id(self) -> dict[str, MasterCell]:
        """Master cells by grade id."""
        return {c.grade_id: c for c in self.cells}

    @property
    def graded_cells(self) -> list[MasterCell]:
        """Grade cells in notebook order (the gradebook's columns)."""
        return [c for c in self.cells if c.grade]

    @property
    def max_total(self) -> float:
        """Points available."""
        return float(sum(c.points for c in self.graded_cells))

    @property
    def kernelspec(self) -> dict[str, Any] | None:
        """The source notebook's kernelspec (nbgrader's ``OverwriteKernelspec``)."""
        return self.master.get("metadata", {}).get("kernelspec")


def list_assignments(root: Path) -> list[str]:
    """Assignments in ``root/solutions`` (folders holding a notebook of the same name)."""
    solutions = Path(root) / "solutions"
    if not solutions.is_dir():
        return []
    return sorted(
        p.name for p in solutions.iterdir() if p.is_dir() and (p / f"{p.name}.ipynb").is_file()
    )


def _digest(folder: Path, config: Path) -> str:
    h = hashlib.sha256(f"v{CACHE_VERSION}".encode())
    for path in sorted(folder.rglob("*")):
        if path.is_file() and ".ipynb_checkpoints" not in path.parts:
            h.update(str(path.relative_to(folder)).encode())
            h.update(path.read_bytes())
    if config.is_file():
        h.update(config.read_bytes())
    return h.hexdigest()


def load_nbgrader_config(root: Path) -> Any:
    """The repository's ``nbgrader_config.py`` as a traitlets ``Config`` (empty if absent)."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(root) / "nbgrader_config.py"
    if not path.is_file():
        return Config()
    try:
        return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    except Exception as exc:
        raise AssignmentError(f"could not load {path}: {exc}") from exc


def _nbgrader_meta(cell: dict[str, Any]) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def compute_master(source: Path, name: str, config: Any) -> tuple[dict, dict]:
    """Run nbgrader's generate_assignment preprocessors on a source notebook.

    Parameters
    ----------
    source : Path
        The nbgrader source notebook.
    name : str
        Assignment (and notebook) name.
    config : traitlets.config.Config
        nbgrader configuration.

    Returns
    -------
    (master, release) : tuple of dict
        The master notebook (what the gradebook stores) and the student release.
    """
    import nbformat
    from nbgrader.preprocessors import (
        CheckCellMetadata,
        ClearHiddenTests,
        ClearMarkScheme,
        ClearOutput,
        ClearSolutions,
        ComputeChecksums,
        IncludeHeaderFooter,
        LockCells,
    )

    text = source.read_text(encoding="utf-8")
    if "AUTOTEST" in text:
        raise AssignmentError(
            f"{source} uses nbgrader AUTOTEST cells, which need a kernel to instantiate: "
            "run `nbgrader generate_assignment` and write the tests out"
        )
    nb = nbformat.reads(text, as_version=4)
    resources = {
        "nbgrader": {"assignment": name, "notebook": name},
        "metadata": {"path": str(source.parent)},
    }
    try:
        for step in (
            IncludeHeaderFooter,
            LockCells,
            ClearSolutions,
            ClearOutput,
            CheckCellMetadata,
            ComputeChecksums,
        ):
            nb, resources = step(config=config).preprocess(nb, resources)
        release = copy.deepcopy(nb)
        for step in (ClearHiddenTests, ClearMarkScheme, ComputeChecksums, CheckCellMetadata):
            release, resources = step(config=config).preprocess(release, resources)
    except Exception as exc:
        raise AssignmentError(f"nbgrader could not process {source}: {exc}") from exc
    return json.loads(nbformat.writes(nb)), json.loads(nbformat.writes(release))


def defined_names(sources: list[str]) -> list[str]:
    """Top-level names bound by some code (functions, classes, assignments, imports).

    Parameters
    ----------
    sources : list of str
        Cell sources (lines starting with ``%`` or ``!`` are ignored).

    Returns
    -------
    list of str
        Sorted names.
    """
    names: set[str] = set()
    for source in sources:
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        try:
            tree = ast.parse("\n".join(lines))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            else:
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                        names.add(sub.id)
    names.discard("*")
    return sorted(names)


def _master_cells(master: dict[str, Any]) -> list[MasterCell]:
    cells = []
    for index, cell in enumerate(master["cells"]):
        meta = _nbgrader_meta(cell)
        if "grade_id" not in meta:
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        cells.append(
            MasterCell(
                grade_id=meta["grade_id"],
                cell_type=cell["cell_type"],
                locked=bool(meta.get("locked")),
                grade=bool(meta.get("grade")),
                solution=bool(meta.get("solution")),
                task=bool(meta.get("task")),
                points=float(meta.get("points", 0) or 0),
                checksum=meta.get("checksum", ""),
                source=source,
                index=index,
                hidden="BEGIN HIDDEN TESTS" in source,
            )
        )
    return cells


def sibling_ids(root: Path, exclude: str) -> dict[str, set[str]]:
    """Grade ids of the other assignments in ``solutions/`` (read from cell metadata only)."""
    found: dict[str, set[str]] = {}
    for other in list_assignments(root):
        if other == exclude:
            continue
        path = Path(root) / "solutions" / other / f"{other}.ipynb"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            found[other] = {
                _nbgrader_meta(c)["grade_id"]
                for c in data.get("cells", [])
                if "grade_id" in _nbgrader_meta(c)
            }
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def release_warnings(root: Path, name: str, release: dict[str, Any]) -> list[str]:
    """Compare ``exercises/<name>/<name>.ipynb`` with the release ``solutions/`` generates."""
    path = Path(root) / "exercises" / name / f"{name}.ipynb"
    if not path.is_file():
        return [f"exercises/{name}/{name}.ipynb is missing: run `course release {name}`"]
    try:
        released = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [f"exercises/{name}/{name}.ipynb is unreadable ({exc}): run `course release {name}`"]

    def checksums(nb: dict[str, Any]) -> dict[str, str]:
        return {
            m["grade_id"]: m.get("checksum", "")
            for m in (_nbgrader_meta(c) for c in nb.get("cells", []))
            if "grade_id" in m
        }

    ours, theirs = checksums(release), checksums(released)
    if ours == theirs:
        return []
    changed = sorted(k for k in ours.keys() & theirs.keys() if ours[k] != theirs[k])
    added, removed = sorted(ours.keys() - theirs.keys()), sorted(theirs.keys() - ours.keys())
    parts = [
        f"{label}: {', '.join(ids)}"
        for label, ids in (("changed", changed), ("new", added), ("gone", removed))
        if ids
    ]
    return [
        f"exercises/{name} is out of date with solutions/{name} ({'; '.join(parts)}): students "
        f"may have an older version; run `course release {name}`"
    ]


def _cached_master(
    root: Path, source: Path, digest: str, workspace: Workspace
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(master, release, solution names) of a source notebook, from the workspace's cache
    when the digest matches, else computed with nbgrader and cached."""
    name = source.stem
    cache = workspace.assignment_dir(name) / "master.json"
    if cache.is_file():
        try:
            cached = json.loads(cache.read_text(encoding="utf-8"))
            if cached.get("digest") == digest:
                return cached["master"], cached["release"], cached["solution_names"]
        except (OSError, ValueError, KeyError):
            pass
    master, release = compute_master(source, name, load_nbgrader_config(root))
    raw = json.loads(source.read_text(encoding="utf-8"))
    solution_names = defined_names(
        [
            c["source"] if isinstance(c["source"], str) else "".join(c["source"])
            for c in raw.get("cells", [])
            if _nbgrader_meta(c).get("solution") and c.get("cell_type") == "code"
        ]
    )
    payload = {"digest": digest, "master": master, "release": release}
    atomic_write(cache, json.dumps({**payload, "solution_names": solution_names}))
    atomic_write(workspace.assignment_dir(name) / f"{name}.ipynb", json.dumps(master, indent=1))
    return master, release, solution_names


def load_assignment(root: Path | str, name: str, workspace: Workspace) -> Assignment:
    """Prepare an assignment for grading (cached in the workspace).

    Parameters
    ----------
    root : path
        The course repository.
    name : str
        The assignment, e.g. ``"ex01_modules"``.
    workspace : Workspace
        Where the computed master is cached.

    Returns
    -------
    Assignment
        Ready for sanitizing and scoring submissions.

    Raises
    ------
    AssignmentError
        If ``solutions/<name>/<name>.ipynb`` does not exist or nbgrader rejects it.
    """
    root = Path(root).resolve()
    folder = root / "solutions" / name
    source = folder / f"{name}.ipynb"
    if not source.is_file():
        available = ", ".join(list_assignments(root)) or "none"
        raise AssignmentError(
            f"unknown assignment {name!r}: expected {source} (available: {available})"
        )
    digest = _digest(folder, root / "nbgrader_config.py")
    master, release, solution_names = _cached_master(root, source, digest, workspace)
    files = {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix != ".ipynb" and ".ipynb_checkpoints" not in p.parts
    }
    cells = _master_cells(master)
    if not any(c.grade for c in cells):
        raise AssignmentError(f"{source} has no graded cells: nothing to grade")
    return Assignment(
        name=name,
        source_path=source,
        digest=digest,
        master=master,
        release=release,
        cells=cells,
        solution_names=solution_names,
        siblings=sibling_ids(root, name),
        files=files,
        warnings=release_warnings(root, name, release),
    )


def assignment_summary(assignment: Assignment) -> dict[str, Any]:
    """A JSON-friendly description (for reports)."""
    return {
        "name": assignment.name,
        "digest": assignment.digest,
        "max_total": assignment.max_total,
        "cells": [
            {k: v for k, v in asdict(c).items() if k != "source"} for c in assignment.graded_cells
        ],
    }
