"""Render the lecture notebooks to a static HTML site that can be read without Jupyter.

Each notebook of ``lectures/`` is executed top to bottom in a fresh kernel (nbclient) and
converted with nbconvert's HTML exporter. Plots are inline ``data:image/png`` images, so every
page is a single self-contained file. Interactive widgets cannot run without a kernel: each widget
output is replaced by a static snapshot of its initial state (its images, text and controls,
rebuilt from the widget state nbclient saves) and a note saying so. Links between notebooks
(``05_activation_functions.ipynb``) are rewritten to the rendered pages. An ``index.html`` links
every page.

>>> from autograder.site import build_html
>>> build_html(Path("site"))                # doctest: +SKIP
PosixPath('site/index.html')

From the shell: ``python -m autograder.site [OUT] [--lectures DIR] [--timeout SECONDS]``.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from nbformat import NotebookNode

__all__ = [
    "DEFAULT_LECTURES",
    "REPO_ROOT",
    "WIDGET_NOTE",
    "Page",
    "build_html",
    "execute_notebook",
    "kernel_env",
    "main",
    "render_notebook",
    "static_widget_html",
]

#: The repository root: ``course_lib`` lives here, the lectures in ``lectures/``.
REPO_ROOT = Path(__file__).resolve().parents[1]
#: ``lectures/`` of this repository (the default source folder).
DEFAULT_LECTURES = REPO_ROOT / "lectures"

#: The note shown under every widget snapshot.
WIDGET_NOTE = (
    "Interactive widget, shown as a static snapshot of its initial state: open the notebook in "
    "Jupyter and run it to use the controls."
)

_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
_WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_IPY_MODEL = "IPY_MODEL_"

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 52rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }
h1 { margin-bottom: 0.2rem; }
ol.parts li { margin: 0.6rem 0; }
ol.parts a { font-weight: 600; }
.file { color: #777; font-size: 0.85em; margin-left: 0.4rem; }
footer { margin-top: 2rem; color: #777; font-size: 0.85em; }
"""

_WIDGET_CSS = """
<style>
.static-widget { border: 1px dashed #bbb; border-radius: 4px; padding: 0.5rem; margin: 0.3rem 0; }
.static-widget img { max-width: 100%; }
.static-widget .sw-row { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: flex-start; }
.static-widget .sw-col { display: flex; flex-direction: column; gap: 0.3rem; }
.static-widget .sw-control { font-size: 0.85em; color: #333; background: #f3f3f3;
  border-radius: 3px; padding: 0.1rem 0.4rem; }
.static-widget-note { font-size: 0.8em; color: #777; font-style: italic; margin: 0.3rem 0 0; }
</style>
"""


@dataclass(frozen=True)
class Page:
    """One rendered notebook.

    Attributes
    ----------
    source : Path
        The notebook.
    html_name : str
        File name of the page inside the output folder, e.g. ``"05_activation_functions.html"``.
    title : str
        The notebook's title (its "Part N · ..." heading, else its first heading).
    seconds : float
        Execution time, kernel start included.
    """

    source: Path
    html_name: str
    title: str
    seconds: float


# ------------------------------------------------------------------------------------------------
# execution
# ------------------------------------------------------------------------------------------------
_POLL_SLICE = 0.25
"""Seconds per wait on a kernel channel (see :class:`_SlicedPollingClient`)."""


