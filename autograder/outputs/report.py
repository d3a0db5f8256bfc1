"""``course report EX``: one self-contained HTML page about how a class did.

Plots (matplotlib, embedded as base64 PNG, no pyplot state): the score histogram, the pass rate
of every test cell (hidden tests marked), the time each submission took, and a table of the
flagged submissions with their reasons.
"""

from __future__ import annotations

import base64
import html
import io
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from autograder.pipeline.store import ResultStore
from autograder.workspace import Workspace, atomic_write

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; }
h1 { margin-bottom: 0.2rem; } .muted { color: #666; }
table { border-collapse: collapse; margin: 1rem 0; width: 100%; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.35rem 0.6rem; text-align: left;
         vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; white-space: nowrap; }
.cards { display: flex; gap: 1rem; flex-wrap: wrap; }
.card { background: #f7f7f9; border-radius: 8px; padding: 0.7rem 1.1rem; min-width: 8rem; }
.card b { display: block; font-size: 1.4rem; }
img { max-width: 100%; } .flag { color: #a33; }
"""


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="plot" src="data:image/png;base64,{data}">'


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def score_histogram(records: list[dict[str, Any]], max_total: float) -> str:
    """Histogram of total scores, as an ``<img>`` tag."""
    fig = _figure(6.5, 3.2)
    ax = fig.add_subplot()
    totals = [r["total"] for r in records]
    bins = max(5, min(20, int(max_total) + 1)) if max_total else 10
    ax.hist(totals, bins=bins, range=(0, max_total or 1), color="#4c72b0", edgecolor="white")
    ax.set_xlabel(f"total score (out of {max_total:g})")
    ax.set_ylabel("students")
    ax.set_title("Score distribution")
    return _png(fig)


def pass_rates(records: list[dict[str, Any]]) -> tuple[str, list[tuple[str, float, bool]]]:
    """Bar chart of the fraction of submissions earning full points on each graded cell."""
    executed = [r for r in records if r.get("graded")]
    order: list[str] = []
    hidden: dict[str, bool] = {}
    for record in records:
        for cell in record.get("cells", []):
            if cell["grade_id"] not in order:
                order.append(cell["grade_id"])
            hidden[cell["grade_id"]] = bool(cell.get("hidden"))
    rates = []
    for grade_id in order:
        cells = [c for r in executed for c in r["cells"] if c["grade_id"] == grade_id]
        passed = sum(1 for c in cells if c["points"] is not None and c["points"] >= c["max_points"])
        rates.append((grade_id, passed / len(cells) if cells else 0.0, hidden[grade_id]))
    fig = _figure(6.5, 0.32 * len(rates) + 1.2)
    ax = fig.add_subplot()
    labels = [f"{g} (hidden)" if h else g for g, _, h in rates]
    colors = ["#8172b2" if h else "#55a868" for _, _, h in rates]
    ax.barh(range(len(rates)), [100 * r for _, r, _ in rates], color=colors)
    ax.set_yticks(range(len(rates)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of executed submissions with full points")
    ax.set_title("Pass rate per test cell")
    return _png(fig), rates


def time_per_submission(records: list[dict[str, Any]]) -> str:
    """Bar chart of the wall-clock time each executed submission took."""
    executed = sorted(
        (r for r in records if r.get("graded")),
        key=lambda r: r.get("run", {}).get("duration") or 0.0,
        reverse=True,
    )
    fig = _figure(6.5, 0.28 * len(executed) + 1.2)
    ax = fig.add_subplot()
    durations = [r.get("run", {}).get("duration") or 0.0 for r in executed]
    colors = ["#c44e52" if r["status"] != "graded" else "#4c72b0" for r in executed]
    ax.barh(range(len(executed)), durations, color=colors)
    ax.set_yticks(range(len(executed)), [r["student_id"] for r in executed])
    ax.invert_yaxis()
    ax.set_xlabel("seconds (red: flagged)")
    ax.set_title("Time per submission")
    return _png(fig)


def _cards(records: list[dict[str, Any]], max_total: float) -> str:
    totals = [r["total"] for r in records] or [0.0]
    flagged = sum(1 for r in records if r["status"] != "graded")
    items = [
        ("submissions", str(len(records))),
        ("mean", f"{statistics.fmean(totals):.1f} / {max_total:g}"),
        ("median", f"{statistics.median(totals):g}"),
        ("full marks", str(sum(1 for t in totals if t >= max_total > 0))),
        ("flagged", str(flagged)),
    ]
    return (
        '<div class="cards">'
        + "".join(f'<div class="card"><b>{html.escape(v)}</b>{k}</div>' for k, v in items)
        + "</div>"
    )


def _flag_table(records: list[dict[str, Any]]) -> str:
    flagged = [r for r in records if r["status"] != "graded"]
    if not flagged:
        return "<p>No submission was flagged.</p>"
    rows = "".join(
        f"<tr><td>{html.escape(r['student_id'])}</td>"
        f"<td class=num>{r['total']:g} / {r['max_total']:g}</td>"
        f"<td class=flag>{'<br>'.join(html.escape(x) for x in _reasons(r))}</td></tr>"
        for r in flagged
    )
    return f"<table><tr><th>student</th><th>score</th><th>reasons</th></tr>{rows}</table>"


def _reasons(record: dict[str, Any]) -> list[str]:
    reasons = ([record["problem"]] if record.get("problem") else []) + list(record.get("flags", []))
    for attempt in record.get("kept_after", [])[-3:]:
        reasons.append(f"later attempt not graded ({attempt.get('status')}): earlier grade kept")
    return reasons or [record["status"]]


def _score_table(records: list[dict[str, Any]]) -> str:
    if not records:
        return ""
    columns = [c["grade_id"] for c in records[0].get("cells", [])]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    rows = []
    for record in records:
        cells = {c["grade_id"]: c for c in record.get("cells", [])}
        tds = "".join(
            "<td class=num>"
            + ("" if c not in cells or cells[c]["points"] is None else f"{cells[c]['points']:g}")
            + "</td>"
            for c in columns
        )
        rows.append(
            f"<tr><td>{html.escape(record['student_id'])}</td>{tds}"
            f"<td class=num><b>{record['total']:g}</b></td></tr>"
        )
    return f"<table><tr><th>student</th>{head}<th>total</th></tr>{''.join(rows)}</table>"


def build_report(workspace: Workspace, exercise: str, output: Path | None = None) -> Path:
    """Write the HTML report of an assignment graded in a workspace.

    Parameters
    ----------
    workspace : Workspace
        Holds the results.
    exercise : str
        The assignment.
    output : Path, optional
        Destination (default ``WORKSPACE/reports/<exercise>.html``).

    Returns
    -------
    Path
        The report.

    Raises
    ------
    ValueError
        If nothing was graded for this assignment in the workspace.
    """
    records = ResultStore(workspace).records(exercise)
    if not records:
        raise ValueError(
            f"no results for {exercise!r} in {workspace.path}: run `course grade {exercise} ...`"
        )
    max_total = max(float(r.get("max_total") or 0) for r in records)
    rates_png, rates = pass_rates(records)
    hardest = sorted(rates, key=lambda x: x[1])[:3]
    hardest_text = ", ".join(f"{g} ({100 * r:.0f}%)" for g, r, _ in hardest)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    path = output or workspace.report_path(exercise)
    from course_site.mathjax import install_math

    math = install_math(path.parent)  # offline: the report renders its maths with no network
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(exercise)}: grading report</title>
<style>{_STYLE}</style>{math}</head><body>
<h1>{html.escape(exercise)}</h1>
<p class="muted">Grading report, {generated}, workspace {html.escape(str(workspace.path))}</p>
{_cards(records, max_total)}
<h2>Scores</h2>{score_histogram(records, max_total)}
<h2>Test cells</h2><p>Hardest: {html.escape(hardest_text)}.</p>{rates_png}
<h2>Time per submission</h2>{time_per_submission(records)}
<h2>Flagged submissions</h2>{_flag_table(records)}
<h2>All scores</h2>{_score_table(records)}
</body></html>
"""
    atomic_write(path, body)
    return path
