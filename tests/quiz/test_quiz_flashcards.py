"""Flashcards: flipping, wrapping navigation and "mark as known"."""

from __future__ import annotations

import html

import ipywidgets as widgets
import pytest

from course_lib.quiz import TOPICS, Flashcard, Flashcards, flashcards, load_flashcards


def esc(text: str) -> str:
    return html.escape(text, quote=False)


@pytest.fixture
def deck() -> list[Flashcard]:
    return [
        Flashcard(f"c{i}", "nonlinearities", f"Term {i}", f"Definition number {i}.")
        for i in range(4)
    ]


def test_flashcards_use_the_shipped_deck_and_filter_by_topic() -> None:
    cards = load_flashcards()
    f = flashcards()
    assert f.state["total"] == len(cards) >= 30
    for topic in TOPICS:
        sub = flashcards(topic=topic)
        assert {c.topic for c in sub.cards} == {topic}
    with pytest.raises(ValueError, match="valid topics are"):
        flashcards(topic="reinforcement learning")


def test_flip_shows_definition_then_term(deck) -> None:
    f = Flashcards(deck)
    s = f.state
    assert s["side"] == "term" and s["term"] == "Term 0"
    assert "Term 0" in s["shown"] and esc(deck[0].definition) not in s["shown"]
    f.flip()
    assert f.flipped and f.state["side"] == "definition"
    assert esc(deck[0].definition) in f.state["shown"]
    f.flip()
    assert f.state["side"] == "term" and esc(deck[0].definition) not in f.state["shown"]


def test_navigation_wraps_and_resets_to_the_term_side(deck) -> None:
    f = Flashcards(deck)
    f.flip()
    f.next()
    assert f.state["term"] == "Term 1" and f.state["side"] == "term"
    f.previous()
    f.previous()  # wraps from the first card to the last
    assert f.state["term"] == "Term 3" and f.state["index"] == 3
    f.next()  # wraps from the last card to the first
    assert f.state["term"] == "Term 0"
    seen = []
    for _ in range(8):
        seen.append(f.state["card_id"])
        f.next()
    assert seen == ["c0", "c1", "c2", "c3"] * 2


def test_mark_known_hides_the_card_for_the_session(deck) -> None:
    f = Flashcards(deck)
    f.next()
    f.mark_known()  # hides c1, shows c2
    s = f.state
    assert s["known"] == ["c1"] and s["remaining"] == 3 and s["card_id"] == "c2"
    visited = set()
    for _ in range(9):
        visited.add(f.state["card_id"])
        f.next()
    assert visited == {"c0", "c2", "c3"}
    for _ in range(9):
        f.previous()
        assert f.state["card_id"] != "c1"
    assert "3 known" not in f._header.value and "1 known" in f._header.value


def test_marking_every_card_known_and_reset(deck) -> None:
    f = Flashcards(deck)
    for _ in deck:
        f.mark_known()
    s = f.state
    assert s["done"] and s["remaining"] == 0 and s["card_id"] is None
    assert "every card as known" in s["shown"]
    f.next()
    f.previous()
    f.flip()
    f.mark_known()  # none of these may fail once the deck is empty
    assert f._flip_button.disabled
    f.reset()
    assert f.state["remaining"] == 4 and f.state["card_id"] == "c0" and f.state["known"] == []


def test_buttons_drive_the_same_logic_and_have_css_classes(deck) -> None:
    f = Flashcards(deck)
    assert isinstance(f.widget, widgets.VBox) and "course-flashcards" in f.widget._dom_classes
    assert isinstance(f._face, widgets.HTMLMath)
    f._flip_button.click()
    assert f.state["side"] == "definition"
    f._next_button.click()
    assert f.state["card_id"] == "c1"
    f._known_button.click()
    assert f.state["known"] == ["c1"]
    f._prev_button.click()
    assert f.state["card_id"] == "c0"
    f._reset_button.click()
    assert f.state["known"] == []
    for button, cls in [
        (f._flip_button, "course-flashcards-flip"),
        (f._next_button, "course-flashcards-next"),
        (f._prev_button, "course-flashcards-previous"),
        (f._known_button, "course-flashcards-known"),
    ]:
        assert cls in button._dom_classes
    assert "application/vnd.jupyter.widget-view+json" in f._repr_mimebundle_()


def test_shuffle_is_seeded() -> None:
    a = [c.id for c in flashcards(shuffle=True, seed=1).cards]
    b = [c.id for c in flashcards(shuffle=True, seed=1).cards]
    c = [c.id for c in flashcards(shuffle=True, seed=2).cards]
    assert a == b and a != c
    assert sorted(a) == sorted(x.id for x in load_flashcards())
