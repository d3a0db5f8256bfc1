"""The book's sources, page by page, without running Sphinx: titles, widgets, exercises, glossary.

``test_lectures_are_staged_from_a_cache`` executes two tiny notebooks in a kernel (a few
seconds); everything else is plain Python.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from course_site import pages
from course_site.layout import Course
from course_site.podcast.synth import Episode
from course_site.widgets import WIDGET_NOTE, snapshot_widgets, static_widget_html

REPO = Path(__file__).resolve().parents[2]


def _episode(part: str = "01_small") -> Episode:
    return Episode(
        part=part, title="Part 1 · Small", audio=f"{part}.ogg", transcript=f"{part}.txt", key="k",
        duration=241.4, words=600, size=1000, chapters=[(0.0, "Start"), (61.0, "Common mistakes")],
        turns=[("HOST", 0.0, 3.0)], engine="test", built=0.0,
    )  # fmt: skip


def test_retitle_makes_the_part_heading_the_title() -> None:
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell("# Lecture 2: Deep\n\n## Part 3 · XOR\n\nText.")]
    assert pages.retitle(nb) == "Part 3 · XOR"
    assert nb.cells[0].source.startswith("# Part 3 · XOR\n\n*Lecture 2: Deep*")


def test_retitle_leaves_other_notebooks_alone() -> None:
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell("# Exercise 1\n\nIntro.\n\n## Task")]
    assert pages.retitle(nb) == "Exercise 1"
    assert nb.cells[0].source == "# Exercise 1\n\nIntro.\n\n## Task"


def test_audio_cell_links_player_transcript_and_feed() -> None:
    cell = pages.audio_cell(_episode())
    assert '<source src="../podcast/01_small.ogg" type="audio/ogg">' in cell.source
    assert 'href="../podcast.html#episode-01-small"' in cell.source
    assert 'href="../podcast/01_small.txt"' in cell.source and 'href="../feed.xml"' in cell.source
    assert "4 min 01 s" in cell.source


def test_podcast_page_has_a_player_and_anchor_per_episode() -> None:
    episodes = [_episode("01_small"), _episode("02_other")]
    text = pages.podcast_page(episodes, {"01_small": "HOST: Hi <there>."}, {"01_small"})
    assert text.count("<audio ") == 2 and '<a href="feed.xml">' in text
    assert "(episode-01-small)=" in text and "(episode-02-other)=" in text
    assert "[the lecture](lectures/01_small.ipynb)" in text
    assert "lectures/02_other" not in text, "no lecture page, no link"
    assert "<strong>Host:</strong> Hi &lt;there&gt;." in text


def test_exercise_page_refuses_solutions_and_hidden_tests(tmp_path: Path) -> None:
    for marker in pages.LEAK_MARKERS:
        nb = v4.new_notebook()
        nb.cells = [v4.new_markdown_cell("# Ex"), v4.new_code_cell(f"x = 1\n### {marker}\n")]
        path = tmp_path / "ex.ipynb"
        nbformat.write(nb, path)
        with pytest.raises(pages.ReleaseLeak, match=marker):
            pages.exercise_page(path)


def test_exercise_page_adds_a_note_and_drops_outputs(tmp_path: Path) -> None:
    nb = v4.new_notebook()
    code = v4.new_code_cell("# YOUR CODE HERE\nraise NotImplementedError()")
    code.outputs = [v4.new_output("stream", text="old run")]
    nb.cells = [v4.new_markdown_cell("# Exercise 9"), code]
    path = tmp_path / "ex09" / "ex09.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    page = pages.exercise_page(path)
    assert page.cells[0].source == "# Exercise 9" and "student version" in page.cells[1].source
    assert page.cells[2].outputs == []


def test_released_exercises_pass_the_leak_check() -> None:
    course = Course.find(REPO)
    assert course.exercise_notebooks(), "no released exercise found"
    for path in course.exercise_notebooks():
        pages.exercise_page(path)


def test_glossary_has_every_flashcard_sorted() -> None:
    cards = pages.load_cards(REPO / "course_lib" / "quiz" / "flashcards.json")
    text = pages.glossary_page(cards)
    assert text.startswith("# Glossary") and "```{glossary}\n:sorted:" in text
    for card in cards:
        assert f"\n{card.term}\n  " in text, card.term


def test_load_cards_names_a_bad_card(tmp_path: Path) -> None:
    path = tmp_path / "cards.json"
    path.write_text('{"cards": [{"term": "a", "definition": "b"}]}', encoding="utf-8")
    with pytest.raises(ValueError, match="card 0 lacks"):
        pages.load_cards(path)


def test_home_page_lists_lectures_and_hides_toctrees() -> None:
    text = pages.home_page("Course", [("lectures/01_a", "Part 1 · A")], ["exercises/ex/ex"], True)
    assert "- [Part 1 · A](lectures/01_a.ipynb)" in text
    assert text.count("```{toctree}") == 3 and ":caption: Exercises" in text
    assert "podcast" in text and "feed.xml" in text
    assert "podcast" not in pages.home_page("C", [], [], False).split("toctree")[-1]


def test_static_widget_html_renders_boxes_images_and_controls() -> None:
    state = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_img", "IPY_MODEL_s"]}},
        "img": {
            "model_name": "ImageModel",
            "state": {"format": "png"},
            "buffers": [{"path": ["value"], "data": "iVBORw0KGgo=", "encoding": "base64"}],
        },
        "s": {"model_name": "FloatSliderModel", "state": {"value": 0.25, "description": "a"}},
    }
    out = static_widget_html("box", state)
    assert '<img src="data:image/png;base64,iVBORw0KGgo="' in out and "a: 0.25" in out
    assert static_widget_html("missing", state) == ""


def test_snapshot_replaces_widget_outputs_and_state() -> None:
    nb = v4.new_notebook()
    cell = v4.new_code_cell("w")
    view = {"model_id": "h", "version_major": 2, "version_minor": 0}
    cell.outputs = [v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": view, "text/plain": "HTML(...)"})]  # fmt: skip
    nb.cells = [cell]
    state = {"h": {"model_name": "HTMLMathModel", "state": {"value": "<b>$x^2$</b>"}}}
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": state}}
    assert snapshot_widgets(nb) == 1
    data = nb.cells[0].outputs[0]["data"]
    assert list(data) == ["text/html"] and "<b>$x^2$</b>" in data["text/html"]
    assert WIDGET_NOTE in data["text/html"] and "widgets" not in nb.metadata


def _tiny_lectures(root: Path) -> Course:
    lectures = root / "lectures"
    lectures.mkdir(parents=True)
    first = v4.new_notebook()
    first.cells = [
        v4.new_markdown_cell("# Small course\n\n## Part 1 · Widgets\n\nSee [part 2](02_b.ipynb)."),
        v4.new_code_cell("import ipywidgets as w\nw.VBox([w.HTML('<b>snap</b>'), w.IntSlider(7)])"),
    ]
    second = v4.new_notebook()
    second.cells = [
        v4.new_markdown_cell("# Small course\n\n## Part 2 · Text"),
        v4.new_code_cell("1"),
    ]
    for nb, name in ((first, "01_a.ipynb"), (second, "02_b.ipynb")):
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(nb, lectures / name)
    (root / "course_lib").mkdir()
    return dataclasses.replace(Course.find(root), build=root / "build")


def test_lectures_are_staged_from_a_cache(tmp_path: Path) -> None:
    from course_site.book import _stage_lectures

    course = _tiny_lectures(tmp_path / "course")
    digest = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in course.lecture_notebooks()
    }
    staged_dir = tmp_path / "src"
    staged_dir.mkdir()
    episodes = {"01_a": _episode("01_a")}
    staged, executed = _stage_lectures(course, staged_dir, episodes, 60, False)
    assert staged == [("lectures/01_a", "Part 1 · Widgets"), ("lectures/02_b", "Part 2 · Text")]
    assert executed == ["01_a", "02_b"]
    page = nbformat.read(staged_dir / "lectures" / "01_a.ipynb", as_version=4)
    assert "../podcast/01_a.ogg" in page.cells[1].source
    html = page.cells[2].outputs[0]["data"]["text/html"]
    assert "<b>snap</b>" in html and ">7</span>" in html and WIDGET_NOTE in html

    again = tmp_path / "src2"
    again.mkdir()
    _, executed = _stage_lectures(course, again, {}, 60, False)
    assert executed == [], "unchanged lectures come from the cache"
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in course.lecture_notebooks()}
    assert after == digest, "the build must not write into lectures/"
