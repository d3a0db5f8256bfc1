"""The quiz widget's plain-Python state: scoring, feedback, shuffling, rounds and wiring."""

from __future__ import annotations

import html
import json
from pathlib import Path

import ipywidgets as widgets
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_lib.quiz import TOPICS, Question, Quiz, quiz


def escaped(text: str) -> str:
    return html.escape(text, quote=False)


@pytest.fixture
def progress_file(tmp_path: Path) -> Path:
    return tmp_path / "progress.json"


def test_quiz_covers_the_bank_and_filters_by_topic(bank, progress_file) -> None:
    everything = quiz(seed=0, progress_path=progress_file)
    assert everything.state["total"] == len(bank) > 46
    assert sorted(q.id for q in everything.questions) == sorted(q.id for q in bank)
    for topic in TOPICS:
        q = quiz(topic=topic, seed=0, progress_path=progress_file)
        assert {x.topic for x in q.questions} == {topic}
        assert len(q.questions) == sum(x.topic == topic for x in bank)
    n_cost = sum(x.topic == "cost functions" for x in bank)
    assert len(quiz(topic="Cost Functions", progress_path=progress_file).questions) == n_cost
    # Topics of an older bank edition are gone; the error names the current ones.
    with pytest.raises(ValueError, match="'backpropagation'"):
        quiz(topic="chain rule and backprop", progress_path=progress_file)


def test_unknown_topic_lists_the_valid_ones(progress_file) -> None:
    with pytest.raises(ValueError) as info:
        quiz(topic="transformers", progress_path=progress_file)
    for topic in TOPICS:
        assert repr(topic) in str(info.value)


def test_n_limits_the_quiz_and_must_be_positive(bank, progress_file) -> None:
    assert quiz(n=5, seed=1, progress_path=progress_file).state["total"] == 5
    n_modularity = sum(q.topic == "modularity" for q in bank)
    assert n_modularity < 50
    assert quiz(topic="modularity", n=50, progress_path=progress_file).state["total"] == (
        n_modularity
    )
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match="n must be a positive integer"):
            quiz(n=bad, progress_path=progress_file)


def test_same_seed_same_quiz(progress_file) -> None:
    a = quiz(seed=42, progress_path=progress_file)
    b = quiz(seed=42, progress_path=progress_file)
    assert [q.id for q in a.questions] == [q.id for q in b.questions]
    assert a.options == b.options
    c = quiz(seed=43, progress_path=progress_file)
    assert [q.id for q in a.questions] != [q.id for q in c.questions]


def test_correct_choice_scores_one_with_feedback(progress_file) -> None:
    q = quiz(seed=3, progress_path=progress_file)
    question = q.current_question
    q.select(q.correct_choice)
    assert q.state["selected"] == q.correct_choice
    assert q.check() is True
    state = q.state
    assert state["correct"] is True and state["score"] == 1 and state["answered"] == 1
    assert "Correct" in state["feedback"]
    assert escaped(question.explanation) in state["feedback"]
    assert state["missed"] == []


def test_wrong_choice_scores_zero_and_shows_the_explanation(progress_file) -> None:
    q = quiz(seed=4, progress_path=progress_file)
    question = q.current_question
    wrong = (q.correct_choice + 1) % 4
    q.select(wrong)
    assert q.check() is False
    state = q.state
    assert state["correct"] is False and state["score"] == 0 and state["answered"] == 1
    assert escaped(question.explanation) in state["feedback"]
    assert escaped(question.correct_option) in state["feedback"]
    assert "Correct." not in state["feedback"]
    assert state["missed"] == [question.id]


def test_select_by_text(progress_file) -> None:
    q = quiz(seed=5, progress_path=progress_file)
    q.select(q.current_question.correct_option)
    assert q.check() is True
    q.next()
    with pytest.raises(ValueError, match="not one of the options"):
        q.select("certainly not an option")
    with pytest.raises(ValueError, match="out of range"):
        q.select(4)


def test_check_needs_a_selection_and_next_needs_a_check(progress_file) -> None:
    q = quiz(seed=6, progress_path=progress_file)
    assert q.check() is None
    assert "Choose an option first" in q.state["feedback"]
    assert q.state["answered"] == 0
    with pytest.raises(RuntimeError, match="check"):
        q.next()
    q.select(0)
    result = q.check()
    assert q.check() is result  # checking twice changes nothing
    assert q.state["answered"] == 1
    with pytest.raises(RuntimeError, match="already checked"):
        q.select(1)


