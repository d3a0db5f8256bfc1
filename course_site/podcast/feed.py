"""The podcast's RSS 2.0 feed (with the iTunes tags podcast apps read), made with feedgen.

One ``<item>`` per episode: its title, a description with the chapter list, an
``<enclosure>`` whose ``length`` is the OGG file's size in bytes, a stable ``<guid>`` (the
part's name: rebuilding an episode does not make it "new" in podcast apps), the duration and
the episode number. Enclosure URLs must be absolute, so the feed is written for a base URL:
where the site is published.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from course_site.podcast.synth import ALBUM, Episode

__all__ = ["DEFAULT_BASE_URL", "FEED_NAME", "write_feed"]

#: The feed's file name in the site.
FEED_NAME = "feed.xml"
#: The base URL used when none is given: a local preview (``python -m http.server``).
DEFAULT_BASE_URL = "http://127.0.0.1:8000/"

_DESCRIPTION = (
    "One episode per part of the course 'Lecture 2: Deep Feedforward Networks': a host asks, "
    "a lecturer explains the main ideas, works one example in words and lists the common "
    "mistakes. Synthesised offline from the scripts in lectures/podcast/."
)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}:{secs:02d}"


def write_feed(
    episodes: Sequence[Episode],
    out_file: Path,
    *,
    base_url: str = DEFAULT_BASE_URL,
    audio_path: str = "podcast/",
    page: str = "podcast.html",
    title: str = ALBUM,
    description: str = _DESCRIPTION,
) -> Path:
    """Write the RSS 2.0 feed of ``episodes``.

    Parameters
    ----------
    episodes : sequence of Episode
        In order (the feed lists them by part number).
    out_file : Path
        Where to write, e.g. ``site/feed.xml``.
    base_url : str
        The site's public address, e.g. ``"https://example.org/course/"``.
    audio_path : str
        Where the OGG files are, relative to ``base_url``.
    page : str
        The podcast page, relative to ``base_url`` (the channel's and items' ``<link>``).
    title, description : str
        The channel's.

    Returns
    -------
    Path
        ``out_file``.
    """
    from feedgen.feed import FeedGenerator

    base = base_url if base_url.endswith("/") else base_url + "/"
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.title(title)
    fg.link(href=base + page, rel="alternate")
    fg.link(href=base + Path(out_file).name, rel="self")
    fg.description(description)
    fg.language("en")
    fg.generator("course_site (feedgen)")
    fg.podcast.itunes_category("Education", "Courses")
    fg.podcast.itunes_author("Deep Feedforward Networks course")
    fg.podcast.itunes_explicit("no")
    fg.podcast.itunes_type("serial")
    fg.podcast.itunes_summary(description)
    for episode in sorted(episodes, key=lambda e: e.number):
        _add_item(fg, episode, audio_url=f"{base}{audio_path}{episode.audio}", page=base + page)
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    fg.rss_file(str(out_file), pretty=True)
    return out_file


def _add_item(fg: Any, episode: Episode, audio_url: str, page: str) -> None:
    """Append ``episode`` to the feed ``fg`` (a ``FeedGenerator``): one ``<item>``.

    ``audio_url`` is the OGG file's absolute address, ``page`` the podcast page's (the item links
    to the episode's anchor there).
    """
    entry = fg.add_entry(order="append")
    entry.title(episode.title)
    entry.guid(f"deep-feedforward-course:{episode.part}", permalink=False)
    entry.link(href=f"{page}#{episode.anchor}")
    chapters = "; ".join(name for _, name in episode.chapters)
    entry.description(f"{episode.title}. Chapters: {chapters}.")
    entry.enclosure(audio_url, str(episode.size), "audio/ogg")
    entry.pubDate(datetime.fromtimestamp(episode.built, tz=UTC))
    entry.podcast.itunes_duration(_duration(episode.duration))
    entry.podcast.itunes_episode(episode.number)
    entry.podcast.itunes_episode_type("full")
