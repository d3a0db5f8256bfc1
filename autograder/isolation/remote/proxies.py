"""Proxies: this process's stand-ins for the other process's classes and objects.

A proxy holds nothing but a handle; every attribute read, call, item access and operator on it
is a request to its :class:`~autograder.isolation.remote.peer.Peer`. Names starting with a
double underscore are answered locally, never asked of the other side: an
``__array_interface__`` from the submission would otherwise point numpy at the judge's memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from autograder.isolation.remote.peer import Peer

#: Names a proxy answers itself: Python and numpy probe dunders, and none may reach the peer
#: (an ``__array_interface__`` from the submission would point numpy at the judge's memory).
_LOCAL_PREFIX = "__"


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
