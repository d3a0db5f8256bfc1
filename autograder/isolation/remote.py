"""Objects in another process: the judge's view of a submission, and back.

The judge runs the test cells; the student's classes, functions and objects live in the
submission's sandboxed process. A :class:`Peer` at each end of one socket turns every use of a
remote object into a request, and every request's answer into plain data:

- ``None``, bools, ints, floats, complex numbers, strings, bytes, numpy scalars;
- numeric numpy arrays, rebuilt as fresh arrays. An array stays *shared* with the process it
  came from until the end of the test cell: an in-place change on either side (``layer.weight
  .data[...] = W`` in a test, ``p.data -= lr * p.grad`` in a student's ``train`` applied to a
  reference model) travels with the next message, so numpy code behaves as in one process;
- lists, tuples, sets and dicts of those;
- anything else as an opaque handle: a proxy whose attribute reads, calls, item access and
  operators are requests in turn.

No object, class, code or exception type of the other process is ever created here: proxies
are instances of classes made by this module, remote exceptions become :class:`RemoteError`
subclasses of the matching builtin, and a malformed message is the sender's failure
(:class:`~autograder.isolation.wire.WireError`). What a side lets the other do with its own
objects is
its :class:`Policy`: the submission's process lets the judge do anything with the student's
objects; the judge lets student code call the public methods of reference objects handed to
it (a reference model given to the student's ``train``), read and write their public,
non-underscore attributes, and nothing else.
"""

from __future__ import annotations

import builtins
import operator
import re
import time
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.isolation import wire
from autograder.isolation.wire import WireError

#: Longest error message or ``repr`` kept from the other side (characters).
MAX_MESSAGE = 2000
#: Ends the message of every exception raised by the other process's code.
FROM_OTHER_SIDE = " [raised by your code]"
#: Most items an ``iter`` request may return.
MAX_ITER = 100_000

_BINARY = {
    name: getattr(operator, name)
    for name in (
        "add sub mul truediv floordiv mod pow matmul lshift rshift and_ or_ xor "
        "eq ne lt le gt ge iadd isub imul itruediv ifloordiv imod ipow imatmul "
        "contains getitem"
    ).split()
}
_UNARY = {"neg": operator.neg, "pos": operator.pos, "abs": operator.abs, "invert": operator.inv}
_BUILTIN_ERRORS = frozenset(
    "ValueError TypeError IndexError KeyError AttributeError ZeroDivisionError ArithmeticError "
    "AssertionError RuntimeError NotImplementedError RecursionError OverflowError NameError "
    "FloatingPointError LookupError MemoryError ImportError ModuleNotFoundError "
    "PermissionError".split()
)
#: Names a proxy answers itself: Python and numpy probe dunders, and none may reach the peer
#: (an ``__array_interface__`` from the submission would point numpy at the judge's memory).
_LOCAL_PREFIX = "__"
_INT = re.compile(r"-?[0-9]+")


class RemoteError(Exception):
    """An exception raised by code in the other process (its type name and message only)."""

    remote_type: str = "Exception"


class CellTimeoutError(BaseException):
    """The submission's code did not answer before the cell's deadline."""


class ProcessGone(RuntimeError):
    """The submission's process has ended; nothing more can be asked of it."""


_error_classes: dict[str, type[RemoteError]] = {}


def remote_error(name: str, message: str) -> RemoteError:
    """An exception standing for one raised remotely, of a class made here.

    Parameters
    ----------
    name : str
        The remote exception's type name (only builtin names get a builtin base).
    message : str
        Its message, already capped.
    """
    if name not in _error_classes:
        base = getattr(builtins, name) if name in _BUILTIN_ERRORS else None
        bases = (RemoteError, base) if base is not None else (RemoteError,)
        label = name if base is not None else "RemoteError"
        _error_classes[name] = type(label, bases, {"remote_type": name})
    cls = _error_classes[name]
    exc = cls.__new__(cls)
    Exception.__init__(exc, message if cls.__name__ == name else f"{name}: {message}")
    return exc


# -- policies ---------------------------------------------------------------------------
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


