"""Static integrity checks on the student's cells (they never change a score, they flag).

- A graded solution cell that imports the reference implementation (``course_lib``): the
  check is :func:`autograder.pipeline.integrity.find_reference_imports` when the exercises
  provide it,
  otherwise an equivalent AST scan here.
- Code that reaches into the interpreter in ways no exercise needs, which is how the attacks
  the runtime guard cannot see would be written: frame introspection (``sys._getframe``,
  ``inspect.currentframe``, ``f_back``, ``f_locals``), ``gc.get_referrers``, ``ctypes``,
  writing to raw file descriptors, replacing ``__code__``, touching ``__builtins__``,
  ``sys.modules`` or import hooks, and signal handling.
"""

from __future__ import annotations

import ast
from typing import Any

#: (what to look for, why it is suspicious)
_SUSPICIOUS_ATTRIBUTES = {
    "_getframe": "frame introspection (sys._getframe)",
    "currentframe": "frame introspection (inspect.currentframe)",
    "f_back": "frame introspection (f_back)",
    "f_locals": "frame introspection (f_locals)",
    "f_globals": "frame introspection (f_globals)",
    "tb_frame": "frame introspection (tb_frame)",
    "get_referrers": "object-graph introspection (gc.get_referrers)",
    "get_objects": "object-graph introspection (gc.get_objects)",
    "__code__": "replacing function code (__code__)",
    "meta_path": "import hooks (sys.meta_path)",
    "path_hooks": "import hooks (sys.path_hooks)",
    "excepthook": "replacing sys.excepthook",
    "showtraceback": "replacing IPython's showtraceback",
    "settrace": "tracing hooks (sys.settrace)",
    "setprofile": "profiling hooks (sys.setprofile)",
    "_exit": "os._exit",
    "dup2": "redirecting file descriptors (os.dup2)",
    "setitimer": "changing timers (signal.setitimer)",
}
_SUSPICIOUS_MODULES = {
    "ctypes": "ctypes (raw memory access)",
    "gc": "the garbage collector's object graph",
    "builtins": "the builtins module",
    "signal": "signal handling",
    "importlib": "the import machinery",
}
_SUSPICIOUS_NAMES = {
    "__builtins__": "the __builtins__ namespace",
    "__import__": "__import__",
}
_PROTECTED_ROOTS = {"np", "numpy", "builtins", "course_lib", "math", "sys", "os", "IPython"}


def _source(cell: Any) -> str:
    lines = [ln for ln in cell["source"].splitlines() if not ln.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def suspicious_constructs(source: str) -> list[str]:
    """Describe the suspicious constructs in some code (empty if none, or if unparsable).

    Parameters
    ----------
    source : str
        Python source.

    Returns
    -------
    list of str
        Human-readable findings, without duplicates.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            why = _SUSPICIOUS_ATTRIBUTES.get(node.attr)
            if why:
                found.append(why)
            if isinstance(node.ctx, ast.Store) and _root_name(node) in _PROTECTED_ROOTS:
                found.append(f"assignment to {ast.unparse(node)}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for module in modules:
                why = _SUSPICIOUS_MODULES.get(module.split(".")[0])
                if why:
                    found.append(why)
        elif isinstance(node, ast.Name) and node.id in _SUSPICIOUS_NAMES:
            found.append(_SUSPICIOUS_NAMES[node.id])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("setattr", "delattr")
            and node.args
            and _root_name(node.args[0]) in _PROTECTED_ROOTS
        ):
            found.append(f"{node.func.id}() on {ast.unparse(node.args[0])}")
    return list(dict.fromkeys(found))


def _is_student_cell(cell: Any) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
    return cell["cell_type"] == "code" and not meta.get("locked", False)


def suspicious_cells(nb: Any) -> list[str]:
    """Flags for the student-written code cells of a sanitized notebook.

    Parameters
    ----------
    nb : NotebookNode
        After sanitizing (locked and test cells hold the instructor's code).

    Returns
    -------
    list of str
        E.g. ``["suspicious code in cell 'relu': ctypes (raw memory access)"]``.
    """
    flags = []
    for index, cell in enumerate(nb.cells):
        if not _is_student_cell(cell):
            continue
        found = suspicious_constructs(_source(cell))
        if found:
            meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
            where = f"'{meta['grade_id']}'" if meta.get("grade_id") else f"#{index}"
            shown = ", ".join(found[:4]) + (f" and {len(found) - 4} more" if len(found) > 4 else "")
            flags.append(f"suspicious code in cell {where}: {shown}")
    return flags


def _fallback_reference_imports(nb: Any, package: str = "course_lib") -> list[str]:
    found = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if cell["cell_type"] != "code" or not meta.get("solution"):
            continue
        try:
            tree = ast.parse(_source(cell))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, (ast.Name, ast.Attribute))
                and (getattr(node.func, "id", None) or getattr(node.func, "attr", None))
                in ("__import__", "import_module")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names = [node.args[0].value]
            for name in names:
                if name == package or name.startswith(package + "."):
                    found.append(f"cell '{meta.get('grade_id', '?')}' imports {name}")
    return found


def reference_imports(nb: Any, exercise: str | None = None) -> list[str]:
    """Findings of graded cells importing the reference implementation.

    Uses ``autograder.pipeline.integrity.find_reference_imports`` (the exercises' own rule)
    when it is
    installed, else a built-in scan of solution cells for ``course_lib`` imports.

    Parameters
    ----------
    nb : NotebookNode
        The sanitized notebook.
    exercise : str, optional
        The assignment (selects the exercise's own rules).

    Returns
    -------
    list of str
        One finding per offending import.
    """
    try:
        from autograder.pipeline.integrity import find_reference_imports
    except ImportError:
        return _fallback_reference_imports(nb)
    try:
        return [str(f) for f in find_reference_imports(nb, exercise)]
    except Exception as exc:  # their check failing must not stop grading
        return _fallback_reference_imports(nb) + [f"(reference-import check failed: {exc})"]
