"""The 46 lecture questions are in the bank verbatim and first, and the fixture matches the seed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

SEED_DIR = Path(__file__).resolve().parents[3] / "shared" / "seed"
SEED_FILE = SEED_DIR / "000_d44a2706230b4c69.txt"


def norm(text: str) -> str:
    """Normalise whitespace only (no case folding, no unicode folding)."""
    return " ".join(text.split())


def parse_seed_questions(text: str) -> list[str]:
    """Questions between 'Questions and Answers' and 'Study Notes', without the site's noise."""
    lines = [norm(line) for line in text.splitlines()]
    start = lines.index("Questions and Answers") + 1
    end = lines.index("Study Notes")
    return [line for line in lines[start:end] if line and line != "Signup and view all the answers"]


def test_fixture_holds_46_distinct_questions(seed_questions: list[str]) -> None:
    assert len(seed_questions) == 46
    assert len({norm(q) for q in seed_questions}) == 46


@pytest.mark.skipif(
    not SEED_DIR.is_dir(),
    reason=f"the course's shared seed folder {SEED_DIR} is not beside this clone; the fixture "
    "tests/quiz/seed_questions.txt stands in for it",
)
def test_fixture_matches_shared_seed(seed_questions: list[str]) -> None:
    assert SEED_FILE.is_file(), f"{SEED_FILE} is missing from {SEED_DIR}"
    printed = parse_seed_questions(SEED_FILE.read_text(encoding="utf-8"))
    counts = Counter(printed)
    distinct = list(dict.fromkeys(printed))
    assert distinct == [norm(q) for q in seed_questions], "fixture differs from the seed"
    # The seed prints every question twice; more or fewer means the parse went wrong.
    assert set(counts.values()) == {2}


def test_every_seed_question_is_in_the_bank_verbatim_once(bank, seed_questions) -> None:
    bank_texts = Counter(norm(q.question) for q in bank)
    missing = [q for q in seed_questions if bank_texts[norm(q)] == 0]
    twice = [q for q in seed_questions if bank_texts[norm(q)] > 1]
    assert not missing, f"seed questions missing from the bank: {missing}"
    assert not twice, f"seed questions in the bank more than once: {twice}"
    seed_texts = {norm(q) for q in seed_questions}
    extra = [q.id for q in bank if q.source == "seed" and norm(q.question) not in seed_texts]
    assert not extra, f"questions marked as seed that are not in the seed: {extra}"
    assert sum(q.source == "seed" for q in bank) == 46


def test_bank_keeps_the_seed_order_and_numbering(bank, seed_questions) -> None:
    head = bank[: len(seed_questions)]
    for i, (question, text) in enumerate(zip(head, seed_questions, strict=True), start=1):
        assert question.id.startswith(f"q{i:02d}-"), question.id
        assert norm(question.question) == norm(text)
        assert question.source == "seed", question.id


def test_course_questions_come_after_the_seed_and_are_marked(bank, seed_questions) -> None:
    tail = bank[len(seed_questions) :]
    assert tail, "the bank holds only the seed questions"
    seed_texts = {norm(q) for q in seed_questions}
    for i, question in enumerate(tail, start=len(seed_questions) + 1):
        assert question.source == "course", question.id
        assert question.id.startswith(f"q{i:02d}-"), question.id
        assert norm(question.question) not in seed_texts, question.id


@pytest.mark.parametrize(
    "fragment",
    ["$f = ReLU(Ax)$", "$y = ReLU(B ReLU(Ax))$", "ReLU(−1)", "φ(x; θ)", "'f = exp(x)'"],
)
def test_latex_and_unicode_survive(bank, fragment: str) -> None:
    assert any(fragment in q.question for q in bank), fragment
