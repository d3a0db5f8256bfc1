"""Tamper guard: keep the interpreter state that tests rely on exactly as it was at start-up.

A warm worker imports numpy, course_lib, IPython's input transformer and the grader's own
modules, then takes a :class:`Snapshot` of them *before any student code exists*. Every
sandboxed kernel is a fork of that worker, so it inherits the snapshot for free.

Between cells the kernel asks the :class:`Guard` what changed:

- module globals of protected modules (``numpy.allclose = lambda *a, **k: True``,
  ``builtins.len = ...``, ``course_lib.gradcheck.rel_error = ...``),
- attributes of classes defined in them (``course_lib.modules.Linear.forward = ...``),
- the code, defaults and keyword defaults of their functions
  (``np.allclose.__code__ = (lambda *a, **k: True).__code__``),
- ``sys.modules`` entries for them (``sys.modules['numpy'] = fake``) and the import hooks
  (``sys.meta_path``, ``sys.path_hooks``).

After a student cell the changes are undone (and reported as tampering); after a test cell
any change means the test ran on tampered state, so the kernel fails that cell. Importing a
submodule (which sets an attribute on its parent package) and the warnings registry are the
only changes treated as benign.

What it does not cover: attacks that reach below Python objects (``ctypes`` writes to memory),
objects the tests themselves receive from student code (use plain-array conversions in the
tests), and introspection of the grader's own frames. Those are flagged statically by
:mod:`autograder.checks` and contained by the sandbox (see ``autograder/SECURITY.md``).
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field
from operator import attrgetter, is_, itemgetter
from typing import Any

#: Modules (and their submodules) whose state is frozen at start-up.
PROTECTED_PREFIXES: tuple[str, ...] = (
    "builtins",
    "numpy",
    "math",
    "cmath",
    "operator",
    "functools",
    "copy",
    "numbers",
    "traceback",
    "linecache",
    "json",
    "struct",
    "select",
    "signal",
    "time",
    "io",
    "os",
    "posix",
    "posixpath",
    "course_lib",
    "autograder",
    "IPython.core.inputtransformer2",
    "IPython.core.formatters",
    "IPython.lib.pretty",
)

#: Globals that may appear or change in any protected module without it being tampering.
BENIGN_KEYS = frozenset({"__warningregistry__", "_"})
#: Class attributes that the interpreter itself caches (copyreg, abc).
BENIGN_CLASS_KEYS = frozenset({"__slotnames__", "_abc_impl", "__abstractmethods__"})
_HEAPTYPE = 1 << 9
_MISSING = object()
_CODE = attrgetter("__code__")
_DEFAULTS = attrgetter("__defaults__")
_KWDEFAULTS = attrgetter("__kwdefaults__")
_ITEM1, _ITEM2, _ITEM3 = itemgetter(1), itemgetter(2), itemgetter(3)


def _is_protected(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@dataclass
class Snapshot:
    """What protected state looked like before any student code ran.

    Attributes
    ----------
    modules : dict
        Module name -> (module object, shallow copy of its globals).
    classes : list
        (class, shallow copy of its ``__dict__``) for Python classes defined in those modules.
    functions : list
        [function, __code__, __defaults__, __kwdefaults__] for their functions and methods.
    sys_modules : dict
        Module name -> module object, as found in ``sys.modules``.
    meta_path, path_hooks : list
        Copies of the import-hook lists.
    """

    modules: dict[str, tuple[types.ModuleType, dict[str, Any]]] = field(default_factory=dict)
    classes: list[tuple[type, dict[str, Any]]] = field(default_factory=list)
    functions: list[list[Any]] = field(default_factory=list)
    sys_modules: dict[str, types.ModuleType] = field(default_factory=dict)
    meta_path: list[Any] = field(default_factory=list)
    path_hooks: list[Any] = field(default_factory=list)


def _functions_of(namespace: dict[str, Any], module_name: str) -> list[types.FunctionType]:
    """Python functions defined in ``module_name``, including those behind numpy's dispatchers."""
    found = []
    for value in namespace.values():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if not isinstance(value, types.FunctionType):
            try:  # numpy's array-function dispatchers wrap a plain Python implementation
                value = getattr(value, "_implementation", None)
            except Exception:
                continue
        if isinstance(value, types.FunctionType) and value.__module__ == module_name:
            found.append(value)
    return found


