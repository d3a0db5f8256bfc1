"""Policies: what the other process may do with this process's objects."""

from __future__ import annotations

import types
from typing import Any

import numpy as np


class Policy:
    """What the other process may do with this process's objects (default: anything)."""

    def may_export(self, obj: Any) -> bool:
        """Whether ``obj`` may be handed out as a handle."""
        return True

    def may_use(self, obj: Any, op: str, name: str | None = None) -> bool:
        """Whether the other side may apply ``op`` (attribute ``name``) to exported ``obj``."""
        return True

    def special(self, obj: Any) -> dict[str, Any] | None:
        """A data encoding for objects that cross by value (e.g. random generators)."""
        return None


class JudgePolicy(Policy):
    """The judge's rules for student code holding reference objects.

    Student code may use instances of ``course_lib`` classes and functions written in the
    judge's test cells (callbacks such as ``lambda v: (v**3).sum()``), through public names
    only: no underscore attribute, no class, module, frame or code object ever leaves.
    Random generators cross as a copy of their state.
    """

    def may_export(self, obj: Any) -> bool:
        if isinstance(obj, type | types.ModuleType | types.CodeType | types.FrameType):
            return False
        if isinstance(obj, types.MethodType):
            return isinstance(obj.__func__, types.FunctionType) and self.may_export(obj.__self__)
        if isinstance(obj, types.FunctionType):
            module = getattr(obj, "__module__", "") or ""
            return obj.__code__.co_filename.startswith("<cell ") or module.startswith("course_lib")
        return (type(obj).__module__ or "").startswith("course_lib")

    def may_use(self, obj: Any, op: str, name: str | None = None) -> bool:
        if isinstance(obj, type):  # exported for proxy identity only: never called or read
            return False
        if name is not None and (not isinstance(name, str) or name.startswith("_")):
            return False
        return op not in {"lookup", "instancecheck", "subclasscheck"}

    def special(self, obj: Any) -> dict[str, Any] | None:
        if isinstance(obj, np.random.Generator):
            state = obj.bit_generator.state
            if state.get("bit_generator") == "PCG64":
                inner = state["state"]
                return {
                    "t": "rng",
                    "state": str(inner["state"]),
                    "inc": str(inner["inc"]),
                    "has_uint32": int(state["has_uint32"]),
                    "uinteger": int(state["uinteger"]),
                }
        return None
