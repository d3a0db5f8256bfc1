"""Fixtures for the quiz tests: nothing here may touch the real home folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from course_lib.quiz import Question, load_bank

FIXTURE_DIR = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME and COURSE_QUIZ_PROGRESS into tmp_path for every test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("COURSE_QUIZ_PROGRESS", str(tmp_path / "env_progress.json"))
    return home


@pytest.fixture(scope="session")
def bank() -> list[Question]:
    return load_bank()


@pytest.fixture(scope="session")
def seed_questions() -> list[str]:
    """The 46 seed questions, one per line, as kept in the repo's fixture file."""
    text = (FIXTURE_DIR / "seed_questions.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip()]


def _play_round(q, miss) -> list[str]:
    """Answer every question of ``q``'s round in order, wrongly where ``miss(i)`` is true.

    Returns the ids of the questions answered wrongly, in order.
    """
    missed = []
    for i in range(q.state["total"]):
        assert q.state["index"] == i
        if miss(i):
            missed.append(q.current_question.id)
            q.select((q.correct_choice + 1) % len(q.options))
        else:
            q.select(q.correct_choice)
        q.check()
        q.next()
    return missed


@pytest.fixture
def play_round():
    """A function answering a quiz's whole round, wrongly where ``miss(i)``: the missed ids."""
    return _play_round
