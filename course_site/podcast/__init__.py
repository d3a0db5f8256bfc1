"""The lecture podcast: one spoken episode per lecture part, made offline.

>>> from course_site import Course
>>> from course_site.podcast import build_podcast
>>> result = build_podcast(Course.find(), ["01"])     # doctest: +SKIP
>>> result.episodes[0].duration                        # doctest: +SKIP
231.4

Scripts live in ``lectures/podcast/NN_topic.md`` (see :mod:`course_site.podcast.script` for the
format); episodes, transcripts and ``episodes.json`` go to ``build/course_site/podcast/`` and
the site build copies them into the site with the feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from course_site.layout import Course, part_number
from course_site.podcast.engine import EngineMissing, SpeechEngine, Voice, find_engine
from course_site.podcast.feed import FEED_NAME, write_feed
from course_site.podcast.script import Script, ScriptError, load_script, parse_script
from course_site.podcast.synth import (
    VOICES,
    WORDS_PER_MINUTE,
    Episode,
    PodcastSettings,
    build_episodes,
    load_manifest,
)

__all__ = [
    "FEED_NAME",
    "VOICES",
    "WORDS_PER_MINUTE",
    "EngineMissing",
    "Episode",
    "PodcastResult",
    "PodcastSettings",
    "Script",
    "ScriptError",
    "Voice",
    "build_podcast",
    "find_engine",
    "load_manifest",
    "load_script",
    "parse_script",
    "select_scripts",
    "write_feed",
]


@dataclass(frozen=True)
class PodcastResult:
    """What :func:`build_podcast` did.

    Attributes
    ----------
    folder : Path
        Where the episodes are.
    episodes : list of Episode
        The episodes asked for, in part order.
    rebuilt : list of str
        The parts synthesised this time (the others were up to date).
    missing : list of str
        Lecture parts that have no script yet.
    feed : Path
        The feed written beside the episodes.
    """

    folder: Path
    episodes: list[Episode]
    rebuilt: list[str]
    missing: list[str]
    feed: Path


def _matches(wanted: str, stem: str) -> bool:
    number = part_number(stem)
    if wanted.isdigit():
        return number == int(wanted)
    return stem == wanted or stem.startswith(wanted) or stem[3:].startswith(wanted)


def select_scripts(
    course: Course, parts: Sequence[str] | None = None
) -> tuple[list[Path], list[str]]:
    """The script files for ``parts`` (all parts when empty), and the parts that lack one.

    Parameters
    ----------
    course : Course
    parts : sequence of str, optional
        Each a part number (``"1"``, ``"01"``), a lecture stem (``"01_from_linear_to_deep"``)
        or the start of one (``"backprop"``, ``"08_back"``).

    Returns
    -------
    scripts : list of Path
        In part order.
    missing : list of str
        Selected lecture parts with no ``lectures/podcast/<part>.md``.

    Raises
    ------
    ValueError
        For a name that matches no lecture part, or more than one.
    """
    stems = sorted({p.stem for p in course.parts()} | {p.stem for p in _script_files(course)})
    chosen = stems
    if parts:
        chosen = []
        for wanted in parts:
            hits = [s for s in stems if _matches(wanted.strip(), s)]
            if len(hits) != 1:
                what = "no lecture part" if not hits else f"{len(hits)} parts ({', '.join(hits)})"
                raise ValueError(f"{wanted!r} matches {what}; the parts are: {', '.join(stems)}")
            chosen += [h for h in hits if h not in chosen]
    scripts = [course.script_for(s) for s in chosen if course.script_for(s).is_file()]
    missing = [s for s in chosen if not course.script_for(s).is_file()]
    return sorted(scripts), missing


def _script_files(course: Course) -> list[Path]:
    if not course.scripts.is_dir():
        return []
    return [p for p in course.scripts.glob("[0-9][0-9]_*.md") if (part_number(p.stem) or 0) >= 1]


def build_podcast(
    course: Course,
    parts: Sequence[str] | None = None,
    *,
    out_dir: Path | None = None,
    engine: SpeechEngine | None = None,
    settings: PodcastSettings | None = None,
    base_url: str | None = None,
    progress: bool = True,
) -> PodcastResult:
    """Build (or keep, when unchanged) the episodes of ``parts`` and write the feed.

    Parameters
    ----------
    course : Course
    parts : sequence of str, optional
        See :func:`select_scripts`; default every part with a script.
    out_dir : Path, optional
        Default ``course.build / "podcast"``.
    engine : SpeechEngine, optional
        Default: found when needed (:func:`find_engine`).
    settings : PodcastSettings, optional
    base_url : str, optional
        For the feed's enclosure URLs (default: a local preview address).
    progress : bool

    Returns
    -------
    PodcastResult

    Raises
    ------
    ScriptError
        A script that cannot be parsed (the message gives file and line).
    EngineMissing
        Nothing can speak and some episode must be built.
    """
    folder = Path(out_dir or course.build / "podcast")
    files, missing = select_scripts(course, parts)
    scripts = [(load_script(f), f.read_text(encoding="utf-8")) for f in files]
    episodes, rebuilt = build_episodes(
        scripts, folder, engine=engine, settings=settings, progress=progress
    )
    everything = sorted(load_manifest(folder).values(), key=lambda e: e.number)
    present = [e for e in everything if (folder / e.audio).is_file()]
    kwargs = {"base_url": base_url} if base_url else {}
    feed = write_feed(present, folder / FEED_NAME, audio_path="", **kwargs)
    return PodcastResult(folder, episodes, rebuilt, missing, feed)
