"""The quiz widget: one question at a time, check, explanation, score, retry the missed ones.

All logic lives in plain Python on :class:`Quiz` (``select``, ``check``, ``next``,
``retry_missed`` and the ``state`` dict), so it can be tested without a browser; the ipywidgets
only mirror that state. Options are shuffled with a ``np.random.Generator`` every time a
question is shown, and the correct option is tracked through the permutation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..utils import as_rng
from ._ui import button, esc
from .bank import Question, check_topic, load_bank, of_topic
from .store import ProgressStore

__all__ = ["Quiz", "quiz"]


class Quiz:
    """An interactive multiple-choice quiz over a list of questions.

    Display it as the last expression of a notebook cell (or ``display(q)``); drive it from code
    with :meth:`select`, :meth:`check`, :meth:`next` and :meth:`retry_missed`.

    Parameters
    ----------
    questions : sequence of Question
        The questions to ask, in order.
    rng : np.random.Generator or int or None
        Source of the option shuffles.
    store : ProgressStore or None
        Where results are recorded (Leitner boxes); ``None`` records nothing.
    title : str
        Heading shown above the questions.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The displayed widget (CSS class ``course-quiz``).
    store : ProgressStore or None
    """

    def __init__(
        self,
        questions: Sequence[Question],
        *,
        rng: np.random.Generator | int | None = None,
        store: ProgressStore | None = None,
        title: str = "Quiz",
    ) -> None:
        if not questions:
            raise ValueError("a quiz needs at least one question")
        self.questions: list[Question] = list(questions)
        self.rng = as_rng(rng)
        self.store = store
        self.title = title
        self._round_questions: list[Question] = []
        self._round = 0
        self._rendering = False
        self._build_widgets()
        self._start_round(self.questions)

    # ------------------------------------------------------------ widgets
    def _build_widgets(self) -> None:
        self._header = widgets.HTML().add_class("course-quiz-header")
        self._question = widgets.HTMLMath().add_class("course-quiz-question")
        self._options = widgets.RadioButtons(
            options=[], index=None, layout=widgets.Layout(width="auto")
        ).add_class("course-quiz-options")
        self._check_button = button("Check", "check", "course-quiz-check", self.check, "primary")
        self._next_button = button("Next", "arrow-right", "course-quiz-next", self.next)
        self._retry_button = button(
            "Retry the ones I missed", "repeat", "course-quiz-retry", self.retry_missed, "warning"
        )
        self._feedback = widgets.HTMLMath().add_class("course-quiz-feedback")
        self._score = widgets.HTML().add_class("course-quiz-score")
        self._options.observe(self._on_pick, names="index")

        self._buttons = widgets.HBox([self._check_button, self._next_button, self._retry_button])
        self.widget = widgets.VBox(
            [
                self._header,
                self._question,
                self._options,
                self._buttons,
                self._feedback,
                self._score,
            ]
        ).add_class("course-quiz")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _on_pick(self, change: dict[str, Any]) -> None:
        if self._rendering or self._finished or self._checked:
            return
        self._selected = change["new"]
        self._feedback.value = ""

    # ------------------------------------------------------------ flow
    def _start_round(self, questions: Sequence[Question]) -> None:
        self._round += 1
        self._round_questions = list(questions)
        self._index = 0
        self._score_value = 0
        self._answered = 0
        self._missed: list[Question] = []
        self._finished = False
        self._show_question()

    def _show_question(self) -> None:
        q = self.current_question
        self._perm = self.rng.permutation(len(q.options))
        self._shown = tuple(q.options[i] for i in self._perm)
        self._correct_choice = int(np.flatnonzero(self._perm == q.answer)[0])
        self._selected: int | None = None
        self._checked = False
        self._correct: bool | None = None
        self._feedback_text = ""
        self._render()

    def _render(self) -> None:
        total = len(self._round_questions)
        round_note = f" · retry round {self._round - 1}" if self._round > 1 else ""
        if self._finished:
            self._header.value = f"<b>{esc(self.title)}</b>{round_note}"
            self._question.value = ""
            self._options.layout.display = "none"
            self._check_button.layout.display = "none"
            self._next_button.layout.display = "none"
            self._feedback.value = ""
            missed = len(self._missed)
            note = (
                f"{missed} missed: press “Retry the ones I missed” to practise them again."
                if missed
                else "No mistakes. Well done!"
            )
            self._score.value = (
                f"<b>Final score: {self._score_value} / {total}</b> "
                f"({self._score_value / total:.0%}). {note}"
            )
            self._retry_button.layout.display = "" if missed else "none"
            return
        q = self.current_question
        self._header.value = (
            f"<b>{esc(self.title)}</b>{round_note} · question {self._index + 1} of {total} "
            f"· <i>{esc(q.topic)}</i>"
        )
        self._question.value = f"<p>{esc(q.question)}</p>"
        self._rendering = True
        try:
            self._options.options = list(self._shown)
            self._options.index = self._selected
        finally:
            self._rendering = False
        self._options.disabled = self._checked
        self._options.layout.display = ""
        self._check_button.layout.display = ""
        self._check_button.disabled = self._checked
        self._next_button.layout.display = ""
        self._next_button.disabled = not self._checked
        self._next_button.description = "Finish" if self._index == total - 1 else "Next"
        self._retry_button.layout.display = "none"
        self._feedback.value = self._feedback_text
        self._score.value = f"Score: {self._score_value} / {self._answered}"

    @property
    def current_question(self) -> Question:
        """The question being shown (the last one once the round is finished)."""
        return self._round_questions[min(self._index, len(self._round_questions) - 1)]

    @property
    def options(self) -> tuple[str, ...]:
        """The current question's options in displayed (shuffled) order."""
        return self._shown

    @property
    def correct_choice(self) -> int:
        """Index of the correct option in the displayed order."""
        return self._correct_choice

    @property
    def finished(self) -> bool:
        """Whether the current round is over."""
        return self._finished

    @property
    def missed(self) -> list[str]:
        """Ids of the questions answered wrongly in the current round."""
        return [q.id for q in self._missed]

    def select(self, choice: int | str) -> None:
        """Pick an option, like clicking its radio button.

        Parameters
        ----------
        choice : int or str
            Index in the displayed order (:attr:`options`), or the option's text.
        """
        if self._finished:
            raise RuntimeError("the quiz is finished: use retry_missed() to practise again")
        if self._checked:
            raise RuntimeError("this question is already checked: call next()")
        if isinstance(choice, str):
            if choice not in self._shown:
                raise ValueError(f"{choice!r} is not one of the options {list(self._shown)}")
            choice = self._shown.index(choice)
        if isinstance(choice, bool) or not isinstance(choice, int | np.integer):
            raise TypeError(f"choice must be an int or an option's text, got {choice!r}")
        if not 0 <= choice < len(self._shown):
            raise ValueError(f"choice {choice} out of range 0..{len(self._shown) - 1}")
        self._options.index = int(choice)  # fires _on_pick, which sets _selected
        self._selected = int(choice)

    def check(self) -> bool | None:
        """Grade the selected option, show feedback and the explanation, record the result.

        Returns
        -------
        bool or None
            Whether the answer was correct; ``None`` if nothing is selected yet (a hint is shown)
            or the question was already checked.
        """
        if self._finished or self._checked:
            return self._correct if self._checked else None
        if self._selected is None:
            self._feedback_text = "Choose an option first."
            self._feedback.value = self._feedback_text
            return None
        q = self.current_question
        self._checked = True
        self._correct = self._selected == self._correct_choice
        self._answered += 1
        if self._correct:
            self._score_value += 1
            verdict = "<b style='color:#1a7f37'>✔ Correct.</b>"
        else:
            self._missed.append(q)
            verdict = (
                "<b style='color:#b42318'>✘ Not quite.</b> The answer is: "
                f"<b>{esc(q.correct_option)}</b>"
            )
        self._feedback_text = f"<p>{verdict}</p><p>{esc(q.explanation)}</p>"
        if self.store is not None:
            self.store.record(q.id, self._correct)
        self._render()
        return self._correct

    def next(self) -> None:
        """Go to the next question, or to the final score after the last one."""
        if self._finished:
            return
        if not self._checked:
            raise RuntimeError("check() the current question before moving on")
        if self._index + 1 >= len(self._round_questions):
            self._finished = True
            self._render()
            return
        self._index += 1
        self._show_question()

    def retry_missed(self) -> bool:
        """Start a new round with the questions missed in this round (options reshuffled).

        Returns
        -------
        bool
            ``False`` (and nothing changes) if the round is not finished or nothing was missed.
        """
        if not self._finished or not self._missed:
            return False
        self._start_round(self._missed)
        return True

    @property
    def state(self) -> dict[str, Any]:
        """A snapshot of the quiz for tests and scripts.

        Keys: ``round`` (1 for the first pass), ``index`` (0-based position in the round),
        ``total``, ``question_id``, ``options`` (displayed order), ``selected`` (displayed index
        or None), ``checked``, ``correct`` (None until checked), ``score``, ``answered``,
        ``missed`` (ids), ``finished``, ``feedback`` (the feedback HTML, with the explanation
        once checked).
        """
        return {
            "round": self._round,
            "index": self._index,
            "total": len(self._round_questions),
            "question_id": None if self._finished else self.current_question.id,
            "options": None if self._finished else self._shown,
            "selected": None if self._finished else self._selected,
            "checked": self._checked,
            "correct": self._correct,
            "score": self._score_value,
            "answered": self._answered,
            "missed": self.missed,
            "finished": self._finished,
            "feedback": self._feedback.value,
        }

    def __repr__(self) -> str:
        s = self.state
        return (
            f"Quiz(round={s['round']}, question {s['index'] + 1}/{s['total']}, "
            f"score={s['score']}/{s['answered']}, finished={s['finished']})"
        )


