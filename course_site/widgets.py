"""Interactive widgets as static pictures: what an explorer shows before anyone touches it.

A static site has no kernel, so a widget output cannot run. :func:`snapshot_widgets` replaces
every widget output of an executed notebook by HTML rebuilt from the widget state nbclient
saved (its images, text, plots and controls with their values) and a note saying how to use
it for real; the widget JavaScript is then not needed and the page works offline.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from nbformat import NotebookNode

__all__ = ["WIDGET_NOTE", "snapshot_widgets", "static_widget_html"]

#: The note shown under every widget snapshot.
WIDGET_NOTE = (
    "Interactive widget, shown as a static snapshot of its initial state: open the notebook in "
    "Jupyter and run it to use the controls."
)

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_IPY_MODEL = "IPY_MODEL_"
_BOXES = ("VBoxModel", "BoxModel", "HBoxModel", "GridBoxModel", "AccordionModel", "TabModel")

WIDGET_CSS = """
.static-widget { border: 1px dashed #bbb; border-radius: 4px; padding: 0.5rem; margin: 0.3rem 0; }
.static-widget img { max-width: 100%; }
.static-widget .sw-row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: flex-start; }
.static-widget .sw-col { display: flex; flex-direction: column; gap: 0.3rem; }
.static-widget .sw-control { font-size: 0.85em; color: #333; background: #f3f3f3;
  border-radius: 3px; padding: 0.1rem 0.4rem; }
.static-widget-note { font-size: 0.8em; color: #777; font-style: italic; margin: 0.3rem 0 0; }
"""


def _model_ref(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(_IPY_MODEL):
        return value[len(_IPY_MODEL) :]
    return None


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _render_output(output: Mapping[str, Any]) -> str:
    """HTML for one output dict kept inside an ``Output`` widget."""
    kind = output.get("output_type")
    if kind == "stream":
        return f"<pre>{html.escape(_joined(output.get('text', '')))}</pre>"
    if kind == "error":
        text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
        return f"<pre>{html.escape(text)}</pre>"
    data = output.get("data", {})
    for fmt in ("png", "jpeg", "gif"):
        if f"image/{fmt}" in data:
            payload = _joined(data[f"image/{fmt}"]).strip()
            return f'<img src="data:image/{fmt};base64,{payload}" alt="plot">'
    if "image/svg+xml" in data:
        return _joined(data["image/svg+xml"])
    if "text/html" in data:
        return _joined(data["text/html"])
    if "text/plain" in data:
        return f"<pre>{html.escape(_joined(data['text/plain']))}</pre>"
    return ""


def _hidden(s: Mapping[str, Any], state: Mapping[str, Any]) -> bool:
    ref = _model_ref(s.get("layout"))
    layout = state.get(ref or "", {}).get("state", {}) if ref else {}
    return layout.get("display") == "none" or layout.get("visibility") == "hidden"


def _choice_html(name: str, s: Mapping[str, Any], label: str) -> str:
    """A dropdown, radio buttons, toggle buttons or selection slider with its current choice."""
    labels = list(s.get("_options_labels", []))
    index = s.get("index")
    if name == "RadioButtonsModel":
        items = "".join(
            f"<li>{'&#9673;' if i == index else '&#9675;'} {html.escape(str(opt))}</li>"
            for i, opt in enumerate(labels)
        )
        return f'<div class="sw-control">{label}<ul style="list-style:none">{items}</ul></div>'
    if isinstance(index, int) and 0 <= index < len(labels):
        chosen = html.escape(str(labels[index]))
    elif isinstance(index, list | tuple):
        chosen = ", ".join(html.escape(str(labels[i])) for i in index if 0 <= i < len(labels))
    else:
        chosen = "-"
    return f'<span class="sw-control">{label}{chosen}</span>'


def _value_html(value: Any, label: str) -> str:
    """A slider, checkbox, text box... as ``description: value``."""
    if isinstance(value, bool):
        value = "on" if value else "off"
    elif isinstance(value, float):
        value = f"{value:.4g}"
    elif isinstance(value, list):
        value = " - ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in value)
    return f'<span class="sw-control">{label}{html.escape(str(value))}</span>'


def static_widget_html(model_id: str, state: Mapping[str, Any], _depth: int = 0) -> str:
    """A static HTML snapshot of one widget and its children, from a saved widget state.

    Boxes become flex rows/columns, ``HTML``/``HTMLMath``/``Label`` show their text, ``Image``
    its picture (from the state's base64 buffer), ``Output`` its captured outputs (e.g. a plot
    drawn by ``interact``), buttons and value controls a short label with their current value.

    Parameters
    ----------
    model_id : str
        The widget's model id (as in a ``widget-view+json`` output).
    state : mapping
        ``metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]``.

    Returns
    -------
    str
        HTML; empty for models that draw nothing (layouts, styles) or are missing.
    """
    model = state.get(model_id)
    if model is None or _depth > 50:
        return ""
    name = str(model.get("model_name", ""))
    s = model.get("state", {})
    if _hidden(s, state):
        return ""
    description = html.escape(str(s.get("description", "") or ""))
    label = f"{description}: " if description else ""
    if name in _BOXES:
        refs = (_model_ref(c) for c in s.get("children", []))
        parts = (static_widget_html(ref, state, _depth + 1) for ref in refs if ref)
        css = "sw-row" if name == "HBoxModel" else "sw-col"
        return f'<div class="{css}">{"".join(p for p in parts if p)}</div>'
    if name in ("HTMLModel", "HTMLMathModel"):
        return f"<div>{label}{s.get('value', '')}</div>"
    if name == "LabelModel":
        return f"<div>{html.escape(str(s.get('value', '')))}</div>"
    if name == "ImageModel":
        buffers = [b for b in model.get("buffers", []) if b.get("path") == ["value"]]
        fmt = html.escape(str(s.get("format", "png")))
        return (
            f'<img src="data:image/{fmt};base64,{buffers[0]["data"]}" alt="widget image">'
            if buffers
            else ""
        )
    if name == "OutputModel":
        return "".join(_render_output(o) for o in s.get("outputs", []))
    if name == "ButtonModel":
        text = description or html.escape(str(s.get("icon", "")))
        return f'<span class="sw-control">[{text}]</span>'
    if "_options_labels" in s:
        return _choice_html(name, s, label)
    if "value" in s and name.endswith("Model") and "Style" not in name and name != "LayoutModel":
        return _value_html(s["value"], label)
    return ""


def snapshot_widgets(nb: NotebookNode, note: str = WIDGET_NOTE) -> int:
    """Replace every widget output by a static snapshot and a note; drop the widget state.

    Parameters
    ----------
    nb : NotebookNode
        An executed notebook, changed in place.
    note : str
        The sentence shown under each snapshot.

    Returns
    -------
    int
        How many widget outputs were replaced.
    """
    state = nb.metadata.get("widgets", {}).get(_WIDGET_STATE, {}).get("state", {})
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            view = data.get(_WIDGET_VIEW)
            if not view:
                continue
            body = static_widget_html(str(view.get("model_id", "")), state)
            data["text/html"] = (
                f'<div class="static-widget">{body}'
                f'<p class="static-widget-note">{html.escape(note)}</p></div>'
            )
            del data[_WIDGET_VIEW]
            data.pop("text/plain", None)
            count += 1
    nb.metadata.pop("widgets", None)  # no widget JavaScript: the pages work offline
    return count
