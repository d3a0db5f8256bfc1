"""Podcast scripts: the file format, and the course's own scripts (no speech engine needed)."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from course_site.layout import Course
from course_site.podcast import select_scripts
from course_site.podcast.engine import spoken_form
from course_site.podcast.script import ScriptError, load_script, parse_script, words

SMALL = """# Part 9 · A test

% an editor's note, not spoken
## First chapter
HOST: Hello there.
LECTURER: A long answer
that goes on over a second line.

## Second chapter
HOST: Why?
LECTURER: Because.
"""


def test_parse_reads_title_chapters_and_turns() -> None:
    script = parse_script(SMALL, "09_test")
    assert script.title == "Part 9 · A test"
    assert script.chapters == ("First chapter", "Second chapter")
    assert script.dialogue() == [
        "HOST: Hello there.",
        "LECTURER: A long answer that goes on over a second line.",
        "HOST: Why?",
        "LECTURER: Because.",
    ]
    assert [t.chapter for t in script.turns] == [0, 0, 1, 1]
    assert script.word_count == 2 + 10 + 1 + 1


def test_render_round_trips() -> None:
    script = parse_script(SMALL, "09_test")
    assert parse_script(script.render(), "09_test") == script


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("## Chapter\nHOST: hi\nLECTURER: hi", "no '# ' title line"),
        ("# T\nHOST: hi", "line 2: a turn before the first '## ' chapter"),
        ("# T\n## C\nGUEST: hi", "line 3: unknown speaker 'GUEST'"),
        ("# T\n## C\nHOST: hi\nLECTURER: hi\n## Empty", "chapter 'Empty' has no turn"),
        ("# T\n## C\nHOST: hi\nHOST: again", "nobody speaks as LECTURER"),
        ("# T\n# U\n", "line 2: a second '# ' title"),
        ("# T\nsome text\n", "line 2: text before the first"),
    ],
)
def test_bad_scripts_fail_with_the_line(text: str, message: str) -> None:
    with pytest.raises(ScriptError, match=message):
        parse_script(text, "09_test", "09_test.md")


def test_word_count_counts_spoken_words() -> None:
    assert words("ReLU's slope is 0.01, e.g. tiny.") == 6
    assert words("") == 0


def test_spoken_form_respells_jargon_only_as_whole_words() -> None:
    said = spoken_form("The ReLU and PReLU; XOR, tanh, softmax. ReLUs!")
    assert "ray-loo" in said and "pee ray-loo" in said and "ex-or" in said
    assert "ReLU" not in said and "XOR" not in said
    assert spoken_form("RELUCTANT") == "RELUCTANT"


def test_every_lecture_part_has_a_script(course: Course) -> None:
    scripts, missing = select_scripts(course)
    assert not missing, f"write a podcast script for {missing} in {course.scripts}"
    assert [s.stem for s in scripts] == [p.stem for p in course.parts()]


def test_scripts_are_podcast_length_with_example_and_mistakes(course: Course) -> None:
    for path in select_scripts(course)[0]:
        script = load_script(path)
        assert 450 <= script.word_count <= 800, f"{path.name}: {script.word_count} words"
        chapters = " | ".join(script.chapters).lower()
        assert "worked example" in chapters, f"{path.name}: no worked example ({chapters})"
        assert "common mistakes" in chapters, f"{path.name}: no common mistakes ({chapters})"
        speakers = [t.speaker for t in script.turns]
        assert speakers.count("HOST") >= 5 and speakers.count("LECTURER") >= 5, path.name
        assert script.title.startswith("Part "), path.name


def test_select_scripts_by_number_name_or_prefix(course: Course) -> None:
    first = course.parts()[0].stem
    for wanted in ("1", "01", first, first[:5], first[3:8]):
        scripts, _ = select_scripts(course, [wanted])
        assert [s.stem for s in scripts] == [first], wanted
    with pytest.raises(ValueError, match="matches no lecture part"):
        select_scripts(course, ["99"])
    with pytest.raises(ValueError, match="parts"):
        select_scripts(course, ["0"])  # "0" is the course map: no part


def test_missing_scripts_are_reported(course: Course, tmp_path) -> None:
    scripts = tmp_path / "podcast"
    scripts.mkdir()
    first = course.parts()[0].stem
    shutil.copy(course.script_for(first), scripts / f"{first}.md")
    partial = dataclasses.replace(course, scripts=scripts)
    found, missing = select_scripts(partial)
    assert [p.stem for p in found] == [first]
    assert missing == [p.stem for p in course.parts()[1:]]
