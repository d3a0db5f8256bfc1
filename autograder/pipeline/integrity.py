"""Static integrity checks on the student's cells: they flag for a human, never change a score.

Two kinds of finding (the grade itself is decided by the judge, see ``autograder/SECURITY.md``):

- **Reference imports.** ``course_lib`` is the reference the hidden tests compare students
  with, so a submission whose ``Linear`` *is* ``course_lib.Linear`` would pass them. The hidden
  tests reject such classes at run time (:func:`course_lib.testing.assert_own_implementation`);
  :func:`find_reference_imports` finds the imports with an AST scan of the cells a student
  writes, so they are reported even when the notebook does not run. Students may import
  course_lib's helpers that are not the subject of the exercise (data sets, plotting,
  ``rel_error``, the testing helpers...): only the implementations an exercise asks for are
  flagged, per exercise (see :data:`RULES`).
- **Suspicious constructs.** Code that reaches into the interpreter in ways no exercise needs
  (frame introspection, ``gc.get_referrers``, ``ctypes``, replacing ``__code__``, touching
  ``__builtins__``, ``sys.modules`` or import hooks, signal handling):
  :func:`suspicious_cells`.

    python -m autograder.pipeline.integrity submission.ipynb [--exercise ex01_modules]
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode

__all__ = [
    "Rule",
    "RULES",
    "find_reference_imports",
    "reference_imports",
    "scanned_cells",
    "suspicious_cells",
    "suspicious_constructs",
    "main",
]


@dataclass(frozen=True)
class Rule:
    """What of one course_lib module an exercise forbids.

    Attributes
    ----------
    module : str
        Dotted module name, e.g. ``"course_lib.modules"``.
    names : frozenset of str or None
        The forbidden names; ``None`` forbids every name except those in ``allow``.
    allow : frozenset of str
        Names that stay allowed when ``names`` is ``None`` (e.g. the ``Module`` base class).
    """

    module: str
    names: frozenset[str] | None = None
    allow: frozenset[str] = field(default_factory=frozenset)

    def forbids(self, name: str) -> bool:
        """Whether importing ``name`` from :attr:`module` is forbidden."""
        if self.names is None:
            return name not in self.allow
        return name in self.names


_BASES = frozenset({"Module", "Parameter"})
_MODULES = Rule("course_lib.modules", allow=_BASES)
_ACTIVATIONS = Rule("course_lib.activations")
_LOSSES = Rule("course_lib.losses")
_AUTOGRAD = Rule("course_lib.autograd")
_GRADCHECK = Rule(
    "course_lib.gradcheck",
    frozenset({"numerical_gradient", "numerical_jacobian", "check_module", "check_loss"}),
)
_TRAIN = Rule("course_lib.train", frozenset({"fit"}))
_TESTING = Rule("course_lib.testing", frozenset({"check_gradients"}))

#: Forbidden imports per exercise. Unknown exercises get the union of all of them.
RULES: dict[str, tuple[Rule, ...]] = {
    "ex01_modules": (_MODULES, _ACTIVATIONS),
    "ex02_losses": (_LOSSES, _ACTIVATIONS),
    "ex03_backprop": (_MODULES, _ACTIVATIONS, _GRADCHECK, _TRAIN, _TESTING),
    "ex04_autograd": (_AUTOGRAD,),
    "ex05_quiz": (),
}
_ALL_RULES = (_MODULES, _ACTIVATIONS, _LOSSES, _AUTOGRAD, _GRADCHECK, _TRAIN, _TESTING)

_MAGIC = re.compile(r"^(\s*)[%!?]")
_TEXT_IMPORT = re.compile(r"^\s*(?:from\s+(course_lib[\w.]*)\s+import\s+(.+)|import\s+(.+))$")


def _exercise_of(notebook: object, exercise: str | None) -> str | None:
    if exercise is not None:
        return exercise
    if isinstance(notebook, str | Path):
        path = Path(notebook)
        for candidate in (path.stem, path.parent.name):
            if candidate in RULES:
                return candidate
    return None


def _load(notebook: str | Path | NotebookNode) -> NotebookNode:
    if isinstance(notebook, str | Path):
        return nbformat.read(str(notebook), as_version=4)
    return notebook


def scanned_cells(nb: NotebookNode) -> list[tuple[str, NotebookNode]]:
    """The code cells a student writes: solution cells and cells without nbgrader locking.

    Locked read-only and test cells are skipped: nbgrader restores them from the source before
    grading, so what a student writes there never runs.

    Returns
    -------
    list of (label, cell)
        ``label`` is the cell's ``grade_id``, or ``"#<index>"`` for a cell without one.
    """
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        label = meta.get("grade_id") or f"#{i}"
        if meta.get("solution"):
            out.append((label, cell))
        elif not meta.get("locked") and not meta.get("grade"):
            out.append((label, cell))
    return out


def _parse(source: str) -> ast.Module | None:
    cleaned = "\n".join(_MAGIC.sub(r"\1pass  # ", line) for line in source.splitlines())
    try:
        return ast.parse(cleaned)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


class _Scanner(ast.NodeVisitor):
    """Collect ``(lineno, description)`` of forbidden references in one cell."""

    def __init__(self, rules: Sequence[Rule], aliases: dict[str, str]) -> None:
        self.rules = {r.module: r for r in rules}
        self.aliases = aliases  # local name -> dotted course_lib path it is bound to
        self.hits: list[tuple[int, str]] = []

    # -- resolution -----------------------------------------------------------------------------
    def _check_path(self, path: str, lineno: int) -> None:
        """Check a dotted path such as ``course_lib.modules.Linear`` or ``course_lib.Linear``."""
        parts = path.split(".")
        if parts[0] != "course_lib":
            return
        if len(parts) == 1:
            return
        module = f"course_lib.{parts[1]}"
        if module in self.rules:
            rule = self.rules[module]
            if len(parts) == 2:  # the module object gives access to everything in it
                self.hits.append((lineno, f"the module {module}"))
            elif rule.forbids(parts[2]):
                self.hits.append((lineno, f"{parts[2]} from {module}"))
            return
        defining = _defining_module(parts[1])
        if defining in self.rules and self.rules[defining].forbids(parts[1]):
            self.hits.append((lineno, f"{parts[1]} (course_lib's re-export of {defining})"))

    # -- visitors -------------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not alias.name.startswith("course_lib"):
                continue
            if alias.name != "course_lib":
                self._check_path(alias.name, node.lineno)
            bound = alias.asname or alias.name.split(".")[0]
            self.aliases[bound] = alias.name if alias.asname else "course_lib"

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        mod = node.module or ""
        if node.level or not mod.startswith("course_lib"):
            return
        for alias in node.names:
            if alias.name == "*":
                if mod in self.rules or mod == "course_lib":
                    self.hits.append((node.lineno, f"* from {mod}"))
                continue
            path = f"{mod}.{alias.name}"
            self._check_path(path, node.lineno)
            self.aliases[alias.asname or alias.name] = path

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = []
        cur: ast.AST = node
        while isinstance(cur, ast.Attribute):
            chain.append(cur.attr)
            cur = cur.value
        if isinstance(cur, ast.Name) and cur.id in self.aliases:
            base = self.aliases[cur.id].split(".")
            parts = [*base, *reversed(chain)]
            if len(base) == 1 and not _is_submodule(parts[1]):
                self._check_path(".".join(parts[:2]), node.lineno)  # course_lib.Linear
            elif len(base) <= 2 and len(parts) >= 3:
                self._check_path(".".join(parts[:3]), node.lineno)  # course_lib.modules.Linear
            return
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in ("import_module", "__import__") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if first.value.startswith("course_lib"):
                    self._check_path(first.value, node.lineno)
        self.generic_visit(node)


def _is_submodule(name: str) -> bool:
    """Whether ``course_lib.<name>`` is a submodule (rather than a re-exported object)."""
    return _defining_module(name) == f"course_lib.{name}" or any(
        r.module == f"course_lib.{name}" for r in _ALL_RULES
    )


def _defining_module(name: str) -> str | None:
    """The course_lib submodule that defines the top-level name ``course_lib.<name>``."""
    try:
        import course_lib
    except ImportError:  # pragma: no cover - course_lib ships with the autograder
        return None
    obj = getattr(course_lib, name, None)
    if obj is None:
        return None
    if type(obj).__name__ == "module":
        return obj.__name__
    return getattr(obj, "__module__", None)


def _text_scan(source: str, rules: Sequence[Rule]) -> list[tuple[int, str]]:
    """Fallback for cells that do not parse: flag import lines naming a forbidden module."""
    hits = []
    for lineno, line in enumerate(source.splitlines(), start=1):
        m = _TEXT_IMPORT.match(line)
        if not m:
            continue
        text = line.strip()
        for rule in rules:
            short = rule.module.split(".")[1]
            if rule.module in text or re.search(
                rf"from\s+course_lib\s+import\s+.*\b{short}\b", text
            ):
                hits.append((lineno, f"something from {rule.module}"))
                break
    return hits


def find_reference_imports(
    notebook: str | Path | NotebookNode, exercise: str | None = None
) -> list[str]:
    """Find imports of course_lib's reference implementation in the cells a student writes.

    Parameters
    ----------
    notebook : path or NotebookNode
        A submission, a release or a source notebook.
    exercise : str, optional
        Which exercise's rules apply (:data:`RULES`); inferred from the file name or folder,
        otherwise every rule applies.

    Returns
    -------
    list of str
        One message per offending line, e.g. ``"cell linear, line 1: `from course_lib import
        Linear` imports Linear (course_lib's re-export of course_lib.modules), which
        ex01_modules asks you to implement yourself"``. Empty when the notebook is clean.
    """
    ex = _exercise_of(notebook, exercise)
    rules = RULES.get(ex, _ALL_RULES) if ex is not None else _ALL_RULES
    if not rules:
        return []
    nb = _load(notebook)
    aliases: dict[str, str] = {}
    # names bound by locked cells (e.g. the set-up cell) are known too
    scanned = {id(cell) for _, cell in scanned_cells(nb)}
    findings: list[str] = []
    what = ex or "this exercise"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        label = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"#{i}"
        tree = _parse(cell.source)
        if id(cell) not in scanned:
            if tree is not None:
                _Scanner(rules, aliases).visit(tree)  # only to learn aliases
            continue
        if tree is None:
            hits = _text_scan(cell.source, rules)
        else:
            scanner = _Scanner(rules, aliases)
            scanner.visit(tree)
            hits = scanner.hits
        lines = cell.source.splitlines()
        for lineno, desc in _unique(hits):
            code = lines[lineno - 1].strip() if 0 < lineno <= len(lines) else ""
            findings.append(
                f"cell {label}, line {lineno}: `{code}` uses {desc}, course_lib's reference "
                f"implementation, which {what} asks you to implement yourself"
            )
    return findings


def _unique(hits: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    seen = set()
    out = []
    for hit in hits:
        if hit not in seen:
            seen.add(hit)
            out.append(hit)
    return out


def reference_imports(nb: Any, exercise: str | None = None) -> list[str]:
    """:func:`find_reference_imports`, never raising: a failure is itself a finding.

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
        return find_reference_imports(nb, exercise)
    except Exception as exc:  # a flag is advisory: its failure must not stop grading
        return [f"(reference-import check failed: {type(exc).__name__}: {exc})"]


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


def _student_source(cell: Any) -> str:
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
        found = suspicious_constructs(_student_source(cell))
        if found:
            meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
            where = f"'{meta['grade_id']}'" if meta.get("grade_id") else f"#{index}"
            shown = ", ".join(found[:4]) + (f" and {len(found) - 4} more" if len(found) > 4 else "")
            flags.append(f"suspicious code in cell {where}: {shown}")
    return flags


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m autograder.pipeline.integrity NOTEBOOK... [--exercise EX]``; exit 1 if
    anything found."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder.pipeline.integrity",
        description="Flag imports of course_lib's reference implementation in graded cells.",
    )
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--exercise", choices=sorted(RULES), default=None)
    args = parser.parse_args(argv)
    found = False
    for path in args.notebooks:
        for message in find_reference_imports(path, args.exercise):
            print(f"{path}: {message}")
            found = True
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