def take_snapshot(prefixes: tuple[str, ...] = PROTECTED_PREFIXES) -> Snapshot:
    """Record the protected state of this interpreter.

    Parameters
    ----------
    prefixes : tuple of str
        Module names to protect, each with all its submodules.

    Returns
    -------
    Snapshot
        To be handed to :class:`Guard` in the (forked) kernel.
    """
    snap = Snapshot()
    seen_classes: set[int] = set()
    for name, module in list(sys.modules.items()):
        if not isinstance(module, types.ModuleType) or not _is_protected(name, prefixes):
            continue
        namespace = vars(module)
        snap.modules[name] = (module, dict(namespace))
        snap.sys_modules[name] = module
        for fn in _functions_of(namespace, name):
            snap.functions.append([fn, fn.__code__, fn.__defaults__, fn.__kwdefaults__])
        for value in list(namespace.values()):
            if (
                isinstance(value, type)
                and value.__flags__ & _HEAPTYPE
                and getattr(value, "__module__", None) == name
                and id(value) not in seen_classes
            ):
                seen_classes.add(id(value))
                class_dict = dict(vars(value))
                snap.classes.append((value, class_dict))
                for fn in _functions_of(class_dict, name):
                    snap.functions.append([fn, fn.__code__, fn.__defaults__, fn.__kwdefaults__])
    snap.meta_path = list(sys.meta_path)
    snap.path_hooks = list(sys.path_hooks)
    return snap


@dataclass
class Change:
    """One difference between the snapshot and the live interpreter."""

    where: str
    kind: str  # "replaced", "added", "deleted"
    _undo: Any = field(repr=False, default=None)
    _accept: Any = field(repr=False, default=None)

    def __str__(self) -> str:
        return f"{self.where} {self.kind}"


