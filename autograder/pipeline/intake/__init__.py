"""Intake: find every student's notebook in what the instructor was given, and read it safely.

Accepted layouts (``SUBMISSIONS`` may be any of them, or a ``.zip`` holding one):

- nbgrader's tree: ``<student>/<ex>/<ex>.ipynb`` (``timestamp.txt`` and extra files beside it;
  an nbgrader course folder with ``submitted/`` works too);
- a flat folder of ``<student>.ipynb``;
- LMS exports: Canvas (``name[_LATE]_<userid>_<subid>_<file>.ipynb``, late flag honoured) and
  Moodle (``Full Name_<id>_assignsubmission_file_/<file>.ipynb``).

Nothing here raises on bad input: every oddity becomes either a *problem* (the notebook cannot
be graded: the student gets a zero with that reason, unless an earlier grade exists) or a
*flag* (graded, but the instructor should know): empty files, malformed JSON, non-UTF-8 text,
nbformat 3, renamed notebooks, missing or empty student folders, duplicate students.
"""

from __future__ import annotations

from .archives import CORRUPT_SUFFIX, MAX_ZIP_BYTES, MAX_ZIP_MEMBERS, extract_zip
from .discover import discover, resolve_duplicates, special_file
from .read import collect, read_notebook
from .submission import (
    MAX_EXTRA_BYTES,
    MAX_EXTRA_FILES,
    MAX_NOTEBOOK_BYTES,
    IntakeError,
    Submission,
    now_utc,
    roster_ids,
    safe_student_id,
)

__all__ = [
    "CORRUPT_SUFFIX",
    "IntakeError",
    "MAX_EXTRA_BYTES",
    "MAX_EXTRA_FILES",
    "MAX_NOTEBOOK_BYTES",
    "MAX_ZIP_BYTES",
    "MAX_ZIP_MEMBERS",
    "Submission",
    "collect",
    "discover",
    "extract_zip",
    "now_utc",
    "read_notebook",
    "resolve_duplicates",
    "roster_ids",
    "safe_student_id",
    "special_file",
]