def _sliced(
    get_msg: Callable[..., Awaitable[dict[str, Any]]], slice_s: float = _POLL_SLICE
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Wrap an async ``channel.get_msg(timeout)`` to wait in short slices up to ``timeout``."""

    async def get_msg_sliced(timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            step = slice_s if remaining is None else min(slice_s, remaining)
            try:
                return await get_msg(timeout=step)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return get_msg_sliced


class _SlicedPollingClient(NotebookClient):
    """A NotebookClient whose waits on the kernel's shell and IOPub channels are sliced.

    With pyzmq's asyncio sockets a wake-up is occasionally missed (seen after cells that display
    ``interact`` widgets): ``get_msg(timeout=T)`` then sleeps for the whole ``T`` although the
    reply arrived at once, and the notebook stalls for the full cell timeout. Waiting in slices of
    :data:`_POLL_SLICE` seconds bounds such a stall to one slice; results are unchanged.
    """

    async def async_start_new_kernel_client(self) -> Any:
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            channel.get_msg = _sliced(channel.get_msg)
        return kc


def kernel_env(progress_path: Path | None = None) -> dict[str, str]:
    """The environment for a lecture kernel: this process's, made reproducible.

    The repository root first on ``PYTHONPATH`` (the lectures import this checkout's
    ``course_lib``, whatever else is installed), one BLAS thread (the lectures multiply small
    matrices; threads only contend on a shared machine), no inherited ``MPLBACKEND`` (the
    notebooks choose ``%matplotlib inline``), and the quiz progress file at ``progress_path`` if
    given, so building pages never reads or writes a person's own progress.

    Parameters
    ----------
    progress_path : Path, optional
        Value for ``COURSE_QUIZ_PROGRESS``.

    Returns
    -------
    dict of str to str
    """
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)
    paths = [str(REPO_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    if progress_path is not None:
        env["COURSE_QUIZ_PROGRESS"] = str(progress_path)
    return env


def execute_notebook(
    path: Path,
    *,
    timeout: int = 600,
    env: Mapping[str, str] | None = None,
    allow_errors: bool = False,
    kernel_name: str = "python3",
) -> tuple[NotebookNode, float]:
    """Execute a notebook top to bottom in a fresh kernel, in the notebook's own folder.

    Parameters
    ----------
    path : Path
        The ``.ipynb`` file; it is not modified.
    timeout : int
        Seconds allowed per cell.
    env : mapping, optional
        The kernel's environment; default :func:`kernel_env`.
    allow_errors : bool
        Keep going after a failing cell (its error is recorded as an ``error`` output);
        otherwise raise nbclient's ``CellExecutionError``.
    kernel_name : str

    Returns
    -------
    notebook : NotebookNode
        The executed notebook, with outputs and the widget state in its metadata.
    seconds : float
        Wall time, kernel start and shutdown included.
    """
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = _SlicedPollingClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        allow_errors=allow_errors,
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    start = time.perf_counter()
    client.execute(env=dict(kernel_env() if env is None else env))
    return nb, time.perf_counter() - start


# ------------------------------------------------------------------------------------------------
# widgets -> static HTML
# ------------------------------------------------------------------------------------------------
def _model_ref(value: Any) -> str | None:
    if isinstance(value, str) and value.startswith(_IPY_MODEL):
        return value[len(_IPY_MODEL) :]
    return None


def _render_output(output: Mapping[str, Any]) -> str:
    """HTML for one output dict kept inside an ``Output`` widget."""
    kind = output.get("output_type")
    if kind == "stream":
        return f"<pre>{html.escape(str(output.get('text', '')))}</pre>"
    if kind == "error":
        text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
        return f"<pre>{html.escape(text)}</pre>"
    data = output.get("data", {})
    for fmt in ("png", "jpeg", "gif"):
        if f"image/{fmt}" in data:
            payload = data[f"image/{fmt}"]
            payload = "".join(payload) if isinstance(payload, list) else payload
            return f'<img src="data:image/{fmt};base64,{payload.strip()}" alt="plot">'
    if "image/svg+xml" in data:
        svg = data["image/svg+xml"]
        return "".join(svg) if isinstance(svg, list) else svg
    if "text/html" in data:
        value = data["text/html"]
        return "".join(value) if isinstance(value, list) else value
    if "text/plain" in data:
        value = data["text/plain"]
        return f"<pre>{html.escape(''.join(value) if isinstance(value, list) else value)}</pre>"
    return ""


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
    if s.get("layout") and _model_ref(s["layout"]):
        layout = state.get(_model_ref(s["layout"]) or "", {}).get("state", {})
        if layout.get("display") == "none" or layout.get("visibility") == "hidden":
            return ""
    description = html.escape(str(s.get("description", "") or ""))
    label = f"{description}: " if description else ""

    if name in ("VBoxModel", "BoxModel", "HBoxModel", "GridBoxModel", "AccordionModel", "TabModel"):
        parts = [
            static_widget_html(ref, state, _depth + 1)
            for ref in (_model_ref(c) for c in s.get("children", []))
            if ref
        ]
        css = "sw-row" if name == "HBoxModel" else "sw-col"
        return f'<div class="{css}">{"".join(p for p in parts if p)}</div>'
    if name in ("HTMLModel", "HTMLMathModel"):
        return f"<div>{label}{s.get('value', '')}</div>"
    if name == "LabelModel":
        return f"<div>{html.escape(str(s.get('value', '')))}</div>"
    if name == "ImageModel":
        buffers = [b for b in model.get("buffers", []) if b.get("path") == ["value"]]
        if not buffers:
            return ""
        fmt = html.escape(str(s.get("format", "png")))
        return f'<img src="data:image/{fmt};base64,{buffers[0]["data"]}" alt="widget image">'
    if name == "OutputModel":
        return "".join(_render_output(o) for o in s.get("outputs", []))
    if name == "ButtonModel":
        text = description or html.escape(str(s.get("icon", "")))
        return f'<span class="sw-control">[{text}]</span>'
    if "_options_labels" in s:
        labels = list(s.get("_options_labels", []))
        index = s.get("index")
        if isinstance(index, int) and 0 <= index < len(labels):
            chosen = html.escape(str(labels[index]))
        elif isinstance(index, list | tuple):
            chosen = ", ".join(html.escape(str(labels[i])) for i in index if 0 <= i < len(labels))
        else:
            chosen = "-"
        if name == "RadioButtonsModel":
            items = "".join(
                f"<li>{'&#9673;' if i == index else '&#9675;'} {html.escape(str(opt))}</li>"
                for i, opt in enumerate(labels)
            )
            return f'<div class="sw-control">{label}<ul style="list-style:none">{items}</ul></div>'
        return f'<span class="sw-control">{label}{chosen}</span>'
    if "value" in s and name.endswith("Model") and "Style" not in name and name != "LayoutModel":
        value = s["value"]
        if isinstance(value, bool):
            value = "on" if value else "off"
        elif isinstance(value, float):
            value = f"{value:.4g}"
        elif isinstance(value, list):
            value = " - ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in value)
        return f'<span class="sw-control">{label}{html.escape(str(value))}</span>'
    return ""


def _snapshot_widgets(nb: NotebookNode) -> int:
    """Replace every widget output by a static snapshot; drop the widget state. Returns count."""
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
                f'{_WIDGET_CSS}<div class="static-widget">{body}'
                f'<p class="static-widget-note">{html.escape(WIDGET_NOTE)}</p></div>'
            )
            del data[_WIDGET_VIEW]
            count += 1
    nb.metadata.pop("widgets", None)  # no widget JavaScript: the pages work offline
    return count


def _rewrite_links(nb: NotebookNode, names: set[str]) -> None:
    """Point markdown links to sibling notebooks at their rendered pages."""
    pattern = re.compile(r"\]\((\./)?([^)\s/#]+)\.ipynb(#[^)\s]*)?\)")

    def repl(m: re.Match[str]) -> str:
        stem = m.group(2)
        if f"{stem}.ipynb" not in names:
            return m.group(0)
        return f"]({stem}.html{m.group(3) or ''})"

    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = pattern.sub(repl, cell.source)


def notebook_title(nb: NotebookNode, fallback: str) -> str:
    """The "Part N · Title" heading (or first heading) of a notebook, as plain text."""
    headings = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            m = re.match(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", line)
            if m:
                headings.append(m.group(2))
        if headings:
            break
    for h in headings:
        if re.match(r"(?i)part\s+\d+", h) or h.lower() == "course map":
            return h
    return headings[0] if headings else fallback


# ------------------------------------------------------------------------------------------------
# rendering
# ------------------------------------------------------------------------------------------------
def render_notebook(nb: NotebookNode, names: set[str] | None = None) -> str:
    """HTML for an executed notebook: widget snapshots, rewritten links, inline images.

    Parameters
    ----------
    nb : NotebookNode
        An executed notebook (modified in place: widget outputs become snapshots).
    names : set of str, optional
        File names of the notebooks that get pages (links to them are rewritten).

    Returns
    -------
    str
        A complete HTML document.
    """
    _snapshot_widgets(nb)
    _rewrite_links(nb, names or set())
    exporter = HTMLExporter(template_name="lab", embed_images=True)
    body, _ = exporter.from_notebook_node(nb)
    return body


def _index_html(pages: Sequence[Page], title: str) -> str:
    items = "\n".join(
        f'<li><a href="{html.escape(p.html_name)}">{html.escape(p.title)}</a>'
        f'<span class="file">{html.escape(p.source.name)}</span></li>'
        for p in pages
    )
    stamp = time.strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p>The lecture notebooks, executed and rendered with their plots. Interactive widgets appear as
static snapshots; to use them, open the notebooks in Jupyter.</p>
<ol class="parts">
{items}
</ol>
<footer>Built {stamp} from {len(pages)} notebooks.</footer>
</body>
</html>
"""


