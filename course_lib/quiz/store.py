"""Personal quiz progress: a small JSON file and a Leitner-box scheduler.

Every question has a Leitner box from 0 to :data:`MAX_BOX`. A correct answer moves the question up
one box, a wrong one sends it back to box 0; questions never answered sit in box 0 too. The
adaptive quiz asks low boxes first and, within a box, the questions missed most often.

The file lives at, in order of precedence: the ``path`` argument, the ``COURSE_QUIZ_PROGRESS``
environment variable, ``~/.course_lib/quiz_progress.json``. A missing file means a fresh start; an
unreadable or corrupt one gives a ``UserWarning`` and a fresh start (it is overwritten at the next
save). Writes go to a temporary file first and then replace the old file atomically, so a crash
never leaves a half-written file behind. Nothing is global: each quiz owns its store object.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..utils import as_rng
from .bank import TOPICS, Question, load_bank

__all__ = [
    "ENV_VAR",
    "MAX_BOX",
    "ProgressStore",
    "QuestionRecord",
    "default_progress_path",
    "progress",
]

#: Environment variable that overrides the default progress file location.
ENV_VAR = "COURSE_QUIZ_PROGRESS"
#: Highest Leitner box; a question there counts as mastered.
MAX_BOX = 4
_FORMAT_VERSION = 1


def default_progress_path() -> Path:
    """Where progress is kept when no path is given.

    Returns
    -------
    Path
        ``$COURSE_QUIZ_PROGRESS`` if set and non-empty, else ``~/.course_lib/quiz_progress.json``.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    return Path.home() / ".course_lib" / "quiz_progress.json"


@dataclass
class QuestionRecord:
    """What the store remembers about one question."""

    box: int = 0
    seen: int = 0
    correct: int = 0
    wrong: int = 0
    last_seen: str | None = None

    @classmethod
    def from_dict(cls, data: Any) -> QuestionRecord:
        """Build a record from its JSON form; raise ``ValueError`` if it is malformed."""
        if not isinstance(data, dict):
            raise ValueError("record is not an object")
        counts = {}
        for key in ("box", "seen", "correct", "wrong"):
            value = data.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{key!r} is not a non-negative integer")
            counts[key] = value
        if counts["box"] > MAX_BOX:
            raise ValueError(f"'box' is above {MAX_BOX}")
        last = data.get("last_seen")
        if last is not None and not isinstance(last, str):
            raise ValueError("'last_seen' is not a string")
        return cls(last_seen=last, **counts)


