"""Rebuilding values sent by the other side: one strict decoder per wire tag.

Each decoder takes ``(peer, node, buffers, depth, budget)`` and returns the value, or raises
:class:`~autograder.isolation.wire.WireError`; the peer's ``_dec`` dispatches on the node's
``"t"`` tag through :data:`DECODERS` and bounds the depth and the number of items.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from autograder.isolation import wire
from autograder.isolation.wire import WireError

if TYPE_CHECKING:
    from autograder.isolation.remote.peer import Peer

_INT = re.compile(r"-?[0-9]+")


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


DECODERS: dict[str, Callable[..., Any]] = {
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
