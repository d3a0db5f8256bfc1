"""What a peer does for the other side: one handler per request operation.

Each handler takes ``(peer, *args)`` with the request's decoded arguments; every object of this
side it touches goes through ``peer.check`` (the side's :class:`Policy`) first. A peer copies
:data:`_HANDLERS` at construction (the runner adds ``cell``, ``lookup``, ``release``...).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from autograder.isolation.remote.errors import MAX_MESSAGE

if TYPE_CHECKING:
    from autograder.isolation.remote.peer import Peer

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