class Guard:
    """Compare live protected state with a :class:`Snapshot`, undo or accept changes.

    Parameters
    ----------
    snapshot : Snapshot
        Taken before student code existed (in the parent worker).
    """

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._function_objects = [entry[0] for entry in snapshot.functions]

    def changes(self) -> list[Change]:
        """List every difference from the snapshot (benign ones excluded).

        Returns
        -------
        list of Change
            Each can be undone (:meth:`restore`) or accepted (:meth:`accept`).
        """
        found: list[Change] = []
        for name, (module, saved) in self.snapshot.modules.items():
            live = vars(module)
            if len(live) == len(saved) and all(map(is_, live.values(), saved.values())):
                continue  # the common case, checked at C speed
            found.extend(self._module_changes(name, live, saved))
        for cls, saved in self.snapshot.classes:
            live = vars(cls)
            if len(live) == len(saved) and all(map(is_, live.values(), saved.values())):
                continue
            found.extend(self._class_changes(cls, live, saved))
        functions = self.snapshot.functions
        if not (
            all(map(is_, map(_CODE, self._function_objects), map(_ITEM1, functions)))
            and all(map(is_, map(_DEFAULTS, self._function_objects), map(_ITEM2, functions)))
            and all(map(is_, map(_KWDEFAULTS, self._function_objects), map(_ITEM3, functions)))
        ):
            for entry in functions:
                fn, code, defaults, kwdefaults = entry
                if (
                    fn.__code__ is not code
                    or fn.__defaults__ is not defaults
                    or fn.__kwdefaults__ is not kwdefaults
                ):
                    found.append(self._function_change(entry))
        for name, module in self.snapshot.sys_modules.items():
            if sys.modules.get(name) is not module:
                found.append(self._sys_modules_change(name, module))
        for attr in ("meta_path", "path_hooks"):
            saved = getattr(self.snapshot, attr)
            live = getattr(sys, attr)
            if len(live) != len(saved) or any(
                a is not b for a, b in zip(live, saved, strict=False)
            ):
                found.append(self._hook_change(attr, saved))
        return found

    def _module_changes(self, name: str, live: dict, saved: dict) -> list[Change]:
        out = []
        for key, value in saved.items():
            current = live.get(key, _MISSING)
            if current is value or key in BENIGN_KEYS:
                continue
            kind = "deleted" if current is _MISSING else "replaced"
            out.append(
                Change(
                    f"{name}.{key}",
                    kind,
                    _undo=lambda live=live, key=key, value=value: live.__setitem__(key, value),
                    _accept=lambda saved=saved, key=key, live=live: _copy_key(live, saved, key),
                )
            )
        for key in live.keys() - saved.keys():
            value = live[key]
            if key in BENIGN_KEYS:
                continue
            if isinstance(value, types.ModuleType) and value.__name__ == f"{name}.{key}":
                saved[key] = value  # a submodule was imported: benign, remember it
                continue
            out.append(
                Change(
                    f"{name}.{key}",
                    "added",
                    _undo=lambda live=live, key=key: live.pop(key, None),
                    _accept=lambda saved=saved, key=key, live=live: _copy_key(live, saved, key),
                )
            )
        return out

    def _class_changes(self, cls: type, live: Any, saved: dict) -> list[Change]:
        out = []
        where = f"{cls.__module__}.{cls.__qualname__}"
        for key, value in saved.items():
            current = live.get(key, _MISSING)
            if current is value or key in BENIGN_CLASS_KEYS:
                continue
            out.append(
                Change(
                    f"{where}.{key}",
                    "deleted" if current is _MISSING else "replaced",
                    _undo=lambda key=key, value=value: setattr(cls, key, value),
                    _accept=lambda key=key: _copy_key(vars(cls), saved, key),
                )
            )
        for key in set(live.keys()) - saved.keys():
            if key in BENIGN_CLASS_KEYS:
                continue
            out.append(
                Change(
                    f"{where}.{key}",
                    "added",
                    _undo=lambda key=key: _safe_delattr(cls, key),
                    _accept=lambda key=key: _copy_key(vars(cls), saved, key),
                )
            )
        return out

    @staticmethod
    def _function_change(entry: list[Any]) -> Change:
        fn, code, defaults, kwdefaults = entry

        def undo() -> None:
            fn.__code__, fn.__defaults__, fn.__kwdefaults__ = code, defaults, kwdefaults

        def accept() -> None:
            entry[1:] = [fn.__code__, fn.__defaults__, fn.__kwdefaults__]

        return Change(f"{fn.__module__}.{fn.__qualname__} (code)", "replaced", undo, accept)

    def _sys_modules_change(self, name: str, module: types.ModuleType) -> Change:
        def accept() -> None:
            live = sys.modules.get(name)
            if isinstance(live, types.ModuleType):
                self.snapshot.sys_modules[name] = live
            else:
                self.snapshot.sys_modules.pop(name, None)

        return Change(
            f"sys.modules[{name!r}]",
            "replaced",
            _undo=lambda: sys.modules.__setitem__(name, module),
            _accept=accept,
        )

    def _hook_change(self, attr: str, saved: list[Any]) -> Change:
        def undo() -> None:
            getattr(sys, attr)[:] = saved

        def accept() -> None:
            saved[:] = getattr(sys, attr)

        return Change(f"sys.{attr}", "modified", undo, accept)

    def restore(self) -> list[str]:
        """Undo every change; return a description of each.

        Returns
        -------
        list of str
            E.g. ``["numpy.allclose replaced"]``; empty when nothing was touched.
        """
        done = []
        for change in self.changes():
            try:
                change._undo()
            except Exception as exc:  # e.g. a read-only attribute: report, keep going
                done.append(f"{change} (could not undo: {exc})")
            else:
                done.append(str(change))
        return done

    def accept(self) -> list[str]:
        """Make the current state the new reference (after trusted, instructor-written cells).

        Returns
        -------
        list of str
            The changes that were accepted.
        """
        accepted = []
        for change in self.changes():
            change._accept()
            accepted.append(str(change))
        return accepted


def _copy_key(live: Any, saved: dict, key: str) -> None:
    if key in live:
        saved[key] = live[key]
    else:
        saved.pop(key, None)


def _safe_delattr(cls: type, key: str) -> None:
    try:
        delattr(cls, key)
    except (AttributeError, TypeError):
        pass
