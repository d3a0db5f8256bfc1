"""No give-aways: the bank cannot be answered from the wording of its options alone.

Three bank-wide figures, computed over every question (seed and course-written alike), so that a
new question cannot bring a give-away back:

1. absolute words (always, never, only, must, every, any, all, none, cannot) appear at similar
   rates in correct options and in distractors (within :data:`MAX_ABSOLUTE_GAP` points);
2. no distractor theme is recycled: "feedback/recurrence" and "convex/closed-form" are each used
   by at most :data:`MAX_THEME_USES` distractors;
3. the correct option is the strictly longest one in at most :data:`MAX_LONGEST_SHARE` of the
   questions.

Then the items the review of the first edition flagged are checked one by one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from course_lib.quiz import Question

#: Words that make a claim absolute; test-wise students learn that such options are wrong.
ABSOLUTE = re.compile(r"\b(always|never|only|must|every|any|all|none|cannot)\b", re.IGNORECASE)
#: Distractor themes that the first edition recycled, as keyword patterns.
THEMES: dict[str, re.Pattern[str]] = {
    "feedback/recurrence": re.compile(
        r"feedback|\bfe[de]d?s?\b[^.]{0,30}\bback\b|\bfeeding\b[^.]{0,30}\bback\b|recurren"
        r"|\bloop|self-connection|\bcycl|\b(rnn|lstm|gru)s?\b",
        re.IGNORECASE,
    ),
    "convex/closed-form": re.compile(r"convex|closed[- ]form", re.IGNORECASE),
}
#: Largest allowed difference, in percentage points, between the absolute-word rates.
MAX_ABSOLUTE_GAP = 10.0
#: Largest number of distractors per recycled theme.
MAX_THEME_USES = 3
#: Largest share of questions whose correct option is the strictly longest.
MAX_LONGEST_SHARE = 0.25


@dataclass(frozen=True)
class Figures:
    """The three bank-wide give-away figures."""

    absolute_in_answers: float  # percent of correct options with an absolute word
    absolute_in_distractors: float  # percent of distractors with an absolute word
    theme_uses: dict[str, list[str]]  # theme -> ids of the questions, one entry per distractor
    longest: list[str]  # ids of the questions whose answer is the strictly longest option

    def longest_share(self, n_questions: int) -> float:
        return len(self.longest) / n_questions


def distractors(q: Question) -> list[str]:
    return [o for i, o in enumerate(q.options) if i != q.answer]


def answer_is_strictly_longest(q: Question) -> bool:
    return all(len(q.correct_option) > len(o) for o in distractors(q))


def figures(bank: list[Question]) -> Figures:
    answers = [q.correct_option for q in bank]
    wrong = [o for q in bank for o in distractors(q)]
    return Figures(
        absolute_in_answers=100 * sum(bool(ABSOLUTE.search(o)) for o in answers) / len(answers),
        absolute_in_distractors=100 * sum(bool(ABSOLUTE.search(o)) for o in wrong) / len(wrong),
        theme_uses={
            name: [q.id for q in bank for o in distractors(q) if pattern.search(o)]
            for name, pattern in THEMES.items()
        },
        longest=[q.id for q in bank if answer_is_strictly_longest(q)],
    )


# ------------------------------------------------------------------ the figures, on toy banks
def toy(qid: str, options: list[str], answer: int = 0) -> Question:
    return Question(qid, "modularity", f"{qid}?", tuple(options), answer, "Because.")


def test_figures_detect_each_kind_of_give_away() -> None:
    bad = [
        toy("t1", ["It depends on the data", "It is always zero", "It never changes", "It is 2"]),
        toy("t2", ["A long, carefully hedged correct option", "Feedback", "A loop", "Convex"]),
        toy("t3", ["Usually", "Only with recurrent links", "It is convex", "Closed-form fit"]),
    ]
    f = figures(bad)
    assert f.absolute_in_answers == 0.0
    assert f.absolute_in_distractors == pytest.approx(100 * 3 / 9)
    assert f.theme_uses["feedback/recurrence"] == ["t2", "t2", "t3"]
    assert f.theme_uses["convex/closed-form"] == ["t2", "t3", "t3"]
    assert f.longest == ["t1", "t2"]
    assert f.longest_share(len(bad)) == pytest.approx(2 / 3)


# ------------------------------------------------------------------ the figures, on the bank
def test_absolute_words_are_as_common_in_answers_as_in_distractors(bank) -> None:
    f = figures(bank)
    gap = abs(f.absolute_in_answers - f.absolute_in_distractors)
    assert gap <= MAX_ABSOLUTE_GAP, (
        f"absolute words in {f.absolute_in_answers:.1f}% of answers but "
        f"{f.absolute_in_distractors:.1f}% of distractors ({gap:.1f} points apart)"
    )


@pytest.mark.parametrize("theme", sorted(THEMES))
def test_no_distractor_theme_is_recycled(bank, theme: str) -> None:
    uses = figures(bank).theme_uses[theme]
    assert len(uses) <= MAX_THEME_USES, f"{theme!r} is a distractor {len(uses)} times: {uses}"


def test_correct_option_is_rarely_the_strictly_longest(bank) -> None:
    f = figures(bank)
    share = f.longest_share(len(bank))
    assert share <= MAX_LONGEST_SHARE, f"{share:.0%} of answers are the longest: {f.longest}"


# ------------------------------------------------------------------ the reviewed items
def by_id(bank: list[Question]) -> dict[str, Question]:
    return {q.id[:3]: q for q in bank}


def test_q17_has_no_defensible_regression_distractor(bank) -> None:
    q = by_id(bank)["q17"]
    for option in distractors(q):
        assert not re.search(r"regress|gaussian|continuous|real-valued|outlier", option, re.I), (
            option
        )
    assert "Euclidean (squared) loss instead" not in q.explanation
    assert "Gaussian" in q.explanation  # the contrast is rewritten, not dropped


def test_q14_distractors_are_plausible(bank) -> None:
    q = by_id(bank)["q14"]
    for option in distractors(q):
        assert not ABSOLUTE.search(option), option
        assert not re.search(r"anywhere|saturat", option, re.I), option
    assert "outlier" in q.correct_option.lower()


def test_q01_and_q06_answers_carry_no_proof_and_no_length_cue(bank) -> None:
    q01, q06 = by_id(bank)["q01"], by_id(bank)["q06"]
    assert "max(0" not in q01.correct_option and "since" not in q01.correct_option
    for q in (q01, q06):
        lengths = sorted(len(o) for o in q.options)
        assert lengths[-1] <= 6 * max(lengths[0], 1), (q.id, q.options)
    assert q06.correct_option == "0"


def test_q10_answer_does_not_echo_the_question_and_is_taught_in_part_03(bank) -> None:
    q = by_id(bank)["q10"]
    stems = {"limit", "complex", "model", "linear", "function"}
    assert not any(stem in q.correct_option.lower() for stem in stems), q.correct_option
    assert q.topic == "xor and feature learning"


@pytest.mark.parametrize("key", ["q13", "q31"])
def test_q13_q31_the_hedge_is_not_the_answers_alone(bank, key: str) -> None:
    q = by_id(bank)[key]
    hedge = re.compile(r"in general|almost everywhere|typically|usually|for some|in most", re.I)
    absolute_distractors = [o for o in distractors(q) if ABSOLUTE.search(o)]
    hedged_distractors = [o for o in distractors(q) if hedge.search(o)]
    # Either no distractor says always/never/must/only, or a distractor is hedged as well.
    assert not absolute_distractors or hedged_distractors, q.options


def test_q25_answer_is_neither_longest_nor_the_only_unqualified_option(bank) -> None:
    q = by_id(bank)["q25"]
    assert not answer_is_strictly_longest(q)
    assert any(not ABSOLUTE.search(o) for o in distractors(q))


@pytest.mark.parametrize(
    ("key", "throwaway"),
    [
        ("q26", r"skip training|fewer training examples than"),
        ("q35", r"recurren|self-connection|fed back|feedback"),
    ],
)
def test_q26_q35_have_no_throwaway_distractors(bank, key: str, throwaway: str) -> None:
    q = by_id(bank)[key]
    hits = [o for o in distractors(q) if re.search(throwaway, o, re.I)]
    assert len(hits) <= 1, hits
    if key == "q26":
        assert not hits, hits
