"""Build the course site with Sphinx, MyST-NB and the Sphinx Book Theme (Jupyter Book 1's stack).

Jupyter Book 1 is a thin layer over exactly these packages (and is in maintenance mode; Jupyter
Book 2 needs Node.js); driving Sphinx directly keeps the configuration in one function,
:func:`sphinx_config`, and installs from PyPI alone (``pip install -e '.[site]'``).

:func:`build_site` stages a book in ``build/course_site/book/``, runs Sphinx on it into
``build/course_site/html/`` and copies the result to the output folder (``site/``):

- ``lectures/``: every lecture executed once (cached by a hash of the notebook and of
  ``course_lib``, so an unchanged lecture is not run again), widgets replaced by static
  snapshots, the part heading made the page title, the part's podcast episode on top;
- ``exercises/``: the student release, refused if it holds a solution or hidden test;
- ``glossary.md`` from the flashcards, ``podcast.md`` with a player per episode, ``feed.xml``;
- MathJax from ``jupyter-server-mathjax`` in ``_static/mathjax``: no page loads anything from
  the network.

Nothing is written into ``lectures/`` or ``exercises/``.

>>> result = build_site()               # doctest: +SKIP
>>> result.index                        # doctest: +SKIP
PosixPath('.../site/index.html')
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbclient.exceptions import CellExecutionError

from course_site import pages
from course_site.execute import execute_cached, kernel_env
from course_site.layout import Course
from course_site.mathjax import CONFIG_FILE, config_script, copy_mathjax
from course_site.podcast.feed import DEFAULT_BASE_URL, FEED_NAME
from course_site.widgets import WIDGET_CSS, snapshot_widgets

__all__ = [
    "DEFAULT_TITLE",
    "LectureFailed",
    "SiteResult",
    "build_site",
    "require_book_tool",
    "sphinx_config",
]

#: The site's title.
DEFAULT_TITLE = "Deep Feedforward Networks"
_MARKER = ".course_site"
#: Typeset the maths in search results too (Sphinx inserts them after MathJax has run).
_JS = """
document.addEventListener("DOMContentLoaded", function () {
  var results = document.getElementById("search-results");
  if (!results || !window.MutationObserver) return;
  var timer = null;
  var observer = new MutationObserver(function () {
    if (!window.MathJax || !window.MathJax.Hub) return;
    clearTimeout(timer);
    // typesetting changes the results too: the next round finds nothing new and stops
    timer = setTimeout(function () { MathJax.Hub.Queue(["Typeset", MathJax.Hub, results]); }, 150);
  });
  observer.observe(results, {childList: true, subtree: true});
});
"""
_CSS = (
    WIDGET_CSS
    + """
.course-podcast { border-left: 4px solid #6c8ebf; background: #f4f7fb; padding: 0.4rem 0.8rem;
  margin: 0.5rem 0 1rem; border-radius: 3px; }
