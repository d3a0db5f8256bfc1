"""Deprecated: the course site is built by :mod:`course_site` (Sphinx + MyST-NB).

This module only keeps the old names working while callers move: ``course build-html`` and
``tests/lectures/test_execute.py`` import from here. Use instead::

    from course_site.execute import execute_notebook, kernel_env
    from course_site.book import build_site        # or: python -m course_site site
"""

from __future__ import annotations

from pathlib import Path

from course_site.execute import execute_notebook, kernel_env
from course_site.layout import Course

__all__ = ["build_html", "execute_notebook", "kernel_env"]


def build_html(
    out_dir: Path = Path("site"),
    lectures_dir: Path | None = None,
    *,
    timeout: int = 600,
    progress: bool = True,
) -> Path:
    """Build the course site with :func:`course_site.book.build_site`; return its home page.

    Parameters
    ----------
    out_dir : Path
        Output folder.
    lectures_dir : Path, optional
        The ``lectures/`` folder of the course to build (default: this checkout's).
    timeout : int
        Seconds allowed per cell.
    progress : bool
        Show progress bars.

    Returns
    -------
    Path
        ``out_dir / "index.html"``.
    """
    from course_site.book import build_site

    course = Course.find(Path(lectures_dir).resolve().parent if lectures_dir else None)
    return build_site(out_dir, course=course, timeout=timeout, progress=progress).index
