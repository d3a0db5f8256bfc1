"""The course site built from this checkout: pages, navigation, search, exercises, podcast.

The ``site`` fixture builds it once per run (Sphinx + MyST-NB; the lectures executed once);
the tests read the HTML. Rendering in a browser, maths included, is tested in
``tests/browser/test_site_browser.py``. Skips, saying what to install, without the ``site``
extra or a speech engine.
"""

from __future__ import annotations

import dataclasses
import html
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from course_site.layout import Course, part_number
from course_site.pages import LEAK_MARKERS, load_cards
from course_site.widgets import WIDGET_NOTE

pytestmark = pytest.mark.xdist_group("course_site")

TEXT_SUFFIXES = {".html", ".txt", ".ipynb", ".js", ".md", ".xml", ".json"}


def _page(site, name: str) -> str:
    return (site.out_dir / name).read_text(encoding="utf-8")


def _text_files(site) -> list[Path]:
    return [
        p
        for p in site.out_dir.rglob("*")
        if p.is_file() and p.suffix in TEXT_SUFFIXES and "mathjax" not in p.parts
    ]


def _visible(page: str) -> str:
    """The text of an HTML page: tags removed (so highlighted code reads as written)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_every_page_is_built(site, course: Course) -> None:
    for name in ("index.html", "glossary.html", "podcast.html", "search.html", "searchindex.js"):
        assert (site.out_dir / name).is_file(), name
    assert site.lectures == [f"lectures/{p.stem}" for p in course.lecture_notebooks()]
    for doc in site.lectures + site.exercises:
        assert (site.out_dir / f"{doc}.html").is_file(), doc
    assert len(site.exercises) == len(course.exercise_notebooks())


def test_sphinx_reports_no_warning(site) -> None:
    assert site.warnings == [], "\n".join(site.warnings)


def test_home_page_links_the_lectures_in_order(site, course: Course) -> None:
    index = _page(site, "index.html")
    links = re.findall(r'href="(lectures/[0-9]{2}_[^"#]+\.html)"', index)
    ordered = list(dict.fromkeys(links))
    assert ordered == [f"lectures/{p.stem}.html" for p in course.lecture_notebooks()]
    for ex in site.exercises:
        assert f'href="{ex}.html"' in index, ex


def test_lecture_pages_have_titles_and_next_links(site, course: Course) -> None:
    pages = course.lecture_notebooks()
    for page, following in zip(pages, pages[1:], strict=False):
        text = _page(site, f"lectures/{page.stem}.html")
        title = re.search(r"<title>(.*?)</title>", text, re.S).group(1)
        if (part_number(page.stem) or 0) >= 1:
            assert title.startswith(f"Part {part_number(page.stem)} "), title
        assert re.search(rf'class="right-next"\s+href="{following.stem}\.html"', text), page.stem


def test_search_index_covers_every_page(site) -> None:
    index = _page(site, "searchindex.js")
    for doc in site.lectures + site.exercises + ["glossary", "podcast"]:
        assert f'"{doc}"' in index, doc
    assert "backpropag" in index


def test_plots_are_images_and_widgets_are_snapshots(site) -> None:
    first = _page(site, f"{site.lectures[1]}.html")
    images = re.findall(r'<img[^>]+src="([^"]+)"', first)
    files = [src for src in images if not src.startswith("data:")]
    assert files, "the lecture's plots should be image files"
    for src in files:
        assert (site.out_dir / "lectures" / src).resolve().is_file(), src
    assert WIDGET_NOTE in first
    for doc in site.lectures:
        text = _page(site, f"{doc}.html")
        assert "widget-view+json" not in text and "widget-state+json" not in text, doc


def test_pages_load_nothing_from_the_network(site) -> None:
    pattern = re.compile(r'<(?:script|link|img|audio|source)[^>]+(?:src|href)="(https?:)?//', re.I)
    for path in site.out_dir.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        found = pattern.search(text)
        assert not found, f"{path.relative_to(site.out_dir)} loads {found.group(0)!r}"
    lecture = _page(site, f"{site.lectures[1]}.html")
    assert 'src="../_static/mathjax/MathJax.js?config=' in lecture
    assert (site.out_dir / "_static" / "mathjax" / "MathJax.js").is_file()


def _hidden_lines(solutions: Path) -> set[str]:
    """Distinctive lines of every solution and hidden-test block of the source notebooks."""
    found: set[str] = set()
    for path in solutions.glob("*/*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            inside = False
            for line in cell.source.splitlines():
                if any(m in line for m in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS")):
                    inside = True
                elif any(m in line for m in ("END SOLUTION", "END HIDDEN TESTS")):
                    inside = False
                elif inside and len(line.strip()) >= 24 and not line.strip().startswith("#"):
                    found.add(line.strip())
    return found


def test_exercises_hold_no_solution_and_no_hidden_test(site, course: Course) -> None:
    public = course.exercise_notebooks() + course.lecture_notebooks()
    # the cells' text, not the notebooks' JSON (which escapes quotes and backslashes)
    shown = "\n".join(c.source for p in public for c in nbformat.read(p, as_version=4).cells)
    secret = {line for line in _hidden_lines(course.root / "solutions") if line not in shown}
    assert secret, "found no solution lines to look for"
    for path in _text_files(site):
        text = path.read_text(encoding="utf-8", errors="replace")
        readable = _visible(text) if path.suffix == ".html" else text
        for marker in LEAK_MARKERS:
            assert marker not in readable, f"{path.relative_to(site.out_dir)} contains {marker!r}"
        leaked = [line for line in secret if line in readable]
        assert not leaked, f"{path.relative_to(site.out_dir)} shows solution code: {leaked[:3]}"


def test_glossary_has_every_flashcard(site, course: Course) -> None:
    text = _page(site, "glossary.html")
    cards = load_cards(course.root / "course_lib" / "quiz" / "flashcards.json")
    terms = re.findall(r'<dt id="term-[^"]*">(.*?)<a class="headerlink"', text, re.S)
    assert len(terms) == len(cards)
    visible = {html.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in terms}
    assert visible == {c.term for c in cards}


def test_podcast_page_lecture_players_and_feed(site) -> None:
    page = _page(site, "podcast.html")
    sources = re.findall(r'<source src="(podcast/[^"]+\.ogg)" type="audio/ogg"', page)
    assert len(sources) == len(site.episodes) and 'href="feed.xml"' in page
    for src in sources:
        assert (site.out_dir / src).is_file(), src
    for part in site.episodes:
        lecture = _page(site, f"lectures/{part}.html")
        assert f'<source src="../podcast/{part}.ogg" type="audio/ogg">' in lecture, part
    channel = ET.parse(site.out_dir / "feed.xml").getroot().find("channel")
    items = channel.findall("item")
    assert len(items) == len(site.episodes)
    for item in items:
        enclosure = item.find("enclosure")
        name = enclosure.get("url").rsplit("/", 1)[1]
        assert int(enclosure.get("length")) == (site.out_dir / "podcast" / name).stat().st_size


def test_a_second_build_executes_nothing(site, shared_course: Course, tmp_path: Path) -> None:
    from course_site.book import build_site
    from course_site.execute import source_hash

    library = shared_course.root / "course_lib"
    cache = shared_course.build / "executed"
    stale = [  # none, unless someone edits a lecture or course_lib while the tests run
        p.stem
        for p in shared_course.lecture_notebooks()
        if not (cache / f"{p.stem}-{source_hash(p, library)[:20]}.ipynb").is_file()
    ]
    with warnings.catch_warnings():  # Sphinx 9 deprecation notes about its extensions
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        again = build_site(tmp_path / "again", course=shared_course, progress=False)
    assert again.executed == stale, "unchanged lectures must come from the cache"
    assert again.lectures == site.lectures and again.episodes == site.episodes


def test_site_command_fails_clearly_without_lectures(tmp_path: Path, capsys) -> None:
    from course_site.cli import main

    assert main(["--root", str(tmp_path), "site", "--no-progress"]) == 2
    assert "no lectures/ folder" in capsys.readouterr().err


def test_course_in_the_shared_folder_is_this_checkout(
    shared_course: Course, course: Course
) -> None:
    assert dataclasses.replace(shared_course, build=course.build) == course
