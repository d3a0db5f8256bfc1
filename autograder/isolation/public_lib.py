"""The ``course_lib`` a submission's process gets: what the notebook's own cells import, no more.

Inside the sandbox the reference implementation must not exist (not as a class to borrow, not
as a ``Module.__subclasses__()`` entry, not as a file to read). A submission still needs the
base classes and helpers its instructor cells import (``Module``, ``Parameter``, the data
sets, ``plot_decision_boundary``...). This module builds, per assignment, a copy of
``course_lib`` that holds exactly the definitions those imports need, found by following the
names each kept definition uses (tree shaking on the AST); names the student must write (the
assignment's solution names) are never kept. ``course_lib.testing`` becomes stubs: the tests
run in the judge. ``course_lib/__init__.py`` is a docstring.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

import course_lib

#: Modules replaced by stubs whose functions say that they run in the judge.
STUB_MODULES = ("testing",)
_PACKAGE = "course_lib"


@dataclass
class _Module:
    tree: ast.Module
    source: str
    defs: dict[str, list[ast.stmt]] = field(default_factory=dict)
    imports: dict[str, tuple[str, str]] = field(default_factory=dict)
    kept: set[int] = field(default_factory=set)
    kept_imports: set[str] = field(default_factory=set)


def _module_name(node: ast.ImportFrom, current: str | None) -> str | None:
    """The course_lib module an import-from names, relative to ``current`` (or None)."""
    if node.level == 1:
        return node.module or ""
    if node.level == 0 and node.module and node.module.split(".")[0] == _PACKAGE:
        return node.module.partition(".")[2]
    return None


class PublicLibrary:
    """Collects what the instructor's cells need from course_lib and writes the copy.

    Parameters
    ----------
    withheld : iterable of str
        Names never copied (the names the assignment asks students to define).
    root : Path, optional
        The real package folder (default: the installed ``course_lib``).
    """

    def __init__(self, withheld: set[str] | frozenset[str], root: Path | None = None) -> None:
        self.withheld = frozenset(withheld)
        self.root = Path(root or Path(course_lib.__file__).parent)
        self.modules: dict[str, _Module] = {}
        self.stubs: set[str] = set()

    def _load(self, name: str) -> _Module | None:
        if name in self.modules:
            return self.modules[name]
        path = self.root / (name.replace(".", "/") + ".py")
        if not name or not path.is_file():
            return None
        source = path.read_text(encoding="utf-8")
        module = _Module(ast.parse(source), source)
        for stmt in module.tree.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                module.defs.setdefault(stmt.name, []).append(stmt)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    for sub in ast.walk(target):
                        if isinstance(sub, ast.Name):
                            module.defs.setdefault(sub.id, []).append(stmt)
            elif isinstance(stmt, ast.ImportFrom):
                origin = _module_name(stmt, name)
                for alias in stmt.names:
                    if origin is not None:
                        target = (origin, alias.name)
                        module.imports[alias.asname or alias.name] = target
        self.modules[name] = module
        return module

    def require(self, module: str, name: str = "*") -> None:
        """Keep ``name`` (``"*"``: every public name) of ``course_lib.<module>``."""
        if module in STUB_MODULES:
            self.stubs.add(module)
            return
        work = [(module, name)]
        seen: set[tuple[str, str]] = set()
        while work:
            item = work.pop()
            if item in seen:
                continue
            seen.add(item)
            work.extend(self._keep(*item))

    def _keep(self, module_name: str, name: str) -> list[tuple[str, str]]:
        if module_name in STUB_MODULES:
            self.stubs.add(module_name)
            return []
        if self._load(module_name + ".__init__" if module_name == "" else module_name) is None:
            sub = self._load(name) if module_name == "" else None  # `from . import init`
            return [(name, "*")] if sub is not None else []
        module = self.modules[module_name]
        if name == "*":
            return [(module_name, n) for n in module.defs if not n.startswith("_")]
        if name in self.withheld:
            return []
        if name in module.imports:
            module.kept_imports.add(name)
            origin, original = module.imports[name]
            if origin == "" or self._load(origin) is None:  # `from . import init as _init`
                return [(original, "*")] if self._load(original) is not None else []
            return [(origin, original)]
        needs: list[tuple[str, str]] = []
        for stmt in module.defs.get(name, []):
            if id(stmt) in module.kept:
                continue
            module.kept.add(id(stmt))
            used = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
            used |= {
                n.value.id
                for n in ast.walk(stmt)
                if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            }
            needs += [(module_name, n) for n in used if n in module.defs or n in module.imports]
        return needs

    def require_from_cells(self, sources: list[str]) -> None:
        """Keep what the ``import`` statements of these (instructor) cells name."""
        for source in sources:
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    parts = node.module.split(".")
                    if parts[0] != _PACKAGE:
                        continue
                    if len(parts) == 1:
                        for alias in node.names:
                            self.require(alias.name, "*")
                    else:
                        for alias in node.names:
                            self.require(".".join(parts[1:]), alias.name)
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        parts = alias.name.split(".")
                        if parts[0] == _PACKAGE and len(parts) > 1:
                            self.require(".".join(parts[1:]), "*")

    def files(self) -> dict[str, bytes]:
        """The copy: ``{"course_lib/<module>.py": source}``, ``__init__.py`` included."""
        out = {
            f"{_PACKAGE}/__init__.py": b'"""course_lib as a submission sees it while graded."""\n'
        }
        for name, module in self.modules.items():
            if name in STUB_MODULES or (not module.kept and not module.kept_imports):
                continue
            out[f"{_PACKAGE}/{name.replace('.', '/')}.py"] = self._render(module).encode()
        for name in self.stubs:
            out[f"{_PACKAGE}/{name}.py"] = _stub_source(self.root / f"{name}.py").encode()
        return out

    def _render(self, module: _Module) -> str:
        lines = module.source.splitlines()
        parts = []
        for stmt in module.tree.body:
            if _is_docstring(stmt) or _is_plain_import(stmt):
                parts.append(_segment(lines, stmt))
            elif isinstance(stmt, ast.ImportFrom) and _module_name(stmt, None) is None:
                parts.append(_segment(lines, stmt))
            elif isinstance(stmt, ast.ImportFrom):
                names = [a for a in stmt.names if (a.asname or a.name) in module.kept_imports]
                if names:
                    parts.append(ast.unparse(ast.ImportFrom(stmt.module, names, stmt.level)))
            elif id(stmt) in module.kept:
                parts.append(_segment(lines, stmt))
        return "\n\n".join(parts) + "\n"


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def _is_plain_import(stmt: ast.stmt) -> bool:
    if isinstance(stmt, ast.Import):
        return not any(a.name.split(".")[0] == _PACKAGE for a in stmt.names)
    return False


def _segment(lines: list[str], stmt: ast.stmt) -> str:
    decorators = getattr(stmt, "decorator_list", [])
    start = min([stmt.lineno] + [d.lineno for d in decorators])
    return "\n".join(lines[start - 1 : stmt.end_lineno])


def _stub_source(path: Path) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.ClassDef) and not n.name.startswith("_")
    ]
    body = [
        '"""Test helpers run in the judge while a submission is graded; these are stubs."""',
        "",
        "",
        "def _in_the_judge(*args, **kwargs):",
        '    raise RuntimeError("course_lib test helpers run in the grader\'s judge, not here")',
        "",
    ]
    body += [f"{name} = _in_the_judge" for name in names]
    return "\n".join(body) + "\n"


def build(instructor_sources: list[str], withheld: set[str] | frozenset[str]) -> dict[str, bytes]:
    """The public course_lib for an assignment.

    Parameters
    ----------
    instructor_sources : list of str
        Sources of the locked, non-test cells (those that also run in the submission's process).
    withheld : set of str
        Names never copied: what the students write.

    Returns
    -------
    dict
        Relative path -> file contents.
    """
    library = PublicLibrary(withheld)
    library.require_from_cells(instructor_sources)
    return library.files()
