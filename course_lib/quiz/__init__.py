"""The lecture's quiz bank, a quiz widget, flashcards and personal progress.

>>> from course_lib.quiz import load_bank, quiz, flashcards, progress
>>> bank = load_bank()                      # the lecture's 46 questions, then the course's
>>> quiz(topic="cost functions")            # doctest: +SKIP   (a widget, one question at a time)
>>> TOPICS[:2], len(TOPICS)                 # one quiz topic per lecture part, in order
(('feedforward networks', 'modularity'), 8)
>>> quiz(adaptive=True, n=10)               # doctest: +SKIP   (missed-most and unseen first)
>>> flashcards(topic="nonlinearities")      # doctest: +SKIP
>>> progress()                              # doctest: +SKIP   (per-topic mastery bar chart)

Progress is kept in ``~/.course_lib/quiz_progress.json`` unless ``progress_path=`` or the
``COURSE_QUIZ_PROGRESS`` environment variable says otherwise.
"""

from .bank import SOURCES, TOPICS, Flashcard, Question, load_bank, load_flashcards
from .flashcard_widget import Flashcards, flashcards
from .quiz_widget import Quiz, quiz
from .store import MAX_BOX, ProgressStore, default_progress_path, progress

__all__ = [
    "MAX_BOX",
    "SOURCES",
    "TOPICS",
    "Flashcard",
    "Flashcards",
    "ProgressStore",
    "Question",
    "Quiz",
    "default_progress_path",
    "flashcards",
    "load_bank",
    "load_flashcards",
    "progress",
    "quiz",
]