def test_full_round_score_and_retry_missed(progress_file, play_round) -> None:
    q = quiz(topic="cost functions", seed=7, progress_path=progress_file)
    total = q.state["total"]
    expected_missed = play_round(q, lambda i: i % 3 == 0)
    state = q.state
    assert state["finished"] and state["question_id"] is None
    assert state["score"] == total - len(expected_missed)
    assert state["missed"] == expected_missed
    assert f"Final score: {state['score']} / {total}" in q._score.value
    assert q._retry_button.layout.display != "none"

    assert q.retry_missed() is True
    state = q.state
    assert state["round"] == 2 and state["total"] == len(expected_missed)
    assert state["score"] == 0 and not state["finished"]
    assert [x.id for x in q._round_questions] == expected_missed
    for _ in expected_missed:
        q.select(q.correct_choice)
        assert q.check() is True
        q.next()
    assert q.finished and q.state["missed"] == []
    assert q.retry_missed() is False
    assert q._retry_button.layout.display == "none"


def test_retry_is_refused_before_the_round_ends(progress_file) -> None:
    q = quiz(n=2, seed=8, progress_path=progress_file)
    q.select((q.correct_choice + 1) % 4)
    q.check()
    assert q.retry_missed() is False
    assert q.state["round"] == 1


def test_options_are_shuffled_per_attempt(bank) -> None:
    q = Quiz(bank, rng=0)
    positions, changed = set(), 0
    for question in bank:
        assert sorted(q.options) == sorted(question.options)
        positions.add(q.correct_choice)
        changed += q.options != question.options
        q.select(0)
        q.check()
        q.next()
    assert positions == {0, 1, 2, 3}
    assert changed > len(bank) // 2
    # the same question asked again in a retry round gets a fresh shuffle
    same = Quiz([bank[0]] * 30, rng=1)
    orders = set()
    for _ in range(30):
        orders.add(same.options)
        same.select(0)
        same.check()
        same.next()
    assert len(orders) > 1


@settings(max_examples=40, deadline=None, database=None)
@given(seed=st.integers(0, 2**63 - 1), data=st.data())
def test_shuffling_never_detaches_the_answer(bank, seed: int, data) -> None:
    picked = [bank[i] for i in np.random.default_rng(seed).choice(len(bank), 6, replace=False)]
    q = Quiz(picked, rng=seed)
    for question in picked:
        assert q.current_question == question
        assert sorted(q.options) == sorted(question.options)
        assert q.options[q.correct_choice] == question.correct_option
        choice = data.draw(st.integers(0, 3))
        q.select(choice)
        assert q.check() is (q.options[choice] == question.correct_option)
        q.next()
    assert q.state["score"] == 6 - len(q.state["missed"])


def test_widget_wiring_and_css_classes(progress_file) -> None:
    q = quiz(seed=9, progress_path=progress_file)
    assert isinstance(q.widget, widgets.VBox)
    assert "course-quiz" in q.widget._dom_classes
    assert isinstance(q._question, widgets.HTMLMath)
    assert escaped(q.current_question.question) in q._question.value
    assert isinstance(q._options, widgets.RadioButtons)
    assert list(q._options.options) == list(q.options)
    for w, cls in [
        (q._options, "course-quiz-options"),
        (q._check_button, "course-quiz-check"),
        (q._next_button, "course-quiz-next"),
        (q._retry_button, "course-quiz-retry"),
        (q._feedback, "course-quiz-feedback"),
        (q._score, "course-quiz-score"),
    ]:
        assert cls in w._dom_classes
    # a click on a radio button and on Check behaves like select() and check()
    q._options.index = q.correct_choice
    assert q.state["selected"] == q.correct_choice
    q._check_button.click()
    assert q.state["correct"] is True
    assert q._options.disabled and q._check_button.disabled and not q._next_button.disabled
    q._next_button.click()
    assert q.state["index"] == 1 and q._options.index is None and not q._options.disabled
    bundle = q._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_latex_question_goes_to_htmlmath(bank, progress_file) -> None:
    latex = next(x for x in bank if "$f = ReLU(Ax)$" in x.question)
    q = Quiz([latex], rng=0)
    assert "$f = ReLU(Ax)$" in q._question.value


def test_answers_are_recorded_in_the_progress_file(progress_file) -> None:
    q = quiz(seed=10, progress_path=progress_file)
    first = q.current_question.id
    q.select(q.correct_choice)
    q.check()
    q.next()
    second = q.current_question.id
    q.select((q.correct_choice + 1) % 4)
    q.check()
    data = json.loads(progress_file.read_text(encoding="utf-8"))
    assert data["questions"][first]["box"] == 1
    assert data["questions"][second] | {"last_seen": None} == {
        "box": 0,
        "seen": 1,
        "correct": 0,
        "wrong": 1,
        "last_seen": None,
    }


def test_quiz_with_custom_questions(progress_file) -> None:
    custom = [
        Question("x1", "modularity", "Pick $a$.", ("a", "b", "c", "d"), 0, "Because a."),
        Question("x2", "modularity", "Pick d.", ("a", "b", "c", "d"), 3, "Because d."),
    ]
    q = quiz(questions=custom, seed=0, progress_path=progress_file)
    assert {x.id for x in q.questions} == {"x1", "x2"}
    with pytest.raises(ValueError, match="no questions for topic"):
        quiz(topic="cost functions", questions=custom, progress_path=progress_file)