def quiz(
    topic: str | None = None,
    n: int | None = None,
    seed: np.random.Generator | int | None = None,
    adaptive: bool = False,
    progress_path: str | Path | None = None,
    *,
    store: ProgressStore | None = None,
    questions: Sequence[Question] | None = None,
) -> Quiz:
    """Build a quiz widget over the lecture's question bank.

    Parameters
    ----------
    topic : str, optional
        Restrict to one lecture topic (see ``TOPICS``); case-insensitive.
    n : int, optional
        Ask at most ``n`` questions (default: all of the topic).
    seed : np.random.Generator or int, optional
        Seeds the question order and the option shuffles; ``None`` gives a fresh shuffle.
    adaptive : bool, default False
        Ask first what was missed most and what was never seen (Leitner boxes from the progress
        file) instead of a random order.
    progress_path : str or Path, optional
        Progress file; default ``$COURSE_QUIZ_PROGRESS`` or ``~/.course_lib/quiz_progress.json``.
        It is read now and written after each checked answer.
    store : ProgressStore, optional
        Use this store instead of opening ``progress_path``.
    questions : sequence of Question, optional
        Use these questions instead of the shipped bank.

    Returns
    -------
    Quiz
        Displays itself in a notebook.

    Raises
    ------
    ValueError
        For an unknown topic (the message lists the valid ones) or ``n < 1``.
    """
    canonical = check_topic(topic)
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"n must be a positive integer or None, got {n!r}")
    pool = of_topic(load_bank() if questions is None else questions, canonical, "questions")
    rng = as_rng(seed)
    store = ProgressStore(progress_path) if store is None else store
    if adaptive:
        pool = store.order(pool, rng)
    else:
        pool = [pool[i] for i in rng.permutation(len(pool))]
    if n is not None:
        pool = pool[:n]
    title = "Quiz" if canonical is None else f"Quiz: {canonical}"
    if adaptive:
        title += " (adaptive)"
    return Quiz(pool, rng=rng, store=store, title=title)
