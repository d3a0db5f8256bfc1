"""The bank's content rules and load_bank's validation of malformed files."""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from collections import Counter
from pathlib import Path

import pytest

from course_lib.quiz import SOURCES, TOPICS, Question, load_bank, load_flashcards
from course_lib.quiz.bank import BANK_PATH, FLASHCARDS_PATH

REPO = Path(__file__).resolve().parents[2]


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z$(])", text.strip()) if s]


# ------------------------------------------------------------------ content
def test_bank_loads_seed_and_course_questions_frozen(bank: list[Question]) -> None:
    sources = Counter(q.source for q in bank)
    assert sources["seed"] == 46
    assert sources["course"] >= 24
    assert set(sources) == set(SOURCES) == {"seed", "course"}
    assert all(isinstance(q, Question) for q in bank)
    with pytest.raises(dataclasses.FrozenInstanceError):
        bank[0].answer = 2  # type: ignore[misc]


def test_every_entry_validates(bank: list[Question]) -> None:
    ids = [q.id for q in bank]
    assert len(set(ids)) == len(ids)
    for q in bank:
        assert re.fullmatch(r"q\d\d-[a-z0-9]+(-[a-z0-9]+)*", q.id), q.id
        assert q.topic in TOPICS, q.id
        assert isinstance(q.options, tuple) and len(q.options) == 4, q.id
        assert len({o.strip().lower() for o in q.options}) == 4, f"{q.id}: duplicate options"
        assert all(o.strip() == o and o for o in q.options), q.id
        assert isinstance(q.answer, int) and 0 <= q.answer < 4, q.id
        assert q.correct_option == q.options[q.answer]
        n = len(sentences(q.explanation))
        assert 1 <= n <= 3, f"{q.id}: explanation has {n} sentences"


def test_every_topic_has_enough_questions_for_a_lecture_quiz(bank) -> None:
    counts = Counter(q.topic for q in bank)
    assert set(counts) == set(TOPICS)
    assert min(counts.values()) >= 4, counts


def test_answer_positions_are_spread(bank) -> None:
    counts = Counter(q.answer for q in bank)
    assert set(counts) == {0, 1, 2, 3}
    assert max(counts.values()) <= 0.4 * len(bank), counts


def test_options_are_plain_text_and_latex_is_balanced(bank) -> None:
    # RadioButtons cannot render LaTeX, so options must not contain $...$.
    for q in bank:
        assert not any("$" in o for o in q.options), q.id
        assert q.question.count("$") % 2 == 0, q.id
        assert q.explanation.count("$") % 2 == 0, q.id


def test_not_questions_explain_the_odd_one_out(bank) -> None:
    not_questions = [q for q in bank if " NOT " in q.question]
    assert len(not_questions) == 2
    for q in not_questions:
        assert "NOT" in q.explanation, q.id


def test_explanations_name_no_option_letter(bank) -> None:
    # Options are shuffled, so "option B" in an explanation would be wrong half the time.
    for q in bank:
        assert not re.search(r"\b(option|answer) [A-D1-4]\b", q.explanation), q.id


def test_bank_files_are_package_data() -> None:
    assert BANK_PATH.parent == REPO / "course_lib" / "quiz"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["course_lib"]
    assert "quiz/*.json" in patterns
    assert BANK_PATH.suffix == FLASHCARDS_PATH.suffix == ".json"


# ------------------------------------------------------------------ flashcards
REQUIRED_TERMS = [
    "ReLU",
    "Leaky ReLU",
    "PReLU",
    "ELU",
    "GELU",
    "Sigmoid",
    "Tanh",
    "Saturation",
    "Softmax",
    "Euclidean loss",
    "Cross-entropy",
    "KL divergence",
    "Chain rule",
    "Jacobian",
    "Computational graph",
    "Backpropagation",
    "Feedback alignment",
    "Universal approximation theorem",
    "Module",
    "Multiple inputs (modalities)",
    "Unrolling",
    "Stochastic gradient descent (SGD)",
    "Parameter initialisation",
    "Architecture",
    "Hierarchical features",
    "Weight perturbation",
    "Multi-layer perceptron (MLP)",
    "Feedforward network",
    "Recurrent network",
    "Kernel trick",
    "Maximum likelihood estimation",
]


def test_flashcard_deck_is_complete_and_valid() -> None:
    cards = load_flashcards()
    assert len(cards) >= 30
    terms = [c.term for c in cards]
    assert len({t.lower() for t in terms}) == len(terms), "duplicate terms"
    assert len({c.id for c in cards}) == len(cards)
    missing = [t for t in REQUIRED_TERMS if t not in terms]
    assert not missing, missing
    assert {c.topic for c in cards} == set(TOPICS)
    for c in cards:
        assert c.definition.count("$") % 2 == 0, c.id
        assert len(c.definition) > 20, c.id


