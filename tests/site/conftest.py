"""Fixtures of the course-site tests: the speech engine, the podcast and the site, built once.

The real course is built (all lectures, exercises, flashcards and podcast scripts of this
checkout) into a temporary folder shared by the pytest-xdist workers of one run, under a file
lock, so the podcast and the site are made once per test session whichever worker gets there
first (``tests/browser/conftest.py`` uses the same folder, lock and record). Tests that need a
tool skip, saying what to install, when it is missing:

- the podcast: eSpeak NG (``pip install -e '.[site]'`` brings the ``espeakng-loader`` wheel, or
  ``apt-get install espeak-ng``), ``soundfile`` and ``mutagen``;
- the site: Sphinx, MyST-NB and the Sphinx Book Theme (the ``site`` extra).
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from course_site.layout import Course

REPO = Path(__file__).resolve().parents[2]
SITE_EXTRA = "pip install -e '.[site]'"


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created) while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``course-site`` in the temporary folder that all xdist workers of this run share."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent
    return base / "course-site"


@pytest.fixture(scope="session")
def course() -> Course:
    """This checkout (its sources: lectures, exercises, podcast scripts, flashcards)."""
    return Course.find(REPO)


@pytest.fixture(scope="session")
def shared_course(course: Course, tmp_path_factory: pytest.TempPathFactory) -> Course:
    """The course of this checkout, building into the run's shared folder."""
    return dataclasses.replace(course, build=shared_folder(tmp_path_factory) / "build")


@pytest.fixture(scope="session")
def engine():
    """An eSpeak NG engine, or a skip that says how to install one."""
    from course_site.podcast.engine import EngineMissing, find_engine

    pytest.importorskip("soundfile", reason=f"the podcast needs soundfile ({SITE_EXTRA})")
    pytest.importorskip("mutagen", reason=f"the podcast needs mutagen ({SITE_EXTRA})")
    try:
        return find_engine()
    except EngineMissing as err:
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def podcast(shared_course: Course, engine, tmp_path_factory):
    """Every episode of the course, synthesised once per run (the site build reuses them)."""
    from course_site.podcast import build_podcast

    pytest.importorskip("feedgen", reason=f"the podcast feed needs feedgen ({SITE_EXTRA})")
    with locked(shared_folder(tmp_path_factory) / "build.lock"):
        return build_podcast(shared_course, engine=engine, progress=False)


@pytest.fixture(scope="session")
def site(shared_course: Course, podcast, tmp_path_factory):
    """The course site, built once per run; ``site.out_dir`` is the HTML folder."""
    from course_site.book import SiteResult, build_site, require_book_tool

    try:
        require_book_tool()
    except ModuleNotFoundError as err:
        pytest.skip(str(err))
    folder = shared_folder(tmp_path_factory)
    record = folder / "site.json"
    with locked(folder / "build.lock"):
        if record.is_file():
            data = json.loads(record.read_text(encoding="utf-8"))
            return SiteResult(**{**data, "out_dir": Path(data["out_dir"])})
        with warnings.catch_warnings():  # Sphinx 9 deprecation notes about its extensions
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            result = build_site(folder / "site", course=shared_course, progress=False)
        data = {**dataclasses.asdict(result), "out_dir": str(result.out_dir)}
        record.write_text(json.dumps(data), encoding="utf-8")
        return result