# -- proxies ----------------------------------------------------------------------------
class RemoteMeta(type):
    """Metaclass of proxy classes: a remote class is called, read and checked remotely."""

    _r_peer: Peer
    _r_id: int
    __remote__ = True  # what course_lib.testing looks for: the object lives in another process

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._r_peer.request("call", cls, list(args), kwargs)

    def __getattr__(cls, name: str) -> Any:
        if name.startswith(_LOCAL_PREFIX):
            raise AttributeError(name)
        return cls._r_peer.request("getattr", cls, name)

    def __instancecheck__(cls, obj: Any) -> bool:
        if not isinstance(type(obj), RemoteMeta) or type(obj)._r_peer is not cls._r_peer:
            return type.__instancecheck__(cls, obj)
        return _as_bool(cls._r_peer.request("instancecheck", cls, obj))

    def __subclasscheck__(cls, sub: Any) -> bool:
        if not isinstance(sub, RemoteMeta) or sub._r_peer is not cls._r_peer:
            return type.__subclasscheck__(cls, sub)
        return _as_bool(cls._r_peer.request("subclasscheck", cls, sub))

    def __repr__(cls) -> str:
        return f"<class {cls.__name__!r} of the other process>"


def _as_bool(value: Any) -> bool:
    if type(value) is not bool:
        raise TypeError(f"expected a bool from the other process, got {type(value).__name__}")
    return value


def _peer_of(obj: Any) -> Peer:
    return type(obj)._r_peer


def _rid(obj: Any) -> int:
    return object.__getattribute__(obj, "_r_id")


def _forward_binary(name: str, reflected: bool = False) -> Callable[[Any, Any], Any]:
    def method(self: Any, other: Any) -> Any:
        a, b = (other, self) if reflected else (self, other)
        return _peer_of(self).request("binop", name, a, b)

    return method


def _forward_unary(name: str) -> Callable[[Any], Any]:
    def method(self: Any) -> Any:
        return _peer_of(self).request("unop", name, self)

    return method


def _typed(kind: type | tuple[type, ...], what: str) -> Callable[[Any], Any]:
    def method(self: Any) -> Any:
        value = _peer_of(self).request(what, self)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
            raise TypeError(f"{what}() of a remote object gave {type(value).__name__}")
        return value

    return method


