"""Flashcards: term on the front, definition on the back.

Navigation wraps around: ``next()`` on the last card goes to the first and ``previous()`` on the
first goes to the last. ``mark_known()`` hides the current card for the rest of the session (the
object's lifetime) and moves on to the next card still in play; ``reset()`` brings every card back.
Moving to another card always shows its front (the term) first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np

from ..utils import as_rng
from ._ui import button, esc
from .bank import Flashcard, check_topic, load_flashcards, of_topic

__all__ = ["Flashcards", "flashcards"]


class Flashcards:
    """A deck of term/definition cards with flip, next/previous (wrapping) and "known".

    Parameters
    ----------
    cards : sequence of Flashcard
        The deck, in the order shown.
    title : str
        Heading shown above the card.

    Attributes
    ----------
    widget : ipywidgets.VBox
        The displayed widget (CSS class ``course-flashcards``).
    """

    def __init__(self, cards: Sequence[Flashcard], *, title: str = "Flashcards") -> None:
        if not cards:
            raise ValueError("a flashcard deck needs at least one card")
        self.cards: list[Flashcard] = list(cards)
        self.title = title
        self._position = 0  # index into self.cards
        self._flipped = False
        self._known: set[str] = set()
        self._build_widgets()
        self._render()

    # ------------------------------------------------------------ widgets
    def _build_widgets(self) -> None:
        self._header = widgets.HTML().add_class("course-flashcards-header")
        self._face = widgets.HTMLMath(
            layout=widgets.Layout(
                min_height="7em", padding="0.8em", border="1px solid #bbb", width="auto"
            )
        ).add_class("course-flashcards-face")
        css = "course-flashcards-"
        self._prev_button = button("Previous", "arrow-left", css + "previous", self.previous)
        self._flip_button = button("Flip", "refresh", css + "flip", self.flip, "primary")
        self._next_button = button("Next", "arrow-right", css + "next", self.next)
        self._known_button = button(
            "I know this", "check", css + "known", self.mark_known, "success"
        )
        self._reset_button = button("Show all again", "undo", css + "reset", self.reset)
        buttons = widgets.HBox(
            [
                self._prev_button,
                self._flip_button,
                self._next_button,
                self._known_button,
                self._reset_button,
            ]
        )
        self.widget = widgets.VBox([self._header, self._face, buttons]).add_class(
            "course-flashcards"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _render(self) -> None:
        remaining = self.remaining
        controls = (self._prev_button, self._flip_button, self._next_button, self._known_button)
        if not remaining:
            self._header.value = f"<b>{esc(self.title)}</b> · all {len(self.cards)} cards known"
            self._face.value = (
                "<p>You marked every card as known. Press “Show all again” to review them.</p>"
            )
            for b in controls:
                b.disabled = True
            return
        card = self.current
        number = remaining.index(card) + 1
        self._header.value = (
            f"<b>{esc(self.title)}</b> · card {number} of {len(remaining)} "
            f"({len(self._known)} known) · <i>{esc(card.topic)}</i>"
        )
        if self._flipped:
            self._face.value = f"<p><b>{esc(card.term)}</b></p><p>{esc(card.definition)}</p>"
        else:
            self._face.value = (
                f"<p style='font-size:1.3em'><b>{esc(card.term)}</b></p>"
                "<p><i>Flip to see the definition.</i></p>"
            )
        for b in controls:
            b.disabled = False
        self._flip_button.description = "Show term" if self._flipped else "Flip"

    # ------------------------------------------------------------ logic
    @property
    def remaining(self) -> list[Flashcard]:
        """Cards not marked as known, in deck order."""
        return [c for c in self.cards if c.id not in self._known]

    @property
    def current(self) -> Flashcard | None:
        """The card shown, or ``None`` once every card is known."""
        if not self.remaining:
            return None
        return self.cards[self._position]

    @property
    def flipped(self) -> bool:
        """Whether the definition side is shown."""
        return self._flipped

    def _step(self, direction: int) -> None:
        n = len(self.cards)
        if len(self._known) >= n:
            return
        pos = self._position
        for _ in range(n):
            pos = (pos + direction) % n
            if self.cards[pos].id not in self._known:
                break
        self._position = pos
        self._flipped = False

    def flip(self) -> None:
        """Turn the current card over (term <-> definition)."""
        if self.current is not None:
            self._flipped = not self._flipped
            self._render()

    def next(self) -> None:
        """Show the next card still in play, wrapping from the last to the first."""
        self._step(+1)
        self._render()

    def previous(self) -> None:
        """Show the previous card still in play, wrapping from the first to the last."""
        self._step(-1)
        self._render()

    def mark_known(self) -> None:
        """Hide the current card for the rest of the session and show the next one in play."""
        card = self.current
        if card is None:
            return
        self._known.add(card.id)
        self._step(+1)
        self._render()

    def reset(self) -> None:
        """Bring back every card marked as known and start again at the first card."""
        self._known.clear()
        self._position = 0
        self._flipped = False
        self._render()

    @property
    def state(self) -> dict[str, Any]:
        """A snapshot for tests and scripts.

        Keys: ``index`` (position among the remaining cards, or None), ``card_id``, ``term``,
        ``side`` (``"term"`` or ``"definition"``), ``shown`` (the face's HTML), ``remaining``
        (count), ``known`` (sorted ids), ``total``, ``done`` (every card known).
        """
        card = self.current
        remaining = self.remaining
        return {
            "index": None if card is None else remaining.index(card),
            "card_id": None if card is None else card.id,
            "term": None if card is None else card.term,
            "side": "definition" if self._flipped else "term",
            "shown": self._face.value,
            "remaining": len(remaining),
            "known": sorted(self._known),
            "total": len(self.cards),
            "done": card is None,
        }

    def __repr__(self) -> str:
        s = self.state
        return f"Flashcards(card={s['term']!r}, side={s['side']}, remaining={s['remaining']})"


def flashcards(
    topic: str | None = None,
    *,
    shuffle: bool = False,
    seed: np.random.Generator | int | None = None,
    cards: Sequence[Flashcard] | None = None,
) -> Flashcards:
    """Build a flashcard widget from the lecture's study notes.

    Parameters
    ----------
    topic : str, optional
        Restrict to one lecture topic (see ``TOPICS``); case-insensitive.
    shuffle : bool, default False
        Shuffle the deck (with ``seed``) instead of the notes' order.
    seed : np.random.Generator or int, optional
        Seeds the shuffle.
    cards : sequence of Flashcard, optional
        Use these cards instead of the shipped deck.

    Returns
    -------
    Flashcards
        Displays itself in a notebook.

    Raises
    ------
    ValueError
        For an unknown topic; the message lists the valid ones.
    """
    canonical = check_topic(topic)
    deck = of_topic(load_flashcards() if cards is None else cards, canonical, "flashcards")
    if shuffle:
        rng = as_rng(seed)
        deck = [deck[i] for i in rng.permutation(len(deck))]
    title = "Flashcards" if canonical is None else f"Flashcards: {canonical}"
    return Flashcards(deck, title=title)