class ProgressStore:
    """Per-question results, Leitner boxes and their JSON file.

    Parameters
    ----------
    path : str or Path, optional
        The progress file; see :func:`default_progress_path` for the default. Creating a store
        only reads the file (if it exists); the file and its folder are created at the first save.

    Examples
    --------
    >>> store = ProgressStore(tmp_path / "progress.json")     # doctest: +SKIP
    >>> store.record("q01-relu-nonpositive", correct=True)     # doctest: +SKIP
    1
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = default_progress_path() if path is None else Path(path).expanduser()
        self.records: dict[str, QuestionRecord] = {}
        self._save_failed = False
        self._load()

    # ------------------------------------------------------------------ file
    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as err:
            self._warn(f"could not read it ({err})")
            return
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            self._warn(f"it is not valid JSON ({err})")
            return
        if not isinstance(data, dict) or not isinstance(data.get("questions"), dict):
            self._warn("it does not hold a 'questions' object")
            return
        bad = []
        for qid, raw in data["questions"].items():
            try:
                self.records[qid] = QuestionRecord.from_dict(raw)
            except ValueError as err:
                bad.append(f"{qid}: {err}")
        if bad:
            warnings.warn(
                f"quiz progress file {self.path}: ignored {len(bad)} malformed record(s) "
                f"({'; '.join(bad[:3])})",
                UserWarning,
                stacklevel=3,
            )

    def _warn(self, why: str) -> None:
        warnings.warn(
            f"quiz progress file {self.path} is corrupt or unreadable: {why}. Starting with fresh "
            "progress; the file will be overwritten at the next save.",
            UserWarning,
            stacklevel=4,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON-serialisable content of the progress file."""
        return {
            "version": _FORMAT_VERSION,
            "questions": {qid: asdict(rec) for qid, rec in sorted(self.records.items())},
        }

    def save(self) -> bool:
        """Write the file atomically (temporary file in the same folder, then ``os.replace``).

        Returns
        -------
        bool
            ``True`` if written. On an ``OSError`` (read-only home, full disk, ...) a single
            ``UserWarning`` is issued per store and ``False`` returned: the quiz keeps working.
        """
        text = json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"
        tmp_name: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, self.path)
            tmp_name = None
            return True
        except OSError as err:
            if not self._save_failed:
                warnings.warn(
                    f"could not save quiz progress to {self.path} ({err}); progress is kept for "
                    f"this session only. Set {ENV_VAR} to a writable file to keep it.",
                    UserWarning,
                    stacklevel=2,
                )
            self._save_failed = True
            return False
        finally:
            if tmp_name is not None:
                try:
                    os.unlink(tmp_name)
                except OSError:
                    pass

    # --------------------------------------------------------------- records
    def record(self, question_id: str, correct: bool, *, save: bool = True) -> int:
        """Record one answer and move the question between Leitner boxes.

        Parameters
        ----------
        question_id : str
            The question's id.
        correct : bool
            Whether the answer was right: up one box (at most :data:`MAX_BOX`); else box 0.
        save : bool, default True
            Write the file straight away.

        Returns
        -------
        int
            The question's new box.
        """
        rec = self.records.setdefault(question_id, QuestionRecord())
        rec.seen += 1
        if correct:
            rec.correct += 1
            rec.box = min(rec.box + 1, MAX_BOX)
        else:
            rec.wrong += 1
            rec.box = 0
        rec.last_seen = datetime.now(UTC).isoformat(timespec="seconds")
        if save:
            self.save()
        return rec.box

    def get(self, question_id: str) -> QuestionRecord:
        """The record of a question (a fresh, unsaved one if it was never answered)."""
        return self.records.get(question_id, QuestionRecord())

    def box(self, question_id: str) -> int:
        """The Leitner box of a question, 0 if never answered."""
        return self.get(question_id).box

    def reset(self, *, save: bool = True) -> None:
        """Forget all progress."""
        self.records.clear()
        if save:
            self.save()

    # ------------------------------------------------------------ scheduling
    def priority(self, question_id: str) -> tuple[int, int, int]:
        """Sort key of the adaptive order: lower comes first.

        Returns
        -------
        tuple of int
            ``(box, -times_missed, times_seen)``: low boxes first; within a box the most-missed
            questions, then never-seen ones before seen ones.
        """
        rec = self.get(question_id)
        return (rec.box, -rec.wrong, rec.seen)

    def order(
        self,
        questions: Sequence[Question],
        rng: np.random.Generator | int | None = None,
    ) -> list[Question]:
        """Questions in adaptive (Leitner) order, ties broken at random.

        Parameters
        ----------
        questions : sequence of Question
        rng : np.random.Generator or int or None
            Source of the tie-breaking order.

        Returns
        -------
        list of Question
            Missed-most and never-seen questions first, mastered ones last.
        """
        rng = as_rng(rng)
        ties = rng.permutation(len(questions))
        keyed = sorted(
            range(len(questions)), key=lambda i: (self.priority(questions[i].id), ties[i])
        )
        return [questions[i] for i in keyed]

    def mastery(self, questions: Iterable[Question]) -> dict[str, dict[str, float]]:
        """Per-topic mastery.

        Parameters
        ----------
        questions : iterable of Question

        Returns
        -------
        dict
            ``{topic: {"mastery": mean box / MAX_BOX in [0, 1], "seen": fraction answered at
            least once, "n": number of questions}}`` for each topic that has questions, in
            :data:`TOPICS` order.
        """
        boxes: dict[str, list[int]] = {}
        seen: dict[str, int] = {}
        for q in questions:
            rec = self.get(q.id)
            boxes.setdefault(q.topic, []).append(rec.box)
            seen[q.topic] = seen.get(q.topic, 0) + (rec.seen > 0)
        return {
            t: {
                "mastery": float(np.mean(boxes[t])) / MAX_BOX,
                "seen": seen[t] / len(boxes[t]),
                "n": float(len(boxes[t])),
            }
            for t in TOPICS
            if t in boxes
        }


def progress(
    path: str | Path | None = None,
    *,
    store: ProgressStore | None = None,
    questions: Sequence[Question] | None = None,
    ax: Any = None,
) -> Any:
    """Bar chart of per-topic mastery.

    Parameters
    ----------
    path : str or Path, optional
        Progress file (default: see :func:`default_progress_path`); ignored when ``store`` is given.
    store : ProgressStore, optional
        An existing store, e.g. ``my_quiz.store``.
    questions : sequence of Question, optional
        Defaults to the whole bank.
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Horizontal bars per topic: mastery (mean Leitner box / MAX_BOX) in front of the fraction
        of questions seen. The figure is closed in pyplot, so a notebook shows it once.
    """
    import matplotlib.pyplot as plt

    store = ProgressStore(path) if store is None else store
    questions = load_bank() if questions is None else list(questions)
    stats = store.mastery(questions)
    topics = list(stats)
    if ax is None:
        # Created through pyplot so that a notebook's inline backend (and its PNG formatter) is
        # set up, then closed so that pyplot does not show it a second time: the returned figure
        # displays once, as the cell's result.
        fig = plt.figure(figsize=(7, 0.5 * len(topics) + 1.8), layout="constrained")
        plt.close(fig)
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    y = np.arange(len(topics))
    seen = [stats[t]["seen"] for t in topics]
    mastery = [stats[t]["mastery"] for t in topics]
    ax.barh(y, seen, height=0.7, color="#c6dbef", label="seen at least once")
    ax.barh(y, mastery, height=0.4, color="#2171b5", label=f"mastery (box {MAX_BOX} = 100%)")
    for yi, t in zip(y, topics, strict=True):
        ax.text(1.01, yi, f"{stats[t]['mastery']:.0%}", va="center", fontsize=9)
    ax.set_yticks(y, [f"{t} ({int(stats[t]['n'])})" for t in topics])
    ax.invert_yaxis()
    ax.set_xlim(0, 1.1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    ax.set_xlabel("fraction of the topic's questions")
    ax.set_title("Quiz progress per topic")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize=8, frameon=False)
    return fig
