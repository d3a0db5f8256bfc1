"""Scripts to episodes: speak every turn, join them, write an OGG with chapters and a transcript.

:func:`build_episodes` is what ``python -m course_site podcast`` runs. For each script it
computes a key from the script's text, the voices, the pronunciation lexicon and the layout
settings; an episode whose key matches the manifest (``episodes.json``) and whose files are
there is kept as it is, every other one is synthesised again (with a tqdm progress bar over the
turns). Each episode is

- ``NN_topic.ogg``: Ogg Vorbis, mono, with Vorbis comments for the title, album, track number
  and chapters (``CHAPTER001=00:00:00.000``, ``CHAPTER001NAME=...``, the Xiph chapter format);
- ``NN_topic.txt``: the transcript, the script's turns word for word under timed chapter heads.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from course_site.layout import part_number
from course_site.podcast.engine import PRONUNCIATIONS, SpeechEngine, Voice, spoken_form
from course_site.podcast.script import Script

__all__ = [
    "ALBUM",
    "FORMAT_VERSION",
    "VOICES",
    "WORDS_PER_MINUTE",
    "Episode",
    "PodcastSettings",
    "build_episodes",
    "episode_key",
    "load_manifest",
    "synthesise",
]

#: Bump to rebuild every episode after a change of how episodes are made.
FORMAT_VERSION = 1
#: The album tag and the feed's title.
ALBUM = "Deep Feedforward Networks: the lecture podcast"
#: The two voices: a host (British English, female variant, higher) and a lecturer
#: (American English, male variant, lower).
VOICES: dict[str, Voice] = {
    "HOST": Voice("en+f3", pitch=68, rate=140),
    "LECTURER": Voice("en-us+m3", pitch=32, rate=140),
}
#: Words per minute of a whole episode with these voices, pauses included (measured on the
#: course's eight scripts: 138-152); a script's length divided by this is its duration.
WORDS_PER_MINUTE = 145.0
MANIFEST = "episodes.json"


@dataclass(frozen=True)
class PodcastSettings:
    """How episodes sound: voices, pauses, loudness. Part of every episode's build key.

    Attributes
    ----------
    voices : dict of str to Voice
        One voice per speaker of the script.
    turn_pause : float
        Seconds of silence between two turns.
    chapter_pause : float
        Seconds of silence before a new chapter.
    peak : float
        The episode's peak level (full scale 1.0).
    lexicon : dict of str to str
        Respellings for the speech engine (see :data:`~course_site.podcast.engine.PRONUNCIATIONS`).
    """

    voices: dict[str, Voice] = field(default_factory=lambda: dict(VOICES))
    turn_pause: float = 0.45
    chapter_pause: float = 1.0
    peak: float = 0.89
    lexicon: dict[str, str] = field(default_factory=lambda: dict(PRONUNCIATIONS))

    def as_dict(self) -> dict[str, Any]:
        """Everything that changes the sound, as plain data."""
        return {
            "format": FORMAT_VERSION,
            "voices": {k: v.settings() for k, v in sorted(self.voices.items())},
            "turn_pause": self.turn_pause,
            "chapter_pause": self.chapter_pause,
            "peak": self.peak,
            "lexicon": self.lexicon,
        }


@dataclass(frozen=True)
class Episode:
    """One synthesised episode, as recorded in the manifest.

    Attributes
    ----------
    part : str
        The lecture's stem.
    title : str
    audio : str
        File name of the OGG, in the podcast folder.
    transcript : str
        File name of the transcript.
    key : str
        The build key (script + settings) it was made from.
    duration : float
        Seconds.
    words : int
        Spoken words of the script.
    size : int
        Bytes of the OGG file.
    chapters : list of [float, str]
        Start (s) and name of each chapter.
    turns : list of [str, float, float]
        Speaker, start and end (s) of each turn.
    engine : str
        The speech engine and its version.
    built : float
        When it was made (Unix time).
    """

    part: str
    title: str
    audio: str
    transcript: str
    key: str
    duration: float
    words: int
    size: int
    chapters: list[tuple[float, str]]
    turns: list[tuple[str, float, float]]
    engine: str
    built: float

    @property
    def number(self) -> int:
        """The part's number (``01_...`` -> 1)."""
        return part_number(self.part) or 0

    @property
    def anchor(self) -> str:
        """Its section's id on the podcast page, e.g. ``"episode-01-from-linear-to-deep"``."""
        return "episode-" + self.part.replace("_", "-").lower()


