"""``course feedback EX``: one HTML page per student, without the hidden tests.

nbgrader's own ``generate_feedback`` renders the autograded notebook as it is, hidden tests
included. Here a test cell shows the judge's verdict and message, never its source: a public
test also shows what the judge printed while running it (its outputs come from the judge, never
from the student's process, see :mod:`autograder.isolation.judge`); a test with hidden parts
shows only
the verdict and the message. Elsewhere, as a second line of defence, hidden-test regions are
removed from sources (nbgrader's ``ClearHiddenTests`` rule) and any output line equal to a line
of a hidden test is replaced by ``[hidden test line]``. A summary table and, after every graded
cell, its score and what went wrong are added.

``show_hidden=True`` (``--show-hidden``) renders the instructor's view instead.
"""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path
from typing import Any

from autograder.pipeline.store import ResultStore
from autograder.workspace import Workspace, atomic_write

#: nbgrader's marker of a hidden-test region (``ClearHiddenTests.begin_test_delimeter``).
BEGIN = "BEGIN HIDDEN TESTS"
REDACTED = "[hidden test line]"


def strip_hidden(source: str) -> tuple[str, bool]:
    """Remove hidden-test regions from a cell source, with nbgrader's ``ClearHiddenTests``.

    Parameters
    ----------
    source : str
        Cell source.

    Returns
    -------
    (source, removed) : tuple
        The cleaned source and whether anything was removed. A region nbgrader rejects (nested,
        or never closed: a student can type the markers) removes the whole source.
    """
    from nbformat.v4 import new_code_cell
    from nbgrader.preprocessors import ClearHiddenTests

    cell = new_code_cell(source)
    try:
        removed = ClearHiddenTests()._remove_hidden_test_region(cell)
    except RuntimeError:
        return "", True
    return cell.source, removed


def hidden_lines(master: dict[str, Any]) -> set[str]:
    """Lines that only occur inside hidden tests (stripped, at least 6 characters).

    Lines also found elsewhere in the notebook (a public test repeating a set-up line) are
    not secret and stay visible.
    """
    every: set[str] = set()
    public: set[str] = set()
    for cell in master.get("cells", []):
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        every.update(line.strip() for line in source.split("\n"))
        public.update(line.strip() for line in strip_hidden(source)[0].split("\n"))
    return {line for line in every - public if len(line) >= 6}


def _scrub(text: str, secret: set[str]) -> str:
    if not secret or not text:
        return text
    return "\n".join(REDACTED if line.strip() in secret else line for line in text.split("\n"))


def scrub_notebook(nb: Any, secret: set[str]) -> Any:
    """Remove hidden tests (sources, tracebacks, echoed lines) from an executed notebook.

    Parameters
    ----------
    nb : NotebookNode
        The executed notebook (instructor copy).
    secret : set of str
        Lines that must not appear (:func:`hidden_lines`).

    Returns
    -------
    NotebookNode
        A cleaned copy.
    """
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.source, had_hidden = strip_hidden(cell.source)
        cell.source = _scrub(cell.source, secret)
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                if had_hidden:
                    output.traceback = [f"{output.ename}: {_scrub(output.evalue, secret)}"]
                output.evalue = _scrub(output.evalue, secret)
                output.traceback = [_scrub(line, secret) for line in output.traceback]
            elif output.output_type == "stream":
                output.text = _scrub(output.text, secret)
            elif "data" in output:
                for mime in list(output.data):
                    if isinstance(output.data[mime], str) and mime.startswith("text/"):
                        output.data[mime] = _scrub(output.data[mime], secret)
    return nb


def _score_markdown(cell_score: dict[str, Any]) -> str:
    points, max_points = cell_score["points"], cell_score["max_points"]
    shown = "needs manual grading" if points is None else f"{points:g} / {max_points:g}"
    mark = {"passed": "✔", "partial": "◐"}.get(cell_score["outcome"], "✘")
    text = f"**{mark} {cell_score['grade_id']}: {shown}** ({cell_score['outcome']})"
    if cell_score.get("ename"):
        message = (cell_score.get("evalue") or "").strip().split("\n")[0][:300]
        text += f"\n\n`{cell_score['ename']}`: {message}"
    return text


