"""The peer: one end of the object channel, encoding, decoding and serving requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autograder.isolation import wire
from autograder.isolation.remote.decode import DECODERS
from autograder.isolation.remote.errors import (
    FROM_OTHER_SIDE,
    MAX_MESSAGE,
    CellTimeoutError,
    ProcessGone,
    describe,
    remote_error,
)
from autograder.isolation.remote.handlers import _HANDLERS
from autograder.isolation.remote.policy import Policy
from autograder.isolation.remote.proxies import RemoteMeta, RemoteObject, _rid
from autograder.isolation.wire import WireError


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
        decoder = DECODERS.get(tag)  # type: ignore[arg-type]
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
