"""Read each found notebook safely (size, encoding, nbformat, metadata) and pick one per student."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from .discover import discover, resolve_duplicates
from .submission import MAX_NOTEBOOK_BYTES, Submission


def _decode(raw: bytes) -> tuple[str, str | None]:
    """Decode notebook bytes: UTF-8 (BOM allowed), UTF-16 with a BOM, else cp1252/latin-1."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "UTF-8 with a byte-order mark"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "UTF-16"
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        position = exc.start
    for encoding in ("cp1252", "latin-1"):
        try:
            return raw.decode(
                encoding
            ), f"not UTF-8 (invalid byte at {position}), read as {encoding}"
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")


def read_notebook(sub: Submission) -> Submission:
    """Read and parse the submission's notebook into ``sub.notebook`` (or set a problem).

    Parameters
    ----------
    sub : Submission
        With ``path`` set.

    Returns
    -------
    Submission
        The same object, updated.
    """
    if sub.problem or sub.path is None:
        return sub
    try:
        raw = sub.path.read_bytes()
    except OSError as exc:
        sub.problem = f"could not read {sub.origin}: {exc.strerror or exc}"
        return sub
    sub.sha256 = hashlib.sha256(raw).hexdigest()
    if len(raw) > MAX_NOTEBOOK_BYTES:
        sub.problem = f"file too large: {len(raw) / 2**20:.0f} MB (limit 50 MB)"
        return sub
    if not raw.strip():
        sub.problem = f"empty file ({len(raw)} bytes): nothing was submitted"
        return sub
    text, encoding_note = _decode(raw)
    if encoding_note and not encoding_note.startswith("UTF-8 with"):
        sub.flags.append(f"file encoding: {encoding_note}")
    data, sub.problem = _load_json(text)
    if sub.problem:
        return sub
    major = data.get("nbformat")
    try:
        nb = _parse_cells(text, sub.flags)
    except Exception as exc:
        sub.problem = f"not a valid notebook: {type(exc).__name__}: {exc}"
        return sub
    if major == 3:
        sub.flags.append("converted from nbformat 3 (saved by a very old Jupyter)")
    sub.notebook = nb
    return sub


def _load_json(text: str) -> tuple[Any, str | None]:
    """The notebook's JSON, or the reason it is not a notebook nbformat 3 or 4 can read."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " (is it a notebook?)" if exc.pos == 0 else ""
        return None, (
            f"malformed notebook JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}{hint}"
        )
    except (RecursionError, MemoryError) as exc:
        return None, f"notebook JSON nested too deeply or too large to read ({type(exc).__name__})"
    if not isinstance(data, dict) or not ("cells" in data or "worksheets" in data):
        return None, f"not a Jupyter notebook: the JSON is a {type(data).__name__} without 'cells'"
    if data.get("nbformat") not in (3, 4):
        return None, f"unsupported notebook format nbformat={data.get('nbformat')!r} (expected 4)"
    return data, None


def _parse_cells(text: str, flags: list[str]) -> Any:
    """nbformat 4 notebook with checked cells and normalized nbgrader metadata (flags added)."""
    import nbformat

    nb = nbformat.reads(text, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise ValueError(f"unknown cell type {cell.get('cell_type')!r}")
        if not isinstance(cell.get("source"), str):
            raise ValueError("a cell has no text source")
        flags += _normalize_metadata(cell, index)
        if cell.cell_type == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
    return nb


def _normalize_metadata(cell: Any, index: int) -> list[str]:
    """Make a cell's metadata safe to read: a mapping, with a mapping under ``nbgrader`` and
    numeric points. What was wrong is returned as flags (the release check restores the
    instructor's metadata of every known cell afterwards)."""
    from nbformat import NotebookNode

    flags = []
    if not isinstance(cell.get("metadata"), dict):
        cell["metadata"] = NotebookNode()
        flags.append(f"cell {index}: metadata was not a mapping: ignored")
    meta = cell["metadata"]
    if "nbgrader" in meta and not isinstance(meta["nbgrader"], dict):
        del meta["nbgrader"]
        flags.append(f"cell {index}: nbgrader metadata was not a mapping: ignored")
    grader = meta.get("nbgrader")
    if isinstance(grader, dict) and "points" in grader:
        points = grader["points"]
        if isinstance(points, bool) or not isinstance(points, int | float):
            try:
                grader["points"] = float(str(points)[:50])
                if not math.isfinite(grader["points"]):
                    raise ValueError
            except ValueError:
                del grader["points"]
                flags.append(f"cell {index}: points {str(points)[:20]!r} is not a number: ignored")
    return flags


def collect(source: Path | str, exercise: str, intake_dir: Path) -> list[Submission]:
    """Discover, de-duplicate and read every submission.

    Parameters
    ----------
    source : path
        Folder, zip or notebook.
    exercise : str
        The assignment.
    intake_dir : Path
        Where zips are extracted.

    Returns
    -------
    list of Submission
        One per student, each with a notebook or a problem.
    """
    return [_read_safely(s) for s in resolve_duplicates(discover(source, exercise, intake_dir))]


def _read_safely(sub: Submission) -> Submission:
    """:func:`read_notebook`, with any unforeseen failure made this submission's problem."""
    try:
        return read_notebook(sub)
    except Exception as exc:  # one file never stops the intake of the others
        sub.notebook = None
        sub.problem = f"could not read {sub.origin}: {type(exc).__name__}: {str(exc)[:200]}"
        return sub