def episode_key(script_text: str, settings: PodcastSettings) -> str:
    """The build key of an episode: a hash of its script and of the settings.

    Parameters
    ----------
    script_text : str
        The script file's text.
    settings : PodcastSettings

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    payload = json.dumps(settings.as_dict(), sort_keys=True) + "\n" + script_text
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def load_manifest(folder: Path) -> dict[str, Episode]:
    """The episodes recorded in ``folder/episodes.json`` (empty if there is none)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return {}
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return {row["part"]: Episode(**row) for row in rows}
    except (ValueError, TypeError, KeyError):
        return {}  # an unreadable manifest only means everything is rebuilt


def _save_manifest(folder: Path, episodes: dict[str, Episode]) -> None:
    rows = [asdict(e) for _, e in sorted(episodes.items())]
    tmp = folder / f"{MANIFEST}.tmp"
    tmp.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(folder / MANIFEST)


def _timestamp(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _speak_all(
    script: Script, engine: SpeechEngine, settings: PodcastSettings, tick: Callable[[], None]
) -> tuple[np.ndarray, list[tuple[float, str]], list[tuple[str, float, float]]]:
    """Speak every turn; return the joined samples, chapter starts and turn times."""
    rate = engine.sample_rate
    pieces: list[np.ndarray] = []
    chapters: list[tuple[float, str]] = []
    turns: list[tuple[str, float, float]] = []
    position = 0
    for turn in script.turns:
        if len(chapters) <= turn.chapter:
            if pieces:
                pieces.append(np.zeros(int(settings.chapter_pause * rate), np.float32))
                position += len(pieces[-1])
            chapters.append((position / rate, script.chapters[turn.chapter]))
        elif pieces:
            pieces.append(np.zeros(int(settings.turn_pause * rate), np.float32))
            position += len(pieces[-1])
        voice = settings.voices[turn.speaker]
        speech = engine.speak(spoken_form(turn.text, settings.lexicon), voice)
        pieces.append(speech)
        turns.append((turn.speaker, position / rate, (position + len(speech)) / rate))
        position += len(speech)
        tick()
    audio = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    return audio, chapters, turns


def _write_ogg(path: Path, audio: np.ndarray, rate: int, block: int = 16384) -> None:
    """Write mono Ogg Vorbis in blocks (libsndfile 1.2 crashes on one large Vorbis write)."""
    import soundfile

    with soundfile.SoundFile(path, "w", rate, 1, format="OGG", subtype="VORBIS") as f:
        for start in range(0, len(audio), block):
            f.write(np.ascontiguousarray(audio[start : start + block], dtype=np.float32))


def _tag(path: Path, script: Script, chapters: Sequence[tuple[float, str]], engine: str) -> None:
    """Write the title, album, track and chapter marks as Vorbis comments."""
    from mutagen.oggvorbis import OggVorbis

    ogg = OggVorbis(path)
    ogg["TITLE"] = script.title
    ogg["ALBUM"] = ALBUM
    ogg["ARTIST"] = "Course podcast (host and lecturer)"
    ogg["GENRE"] = "Podcast"
    ogg["TRACKNUMBER"] = str(part_number(script.part) or 0)
    ogg["COMMENT"] = f"A conversation about {script.title}, spoken by {engine}."
    for i, (start, name) in enumerate(chapters, start=1):
        ogg[f"CHAPTER{i:03d}"] = _timestamp(start)
        ogg[f"CHAPTER{i:03d}NAME"] = name
    ogg.save()


def _transcript(script: Script, chapters: Sequence[tuple[float, str]], duration: float) -> str:
    """The transcript: the title, then every chapter's turns under a timed head."""
    minutes, seconds = divmod(int(round(duration)), 60)
    lines = [script.title, f"Transcript of the course podcast ({minutes} min {seconds:02d} s).", ""]
    for index, (start, name) in enumerate(chapters):
        lines += [f"[{_timestamp(start)[3:8]}] {name}", ""]
        lines += [f"{t.speaker}: {t.text}\n" for t in script.turns if t.chapter == index]
    return "\n".join(lines)


def synthesise(
    script: Script,
    out_dir: Path,
    engine: SpeechEngine,
    settings: PodcastSettings | None = None,
    *,
    key: str = "",
    tick: Callable[[], None] = lambda: None,
) -> Episode:
    """Speak one script and write ``<part>.ogg`` and ``<part>.txt`` into ``out_dir``.

    Parameters
    ----------
    script : Script
    out_dir : Path
    engine : SpeechEngine
    settings : PodcastSettings, optional
    key : str
        The build key to record.
    tick : callable
        Called after each turn (progress).

    Returns
    -------
    Episode
    """
    settings = settings or PodcastSettings()
    audio, chapters, turns = _speak_all(script, engine, settings, tick)
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0:
        audio = audio * (settings.peak / peak)
    out_dir.mkdir(parents=True, exist_ok=True)
    ogg, txt = out_dir / f"{script.part}.ogg", out_dir / f"{script.part}.txt"
    tmp = out_dir / f".{script.part}.tmp.ogg"
    _write_ogg(tmp, audio, engine.sample_rate)
    engine_name = f"{engine.name} {engine.version}"
    _tag(tmp, script, chapters, engine_name)
    tmp.replace(ogg)
    duration = len(audio) / engine.sample_rate
    txt.write_text(_transcript(script, chapters, duration), encoding="utf-8")
    return Episode(
        part=script.part,
        title=script.title,
        audio=ogg.name,
        transcript=txt.name,
        key=key,
        duration=round(duration, 3),
        words=script.word_count,
        size=ogg.stat().st_size,
        chapters=[(round(s, 3), n) for s, n in chapters],
        turns=[(sp, round(a, 3), round(b, 3)) for sp, a, b in turns],
        engine=engine_name,
        built=time.time(),
    )


def _up_to_date(episode: Episode | None, key: str, out_dir: Path) -> bool:
    if episode is None or episode.key != key:
        return False
    audio = out_dir / episode.audio
    return (
        audio.is_file()
        and audio.stat().st_size == episode.size
        and (out_dir / episode.transcript).is_file()
    )


def build_episodes(
    scripts: Sequence[tuple[Script, str]],
    out_dir: Path,
    *,
    engine: SpeechEngine | None = None,
    settings: PodcastSettings | None = None,
    progress: bool = True,
) -> tuple[list[Episode], list[str]]:
    """Synthesise the episodes whose script or settings changed; keep the others.

    Parameters
    ----------
    scripts : sequence of (Script, str)
        Each parsed script with the text of its file (the text is hashed).
    out_dir : Path
        The podcast folder: episodes, transcripts and ``episodes.json``.
    engine : SpeechEngine, optional
        Default: :func:`~course_site.podcast.engine.find_engine`, called only if something
        must be built (so up-to-date episodes need no engine).
    settings : PodcastSettings, optional
    progress : bool
        Show a tqdm bar over the turns to speak.

    Returns
    -------
    episodes : list of Episode
        One per script, in the order given.
    rebuilt : list of str
        The parts that were synthesised this time.
    """
    from tqdm.auto import tqdm

    from course_site.podcast.engine import find_engine

    out_dir = Path(out_dir)
    settings = settings or PodcastSettings()
    manifest = load_manifest(out_dir)
    keys = {s.part: episode_key(text, settings) for s, text in scripts}
    todo = [s for s, _ in scripts if not _up_to_date(manifest.get(s.part), keys[s.part], out_dir)]
    if todo:
        speaker = engine if engine is not None else find_engine()
        total = sum(len(s.turns) for s in todo)
        with tqdm(total=total, desc="podcast", unit="turn", disable=not progress) as bar:
            for script in todo:
                bar.set_postfix_str(script.part, refresh=True)
                episode = synthesise(
                    script, out_dir, speaker, settings, key=keys[script.part], tick=bar.update
                )
                manifest[script.part] = episode
                _save_manifest(out_dir, manifest)
    return [manifest[s.part] for s, _ in scripts], [s.part for s in todo]
