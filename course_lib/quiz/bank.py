"""The question bank and the flashcard deck: data classes, loading and validation.

The data live beside this module as ``bank.json`` and ``flashcards.json`` and are read with the
standard library only. Every loader validates the whole file and raises a ``ValueError`` that
names the offending entry (its id, or its index when the id is missing) and what is wrong with it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "SOURCES",
    "TOPICS",
    "Flashcard",
    "Question",
    "check_topic",
    "of_topic",
    "load_bank",
    "load_flashcards",
]

#: The quiz topics, one per lecture part, in teaching order (part 01 first). Every question and
#: card belongs to exactly one; lecture part NN ends with ``quiz(topic=TOPICS[NN - 1])``.
TOPICS: tuple[str, ...] = (
    "feedforward networks",  # 01_from_linear_to_deep
    "modularity",  # 02_modularity
    "xor and feature learning",  # 03_xor_and_feature_learning
    "cost functions",  # 04_cost_functions
    "nonlinearities",  # 05_activation_functions
    "architecture",  # 06_architecture_width_depth
    "chain rule",  # 07_chain_rule_and_graphs
    "backpropagation",  # 08_backpropagation
)

#: Where a question comes from: the lecture's own quiz (kept verbatim) or written for the course.
SOURCES: tuple[str, ...] = ("seed", "course")

#: Number of options every question has.
N_OPTIONS = 4

EntryT = TypeVar("EntryT", "Question", "Flashcard")

_HERE = Path(__file__).resolve().parent
BANK_PATH = _HERE / "bank.json"
FLASHCARDS_PATH = _HERE / "flashcards.json"


@dataclass(frozen=True)
class Question:
    """One multiple-choice question.

    Attributes
    ----------
    id : str
        Stable identifier, e.g. ``"q01-relu-nonpositive"``; progress files refer to it.
    topic : str
        One of :data:`TOPICS`.
    question : str
        The question text (may contain ``$...$`` LaTeX).
    options : tuple of str
        The 4 answer options, in stored order (plain text, no LaTeX).
    answer : int
        Index of the correct option in ``options`` (0-3).
    explanation : str
        1-3 sentences: why the answer is right and why the most tempting wrong option is wrong.
    source : str
        One of :data:`SOURCES`: ``"seed"`` for the lecture's own questions (text verbatim),
        ``"course"`` for questions written for this course. Optional in the file (default seed).
    """

    id: str
    topic: str
    question: str
    options: tuple[str, ...]
    answer: int
    explanation: str
    source: str = "seed"

    @property
    def correct_option(self) -> str:
        """The text of the correct option."""
        return self.options[self.answer]


@dataclass(frozen=True)
class Flashcard:
    """One term/definition card (the definition may contain ``$...$`` LaTeX)."""

    id: str
    topic: str
    term: str
    definition: str


def check_topic(topic: str | None) -> str | None:
    """Normalise a topic name (case and surrounding space) or raise a helpful ``ValueError``.

    Parameters
    ----------
    topic : str or None
        A topic name such as ``"Cost functions"``; ``None`` means all topics.

    Returns
    -------
    str or None
        The canonical topic name from :data:`TOPICS`, or ``None``.
    """
    if topic is None:
        return None
    if not isinstance(topic, str):
        raise TypeError(f"topic must be a string or None, got {type(topic).__name__}")
    key = " ".join(topic.split()).lower()
    if key not in TOPICS:
        valid = ", ".join(repr(t) for t in TOPICS)
        raise ValueError(f"unknown topic {topic!r}; valid topics are: {valid}")
    return key


def _read_entries(path: Path, key: str) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: file not found") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    if isinstance(data, dict):
        data = data.get(key)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of entries (or an object with a {key!r} list)")
    return data


def _label(entry: Any, index: int) -> str:
    if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"].strip():
        return f"entry {index} (id {entry['id']!r})"
    return f"entry {index}"


def _nonempty_str(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return value


def _check_keys(
    entry: Any, required: tuple[str, ...], where: str, optional: tuple[str, ...] = ()
) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected an object, got {type(entry).__name__}")
    missing = [k for k in required if k not in entry]
    if missing:
        raise ValueError(f"{where}: missing key(s) {', '.join(missing)}")
    unknown = sorted(set(entry) - set(required) - set(optional))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")
    return entry


def _check_topic_field(entry: dict[str, Any], where: str) -> str:
    topic = _nonempty_str(entry, "topic", where)
    if topic not in TOPICS:
        valid = ", ".join(repr(t) for t in TOPICS)
        raise ValueError(f"{where}: unknown topic {topic!r}; valid topics are: {valid}")
    return topic


_QUESTION_KEYS = ("id", "topic", "question", "options", "answer", "explanation")
_QUESTION_OPTIONAL_KEYS = ("source",)


def _parse_question(entry: Any, index: int) -> Question:
    where = _label(entry, index)
    entry = _check_keys(entry, _QUESTION_KEYS, where, _QUESTION_OPTIONAL_KEYS)
    qid = _nonempty_str(entry, "id", where)
    topic = _check_topic_field(entry, where)
    text = _nonempty_str(entry, "question", where)
    options = entry["options"]
    if not isinstance(options, list) or len(options) != N_OPTIONS:
        count = len(options) if isinstance(options, list) else type(options).__name__
        raise ValueError(f"{where}: 'options' must be a list of {N_OPTIONS} strings, got {count}")
    for k, option in enumerate(options):
        if not isinstance(option, str) or not option.strip():
            raise ValueError(f"{where}: option {k} must be a non-empty string, got {option!r}")
    normalised = [" ".join(o.split()).lower() for o in options]
    if len(set(normalised)) != N_OPTIONS:
        dupes = sorted({o for o in options if normalised.count(" ".join(o.split()).lower()) > 1})
        raise ValueError(f"{where}: duplicate options {dupes}")
    answer = entry["answer"]
    if isinstance(answer, bool) or not isinstance(answer, int):
        raise ValueError(f"{where}: 'answer' must be an integer index, got {answer!r}")
    if not 0 <= answer < N_OPTIONS:
        raise ValueError(f"{where}: 'answer' {answer} is out of range 0..{N_OPTIONS - 1}")
    explanation = _nonempty_str(entry, "explanation", where)
    source = entry.get("source", "seed")
    if source not in SOURCES:
        valid = ", ".join(repr(s) for s in SOURCES)
        raise ValueError(f"{where}: unknown source {source!r}; valid sources are: {valid}")
    return Question(qid, topic, text, tuple(options), answer, explanation, source)


def _unique_ids(items: list[Any], path: Path) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item.id in seen:
            raise ValueError(
                f"{path}: entry {i} (id {item.id!r}) duplicates the id of entry {seen[item.id]}"
            )
        seen[item.id] = i


def _load(path: Path, key: str, parse: Callable[[Any, int], EntryT], empty: str) -> list[EntryT]:
    """Read the entries of a bank file, ``parse(entry, index)`` each, check they are not empty
    and their ids unique; every error message names ``path``."""
    entries = _read_entries(path, key)
    try:
        items = [parse(entry, i) for i, entry in enumerate(entries)]
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None
    if not items:
        raise ValueError(f"{path}: {empty}")
    _unique_ids(items, path)
    return items


def of_topic(items: Sequence[EntryT], topic: str | None, what: str) -> list[EntryT]:
    """The questions or cards of ``topic``, a canonical name from :func:`check_topic`.

    ``None`` keeps them all; a topic without any raises a ``ValueError`` ("no ``what`` for
    topic ...").
    """
    if topic is None:
        return list(items)
    kept = [item for item in items if item.topic == topic]
    if not kept:
        raise ValueError(f"no {what} for topic {topic!r}")
    return kept


def load_bank(path: str | Path | None = None) -> list[Question]:
    """Load and validate the question bank.

    Parameters
    ----------
    path : str or Path, optional
        A JSON file holding either a list of entries or ``{"questions": [...]}``. Defaults to the
        bank shipped with the package: the lecture's 46 questions (``source`` ``"seed"``, first,
        text verbatim), then the questions written for the course (``source`` ``"course"``).

    Returns
    -------
    list of Question
        In file order.

    Raises
    ------
    ValueError
        If the file is not valid JSON, or an entry has a missing or unknown key, not exactly 4
        distinct non-empty options, an answer index out of range, an unknown topic or source, an
        empty text, or an id used twice. The message names the entry's index and id.
    FileNotFoundError
        If ``path`` does not exist.
    """
    path = BANK_PATH if path is None else Path(path)
    return _load(path, "questions", _parse_question, "the bank holds no questions")


_CARD_KEYS = ("id", "topic", "term", "definition")


def _parse_card(entry: Any, index: int) -> Flashcard:
    where = _label(entry, index)
    entry = _check_keys(entry, _CARD_KEYS, where)
    return Flashcard(
        _nonempty_str(entry, "id", where),
        _check_topic_field(entry, where),
        _nonempty_str(entry, "term", where),
        _nonempty_str(entry, "definition", where),
    )


def load_flashcards(path: str | Path | None = None) -> list[Flashcard]:
    """Load and validate the flashcard deck.

    Parameters
    ----------
    path : str or Path, optional
        A JSON file holding a list of cards or ``{"cards": [...]}``; defaults to the shipped deck.

    Returns
    -------
    list of Flashcard
        In file order.

    Raises
    ------
    ValueError
        For a malformed file or card (missing key, empty text, unknown topic, duplicate id).
    """
    path = FLASHCARDS_PATH if path is None else Path(path)
    return _load(path, "cards", _parse_card, "the deck holds no cards")
