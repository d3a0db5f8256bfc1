"""Small pieces the quiz and the flashcard widgets share."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets

__all__ = ["esc", "button"]


def esc(text: str) -> str:
    """``text`` escaped for HTML (quotes kept)."""
    return html.escape(text, quote=False)


def button(
    description: str, icon: str, css: str, on_click: Callable[[], object], style: str = ""
) -> widgets.Button:
    """A button with the CSS class ``css`` that calls ``on_click()`` when clicked."""
    b = widgets.Button(description=description, icon=icon, button_style=style).add_class(css)
    b.on_click(lambda _b: on_click())
    return b
