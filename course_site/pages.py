"""The book's sources: lecture and exercise notebooks made ready for the site, and its pages.

Everything here turns course material into MyST Markdown or notebooks for Sphinx; nothing
runs Sphinx (that is :mod:`course_site.book`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode, v4

from course_site.podcast.synth import Episode

__all__ = [
    "LEAK_MARKERS",
    "Card",
    "ReleaseLeak",
    "audio_cell",
    "exercise_page",
    "glossary_page",
    "home_page",
    "load_cards",
    "myst_anchors",
    "notebook_title",
    "podcast_page",
    "retitle",
]

#: Text that must never reach a student: nbgrader's solution and hidden-test delimiters.
LEAK_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


class ReleaseLeak(RuntimeError):
    """An exercise notebook holds a solution or hidden-test block: it is not a student release."""


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s"


def notebook_title(nb: NotebookNode, fallback: str) -> str:
    """The first markdown heading of a notebook, as plain text (``fallback`` if none)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if m := _HEADING.match(line):
                    return m.group(2)
    return fallback


_ANCHOR_LINK = re.compile(r"\]\(([^)\s#]*)#([^)\s]+)\)")
_NOT_SLUG = re.compile(r"[^\w\- ]")


def myst_anchors(nb: NotebookNode) -> int:
    """Rewrite Jupyter-style heading anchors in links to the ones the site's pages have.

    JupyterLab links ``02_modularity.ipynb#Loopy-connections`` keep the heading's case and
    punctuation; the site's heading ids are lower case without punctuation
    (``#loopy-connections``). Links to other sites are left alone.

    Parameters
    ----------
    nb : NotebookNode
        Changed in place.

    Returns
    -------
    int
        How many links were rewritten.
    """
    count = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal count
        target, anchor = m.group(1), m.group(2)
        if target and (":" in target or not target.endswith((".ipynb", ".md"))):
            return m.group(0)
        count += 1
        slug = _NOT_SLUG.sub("", anchor.lower())
        return f"]({target}#{slug})"

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _ANCHOR_LINK.sub(repl, cell.source)
    return count


def retitle(nb: NotebookNode) -> str:
    """Make a lecture's part heading its page title.

    Every lecture opens with ``# Lecture 2: Deep Feedforward Networks`` and then
    ``## Part N · Topic``; as page titles all nine would read the same. When the first markdown
    cell starts with a level-1 heading followed directly by a level-2 heading, the level-2 one
    becomes the title and the level-1 text an italic line under it.

    Parameters
    ----------
    nb : NotebookNode
        Changed in place.

    Returns
    -------
    str
        The page title.
    """
    cells = [c for c in nb.cells if c.cell_type == "markdown"]
    if not cells:
        return ""
    lines = cells[0].source.splitlines()
    found = [(i, _HEADING.match(line)) for i, line in enumerate(lines)]
    heads = [(i, m) for i, m in found if m]
    if len(heads) >= 2:
        (i1, h1), (i2, h2) = heads[0], heads[1]
        between = [line for line in lines[i1 + 1 : i2] if line.strip()]
        if len(h1.group(1)) == 1 and len(h2.group(1)) == 2 and not between:
            lines[i1] = f"# {h2.group(2)}"
            lines[i2] = f"*{h1.group(2)}*"
            cells[0].source = "\n".join(lines)
    return notebook_title(nb, "")


def audio_cell(episode: Episode, depth: int = 1) -> NotebookNode:
    """A markdown cell with the part's episode: an audio player and links.

    Parameters
    ----------
    episode : Episode
    depth : int
        How many folders below the site root the page is (lectures are one down).

    Returns
    -------
    NotebookNode
    """
    up = "../" * depth
    src = f"{up}podcast/{episode.audio}"
    text = (
        '<div class="course-podcast">\n'
        f'<p class="course-podcast-label"><strong>Podcast:</strong> listen to this part as a '
        f"conversation ({_duration(episode.duration)}): "
        f'<a href="{up}podcast.html#{episode.anchor}">all episodes</a> · '
        f'<a href="{up}podcast/{episode.transcript}">transcript</a> · '
        f'<a href="{up}feed.xml">feed</a></p>\n'
        f'<audio class="course-audio" controls preload="none" title="{html.escape(episode.title)}">'
        f'<source src="{src}" type="audio/ogg"></audio>\n'
        "</div>"
    )
    return v4.new_markdown_cell(text)


