"""Admit one submission: the release check, nbgrader's sanitizing and the integrity flags.

A :class:`~autograder.pipeline.intake.Submission` comes in; an :class:`Admitted` goes out,
holding either the sanitized notebook to execute or the reason it cannot be executed (a zero).
Nothing here runs student code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from autograder.assignments.master import Assignment
from autograder.pipeline import integrity
from autograder.pipeline.intake import Submission
from autograder.pipeline.sanitize import check_assignment, sanitize


@dataclass(frozen=True)
class Admitted:
    """A submission after the checks that need no execution.

    Attributes
    ----------
    submission : Submission
        As read by intake.
    notebook : NotebookNode or None
        The sanitized notebook (instructor cells restored), None when ``problem`` is set.
    problem : str or None
        Why it cannot be executed: unreadable, another assignment's notebook, no notebook...
    flags : tuple of str
        For the instructor's attention (late, suspicious code, reference imports...).
    notes : tuple of str
        Informational (cells restored, ...).
    """

    submission: Submission
    notebook: Any
    problem: str | None
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def student_id(self) -> str:
        """The student's id."""
        return self.submission.student_id


def lateness_flags(sub: Submission, due: datetime | None) -> list[str]:
    """``"late (marked late by the LMS)"`` and/or ``"late by 1 h 5 min"``, or nothing."""
    flags = ["late (marked late by the LMS)"] if sub.late else []
    if due is not None and sub.timestamp is not None and sub.timestamp > due:
        flags.append(f"late by {_duration(sub.timestamp - due)}")
    return flags


def admit(sub: Submission, assignment: Assignment, due: datetime | None = None) -> Admitted:
    """Check and sanitize one submission.

    Parameters
    ----------
    sub : Submission
        As read by intake (possibly with a ``problem`` already).
    assignment : Assignment
        The assignment it was submitted to.
    due : datetime, optional
        The deadline (later timestamps are flagged).

    Returns
    -------
    Admitted
        The sanitized notebook, or the reason there is nothing to execute.
    """
    flags = [*sub.flags, *lateness_flags(sub, due)]
    problem = sub.problem
    if problem is None and sub.notebook is not None:
        problem = check_assignment(sub.notebook, assignment)
    if problem is not None or sub.notebook is None:
        return Admitted(sub, None, problem or "no notebook", tuple(flags))
    notebook, report = sanitize(sub.notebook, assignment)
    flags += report.flags
    flags += [
        f"imports the reference implementation: {finding}"
        for finding in integrity.reference_imports(notebook, assignment.name)
    ]
    flags += integrity.suspicious_cells(notebook)
    return Admitted(sub, notebook, None, tuple(flags), tuple(report.notes))


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    parts = [f"{days} d"] if days else []
    if hours or days:
        parts.append(f"{hours} h")
    parts.append(f"{rest // 60} min")
    return " ".join(parts)
