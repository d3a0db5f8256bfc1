"""A cell's result as the judge reports it: plain fields, capped, nothing the runner chose.

Every cell of a submission ends as one result dict (``index``, ``outputs``, ``status``,
``ename``, ``evalue``, ``duration``, ``dropped``, ``where``). A student cell's result comes from
the runner, which is untrusted: :func:`clean_runner_result` keeps only the fields nbformat
knows, capped in total (the runner's own cap could have been switched off). A test cell's
result is the judge's own (:func:`judge_result`), with the message of an exception raised by
the student's code dropped in a cell with hidden tests. A cell that could not run gets an
:func:`error_result` saying why.
"""

from __future__ import annotations

from typing import Any

from autograder.isolation.remote import FROM_OTHER_SIDE


def cell_name(cell: dict[str, Any]) -> str:
    label = str(cell.get("label") or f"#{cell['index']}")
    return f"cell {label}" if label.startswith("#") else f"cell '{label}'"


def error_result(cell: dict[str, Any], ename: str, evalue: str) -> dict[str, Any]:
    return {
        "index": cell["index"],
        "outputs": [
            {
                "output_type": "error",
                "ename": ename,
                "evalue": evalue,
                "traceback": [f"{ename}: {evalue}"],
            }
        ],
        "status": "error",
        "ename": ename,
        "evalue": evalue,
        "duration": 0.0,
        "dropped": 0,
        "where": cell["where"],
    }


_OUTPUT_KEYS = {
    "stream": ("name", "text"),
    "error": ("ename", "evalue", "traceback"),
    "execute_result": ("data", "metadata", "execution_count"),
    "display_data": ("data", "metadata"),
}


def _clean_output(output: Any, cap: list[int]) -> dict[str, Any] | None:
    """One output of the runner, keeping only the fields nbformat knows; ``cap[0]`` is the
    room left for this cell's text, shared by all its outputs."""
    if not isinstance(output, dict) or output.get("output_type") not in _OUTPUT_KEYS:
        return None
    kind = output["output_type"]
    clean: dict[str, Any] = {"output_type": kind}
    for key in _OUTPUT_KEYS[kind]:
        value = output.get(key)
        if key == "name":
            clean[key] = "stderr" if value == "stderr" else "stdout"
        elif key == "ename":
            clean[key] = str(value)[:200] if value is not None else ""
        elif key in ("text", "evalue"):
            clean[key] = _take(str(value) if value is not None else "", cap)
        elif key == "traceback":
            lines = value if isinstance(value, list) else []
            clean[key] = [_take(str(line)[:2000], cap) for line in lines[:200]]
        elif key == "data":
            data = value if isinstance(value, dict) else {}
            clean[key] = {str(m)[:100]: _take(str(v), cap) for m, v in list(data.items())[:8]}
        elif key == "metadata":
            clean[key] = {}
        elif key == "execution_count":
            clean[key] = value if type(value) is int else None
    return clean


def _take(text: str, cap: list[int]) -> str:
    kept = text[: max(cap[0], 0)]
    cap[0] -= len(kept)
    return kept


def clean_runner_result(
    raw: Any, cell: dict[str, Any], duration: float, output_cap: int
) -> dict[str, Any]:
    """A runner's cell result reduced to plain fields, ``output_cap`` characters in all (the
    runner is untrusted: its own cap could have been switched off)."""
    raw = raw if isinstance(raw, dict) else {}
    cap = [output_cap]
    outputs = raw.get("outputs") if isinstance(raw.get("outputs"), list) else []
    cleaned = [o for o in (_clean_output(x, cap) for x in outputs[:500]) if o is not None]
    dropped = raw.get("dropped")
    dropped = dropped if type(dropped) is int and dropped >= 0 else 0
    if cap[0] <= 0 or dropped:
        note = f"\n... output truncated: over {output_cap:,} characters ...\n"
        cleaned.append({"output_type": "stream", "name": "stdout", "text": note})
    return {
        "index": cell["index"],
        "outputs": cleaned,
        "status": "error" if raw.get("status") != "ok" else "ok",
        "ename": str(raw.get("ename"))[:200] if raw.get("ename") else None,
        "evalue": str(raw.get("evalue"))[:2000] if raw.get("evalue") else None,
        "duration": duration,
        "dropped": dropped or (1 if cap[0] <= 0 else 0),
        "where": cell["where"],
    }


def judge_result(result: dict[str, Any], cell: dict[str, Any]) -> dict[str, Any]:
    """The judge's own outputs of a cell; errors keep their message, never a traceback.

    In a cell with hidden tests, the message of an exception raised by the student's code is
    dropped: the student chose it, and could have put the hidden test's inputs in it.
    """
    hidden = "BEGIN HIDDEN TESTS" in cell["source"]
    outputs = []
    for output in result["outputs"]:
        if output.get("output_type") == "error":
            ename, evalue = output.get("ename"), str(output.get("evalue") or "")
            if hidden and FROM_OTHER_SIDE in evalue:
                evalue = f"{ename} raised by your code (a hidden test: its message is not shown)"
                result = {**result, "evalue": evalue}
            output = {**output, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]}
        outputs.append(output)
    return {
        "index": cell["index"],
        "outputs": outputs,
        "status": result["status"],
        "ename": result["ename"],
        "evalue": result["evalue"],
        "duration": result["duration"],
        "dropped": result.get("dropped", 0),
        "where": cell["where"],
    }