def exercise_page(path: Path) -> NotebookNode:
    """An exercise notebook in its student form, checked, with a note on how to work on it.

    Parameters
    ----------
    path : Path
        ``exercises/<ex>/<ex>.ipynb`` (the nbgrader release).

    Returns
    -------
    NotebookNode
        Without outputs, a note cell first.

    Raises
    ------
    ReleaseLeak
        If any cell contains a solution or hidden-test marker.
    """
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        leaked = [m for m in LEAK_MARKERS if m in cell.source]
        if leaked:
            raise ReleaseLeak(
                f"{path}: cell {index} contains {leaked[0]!r}; the site shows exercises only in "
                "their student form (run `course release` to regenerate exercises/)"
            )
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    note = (
        ":::{note}\nThis is the student version of the exercise. Work on it in JupyterLab: "
        f"download it with the button at the top of the page or open `exercises/{path.parent.name}/"
        f"{path.name}` from the course repository, fill in the cells marked `YOUR CODE HERE` "
        "and run the test cells for feedback.\n:::"
    )
    nb.cells.insert(
        1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0, v4.new_markdown_cell(note)
    )
    return nb


@dataclass(frozen=True)
class Card:
    """A flashcard, as the glossary needs it."""

    term: str
    definition: str
    topic: str


def load_cards(path: Path) -> list[Card]:
    """The flashcards of ``path`` (a JSON list of cards or ``{"cards": [...]}``).

    Read directly from the checkout being built, whatever ``course_lib`` this process imports.

    Parameters
    ----------
    path : Path

    Returns
    -------
    list of Card

    Raises
    ------
    ValueError
        For a file that is not such a deck (names the file and the card).
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    entries = data.get("cards") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of cards or {{'cards': [...]}}")
    cards = []
    for i, entry in enumerate(entries):
        try:
            cards.append(Card(str(entry["term"]), str(entry["definition"]), str(entry["topic"])))
        except (KeyError, TypeError):
            raise ValueError(f"{path}: card {i} lacks a term, definition or topic") from None
    return cards


def glossary_page(cards: Sequence[Card]) -> str:
    """The glossary as MyST Markdown: one Sphinx glossary entry per flashcard, sorted.

    Parameters
    ----------
    cards : sequence of Card
        Each with a ``term``, a ``definition`` (may hold ``$...$`` maths) and a ``topic``.

    Returns
    -------
    str
    """
    entries = []
    for card in sorted(cards, key=lambda c: c.term.lower()):
        definition = " ".join(card.definition.split())
        entries.append(f"{card.term}\n  {definition} *({card.topic})*\n")
    return (
        "# Glossary\n\nThe terms of the course, from the flashcard deck "
        "(`course_lib/quiz/flashcards.json`; practise them with `flashcards()` in Jupyter). "
        "The topic of each card is in brackets.\n\n"
        "```{glossary}\n:sorted:\n\n" + "\n".join(entries) + "```\n"
    )


def _transcript_html(episode: Episode, text: str) -> str:
    paragraphs = []
    for line in text.splitlines():
        speaker, sep, said = line.partition(": ")
        if sep and speaker in ("HOST", "LECTURER"):
            paragraphs.append(f"<p><strong>{speaker.title()}:</strong> {html.escape(said)}</p>")
        elif line.startswith("[") and "] " in line:
            paragraphs.append(f"<p><em>{html.escape(line)}</em></p>")
    return (
        f'<details class="course-transcript"><summary>Transcript of "{html.escape(episode.title)}"'
        "</summary>\n" + "\n".join(paragraphs) + "\n</details>"
    )


def podcast_page(
    episodes: Sequence[Episode], transcripts: dict[str, str], lectures: set[str]
) -> str:
    """The podcast page: how to subscribe, then one section per episode with a player.

    Parameters
    ----------
    episodes : sequence of Episode
    transcripts : dict of str to str
        Each episode's transcript text, by part.
    lectures : set of str
        The parts that have a lecture page (linked from their episode).

    Returns
    -------
    str
        MyST Markdown.
    """
    total = sum(e.duration for e in episodes)
    out = [
        "# Podcast\n",
        "Every part of the course as a conversation: a host asks, a lecturer explains the main "
        "ideas, works one example in words and lists the common mistakes. "
        f"{len(episodes)} episodes, {_duration(total)} in all, spoken offline by the eSpeak NG "
        "speech engine from the scripts in `lectures/podcast/` (instructors: edit a script and "
        "rebuild; only changed episodes are synthesised again).\n",
        '<p class="course-feed">Subscribe: add the <a href="feed.xml">RSS feed</a> '
        "(<code>feed.xml</code>) to your podcast app.</p>\n",
    ]
    if not episodes:
        out.append("No episode has been built yet: run `python -m course_site podcast`.\n")
    for e in sorted(episodes, key=lambda e: e.number):
        chapters = ", ".join(f"{int(s) // 60:02d}:{int(s) % 60:02d} {n}" for s, n in e.chapters)
        lecture = f"[the lecture](lectures/{e.part}.ipynb) · " if e.part in lectures else ""
        out += [
            f"({e.anchor})=\n## {e.title}\n",
            f'<audio class="course-audio" controls preload="none" title="{html.escape(e.title)}">'
            f'<source src="podcast/{e.audio}" type="audio/ogg"></audio>\n',
            f"{_duration(e.duration)}, {e.words} words · {lecture}"
            f'<a href="podcast/{e.transcript}">transcript (text)</a> · '
            f'<a href="podcast/{e.audio}">download (OGG)</a>\n',
            f"Chapters: {chapters}.\n",
            _transcript_html(e, transcripts.get(e.part, "")) + "\n",
        ]
    return "\n".join(out)


def home_page(
    title: str, lectures: Sequence[tuple[str, str]], exercises: Sequence[str], podcast: bool
) -> str:
    """The home page, with the tables of contents that give the site its navigation.

    Parameters
    ----------
    title : str
    lectures : sequence of (str, str)
        ``(docname, title)`` of each lecture page, in order.
    exercises : sequence of str
        Docnames of the exercise pages.
    podcast : bool
        Whether the podcast page exists.

    Returns
    -------
    str
        MyST Markdown.
    """
    items = "\n".join(f"- [{t}]({doc}.ipynb)" for doc, t in lectures)
    listen = (
        "- **Listen** to the [podcast](podcast.md): one conversation per part, or subscribe to "
        'its <a href="feed.xml">feed</a>.\n'
        if podcast
        else ""
    )
    resources = ["glossary"] + (["podcast"] if podcast else [])

    def toc(caption: str, docs: Sequence[str]) -> str:
        body = "\n".join(docs)
        return f"```{{toctree}}\n:caption: {caption}\n:maxdepth: 1\n:hidden:\n\n{body}\n```\n"

    return (
        f"# {title}\n\n"
        "A course on deep feedforward networks: modularity, nonlinearities, cost functions, "
        "XOR and feature learning, the chain rule and backpropagation.\n\n"
        "- **Read** the lectures in order, with their plots (the arrows at the bottom of each page "
        "lead on). Interactive explorers appear as static snapshots: open the notebooks in "
        "JupyterLab to use them.\n"
        "- **Practise** with the exercises: write your own layers, losses, backprop and autograd.\n"
        f"{listen}"
        "- **Look up** a term in the [glossary](glossary.md), or search the site.\n\n"
        f"## Lectures\n\n{items}\n\n"
        + toc("Lectures", [d for d, _ in lectures])
        + toc("Exercises", list(exercises))
        + toc("Resources", resources)
    )