.course-podcast-label { margin: 0 0 0.3rem; font-size: 0.9em; }
audio.course-audio { width: 100%; max-width: 36rem; }
details.course-transcript { margin: 0.5rem 0 1.5rem; }
details.course-transcript summary { cursor: pointer; color: #555; }
"""
)


class LectureFailed(RuntimeError):
    """A lecture cell raised: the message names the notebook and shows the cell and error."""


@dataclass(frozen=True)
class SiteResult:
    """What :func:`build_site` made.

    Attributes
    ----------
    out_dir : Path
        The site (open ``index.html``).
    lectures : list of str
        Lecture pages, e.g. ``"lectures/01_from_linear_to_deep"``, in order.
    exercises : list of str
        Exercise pages.
    episodes : list of str
        Parts with a podcast episode.
    executed : list of str
        Lectures executed in this build (the others came from the cache).
    warnings : list of str
        Sphinx's warnings.
    seconds : float
    """

    out_dir: Path
    lectures: list[str]
    exercises: list[str]
    episodes: list[str]
    executed: list[str]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def index(self) -> Path:
        """The home page."""
        return self.out_dir / "index.html"


def require_book_tool() -> None:
    """Check that Sphinx, MyST-NB and the book theme are importable.

    Raises
    ------
    ModuleNotFoundError
        Naming the missing package and the install command.
    """
    for module, package in (
        ("sphinx", "sphinx"),
        ("myst_nb", "myst-nb"),
        ("sphinx_book_theme", "sphinx-book-theme"),
    ):
        try:
            __import__(module)
        except ModuleNotFoundError:
            raise ModuleNotFoundError(
                f"the course site needs {package} (Sphinx + MyST-NB + the book theme): "
                "pip install -e '.[site]'"
            ) from None


def sphinx_config(title: str) -> dict[str, Any]:
    """The Sphinx configuration of the book (written to its ``conf.py``).

    Parameters
    ----------
    title : str

    Returns
    -------
    dict
    """
    return {
        "project": title,
        "author": "the course team",
        "copyright": "the course team, MIT licence",
        "extensions": ["myst_nb", "sphinx.ext.mathjax"],
        "exclude_patterns": ["_build", "_extra", "**.ipynb_checkpoints", "conf.py"],
        "nb_execution_mode": "off",
        "nb_merge_streams": True,
        "myst_enable_extensions": ["dollarmath", "amsmath", "colon_fence", "deflist", "html_image"],
        "myst_update_mathjax": False,
        "myst_heading_anchors": 3,
        "suppress_warnings": ["myst.header", "misc.highlighting_failure"],
        "html_theme": "sphinx_book_theme",
        "html_title": title,
        "html_static_path": ["_static"],
        "html_extra_path": ["_extra"],
        "html_css_files": ["course.css"],
        "html_js_files": ["course.js"],
        "html_last_updated_fmt": "%Y-%m-%d",
        "html_theme_options": {
            "home_page_in_toc": True,
            "show_navbar_depth": 1,
            "show_toc_level": 2,
            "use_download_button": True,
            "use_fullscreen_button": False,
            "search_bar_text": "Search the course...",
        },
        "mathjax_path": f"mathjax/MathJax.js?config={CONFIG_FILE}",
        "mathjax_config_path": "mathjax_config.js",
        "mathjax_options": {"async": "async"},
    }


def _write_conf(src: Path, title: str) -> None:
    lines = ['"""Sphinx configuration of the course site (generated by course_site.book)."""', ""]
    lines += [f"{key} = {value!r}" for key, value in sphinx_config(title).items()]
    lines += [
        "",
        "",
        "def setup(app):",
        "    # MathJax on every page: maths can also sit in raw HTML (widget snapshots)",
        '    app.set_html_assets_policy("always")',
        "",
    ]
    (src / "conf.py").write_text("\n".join(lines), encoding="utf-8")
    (src / "mathjax_config.js").write_text(config_script(), encoding="utf-8")


def _fresh_stage(src: Path) -> Path:
    """An empty staging folder, keeping only the MathJax copy (10 MB, version-stamped)."""
    mathjax = src / "_static" / "mathjax"
    keep = src.parent / ".mathjax-keep"
    if keep.exists():
        shutil.rmtree(keep)
    if mathjax.is_dir():
        mathjax.rename(keep)
    if src.exists():
        shutil.rmtree(src)
    (src / "_static").mkdir(parents=True)
    (src / "_extra").mkdir()
    if keep.is_dir():
        keep.rename(mathjax)
    copy_mathjax(mathjax)
    (src / "_static" / "course.css").write_text(_CSS, encoding="utf-8")
    (src / "_static" / "course.js").write_text(_JS, encoding="utf-8")
    return src


def _stage_podcast(
    course: Course, src: Path, base_url: str, engine: Any, progress: bool
) -> dict[str, Any]:
    """Build the changed episodes, copy all of them and the feed into the site."""
    from course_site.podcast import build_podcast, write_feed

    result = build_podcast(course, engine=engine, base_url=base_url, progress=progress)
    target = src / "_extra" / "podcast"
    target.mkdir(parents=True)
    episodes = {}
    for episode in result.episodes:
        for name in (episode.audio, episode.transcript):
            shutil.copy2(result.folder / name, target / name)
        episodes[episode.part] = episode
    write_feed(list(episodes.values()), src / "_extra" / FEED_NAME, base_url=base_url)
    if result.missing:
        names = ", ".join(result.missing)
        print(
            f"course site: no podcast script yet for {names} (lectures/podcast/)", file=sys.stderr
        )
    return episodes


def _stage_lectures(
    course: Course, src: Path, episodes: dict[str, Any], timeout: int, progress: bool
) -> tuple[list[tuple[str, str]], list[str]]:
    """Execute (or reuse) each lecture and write its page notebook. Returns pages, executed."""
    from tqdm.auto import tqdm

    notebooks = course.lecture_notebooks()
    if not notebooks:
        raise FileNotFoundError(f"no lecture notebooks (NN_topic.ipynb) in {course.lectures}")
    (src / "lectures").mkdir()
    staged, executed = [], []
    with tempfile.TemporaryDirectory(prefix="course-site-") as tmp:
        env = kernel_env(Path(tmp) / "quiz_progress.json", root=course.root)
        bar = tqdm(notebooks, desc="lectures", unit="notebook", disable=not progress)
        for path in bar:
            bar.set_postfix_str(path.name, refresh=True)
            try:
                nb, _, cached = execute_cached(
                    path,
                    course.build / "executed",
                    timeout=timeout,
                    env=env,
                    library=course.root / "course_lib",
                    kernel_log=course.build / "kernels.log",
                )
            except CellExecutionError as err:
                raise LectureFailed(f"lecture {path.name} failed to execute:\n{err}") from None
            if not cached:
                executed.append(path.stem)
            snapshot_widgets(nb)
            pages.myst_anchors(nb)
            title = pages.retitle(nb) or path.stem
            if path.stem in episodes:
                nb.cells.insert(1, pages.audio_cell(episodes[path.stem]))
            nbformat.write(nb, src / "lectures" / path.name)
            staged.append((f"lectures/{path.stem}", title))
    return staged, executed


def _stage_exercises(course: Course, src: Path) -> list[str]:
    docs = []
    for path in course.exercise_notebooks():
        folder = src / "exercises" / path.parent.name
        folder.mkdir(parents=True)
        nbformat.write(pages.exercise_page(path), folder / path.name)
        docs.append(f"exercises/{path.parent.name}/{path.stem}")
    return docs


def _stage_pages(
    src: Path,
    root: Path,
    title: str,
    lectures: Sequence[tuple[str, str]],
    exercises: Sequence[str],
    episodes: dict[str, Any],
    podcast: bool,
) -> None:
    cards = pages.load_cards(root / "course_lib" / "quiz" / "flashcards.json")
    (src / "glossary.md").write_text(pages.glossary_page(cards), encoding="utf-8")
    if podcast:
        transcripts = {
            part: (src / "_extra" / "podcast" / e.transcript).read_text(encoding="utf-8")
            for part, e in episodes.items()
        }
        parts = {doc.split("/", 1)[1] for doc, _ in lectures}
        text = pages.podcast_page(list(episodes.values()), transcripts, parts)
        (src / "podcast.md").write_text(text, encoding="utf-8")
    home = pages.home_page(title, lectures, exercises, podcast)
    (src / "index.md").write_text(home, encoding="utf-8")


def _stage_book(
    course: Course,
    title: str,
    timeout: int,
    podcast: bool,
    base_url: str,
    engine: Any,
    progress: bool,
) -> tuple[Path, dict[str, list[str]]]:
    """Stage the book's source: the podcast, the lectures, the exercises, the pages, ``conf.py``.

    Returns the source folder (``build/course_site/book/``) and what it holds, as the
    :class:`SiteResult` fields ``lectures``, ``exercises``, ``episodes`` and ``executed``.
    """
    src = _fresh_stage(course.build / "book")
    episodes = _stage_podcast(course, src, base_url, engine, progress) if podcast else {}
    lectures, executed = _stage_lectures(course, src, episodes, timeout, progress)
    exercises = _stage_exercises(course, src)
    _stage_pages(src, course.root, title, lectures, exercises, episodes, podcast)
    _write_conf(src, title)
    return src, {
        "lectures": [doc for doc, _ in lectures],
        "exercises": list(exercises),
        "episodes": sorted(episodes),
        "executed": executed,
    }


def _run_sphinx(src: Path, build: Path, progress: bool) -> tuple[Path, list[str]]:
    """Run Sphinx's HTML builder into ``build/html``; return it and the warnings (echoed).

    MyST-NB writes output images next to Sphinx's output folder (``../jupyter_execute``), so
    Sphinx builds inside the build folder and :func:`_publish` copies the result out.
    """
    from sphinx.application import Sphinx

    html, warnings = build / "html", io.StringIO()
    if html.exists():
        shutil.rmtree(html)
    app = Sphinx(
        str(src),
        str(src),
        str(html),
        str(build / "doctrees"),
        "html",
        status=sys.stdout if progress else None,
        warning=warnings,
        freshenv=True,
        keep_going=True,
    )
    app.build()
    text = re.sub(r"\x1b\[[0-9;]*m", "", warnings.getvalue())
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:
        print(line, file=sys.stderr)
    if app.statuscode:
        raise RuntimeError(f"Sphinx failed to build the site (status {app.statuscode})")
    return html, lines


def _publish(html: Path, out: Path) -> None:
    """Copy the built site to ``out``, replacing a previous build of ours (marked)."""
    if (out / _MARKER).is_file():
        shutil.rmtree(out)
    shutil.copytree(html, out, dirs_exist_ok=True)
    (out / _MARKER).write_text("built by course_site.book\n", encoding="utf-8")


def build_site(
    out_dir: Path | None = None,
    *,
    course: Course | None = None,
    timeout: int = 600,
    podcast: bool = True,
    base_url: str = DEFAULT_BASE_URL,
    engine: Any = None,
    title: str = DEFAULT_TITLE,
    progress: bool = True,
) -> SiteResult:
    """Build the course site.

    Parameters
    ----------
    out_dir : Path, optional
        Where the HTML goes (default ``<root>/site``). A previous build there is replaced.
    course : Course, optional
        Default: the checkout this package is in.
    timeout : int
        Seconds allowed per notebook cell.
    podcast : bool
        Build (changed) episodes and add the podcast page, players and feed.
    base_url : str
        The site's public address, for the feed's absolute enclosure URLs.
    engine : SpeechEngine, optional
        For the podcast (default: found when an episode must be synthesised).
    title : str
    progress : bool
        Progress bars and Sphinx's messages.

    Returns
    -------
    SiteResult

    Raises
    ------
    ModuleNotFoundError, FileNotFoundError
        If the book tool is not installed (see :func:`require_book_tool`), or there is no
        lecture notebook.
    LectureFailed
        If a lecture cell fails (the message names the notebook and the cell).
    course_site.pages.ReleaseLeak
        If an exercise holds a solution or hidden test.
    """
    start = time.perf_counter()
    require_book_tool()
    course = course or Course.find()
    out = Path(out_dir or course.root / "site").resolve()
    src, staged = _stage_book(course, title, timeout, podcast, base_url, engine, progress)
    html, warnings = _run_sphinx(src, course.build, progress)
    _publish(html, out)
    return SiteResult(out_dir=out, warnings=warnings, seconds=time.perf_counter() - start, **staged)
