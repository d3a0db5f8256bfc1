"""The course site in a real browser, offline: maths typeset, images and audio load, search works.

Debian's Chromium driven by Playwright opens the built site (``course_site`` fixture, built once
per run) served on 127.0.0.1; every other request is aborted, so a page that needs the network
shows it as a failed request. :func:`mathcheck.check_page` does the checking and is reused for a
standalone page made with :func:`course_site.mathjax.install_math`, as the feedback pages and
the class report would be. Screenshots: ``tests/artifacts/browser/site_*.png``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mathcheck import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("course_site")]


@pytest.fixture(scope="module")
def site_url(course_site, serve_folder) -> str:
    """The base URL of the built site."""
    return serve_folder(course_site["out_dir"])


def test_lecture_pages_typeset_their_maths_offline(course_site, site_url, offline_page) -> None:
    failures = []
    for doc in course_site["lectures"]:
        report = check_page(offline_page, f"{site_url}{doc}.html", min_formulas=3)
        if not report.ok:
            failures.append(report.describe())
    offline_page.goto(f"{site_url}{course_site['lectures'][1]}.html")
    offline_page.screenshot(path=str(Path("tests/artifacts/browser/site_lecture.png")))
    assert not failures, "\n".join(failures)


def test_other_pages_render_cleanly(course_site, site_url, offline_page) -> None:
    minimum = {"glossary": 10, "index": 0, "podcast": 0, "genindex": 0}
    minimum.update({doc: 0 for doc in course_site["exercises"]})
    failures = []
    for doc, least in minimum.items():
        report = check_page(offline_page, f"{site_url}{doc}.html", min_formulas=least)
        if not report.ok:
            failures.append(report.describe())
    assert not failures, "\n".join(failures)


def test_search_finds_lectures_and_typesets_results(site_url, offline_page) -> None:
    report = check_page(offline_page, f"{site_url}search.html?q=backpropagation", min_formulas=0)
    results = offline_page.locator("#search-results li")
    results.first.wait_for(state="visible")
    assert results.count() >= 3
    links = offline_page.locator("#search-results li a").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    assert any("lectures/" in (href or "") for href in links), links
    offline_page.wait_for_timeout(1000)  # the results' maths is typeset after they appear
    assert not report.failed_requests and not report.js_errors, report.describe()


def test_audio_players_load_the_episodes(course_site, site_url, offline_page) -> None:
    part = course_site["episodes"][0]
    for url in (f"{site_url}podcast.html", f"{site_url}lectures/{part}.html"):
        offline_page.goto(url)
        state = offline_page.evaluate(
            """() => new Promise(resolve => {
                const audio = document.querySelector("audio");
                audio.addEventListener("loadedmetadata",
                    () => resolve({duration: audio.duration, error: null}));
                audio.addEventListener("error",
                    () => resolve({duration: 0, error: String(audio.error && audio.error.code)}),
                    true);
                audio.preload = "metadata";
                audio.load();
            })"""
        )
        assert state["error"] is None and 180 < state["duration"] < 360, (url, state)
    offline_page.goto(f"{site_url}podcast.html")
    assert offline_page.locator("audio").count() == len(course_site["episodes"])
    offline_page.screenshot(path="tests/artifacts/browser/site_podcast.png")


def test_standalone_page_with_install_math(serve_folder, offline_page, tmp_path: Path) -> None:
    from course_site.mathjax import install_math

    head = install_math(tmp_path)
    body = (
        "<h1>Feedback</h1><p>Your ReLU: $\\mathrm{ReLU}(x) = \\max(0, x)$, and its gradient "
        "\\(\\partial L / \\partial x\\).</p>"
        "$$\\frac{\\partial L}{\\partial W} = \\delta\\, h^\\top, \\qquad \\mathbb{R}^{n},\\ "
        "\\mathcal{N}(y; \\hat y, \\sigma^2 I)$$"
        '<p><img alt="dot" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAf'
        'FcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="></p>'
    )
    page = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'
    )
    (tmp_path / "feedback.html").write_text(page, encoding="utf-8")
    report = check_page(offline_page, f"{serve_folder(tmp_path)}feedback.html", min_formulas=3)
    assert report.ok, report.describe()
    offline_page.screenshot(path="tests/artifacts/browser/site_install_math.png")


def test_checker_catches_raw_tex_and_network_requests(serve_folder, offline_page, tmp_path) -> None:
    page = (
        '<!DOCTYPE html><html><head><script src="https://cdn.example.org/mathjax.js"></script>'
        '</head><body><p>Plain $x^2$ left as text.</p><img src="missing.png" alt="x"></body></html>'
    )
    (tmp_path / "bad.html").write_text(page, encoding="utf-8")
    report = check_page(offline_page, f"{serve_folder(tmp_path)}bad.html", min_formulas=1)
    problems = "\n".join(report.problems())
    assert "raw TeX" in problems and "cdn.example.org" in problems
    assert "missing.png" in problems and "typeset formulas" in problems