def _summary_markdown(record: dict[str, Any]) -> str:
    rows = "\n".join(
        f"| {c['grade_id']} | "
        + ("manual" if c["points"] is None else f"{c['points']:g}")
        + f" | {c['max_points']:g} | {c['outcome']} |"
        for c in record.get("cells", [])
    )
    status = record["status"] if record["status"] != "graded" else "graded, nothing to report"
    return (
        f"# Feedback: {record['assignment']}\n\n"
        f"**Student:** {record['student_id']}  \n"
        f"**Score:** {record['total']:g} / {record['max_total']:g}  \n"
        f"**Status:** {status}\n\n"
        "| cell | points | out of | result |\n|---|---|---|---|\n" + rows
    )


def _problem_page(record: dict[str, Any], head: str = "") -> str:
    reasons = [record.get("problem") or ""] + list(record.get("flags", []))
    items = "".join(f"<li>{html.escape(r)}</li>" for r in reasons if r)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Feedback: {html.escape(record['assignment'])}</title>{head}</head><body>"
        f"<h1>Feedback: {html.escape(record['assignment'])}</h1>"
        f"<p><b>Student:</b> {html.escape(record['student_id'])}<br>"
        f"<b>Score:</b> {record['total']:g} / {record['max_total']:g}</p>"
        f"<p>Your notebook could not be run:</p><ul>{items}</ul></body></html>"
    )


