"""One student's submission as intake finds it, and the rules for student ids."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: Largest notebook accepted.
MAX_NOTEBOOK_BYTES = 50 * 2**20


#: Extra files copied into the sandbox with a notebook: at most this many, this large in total.
MAX_EXTRA_FILES = 50


MAX_EXTRA_BYTES = 20 * 2**20


class IntakeError(ValueError):
    """The submissions path itself is unusable (missing, not a folder or zip)."""


@dataclass
class Submission:
    """One student's submission, as found and read.

    Attributes
    ----------
    student_id : str
        Safe identifier (letters, digits, ``._-``).
    origin : str
        Where it came from, relative to the submissions folder (for messages).
    path : Path or None
        The notebook file.
    notebook : dict or None
        nbformat 4 notebook (a ``NotebookNode``), None when it could not be read.
    sha256 : str
        Hash of the file's bytes (empty when there is no file).
    timestamp : datetime or None
        Submission time (nbgrader ``timestamp.txt``), timezone-aware UTC.
    late : bool
        The LMS marked it late.
    problem : str or None
        Why it cannot be graded (a zero), if so.
    flags : list of str
        Oddities worth the instructor's attention (it is still graded).
    extra_files : dict
        Other files submitted beside the notebook: relative path -> bytes.
    mtime : float
        The file's modification time (for picking the newest of duplicates).
    display_name : str or None
        The LMS display name, when the id came from a Canvas or Moodle export.
    lms_system, lms_id : str or None
        ``"canvas"`` or ``"moodle"`` and the LMS's numeric user (Canvas) or participant
        (Moodle) id, for exporting grades back (``course export --format canvas``).
    """

    student_id: str
    origin: str
    path: Path | None = None
    notebook: Any = None
    sha256: str = ""
    timestamp: datetime | None = None
    late: bool = False
    problem: str | None = None
    flags: list[str] = field(default_factory=list)
    extra_files: dict[str, bytes] = field(default_factory=dict)
    mtime: float = 0.0
    display_name: str | None = None
    lms_system: str | None = None
    lms_id: str | None = None


def safe_student_id(raw: str) -> str:
    """Turn a folder or file name into a safe student id.

    Parameters
    ----------
    raw : str
        E.g. ``"Ada Lovelace"`` or ``"../../etc"``.

    Returns
    -------
    str
        E.g. ``"Ada_Lovelace"``; ``"unknown"`` if nothing usable is left.
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("._-")
    return cleaned[:80] or "unknown"


def roster_ids(path: Path | str) -> list[str]:
    """Student ids from a roster file: one per line, or a CSV with a ``student_id`` column."""
    text = Path(path).read_text(encoding="utf-8-sig")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return []
    if "," in lines[0]:
        import csv

        rows = list(csv.DictReader(lines))
        key = next((k for k in rows[0] if k and k.strip().lower() in ("student_id", "id")), None)
        if key is None:
            raise IntakeError(f"{path}: expected a 'student_id' column, got {list(rows[0])}")
        return [safe_student_id(r[key]) for r in rows if r.get(key)]
    return [safe_student_id(ln) for ln in lines if not ln.startswith("#")]


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)