class RemoteObject:
    """An object of the other process; every use is a request (see the module docstring)."""

    _r_peer: Peer
    __remote__ = True

    def __getattribute__(self, name: str) -> Any:
        if name.startswith(_LOCAL_PREFIX) or name == "_r_id":
            return object.__getattribute__(self, name)
        return _peer_of(self).request("getattr", self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        _peer_of(self).request("setattr", self, name, value)

    def __delattr__(self, name: str) -> None:
        _peer_of(self).request("delattr", self, name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _peer_of(self).request("call", self, list(args), kwargs)

    def __getitem__(self, key: Any) -> Any:
        return _peer_of(self).request("getitem", self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        _peer_of(self).request("setitem", self, key, value)

    def __delitem__(self, key: Any) -> None:
        _peer_of(self).request("delitem", self, key)

    def __iter__(self) -> Any:
        items = _peer_of(self).request("iter", self)
        if not isinstance(items, list):
            raise TypeError("iterating a remote object did not give a list")
        return iter(items)

    def __contains__(self, item: Any) -> bool:
        return _as_bool(_peer_of(self).request("binop", "contains", self, item))

    def __bool__(self) -> bool:
        return _as_bool(_peer_of(self).request("bool", self))

    def __format__(self, spec: str) -> str:
        value = _peer_of(self).request("format", self, spec)
        if not isinstance(value, str):
            raise TypeError("format() of a remote object did not give a str")
        return value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        value = _peer_of(self).request("array", self)
        if not isinstance(value, np.ndarray):
            raise TypeError(f"the remote object is not an array ({type(value).__name__})")
        return value if dtype is None else value.astype(dtype)

    def __copy__(self) -> Any:
        raise TypeError("objects of the other process cannot be copied here")

    __deepcopy__ = __reduce_ex__ = __reduce__ = __copy__  # type: ignore[assignment]

    def __repr__(self) -> str:
        try:
            return _typed(str, "repr")(self)
        except Exception as exc:  # a repr must not fail the caller
            return f"<{type(self).__name__} object (repr failed: {type(exc).__name__})>"

    __str__ = _typed(str, "str")  # type: ignore[assignment]
    __len__ = _typed(int, "len")
    __hash__ = _typed(int, "hash")  # type: ignore[assignment]
    __float__ = _typed(float, "float")
    __int__ = _typed(int, "int")
    __index__ = _typed(int, "index")
    __neg__ = _forward_unary("neg")
    __pos__ = _forward_unary("pos")
    __abs__ = _forward_unary("abs")
    __invert__ = _forward_unary("invert")


for _name in "add sub mul truediv floordiv mod pow matmul lshift rshift and or xor".split():
    _op = _name + "_" if _name in ("and", "or") else _name
    setattr(RemoteObject, f"__{_name}__", _forward_binary(_op))
    setattr(RemoteObject, f"__r{_name}__", _forward_binary(_op, reflected=True))
for _name in "add sub mul truediv floordiv mod pow matmul".split():
    setattr(RemoteObject, f"__i{_name}__", _forward_binary("i" + _name))
for _name in "eq ne lt le gt ge".split():
    setattr(RemoteObject, f"__{_name}__", _forward_binary(_name))
del _name, _op


# -- the peer ---------------------------------------------------------------------------
class Peer:
    """One end of the object channel.

    Parameters
    ----------
    channel : wire.FrameSocket
        The connected socket.
    side : str
        ``"j"`` (judge) or ``"r"`` (runner): prefixes the ids of arrays shared from here.
    policy : Policy
        What the other side may do with this side's objects.
    kinds : dict, optional
        Base classes that proxies of the other side's objects may claim (``{"Parameter":
        course_lib.modules.Parameter}``), so ``isinstance(p, Parameter)`` holds for a student's
        parameter in the judge. A claim gains nothing: every use is still a request.
    guarded : bool
        The judge's side: its handles are revoked at every :meth:`release` (student code cannot
        keep a reference object for later), and its errors go back without frames.
    """

    def __init__(
        self,
        channel: wire.FrameSocket,
        side: str,
        policy: Policy | None = None,
        kinds: dict[str, type] | None = None,
        guarded: bool = False,
    ) -> None:
        self.channel = channel
        self.guarded = guarded
        self.side = side
        self.policy = policy or Policy()
        self.kinds = dict(kinds or {})
        self.handlers: dict[str, Callable[..., Any]] = dict(_HANDLERS)
        self.deadline: float | None = None
        self.on_deadline: Callable[[], float] | None = None
        self.gone: str | None = None
        self.requests = 0
        self._exports: dict[int, Any] = {}
        self._export_ids: dict[int, int] = {}
        self._proxies: dict[int, Any] = {}
        self._classes: dict[int, type] = {}
        self._shared: dict[str, list[Any]] = {}
        self._sid_of: dict[int, str] = {}
        self._next = 1

    def _new_id(self) -> int:
        self._next += 1
        return self._next

    # -- requests ---------------------------------------------------------------------
    def request(self, op: str, *args: Any) -> Any:
        """Ask the other side to perform ``op`` on ``args``; return its decoded answer.

        Raises
        ------
        RemoteError
            The operation raised in the other process.
        CellTimeoutError
            The deadline passed (see :attr:`on_deadline`).
        ProcessGone
            The other process has ended.
        """
        if self.gone:
            raise ProcessGone(self.gone)
        rid = self._new_id()
        buffers: list[bytes] = []
        header = {"k": "req", "id": rid, "op": op, "a": self.encode(list(args), buffers)}
        self._send(header, buffers)
        self.requests += 1
        return self._await(rid)

    def _send(self, header: dict[str, Any], buffers: list[bytes]) -> None:
        header["sync"] = self._changes(buffers)
        try:
            self.channel.send(header, buffers)
        except wire.PeerGone as exc:
            self.gone = self.gone or str(exc)
            raise ProcessGone(self.gone) from None

    def _await(self, rid: int) -> Any:
        while True:
            try:
                got = self.channel.recv(self.deadline)
            except WireError as exc:
                self.gone = self.gone or f"the channel broke: {exc}"
                raise ProcessGone(self.gone) from None
            if got is None:
                if self.on_deadline is None:
                    raise CellTimeoutError("no answer before the deadline")
                self.deadline = self.on_deadline()
                continue
            header, buffers = got
            kind = header.get("k")
            self._apply(header.get("sync"), buffers)
            if kind == "req":
                self.serve(header, buffers)
            elif kind == "rep" and header.get("id") == rid:
                if "err" in header:
                    raise self._error(header["err"])
                return self.decode(header.get("v"), buffers)
            elif kind != "rep":
                raise WireError(f"unknown message kind {kind!r:.20}")

    def _error(self, err: Any) -> BaseException:
        if not isinstance(err, dict):
            raise WireError("malformed error reply")
        name = str(err.get("type", "Exception"))[:80]
        message = str(err.get("message", ""))[:MAX_MESSAGE]
        where = err.get("where")
        if isinstance(where, list) and where:
            lines = [str(w)[:300] for w in where[-3:]]
            message += "\n  raised in your code at " + " <- ".join(reversed(lines))
        if name == "KeyboardInterrupt":
            return CellTimeoutError("interrupted after the cell's time limit")
        return remote_error(name, message + FROM_OTHER_SIDE)

    # -- serving ----------------------------------------------------------------------
    def serve(self, header: dict[str, Any], buffers: list[bytes]) -> None:
        """Perform one request of the other side and send the reply."""
        rid = header.get("id")
        out: list[bytes] = []
        try:
            op = header.get("op")
            handler = self.handlers.get(op) if isinstance(op, str) else None
            if handler is None:
                raise PermissionError(f"unknown operation {op!r:.40}")
            args = self.decode(header.get("a"), buffers)
            if not isinstance(args, list):
                raise WireError("request arguments must be a list")
            reply = {"k": "rep", "id": rid, "v": self.encode(handler(self, *args), out)}
        except BaseException as exc:  # noqa: BLE001 - everything goes back as the reply
            out = []
            reply = {"k": "rep", "id": rid, "err": describe(exc, frames=not self.guarded)}
        self._send(reply, out)

    def check(self, obj: Any, op: str, name: Any = None) -> Any:
        """Raise unless the other side may apply ``op`` to this side's ``obj``.

        A guarded side serves operations only on objects it handed over itself, never on
        plain data the other side sent (``3 ** (3 * 10**7)`` computed in the judge).
        """
        if self.guarded and not self._is_export(obj):
            raise PermissionError(f"{op} is only served on objects the judge handed over")
        if not self.policy.may_use(obj, op, name):
            what = f"{op} {name!r}" if name is not None else op
            raise PermissionError(f"{what} is not allowed on {type(obj).__name__} objects")
        return obj

    # -- shared arrays ----------------------------------------------------------------
    def _share(self, array: np.ndarray, sid: str) -> None:
        self._shared[sid] = [array, array.tobytes()]
        self._sid_of[id(array)] = sid

    def _changes(self, buffers: list[bytes]) -> list[dict[str, Any]]:
        changes = []
        for sid, entry in self._shared.items():
            array, before = entry
            now = array.tobytes()
            if now != before:
                entry[1] = now
                changes.append({"sid": sid, **wire.array_meta(array, buffers)})
        return changes

    def _apply(self, changes: Any, buffers: list[bytes]) -> None:
        try:
            self._apply_changes(changes, buffers)
        except WireError:
            raise
        except Exception as exc:
            raise WireError(f"malformed array update: {type(exc).__name__}") from None

    def _apply_changes(self, changes: Any, buffers: list[bytes]) -> None:
        if changes is None:
            return
        if not isinstance(changes, list):
            raise WireError("malformed array updates")
        for change in changes:
            if not isinstance(change, dict):
                raise WireError("malformed array update")
            sid = change.get("sid")
            entry = self._shared.get(sid) if isinstance(sid, str) else None
            if entry is None:
                continue
            new = wire.array_from(change, buffers)
            array = entry[0]
            if new.shape != array.shape or new.dtype != array.dtype:
                raise WireError("a shared array changed shape or dtype")
            if array.flags.writeable:
                array[...] = new
            entry[1] = array.tobytes()

    def release(self) -> None:
        """Stop sharing arrays (at the end of a test cell); a guarded side also revokes its
        handles, while the proxies of the other side's objects stay valid."""
        self._shared.clear()
        self._sid_of.clear()
        if self.guarded:
            self._exports.clear()
            self._export_ids.clear()

    # -- values -----------------------------------------------------------------------
    def encode(self, value: Any, buffers: list[bytes]) -> Any:
        """The wire form of ``value`` (see the module docstring); buffers grow."""
        budget = [wire.MAX_ITEMS]
        return self._enc(value, buffers, 0, budget)

    def _enc(self, v: Any, buffers: list[bytes], depth: int, budget: list[int]) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > wire.MAX_DEPTH:
            raise ValueError("value too large or too deeply nested to send to the other process")
        t = type(v)
        if v is None or t is bool:
            return {"t": "c", "v": v}
        if t is int:
            return {"t": "i", "v": v if -(2**53) < v < 2**53 else str(v)}
        if t is float:
            return {"t": "f", "v": repr(v)}
        if t is complex:
            return {"t": "z", "re": repr(v.real), "im": repr(v.imag)}
        if t is str:
            if len(v) > wire.MAX_STR:
                raise ValueError(f"a string of {len(v):,} characters is too long to send")
            return {"t": "s", "v": v}
        if t is bytes:
            buffers.append(v)
            return {"t": "y", "b": len(buffers) - 1}
        if isinstance(v, np.generic) and v.dtype.kind in wire.ARRAY_KINDS:
            return {"t": "n", **wire.array_meta(np.asarray(v), buffers)}
        if t is np.ndarray and v.dtype.kind in wire.ARRAY_KINDS and v.dtype.fields is None:
            return self._enc_array(v, buffers)
        if t in (list, tuple, set, frozenset):
            items = [self._enc(x, buffers, depth + 1, budget) for x in v]
            return {"t": t.__name__, "v": items}
        if isinstance(v, dict) and (t is dict or t.__module__ == "collections"):
            pairs = [
                [self._enc(k, buffers, depth + 1, budget), self._enc(x, buffers, depth + 1, budget)]
                for k, x in v.items()
            ]
            return {"t": "dict", "v": pairs}
        if isinstance(t, RemoteMeta) and t._r_peer is self:
            return {"t": "yours", "id": _rid(v)}
        if isinstance(v, RemoteMeta) and v._r_peer is self:
            return {"t": "yours", "id": v._r_id}
        special = self.policy.special(v)
        if special is not None:
            return special
        return self._export(v)

    def _enc_array(self, v: np.ndarray, buffers: list[bytes]) -> dict[str, Any]:
        sid = self._sid_of.get(id(v))
        if sid is not None and self._shared.get(sid, [None])[0] is v:
            return {"t": "aref", "sid": sid}
        sid = f"{self.side}{self._new_id()}"
        meta = wire.array_meta(v, buffers)
        self._share(v, sid)
        return {"t": "arr", "sid": sid, **meta}

    def _export(self, obj: Any) -> dict[str, Any]:
        if not self.policy.may_export(obj):
            raise TypeError(f"a {type(obj).__name__} object cannot be handed to the other process")
        hid = self._export_ids.get(id(obj))
        if hid is None or self._exports.get(hid) is not obj:
            hid = self._new_id()
            self._exports[hid] = obj
            self._export_ids[id(obj)] = hid
        if isinstance(obj, type):
            return {
                "t": "cls",
                "id": hid,
                "name": obj.__qualname__[:200],
                "kinds": self._kinds(obj),
            }
        cls = type(obj)
        cid = self._export_ids.get(id(cls))
        if cid is None or self._exports.get(cid) is not cls:
            cid = self._new_id()
            self._exports[cid] = cls
            self._export_ids[id(cls)] = cid
        return {
            "t": "obj",
            "id": hid,
            "cls": cid,
            "name": cls.__qualname__[:200],
            "kinds": self._kinds(cls),
        }

    def _kinds(self, cls: type) -> list[str]:
        return [name for name, base in self.kinds.items() if _safe_issubclass(cls, base)]

    def decode(self, node: Any, buffers: list[bytes]) -> Any:
        """Rebuild a value sent by the other side (strictly; see the module docstring).

        Raises
        ------
        WireError
            For anything malformed, whatever went wrong while rebuilding it.
        """
        budget = [wire.MAX_ITEMS]
        try:
            return self._dec(node, buffers, 0, budget)
        except WireError:
            raise
        except Exception as exc:  # e.g. OverflowError, ValueError, TypeError on odd input
            raise WireError(f"malformed value: {type(exc).__name__}") from None

    def _dec(self, node: Any, buffers: list[bytes], depth: int, budget: list[int]) -> Any:
        budget[0] -= 1
        if budget[0] < 0 or depth > wire.MAX_DEPTH or not isinstance(node, dict):
            raise WireError("malformed or oversized value")
        tag = node.get("t")
        decoder = _DECODERS.get(tag)  # type: ignore[arg-type]
        if decoder is None:
            raise WireError(f"unknown value tag {tag!r:.20}")
        return decoder(self, node, buffers, depth, budget)

    def _proxy_class(self, cid: int, name: Any, kinds: Any) -> type:
        if cid in self._classes:
            return self._classes[cid]
        if not isinstance(name, str) or not isinstance(kinds, list):
            raise WireError("malformed class description")
        bases: tuple[type, ...] = (RemoteObject,)
        bases += tuple(self.kinds[k] for k in kinds if isinstance(k, str) and k in self.kinds)
        label = name.rsplit(".", 1)[-1][:100] or "Remote"
        if not label.isidentifier():
            label = "Remote"
        try:
            cls = RemoteMeta(label, bases, {"_r_peer": self, "_r_id": cid, "__module__": "remote"})
        except TypeError:  # incompatible base layouts: fall back to a plain proxy
            cls = RemoteMeta(
                label, (RemoteObject,), {"_r_peer": self, "_r_id": cid, "__module__": "remote"}
            )
        self._classes[cid] = cls
        return cls

    def proxy(self, hid: int, cls: type) -> Any:
        """The one proxy of the other side's object ``hid`` (identity is preserved)."""
        existing = self._proxies.get(hid)
        if existing is not None:
            return existing
        obj = object.__new__(cls)
        object.__setattr__(obj, "_r_id", hid)
        self._proxies[hid] = obj
        return obj

    def _is_export(self, obj: Any) -> bool:
        hid = self._export_ids.get(id(obj))
        return hid is not None and self._exports.get(hid) is obj

    def exported(self, hid: Any) -> Any:
        """This side's object that the other side calls ``hid``."""
        if type(hid) is not int or hid not in self._exports:
            raise WireError("unknown object handle")
        return self._exports[hid]


def _safe_issubclass(cls: type, base: type) -> bool:
    try:
        return issubclass(cls, base)
    except Exception:
        return False


def _float_of(text: Any) -> float:
    if not isinstance(text, str) or len(text) > 40:
        raise WireError("malformed float")
    try:
        return float(text)
    except ValueError:
        raise WireError("malformed float") from None


def _dec_const(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list[int]) -> Any:
    value = node.get("v")
    if value is not None and type(value) is not bool:
        raise WireError("malformed constant")
    return value


def _dec_int(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list[int]) -> int:
    value = node.get("v")
    if type(value) is int:
        return value
    if isinstance(value, str) and len(value) < 4000 and _INT.fullmatch(value):
        return int(value)
    raise WireError("malformed int")


def _dec_str(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list[int]) -> str:
    value = node.get("v")
    if not isinstance(value, str) or len(value) > wire.MAX_STR:
        raise WireError("malformed string")
    return value


def _dec_bytes(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list) -> bytes:
    index = node.get("b")
    if type(index) is not int or not 0 <= index < len(buffers):
        raise WireError("malformed bytes")
    return buffers[index]


def _dec_scalar(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list) -> Any:
    array = wire.array_from(node, buffers)
    if array.shape != ():
        raise WireError("a numpy scalar must have shape ()")
    return array[()]


def _dec_array(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list) -> Any:
    sid = node.get("sid")
    if not isinstance(sid, str) or len(sid) > 24:
        raise WireError("malformed array id")
    array = wire.array_from(node, buffers)
    budget[0] -= array.size // 64
    peer._share(array, sid)
    return array


def _dec_aref(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list) -> Any:
    sid = node.get("sid")
    entry = peer._shared.get(sid) if isinstance(sid, str) else None
    if entry is None:
        raise WireError("reference to an array that is not shared")
    return entry[0]


def _dec_container(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list) -> Any:
    items = node.get("v")
    if not isinstance(items, list):
        raise WireError("malformed container")
    values = [peer._dec(x, buffers, depth + 1, budget) for x in items]
    kind = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[node["t"]]
    try:
        return kind(values)
    except TypeError:
        raise WireError("unhashable set member") from None


def _dec_dict(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list) -> Any:
    pairs = node.get("v")
    if not isinstance(pairs, list):
        raise WireError("malformed dict")
    out = {}
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2:
            raise WireError("malformed dict entry")
        key = peer._dec(pair[0], buffers, depth + 1, budget)
        try:
            out[key] = peer._dec(pair[1], buffers, depth + 1, budget)
        except TypeError:
            raise WireError("unhashable dict key") from None
    return out


def _dec_complex(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list) -> Any:
    return complex(_float_of(node.get("re")), _float_of(node.get("im")))


def _dec_obj(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list) -> Any:
    hid, cid = node.get("id"), node.get("cls")
    if type(hid) is not int or type(cid) is not int:
        raise WireError("malformed object handle")
    cls = peer._proxy_class(cid, node.get("name"), node.get("kinds"))
    return peer.proxy(hid, cls)


def _dec_cls(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list) -> Any:
    hid = node.get("id")
    if type(hid) is not int:
        raise WireError("malformed class handle")
    return peer._proxy_class(hid, node.get("name"), node.get("kinds"))


def _dec_yours(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list) -> Any:
    return peer.exported(node.get("id"))


def _dec_rng(peer: Peer, node: dict, buffers: list[bytes], depth: int, budget: list) -> Any:
    generator = np.random.Generator(np.random.PCG64())
    try:
        generator.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {"state": int(node["state"]), "inc": int(node["inc"])},
            "has_uint32": int(node["has_uint32"]),
            "uinteger": int(node["uinteger"]),
        }
    except (KeyError, TypeError, ValueError, OverflowError):
        raise WireError("malformed generator state") from None
    return generator


_DECODERS: dict[str, Callable[..., Any]] = {
    "c": _dec_const,
    "i": _dec_int,
    "f": lambda peer, node, *rest: _float_of(node.get("v")),
    "z": _dec_complex,
    "s": _dec_str,
    "y": _dec_bytes,
    "n": _dec_scalar,
    "arr": _dec_array,
    "aref": _dec_aref,
    "list": _dec_container,
    "tuple": _dec_container,
    "set": _dec_container,
    "frozenset": _dec_container,
    "dict": _dec_dict,
    "obj": _dec_obj,
    "cls": _dec_cls,
    "yours": _dec_yours,
    "rng": _dec_rng,
}


# -- what a peer does for the other side ------------------------------------------------
def describe(exc: BaseException, frames: bool = True) -> dict[str, Any]:
    """The wire form of an exception: type name, capped message, frames in notebook cells."""
    try:
        message = str(exc)[:MAX_MESSAGE]
    except Exception:
        message = "(the exception's message could not be read)"
    where: list[str] = []
    tb = exc.__traceback__ if frames else None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.startswith("<cell "):
            where.append(f"{code.co_filename[1:-1]}, line {tb.tb_lineno}, in {code.co_name}")
        tb = tb.tb_next
    return {"type": type(exc).__name__[:80], "message": message, "where": where[-3:]}


def _h_getattr(peer: Peer, obj: Any, name: Any) -> Any:
    if not isinstance(name, str):
        raise TypeError("attribute name must be a string")
    return getattr(peer.check(obj, "getattr", name), name)


def _h_setattr(peer: Peer, obj: Any, name: Any, value: Any) -> None:
    if not isinstance(name, str):
        raise TypeError("attribute name must be a string")
    setattr(peer.check(obj, "setattr", name), name, value)


def _h_delattr(peer: Peer, obj: Any, name: Any) -> None:
    if not isinstance(name, str):
        raise TypeError("attribute name must be a string")
    delattr(peer.check(obj, "delattr", name), name)


def _h_call(peer: Peer, obj: Any, args: Any, kwargs: Any) -> Any:
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise TypeError("malformed call")
    if not all(isinstance(k, str) for k in kwargs):
        raise TypeError("keyword names must be strings")
    return peer.check(obj, "call")(*args, **kwargs)


def _h_binop(peer: Peer, name: Any, a: Any, b: Any) -> Any:
    func = _BINARY.get(name)  # type: ignore[arg-type]
    if func is None:
        raise PermissionError(f"unknown operator {name!r:.20}")
    mine = [side for side in (a, b) if peer._is_export(side)]
    if peer.guarded and not mine:
        raise PermissionError("operators are only served on objects the judge handed over")
    for side in mine:
        peer.check(side, "binop")
    return func(a, b)


def _h_unop(peer: Peer, name: Any, obj: Any) -> Any:
    func = _UNARY.get(name)  # type: ignore[arg-type]
    if func is None:
        raise PermissionError(f"unknown operator {name!r:.20}")
    return func(peer.check(obj, "unop"))


def _h_iter(peer: Peer, obj: Any) -> list[Any]:
    items = []
    for item in peer.check(obj, "iter"):
        items.append(item)
        if len(items) > MAX_ITER:
            raise ValueError("too many items to send to the other process")
    return items


def _simple(op: str, func: Callable[[Any], Any]) -> Callable[[Peer, Any], Any]:
    def handler(peer: Peer, obj: Any) -> Any:
        return func(peer.check(obj, op))

    return handler


def _h_repr(peer: Peer, obj: Any) -> str:
    return repr(peer.check(obj, "repr"))[:MAX_MESSAGE]


def _h_format(peer: Peer, obj: Any, spec: Any) -> str:
    if not isinstance(spec, str) or len(spec) > 100:
        raise TypeError("malformed format spec")
    return format(peer.check(obj, "format"), spec)[:MAX_MESSAGE]


_HANDLERS: dict[str, Callable[..., Any]] = {
    "getattr": _h_getattr,
    "setattr": _h_setattr,
    "delattr": _h_delattr,
    "call": _h_call,
    "getitem": lambda peer, obj, key: peer.check(obj, "getitem")[key],
    "setitem": lambda peer, obj, key, value: operator.setitem(
        peer.check(obj, "setitem"), key, value
    ),
    "delitem": lambda peer, obj, key: operator.delitem(peer.check(obj, "delitem"), key),
    "binop": _h_binop,
    "unop": _h_unop,
    "iter": _h_iter,
    "len": _simple("len", len),
    "bool": _simple("bool", bool),
    "hash": _simple("hash", hash),
    "float": _simple("float", float),
    "int": _simple("int", int),
    "index": _simple("index", operator.index),
    "str": lambda peer, obj: str(peer.check(obj, "str"))[:MAX_MESSAGE],
    "repr": _h_repr,
    "format": _h_format,
    "array": _simple("array", lambda obj: np.array(obj, copy=True)),
    "instancecheck": lambda peer, cls, obj: isinstance(obj, peer.check(cls, "instancecheck")),
    "subclasscheck": lambda peer, cls, sub: issubclass(sub, peer.check(cls, "subclasscheck")),
}


def wait_deadline(seconds: float) -> float:
    """A ``time.monotonic()`` deadline ``seconds`` from now."""
    return time.monotonic() + seconds