# ------------------------------------------------------------------ validation
def good_entry(**overrides) -> dict:
    entry = {
        "id": "t01-sample",
        "topic": "nonlinearities",
        "question": "What is ReLU(2)?",
        "options": ["2", "0", "-2", "4"],
        "answer": 0,
        "explanation": "ReLU(x) = max(0, x), so ReLU(2) = 2.",
    }
    entry.update(overrides)
    return entry


def write(tmp_path: Path, data, name: str = "bank.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_load_bank_accepts_a_list_or_an_object(tmp_path: Path) -> None:
    as_list = load_bank(write(tmp_path, [good_entry()], "a.json"))
    as_obj = load_bank(write(tmp_path, {"questions": [good_entry()]}, "b.json"))
    assert as_list == as_obj
    assert as_list[0].options == ("2", "0", "-2", "4")


def without(key: str) -> dict:
    entry = good_entry()
    del entry[key]
    return entry


@pytest.mark.parametrize(
    ("entries", "needle"),
    [
        ([without("answer")], "missing key(s) answer"),
        ([without("explanation")], "missing key(s) explanation"),
        ([good_entry(options=["a", "b", "c"])], "got 3"),
        ([good_entry(options=["a", "b", "c", "d", "e"])], "got 5"),
        ([good_entry(options="abcd")], "must be a list of 4"),
        ([good_entry(options=["a", "b", "a", "d"])], "duplicate options"),
        ([good_entry(options=["a", "b", "c", ""])], "option 3"),
        ([good_entry(answer=4)], "out of range"),
        ([good_entry(answer=-1)], "out of range"),
        ([good_entry(answer="0")], "must be an integer"),
        ([good_entry(answer=True)], "must be an integer"),
        ([good_entry(topic="convolutions")], "unknown topic 'convolutions'"),
        ([good_entry(explanation="  ")], "'explanation' must be a non-empty string"),
        ([good_entry(question="")], "'question' must be a non-empty string"),
        ([good_entry(), good_entry(question="Another?")], "duplicates the id of entry 0"),
        ([good_entry(extra=1)], "unknown key(s) extra"),
        ([good_entry(source="web")], "unknown source 'web'; valid sources are: 'seed', 'course'"),
        ([good_entry(), "not an object"], "entry 1: expected an object"),
    ],
)
def test_load_bank_names_the_bad_entry(tmp_path: Path, entries: list, needle: str) -> None:
    path = write(tmp_path, entries)
    with pytest.raises(ValueError) as info:
        load_bank(path)
    message = str(info.value)
    assert needle in message
    assert str(path) in message
    if isinstance(entries[-1], dict) and "id" in entries[-1]:
        assert "'t01-sample'" in message


def test_source_is_optional_and_defaults_to_seed(tmp_path: Path) -> None:
    plain, course = load_bank(
        write(tmp_path, [good_entry(), good_entry(id="t02-other", source="course")])
    )
    assert (plain.source, course.source) == ("seed", "course")


def test_load_bank_error_names_the_index_when_the_id_is_missing(tmp_path: Path) -> None:
    path = write(tmp_path, [good_entry(), without("id")])
    with pytest.raises(ValueError, match=r"entry 1: missing key\(s\) id"):
        load_bank(path)


def test_unknown_topic_error_lists_the_valid_topics(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as info:
        load_bank(write(tmp_path, [good_entry(topic="CNNs")]))
    for topic in TOPICS:
        assert topic in str(info.value)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "not valid JSON"),
        ('{"questions": 3}', "expected a list"),
        ("[]", "holds no questions"),
    ],
)
def test_load_bank_rejects_malformed_files(tmp_path: Path, content: str, needle: str) -> None:
    with pytest.raises(ValueError, match=re.escape(needle)):
        load_bank(write(tmp_path, content))


def test_load_bank_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_bank(tmp_path / "nope.json")


def test_load_flashcards_names_the_bad_card(tmp_path: Path) -> None:
    cards = [
        {"id": "c1", "topic": "modularity", "term": "Module", "definition": "A block."},
        {"id": "c2", "topic": "optimisers", "term": "Adam", "definition": "An optimiser."},
    ]
    with pytest.raises(ValueError, match=r"entry 1 \(id 'c2'\): unknown topic 'optimisers'"):
        load_flashcards(write(tmp_path, {"cards": cards}, "cards.json"))