def build_html(
    out_dir: Path = Path("site"),
    lectures_dir: Path = DEFAULT_LECTURES,
    *,
    timeout: int = 600,
    progress: bool = True,
    title: str = "Lecture 2: Deep Feedforward Networks",
) -> Path:
    """Execute every lecture notebook and write one HTML page per notebook plus ``index.html``.

    Parameters
    ----------
    out_dir : Path
        Output folder (created if needed; existing pages are overwritten).
    lectures_dir : Path
        Folder of the ``*.ipynb`` lectures, rendered in file-name order.
    timeout : int
        Seconds allowed per cell.
    progress : bool
        Show a progress bar (tqdm, on stderr).
    title : str
        Title of the index page.

    Returns
    -------
    Path
        ``out_dir / "index.html"``.

    Raises
    ------
    FileNotFoundError
        If ``lectures_dir`` holds no notebook.
    nbclient.exceptions.CellExecutionError
        If a cell of a lecture fails (the message names the cell).
    """
    from tqdm.auto import tqdm

    lectures_dir = Path(lectures_dir)
    out_dir = Path(out_dir)
    sources = sorted(lectures_dir.glob("*.ipynb"))
    if not sources:
        raise FileNotFoundError(f"build_html: no .ipynb notebooks in {lectures_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    names = {p.name for p in sources}
    pages: list[Page] = []
    with tempfile.TemporaryDirectory(prefix="course-site-") as tmp:
        env = kernel_env(Path(tmp) / "quiz_progress.json")
        bar = tqdm(sources, desc="build-html", unit="notebook", disable=not progress)
        for path in bar:
            bar.set_postfix_str(path.name, refresh=True)
            nb, seconds = execute_notebook(path, timeout=timeout, env=env)
            page = Page(path, f"{path.stem}.html", notebook_title(nb, path.stem), seconds)
            (out_dir / page.html_name).write_text(render_notebook(nb, names), encoding="utf-8")
            pages.append(page)
        bar.close()
    index = out_dir / "index.html"
    index.write_text(_index_html(pages, title), encoding="utf-8")
    return index


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m autograder.site [OUT] [--lectures DIR] [--timeout S]``."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.site",
        description="Execute the lecture notebooks and render them to static HTML.",
    )
    parser.add_argument("out", nargs="?", default="site", help="output folder (default: site)")
    parser.add_argument(
        "--lectures", default=str(DEFAULT_LECTURES), help="folder of the lecture notebooks"
    )
    parser.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    index = build_html(
        Path(args.out), Path(args.lectures), timeout=args.timeout, progress=not args.quiet
    )
    print(f"wrote {index} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
