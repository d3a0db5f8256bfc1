"""Podcast scripts: a conversation between a host and a lecturer, stored as editable text.

One file per lecture part, ``lectures/podcast/NN_topic.md``::

    # Part 1 · From linear to deep

    ## Why stack layers at all?
    HOST: Welcome back. Last time we met linear models...
    LECTURER: Right. A linear map sends x to A times x,
    and a second line like this one continues the same turn.

The ``#`` line is the episode's title, each ``##`` line opens a chapter, and every turn starts
with ``HOST:`` or ``LECTURER:``. Lines starting with ``%`` are notes for editors and are not
spoken. Anything else that is not blank continues the turn above it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SPEAKERS", "Script", "ScriptError", "Turn", "load_script", "parse_script", "words"]

#: The two voices, in the order they are introduced.
SPEAKERS = ("HOST", "LECTURER")

_TURN = re.compile(r"^(HOST|LECTURER)\s*:\s*(.*)$")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’.\-][A-Za-z0-9]+)*")


class ScriptError(ValueError):
    """A script that cannot be spoken: says the file, the line and what is wrong."""


def words(text: str) -> int:
    """The number of spoken words in ``text`` (``"ReLU's"`` and ``"0.01"`` count once).

    Parameters
    ----------
    text : str

    Returns
    -------
    int
    """
    return len(_WORD.findall(text))


@dataclass(frozen=True)
class Turn:
    """One speaker's turn.

    Attributes
    ----------
    speaker : str
        ``"HOST"`` or ``"LECTURER"``.
    text : str
        What they say, on one line.
    chapter : int
        Index into :attr:`Script.chapters`.
    """

    speaker: str
    text: str
    chapter: int


@dataclass(frozen=True)
class Script:
    """A parsed podcast script.

    Attributes
    ----------
    part : str
        The lecture's stem, e.g. ``"01_from_linear_to_deep"``.
    title : str
        The episode title (the ``#`` line).
    chapters : tuple of str
        Chapter names, in order (the ``##`` lines).
    turns : tuple of Turn
    """

    part: str
    title: str
    chapters: tuple[str, ...]
    turns: tuple[Turn, ...]

    @property
    def word_count(self) -> int:
        """Spoken words of all turns (titles and chapter names are not spoken)."""
        return sum(words(t.text) for t in self.turns)

    def dialogue(self) -> list[str]:
        """The turns as ``"SPEAKER: text"`` lines, in order."""
        return [f"{t.speaker}: {t.text}" for t in self.turns]

    def render(self) -> str:
        """The script in its file format, one line per turn (what :func:`parse_script` reads)."""
        lines = [f"# {self.title}"]
        for index, name in enumerate(self.chapters):
            lines += ["", f"## {name}"]
            lines += [f"{t.speaker}: {t.text}" for t in self.turns if t.chapter == index]
        return "\n".join(lines) + "\n"


def _fail(source: str, number: int, message: str) -> ScriptError:
    return ScriptError(f"{source}, line {number}: {message}")


def parse_script(text: str, part: str, source: str = "<script>") -> Script:
    """Parse a script's text.

    Parameters
    ----------
    text : str
        The file's content.
    part : str
        The lecture's stem.
    source : str
        Name used in error messages (the file's path).

    Returns
    -------
    Script

    Raises
    ------
    ScriptError
        No title, a turn before the first chapter, an unknown speaker, an empty chapter or turn,
        or a script with no turn for one of the two voices.
    """
    title: str | None = None
    chapters: list[str] = []
    turns: list[list[str | int]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        if line.startswith("## "):
            chapters.append(line[3:].strip())
        elif line.startswith("# "):
            if title is not None:
                raise _fail(source, number, "a second '# ' title line")
            title = line[2:].strip()
        elif m := _TURN.match(line):
            if not chapters:
                raise _fail(source, number, "a turn before the first '## ' chapter line")
            turns.append([m.group(1), m.group(2).strip(), len(chapters) - 1])
        elif re.match(r"^[A-Z][A-Z ]*:", line):
            raise _fail(source, number, f"unknown speaker {line.split(':')[0]!r}: use {SPEAKERS}")
        elif turns:
            turns[-1][1] = f"{turns[-1][1]} {line}".strip()
        else:
            raise _fail(source, number, "text before the first 'HOST:' or 'LECTURER:' turn")
    return _checked(source, part, title, chapters, turns)


def _checked(
    source: str, part: str, title: str | None, chapters: list[str], rows: list[list[str | int]]
) -> Script:
    """Build the :class:`Script`, or say what the file lacks."""
    if not title:
        raise ScriptError(f"{source}: no '# ' title line")
    turns = tuple(Turn(str(s), str(t), int(c)) for s, t, c in rows)
    if empty := [t for t in turns if not words(t.text)]:
        where = chapters[empty[0].chapter]
        raise ScriptError(f"{source}: an empty {empty[0].speaker} turn in chapter {where!r}")
    used = {t.chapter for t in turns}
    if missing := [c for i, c in enumerate(chapters) if i not in used]:
        raise ScriptError(f"{source}: chapter {missing[0]!r} has no turn")
    if voices := [s for s in SPEAKERS if s not in {t.speaker for t in turns}]:
        raise ScriptError(f"{source}: nobody speaks as {voices[0]}")
    return Script(part=part, title=title, chapters=tuple(chapters), turns=turns)


def load_script(path: Path) -> Script:
    """Read and parse ``NN_topic.md``; the part is the file's stem.

    Parameters
    ----------
    path : Path

    Returns
    -------
    Script
    """
    path = Path(path)
    return parse_script(path.read_text(encoding="utf-8"), path.stem, str(path))
