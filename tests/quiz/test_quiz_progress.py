"""Progress file, Leitner boxes, adaptive order and the mastery chart."""

from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path

import pytest

from course_lib.quiz import MAX_BOX, TOPICS, ProgressStore, default_progress_path, progress, quiz
from course_lib.quiz import store as store_module


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "sub" / "progress.json"


def test_leitner_boxes(path: Path) -> None:
    s = ProgressStore(path)
    assert s.box("q") == 0
    ups = [s.record("q", True) for _ in range(MAX_BOX + 2)]
    assert ups == [min(i, MAX_BOX) for i in range(1, MAX_BOX + 3)]
    assert s.record("q", False) == 0
    rec = s.get("q")
    assert (rec.seen, rec.correct, rec.wrong) == (MAX_BOX + 3, MAX_BOX + 2, 1)


def test_progress_survives_a_restart(path: Path) -> None:
    s = ProgressStore(path)
    assert not path.exists()  # creating a store writes nothing
    s.record("a", True)
    s.record("a", True)
    s.record("b", False)
    restarted = ProgressStore(path)
    assert restarted.box("a") == 2 and restarted.box("b") == 0
    assert restarted.get("b").wrong == 1
    assert restarted.to_dict() == s.to_dict()


def test_missing_file_starts_fresh_silently(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = ProgressStore(path)
    assert s.records == {}


@pytest.mark.parametrize(
    "content",
    [
        b"{ this is not json",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'{"version": 1, "questions": []}',
        b"",
    ],
)
def test_corrupt_file_warns_and_starts_fresh(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.warns(UserWarning, match="corrupt or unreadable"):
        s = ProgressStore(path)
    assert s.records == {}
    s.record("q01", True)
    assert json.loads(path.read_text(encoding="utf-8"))["questions"]["q01"]["box"] == 1


def test_malformed_records_are_dropped_with_a_warning(path: Path) -> None:
    path.parent.mkdir(parents=True)
    good = {"box": 2, "seen": 2, "correct": 2, "wrong": 0, "last_seen": None}
    bad = {"box": "high", "seen": 1}
    path.write_text(json.dumps({"version": 1, "questions": {"ok": good, "bad": bad}}))
    with pytest.warns(UserWarning, match="ignored 1 malformed record"):
        s = ProgressStore(path)
    assert s.box("ok") == 2 and "bad" not in s.records


def test_quiz_with_a_corrupt_progress_file_still_works(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("nonsense", encoding="utf-8")
    with pytest.warns(UserWarning):
        q = quiz(seed=0, adaptive=True, progress_path=path)
    q.select(q.correct_choice)
    assert q.check() is True
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["questions"][q.current_question.id]["box"] == 1


def test_unwritable_location_never_crashes(tmp_path: Path) -> None:
    folder = tmp_path / "a_folder"
    folder.mkdir()
    with pytest.warns(UserWarning, match="corrupt or unreadable"):
        q = quiz(seed=0, progress_path=folder)  # a directory cannot be read or replaced
    q.select(0)
    with pytest.warns(UserWarning, match="could not save quiz progress"):
        q.check()
    q.next()
    q.select(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the save failure is reported once, not every answer
        q.check()
    assert q.state["answered"] == 2


def test_writes_are_atomic(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = ProgressStore(path)
    s.record("a", True)
    before = path.read_text(encoding="utf-8")
    calls = []
    real_replace = os.replace

    def failing_replace(src, dst):
        calls.append((Path(src), Path(dst)))
        raise OSError("disk full")

    monkeypatch.setattr(store_module.os, "replace", failing_replace)
    with pytest.warns(UserWarning, match="disk full"):
        assert s.record("a", True) == 2
    assert path.read_text(encoding="utf-8") == before  # old file untouched
    assert calls and calls[0][1] == path and calls[0][0].parent == path.parent
    assert sorted(p.name for p in path.parent.iterdir()) == ["progress.json"]  # no temp left
    monkeypatch.setattr(store_module.os, "replace", real_replace)
    assert s.save() is True
    assert ProgressStore(path).box("a") == 2


def test_default_path_env_var_and_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "mine.json"
    monkeypatch.setenv("COURSE_QUIZ_PROGRESS", str(target))
    assert default_progress_path() == target
    assert ProgressStore().path == target
    monkeypatch.delenv("COURSE_QUIZ_PROGRESS")
    home = Path(os.environ["HOME"])
    assert str(home).startswith(str(tmp_path))  # the conftest keeps us out of the real home
    assert default_progress_path() == home / ".course_lib" / "quiz_progress.json"


def test_stores_are_independent(tmp_path: Path) -> None:
    a, b = ProgressStore(tmp_path / "a.json"), ProgressStore(tmp_path / "b.json")
    a.record("q", True)
    assert b.box("q") == 0 and ProgressStore(tmp_path / "b.json").box("q") == 0


def test_adaptive_order_puts_missed_and_unseen_first(bank, path: Path) -> None:
    topic = "cost functions"
    ids = [q.id for q in bank if q.topic == topic]
    s = ProgressStore(path)
    mastered, once_right, missed_twice, missed_once = ids[0], ids[1], ids[2], ids[3]
    for _ in range(3):
        s.record(mastered, True)
    s.record(once_right, True)
    s.record(missed_twice, False)
    s.record(missed_twice, False)
    s.record(missed_once, True)
    s.record(missed_once, False)
    unseen = set(ids) - {mastered, once_right, missed_twice, missed_once}

    for seed in range(5):
        q = quiz(topic=topic, adaptive=True, seed=seed, progress_path=path)
        order = [x.id for x in q.questions]
        assert order[:2] == [missed_twice, missed_once]
        assert set(order[2 : 2 + len(unseen)]) == unseen
        assert order[-2:] == [once_right, mastered]


def test_adaptive_quiz_after_a_restart_asks_the_missed_ones_first(path: Path, play_round) -> None:
    first = quiz(topic="backpropagation", seed=1, progress_path=path)
    missed = play_round(first, lambda i: i < 3)
    again = quiz(topic="backpropagation", adaptive=True, seed=2, progress_path=path)
    assert {x.id for x in again.questions[:3]} == set(missed)
    assert again.store is not first.store


def test_mastery_and_chart(bank, path: Path) -> None:
    s = ProgressStore(path)
    modularity = [q.id for q in bank if q.topic == "modularity"]
    for _ in range(MAX_BOX):
        s.record(modularity[0], True)
    s.record(modularity[1], False)
    stats = s.mastery(bank)
    assert list(stats) == list(TOPICS)  # in teaching order (test_quiz_topics pins TOPICS down)
    n = len(modularity)
    assert stats["modularity"]["mastery"] == pytest.approx(1 / n)
    assert stats["modularity"]["seen"] == pytest.approx(2 / n)
    assert stats["cost functions"]["mastery"] == 0.0

    from matplotlib.figure import Figure

    fig = progress(path)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    widths = [round(p.get_width(), 6) for p in ax.patches]
    assert round(1 / n, 6) in widths and round(2 / n, 6) in widths
    assert len(ax.patches) == 2 * len(stats)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")  # renders headless
    assert buffer.getvalue()[:4] == b"\x89PNG"
    same = progress(store=s)
    assert [p.get_width() for p in same.axes[0].patches] == [p.get_width() for p in ax.patches]


def test_chart_of_an_empty_progress_file(tmp_path: Path) -> None:
    fig = progress(tmp_path / "none.json")
    assert all(p.get_width() == 0 for p in fig.axes[0].patches)
    assert not (tmp_path / "none.json").exists()


def test_opening_a_quiz_writes_nothing(tmp_path: Path) -> None:
    # Lecture notebooks end with quiz(topic=...); executing them (CI, nbval) must not write files.
    default = default_progress_path()
    assert str(default).startswith(str(tmp_path))
    quiz(topic="modularity", seed=0)
    quiz(adaptive=True, seed=0)
    progress()
    assert not default.exists()
    assert not (Path(os.environ["HOME"]) / ".course_lib").exists()