_PAGE_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 960px; margin: 2rem auto; color: #222; }
.cell { margin: 0.8rem 0; } .md { padding: 0 0.3rem; }
pre { margin: 0; padding: 0.5rem 0.7rem; overflow-x: auto; font-size: 0.85rem; }
.src { background: #f6f8fa; border-left: 3px solid #8fa8c8; }
.out { border-left: 3px solid #ddd; } .err { background: #fdf0f0; border-left: 3px solid #c44; }
.stderr { background: #fff8e6; } .score { padding: 0.4rem 0.7rem; border-radius: 6px;
background: #eef6ee; } .score.bad { background: #fbecec; }
.test .label { font-size: 0.8rem; color: #557; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 0.25rem 0.6rem; }
"""
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _markdown(text: str) -> str:
    try:
        import mistune

        return str(mistune.create_markdown(escape=True, plugins=["table"])(text))
    except Exception:  # mistune missing or too old: plain text
        return f"<pre>{html.escape(text)}</pre>"


def _output_html(output: Any) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        css = "out stderr" if output.get("name") == "stderr" else "out"
        return f'<pre class="{css}">{html.escape(_ANSI.sub("", output.get("text", "")))}</pre>'
    if kind == "error":
        text = "\n".join(output.get("traceback") or []) or (
            f"{output.get('ename')}: {output.get('evalue')}"
        )
        return f'<pre class="err">{html.escape(_ANSI.sub("", text))}</pre>'
    data = output.get("data", {})
    if isinstance(data.get("image/png"), str):
        png = data["image/png"].replace("\n", "")
        return f'<img alt="figure" src="data:image/png;base64,{html.escape(png)}">'
    if "text/plain" in data:
        text = data["text/plain"]
        text = text if isinstance(text, str) else "".join(text)
        return f'<pre class="out">{html.escape(text)}</pre>'
    return ""


def _test_cell_html(cell: Any, grade_id: str | None, hidden: bool) -> str:
    """A test cell in a student's feedback: what the judge printed (public tests), no source."""
    label = f"test {html.escape(str(grade_id or ''))}" + (" (with hidden tests)" if hidden else "")
    outputs = "" if hidden else "".join(_output_html(o) for o in cell.get("outputs", []))
    return f'<div class="cell test"><div class="label">{label}</div>{outputs}</div>'


def render_feedback(
    nb: Any, record: dict[str, Any], secret: set[str], show_hidden: bool, head: str = ""
) -> str:
    """HTML feedback for one executed notebook (a standalone page, everything escaped).

    Parameters
    ----------
    nb : NotebookNode
        Executed notebook.
    record : dict
        The student's grading record.
    secret : set of str
        Hidden-test lines to keep out (ignored with ``show_hidden``).
    show_hidden : bool
        Keep hidden tests (instructor view).
    head : str
        Extra ``<head>`` markup (the offline MathJax tags).

    Returns
    -------
    str
        The page.
    """
    original = nb
    nb = copy.deepcopy(nb) if show_hidden else scrub_notebook(nb, secret)
    by_id = {c["grade_id"]: c for c in record.get("cells", [])}
    parts = [f'<div class="md">{_markdown(_summary_markdown(record))}</div>']
    for raw, cell in zip(original.cells, nb.cells, strict=True):
        if cell.cell_type == "markdown":
            parts.append(f'<div class="cell md">{_markdown(cell.source)}</div>')
            continue
        if cell.cell_type != "code":
            parts.append(f'<div class="cell"><pre>{html.escape(cell.source)}</pre></div>')
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        if meta.get("grade") and meta.get("locked") and not show_hidden:
            parts.append(_test_cell_html(cell, grade_id, hidden=BEGIN in raw.source))
        else:
            outputs = "".join(_output_html(o) for o in cell.get("outputs", []))
            source = html.escape(cell.source)
            parts.append(f'<div class="cell"><pre class="src">{source}</pre>{outputs}</div>')
        if grade_id in by_id:
            score = by_id[grade_id]
            bad = " bad" if score["outcome"] not in ("passed",) else ""
            parts.append(f'<div class="score{bad}">{_markdown(_score_markdown(score))}</div>')
    title = html.escape(f"Feedback: {record['assignment']} ({record['student_id']})")
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{_PAGE_STYLE}</style>{head}</head><body>{''.join(parts)}</body></html>\n"
    )


def _math_head(workspace: Workspace, exercise: str) -> str:
    """MathJax, copied once beside the feedback pages: the maths renders with no network."""
    from course_site.mathjax import install_math

    page = workspace.feedback_path(exercise, "student")  # feedback/<student>/<ex>/<ex>.html
    root = page.parent.parent.parent
    return install_math(root, url="../../mathjax")


def _records_to_render(
    workspace: Workspace, exercise: str, students: list[str] | None
) -> list[dict[str, Any]]:
    """The records of the students asked for (all by default); an error if there are none."""
    records = ResultStore(workspace).records(exercise)
    if not records:
        raise ValueError(
            f"no results for {exercise!r} in {workspace.path}: run `course grade {exercise} ...`"
        )
    if students:
        wanted = {s.casefold() for s in students}
        records = [r for r in records if r["student_id"].casefold() in wanted]
    return records


def write_feedback(
    workspace: Workspace,
    exercise: str,
    *,
    students: list[str] | None = None,
    show_hidden: bool = False,
    progress: bool = False,
) -> list[Path]:
    """Write ``feedback/<student>/<exercise>/<exercise>.html`` for graded students.

    Parameters
    ----------
    workspace : Workspace
        Holds results and executed notebooks.
    exercise : str
        The assignment.
    students : list of str, optional
        Only these students (default: all with results).
    show_hidden : bool
        Include hidden tests (never give these pages to students).
    progress : bool
        Show a progress bar.

    Returns
    -------
    list of Path
        The pages written.

    Raises
    ------
    ValueError
        If the assignment has no results in the workspace.
    """
    import nbformat

    records = _records_to_render(workspace, exercise, students)
    master_path = workspace.assignment_dir(exercise) / "master.json"
    secret: set[str] = set()
    if master_path.is_file():
        secret = hidden_lines(json.loads(master_path.read_text(encoding="utf-8"))["master"])
    iterator: Any = records
    if progress:
        from tqdm import tqdm

        iterator = tqdm(records, desc=f"feedback {exercise}", unit="student")
    written = []
    head = _math_head(workspace, exercise)
    for record in iterator:
        path = workspace.feedback_path(exercise, record["student_id"])
        executed = workspace.autograded_path(exercise, record["student_id"])
        if record.get("graded") and executed.is_file():
            nb = nbformat.read(executed, as_version=4)
            page = render_feedback(nb, record, secret, show_hidden, head)
        else:
            page = _problem_page(record, head)
        atomic_write(path, page)
        written.append(path)
    return written
