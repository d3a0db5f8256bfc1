"""The podcast: every episode's length, loudness, two voices, tags, transcript and feed.

The ``podcast`` fixture synthesises the course's episodes once per run (eSpeak NG); the
rebuild test uses two tiny scripts of its own. The tests skip, saying what to install, without
eSpeak NG (``pip install -e '.[site]'`` or ``apt-get install espeak-ng``).
"""

from __future__ import annotations

import dataclasses
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from course_site.layout import Course
from course_site.podcast import (
    VOICES,
    WORDS_PER_MINUTE,
    PodcastSettings,
    build_podcast,
    load_script,
)
from course_site.podcast.engine import CommandEngine, EngineMissing, LibraryEngine, Voice

pytestmark = pytest.mark.xdist_group("course_site")

WINDOW_S = 10.0
RMS_FLOOR = 0.01  # full scale 1.0; speech peaks at 0.89 and averages about 0.1


def _read(path: Path) -> tuple[np.ndarray, int]:
    import soundfile

    audio, rate = soundfile.read(path, dtype="float32")
    return (audio if audio.ndim == 1 else audio.mean(axis=1)), int(rate)


def _pitches(samples: np.ndarray, rate: int) -> np.ndarray:
    """Pitch (Hz) of the voiced 40 ms frames, by autocorrelation between 60 and 400 Hz."""
    n, lo, hi = int(0.04 * rate), int(rate / 400), int(rate / 60)
    found = []
    for start in range(0, len(samples) - n, n // 2):
        frame = samples[start : start + n] - samples[start : start + n].mean()
        if np.sqrt(np.mean(frame**2)) < 0.02:
            continue
        corr = np.correlate(frame, frame, "full")[n - 1 :]
        lag = lo + int(np.argmax(corr[lo:hi]))
        if corr[0] > 0 and corr[lag] / corr[0] > 0.5:
            found.append(rate / lag)
    return np.array(found)


def test_one_episode_per_script(podcast, course: Course) -> None:
    assert [e.part for e in podcast.episodes] == [p.stem for p in course.parts()]
    assert not podcast.missing
    for episode in podcast.episodes:
        assert (podcast.folder / episode.audio).is_file()
        assert (podcast.folder / episode.transcript).is_file()


def test_duration_matches_the_word_count(podcast) -> None:
    for episode in podcast.episodes:
        audio, rate = _read(podcast.folder / episode.audio)
        seconds = len(audio) / rate
        assert seconds == pytest.approx(episode.duration, abs=0.05)
        expected = episode.words / WORDS_PER_MINUTE * 60
        assert 0.75 * expected <= seconds <= 1.25 * expected, (
            f"{episode.part}: {seconds:.0f} s for {episode.words} words, expected "
            f"{expected:.0f} s +- 25% at {WORDS_PER_MINUTE} words per minute"
        )
        assert 180 <= seconds <= 360, f"{episode.part}: {seconds:.0f} s is not 3 to 6 minutes"


def test_no_silent_stretch(podcast) -> None:
    for episode in podcast.episodes:
        audio, rate = _read(podcast.folder / episode.audio)
        step = int(WINDOW_S * rate)
        for start in range(0, len(audio) - 2 * rate, step):
            window = audio[start : start + step]
            rms = float(np.sqrt(np.mean(window**2)))
            assert rms > RMS_FLOOR, (
                f"{episode.part}: RMS {rms:.4f} from {start / rate:.0f} s, nearly silent"
            )


def test_the_two_voices_differ_in_pitch(podcast) -> None:
    episode = podcast.episodes[0]
    audio, rate = _read(podcast.folder / episode.audio)
    median = {}
    for speaker in ("HOST", "LECTURER"):
        turns = [
            audio[int(a * rate) : int(b * rate)] for who, a, b in episode.turns if who == speaker
        ]
        pitches = np.concatenate([_pitches(t, rate) for t in turns])
        assert len(pitches) > 100, f"too few voiced frames for the {speaker}"
        median[speaker] = float(np.median(pitches))
    assert median["HOST"] > 1.5 * median["LECTURER"], median
    assert 60 < median["LECTURER"] < 180 and 150 < median["HOST"] < 350, median


def test_transcript_is_the_script(podcast, course: Course) -> None:
    for episode in podcast.episodes:
        script = load_script(course.script_for(episode.part))
        text = (podcast.folder / episode.transcript).read_text(encoding="utf-8")
        lines = [line for line in text.splitlines() if line.startswith(("HOST: ", "LECTURER: "))]
        assert lines == script.dialogue(), episode.part
        assert text.splitlines()[0] == script.title
        for name in script.chapters:
            assert f"] {name}" in text, f"{episode.part}: chapter {name!r} not in the transcript"


def test_tags_hold_title_and_chapters(podcast, course: Course) -> None:
    from mutagen.oggvorbis import OggVorbis

    for episode in podcast.episodes:
        script = load_script(course.script_for(episode.part))
        tags = OggVorbis(podcast.folder / episode.audio)
        assert tags["TITLE"] == [script.title]
        assert tags["TRACKNUMBER"] == [str(episode.number)]
        starts = []
        for i, name in enumerate(script.chapters, start=1):
            assert tags[f"CHAPTER{i:03d}NAME"] == [name]
            h, m, s = tags[f"CHAPTER{i:03d}"][0].split(":")
            starts.append(int(h) * 3600 + int(m) * 60 + float(s))
        assert starts[0] == 0 and starts == sorted(starts) and starts[-1] < tags.info.length
        assert f"CHAPTER{len(script.chapters) + 1:03d}" not in tags


def test_feed_is_valid_rss_with_one_item_per_episode(podcast) -> None:
    root = ET.parse(podcast.feed).getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    for tag in ("title", "link", "description"):
        assert (channel.findtext(tag) or "").strip(), f"channel has no <{tag}>"
    items = channel.findall("item")
    assert len(items) == len(podcast.episodes)
    for item, episode in zip(items, podcast.episodes, strict=True):
        assert item.findtext("title") == episode.title
        assert (item.findtext("guid") or "").endswith(episode.part)
        enclosure = item.find("enclosure")
        assert enclosure is not None
        url, length = enclosure.get("url", ""), int(enclosure.get("length", "-1"))
        assert url.startswith("http") and url.endswith("/" + episode.audio)
        assert enclosure.get("type") == "audio/ogg"
        assert length == (podcast.folder / episode.audio).stat().st_size


def _tiny_course(course: Course, tmp_path: Path) -> Course:
    """Two short scripts, for parts 01 and 02, in a course of their own."""
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for part in course.parts()[:2]:
        text = (
            f"# {part.stem}\n\n## Only chapter\nHOST: What is {part.stem[3:]}?\n"
            "LECTURER: A short answer, spoken for the test.\n"
        )
        (scripts / f"{part.stem}.md").write_text(text, encoding="utf-8")
    return dataclasses.replace(course, scripts=scripts, build=tmp_path / "build")


def test_only_changed_episodes_are_rebuilt(course: Course, engine, tmp_path: Path) -> None:
    tiny = _tiny_course(course, tmp_path)
    first = build_podcast(tiny, engine=engine, progress=False)
    assert first.rebuilt == [e.part for e in first.episodes] and len(first.rebuilt) == 2
    stamps = {e.part: (first.folder / e.audio).stat().st_mtime_ns for e in first.episodes}

    again = build_podcast(tiny, engine=engine, progress=False)
    assert again.rebuilt == []
    assert {e.part: (again.folder / e.audio).stat().st_mtime_ns for e in again.episodes} == stamps

    changed = course.parts()[1].stem
    path = tiny.script_for(changed)
    path.write_text(path.read_text(encoding="utf-8") + "HOST: One more line.\n", encoding="utf-8")
    third = build_podcast(tiny, engine=engine, progress=False)
    assert third.rebuilt == [changed]

    deeper = {**VOICES, "LECTURER": Voice(VOICES["LECTURER"].name, pitch=20)}
    fourth = build_podcast(
        tiny, engine=engine, settings=PodcastSettings(voices=deeper), progress=False
    )
    assert sorted(fourth.rebuilt) == sorted(stamps), "new voice settings rebuild every episode"


def test_up_to_date_episodes_need_no_engine(course: Course, engine, tmp_path: Path) -> None:
    tiny = _tiny_course(course, tmp_path)
    build_podcast(tiny, engine=engine, progress=False)

    class NoEngine:
        name, version, sample_rate = "none", "0", 22050

        def speak(self, text, voice):
            raise AssertionError("nothing should be synthesised")

    kept = build_podcast(tiny, engine=NoEngine(), progress=False)
    assert kept.rebuilt == []


def test_a_lost_audio_file_is_rebuilt(course: Course, engine, tmp_path: Path) -> None:
    tiny = _tiny_course(course, tmp_path)
    result = build_podcast(tiny, engine=engine, progress=False)
    (result.folder / result.episodes[0].audio).unlink()
    again = build_podcast(tiny, engine=engine, progress=False)
    assert again.rebuilt == [result.episodes[0].part]


@pytest.mark.parametrize("kind", [LibraryEngine, CommandEngine], ids=["wheel", "debian"])
def test_each_engine_speaks_both_voices(kind) -> None:
    try:
        engine = kind()
    except EngineMissing as err:
        pytest.skip(f"{kind.__name__}: {err}")
    for voice in VOICES.values():
        audio = engine.speak("Backpropagation is the chain rule.", voice)
        assert audio.dtype == np.float32 and 1.0 < len(audio) / engine.sample_rate < 5.0
        assert 0.02 < float(np.sqrt(np.mean(audio**2))) < 1.0


def test_command_line_builds_a_part(course: Course, engine, tmp_path: Path, capsys) -> None:
    from course_site.cli import main

    shutil.copytree(
        course.lectures, tmp_path / "lectures", ignore=shutil.ignore_patterns("*.ipynb")
    )
    for part in course.parts():
        (tmp_path / "lectures" / part.name).write_text("{}", encoding="utf-8")
    out = tmp_path / "episodes"
    status = main(["--root", str(tmp_path), "podcast", "2", "--out", str(out), "--no-progress"])
    assert status == 0
    printed = capsys.readouterr().out
    second = course.parts()[1].stem
    assert second in printed and "built" in printed and "feed" in printed
    assert (out / f"{second}.ogg").is_file() and (out / "feed.xml").is_file()
    assert main(["--root", str(tmp_path), "podcast", "77", "--no-progress"]) == 2
