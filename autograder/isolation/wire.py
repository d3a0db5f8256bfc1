"""The data-only wire between the judge and a submission's process.

A frame is a 4-byte big-endian length of a JSON header, the header, then the binary buffers the
header lists (``"bufs": [n0, n1, ...]``): numeric arrays travel as raw bytes, everything else as
JSON. Nothing here unpickles, imports or instantiates anything named by the peer: a value is
rebuilt from a closed set of tags into plain Python data and fresh numpy arrays, and anything
malformed (wrong tag, unknown dtype, a size that does not add up, too deep, too large) raises
:class:`WireError`, which the reader treats as the peer's failure.

Both ends use this module; only the judge's side has to distrust what it reads, but the runner
gets the same checks for free.
"""

from __future__ import annotations

import json
import math
import os
import select
import socket
import struct
import time
from typing import Any

import numpy as np

#: Largest JSON header accepted (bytes).
MAX_HEADER = 16 * 2**20
#: Largest frame accepted, header and buffers together (bytes).
MAX_FRAME = 256 * 2**20
#: Deepest nesting of containers in one value.
MAX_DEPTH = 24
#: Most items (container entries, array elements counted once per array) in one message.
MAX_ITEMS = 200_000
#: Longest string kept in one value (characters).
MAX_STR = 1_000_000
#: Largest number of array dimensions.
MAX_NDIM = 32
#: numpy dtype kinds that may cross: bool, signed and unsigned ints, floats, complex.
ARRAY_KINDS = frozenset("biufc")

_LEN = struct.Struct(">I")


class WireError(Exception):
    """The peer sent something that is not a valid frame or value."""


class PeerGone(WireError):
    """The peer closed the channel (end of file) or the descriptor failed."""


def check_dtype(text: object) -> np.dtype:
    """A numeric dtype from its string form, or :class:`WireError`.

    Parameters
    ----------
    text : object
        What the peer sent, e.g. ``"<f8"``.

    Returns
    -------
    np.dtype
        Plain numeric or boolean dtype (no fields, no objects, no subarrays).
    """
    if not isinstance(text, str) or len(text) > 8:
        raise WireError(f"bad dtype {text!r:.40}")
    try:
        dtype = np.dtype(text)
    except TypeError:
        raise WireError(f"bad dtype {text!r:.40}") from None
    if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"dtype {text!r} may not cross the wire")
    return dtype


def check_shape(shape: object) -> tuple[int, ...]:
    """Validate an array shape sent by the peer.

    Parameters
    ----------
    shape : object
        Should be a list of non-negative ints, at most :data:`MAX_NDIM` long.

    Returns
    -------
    tuple of int
    """
    if not isinstance(shape, list) or len(shape) > MAX_NDIM:
        raise WireError("bad array shape")
    if not all(type(n) is int and 0 <= n < 2**40 for n in shape):
        raise WireError("bad array shape")
    return tuple(shape)


def array_from(meta: dict[str, Any], buffers: list[bytes]) -> np.ndarray:
    """A fresh, writable array from ``{"dtype", "shape", "b"}`` and the frame's buffers.

    Parameters
    ----------
    meta : dict
        The array's header entry.
    buffers : list of bytes
        The frame's buffers; ``meta["b"]`` indexes them.

    Returns
    -------
    np.ndarray
        Shape ``meta["shape"]``, a copy owning its memory.
    """
    dtype = check_dtype(meta.get("dtype"))
    shape = check_shape(meta.get("shape"))
    index = meta.get("b")
    if type(index) is not int or not 0 <= index < len(buffers):
        raise WireError("array buffer index out of range")
    data = buffers[index]
    count = math.prod(shape)
    if count * dtype.itemsize != len(data):
        raise WireError(f"array of shape {shape} and dtype {dtype} does not match its buffer")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def array_meta(array: np.ndarray, buffers: list[bytes]) -> dict[str, Any]:
    """Describe ``array`` and append its bytes to ``buffers``.

    Parameters
    ----------
    array : np.ndarray
        Numeric or boolean, any shape.
    buffers : list of bytes
        Grows by one entry.

    Returns
    -------
    dict
        ``{"dtype", "shape", "b"}``.
    """
    # ascontiguousarray makes a 0-d array (a numpy scalar) 1-d: keep the original shape
    contiguous = np.ascontiguousarray(array).reshape(array.shape)
    buffers.append(contiguous.tobytes())
    return {"dtype": contiguous.dtype.str, "shape": list(array.shape), "b": len(buffers) - 1}


# -- framing ----------------------------------------------------------------------------
def pack(header: dict[str, Any], buffers: list[bytes]) -> bytes:
    """One frame: header length, JSON header (with the buffer sizes), buffers."""
    header = {**header, "bufs": [len(b) for b in buffers]}
    text = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return b"".join([_LEN.pack(len(text)), text, *buffers])


#: Seconds a peer gets to take in one frame before it counts as gone.
SEND_TIMEOUT = 30.0


def send_frame(sock: socket.socket, header: dict[str, Any], buffers: list[bytes]) -> None:
    """Write one frame to a connected stream socket, within :data:`SEND_TIMEOUT`.

    Raises
    ------
    PeerGone
        If the peer has gone away, or stopped reading.
    """
    try:
        sock.settimeout(SEND_TIMEOUT)
        sock.sendall(pack(header, buffers))
    except (OSError, ValueError) as exc:  # socket.timeout is an OSError
        raise PeerGone(f"send failed: {exc}") from None
    finally:
        try:
            sock.settimeout(None)
        except OSError:
            pass


class FrameSocket:
    """Reads frames from a stream socket, with a deadline and strict size checks.

    Parameters
    ----------
    sock : socket.socket
        One end of a connected stream socket pair.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buffer = bytearray()

    def send(self, header: dict[str, Any], buffers: list[bytes]) -> None:
        """Send one frame (see :func:`send_frame`)."""
        send_frame(self.sock, header, buffers)

    def _fill(self, need: int, deadline: float | None) -> bool:
        while len(self._buffer) < need:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            ready, _, _ = select.select([self.sock], [], [], remaining)
            if not ready:
                return False
            try:
                chunk = self.sock.recv(min(1 << 22, max(need - len(self._buffer), 1 << 16)))
            except OSError as exc:
                raise PeerGone(f"receive failed: {exc}") from None
            if not chunk:
                raise PeerGone("the other process closed the channel")
            self._buffer.extend(chunk)
        return True

    def recv(self, deadline: float | None = None) -> tuple[dict[str, Any], list[bytes]] | None:
        """The next frame, or None when ``deadline`` (``time.monotonic()``) passes first.

        Returns
        -------
        (header, buffers) or None

        Raises
        ------
        WireError
            On a malformed frame (the channel is then unusable).
        PeerGone
            On end of file.
        """
        if not self._fill(_LEN.size, deadline):
            return None
        (size,) = _LEN.unpack_from(self._buffer)
        if size > MAX_HEADER:
            raise WireError(f"header of {size} bytes exceeds {MAX_HEADER}")
        if not self._fill(_LEN.size + size, deadline):
            return None
        try:
            header = json.loads(bytes(self._buffer[_LEN.size : _LEN.size + size]))
        except (UnicodeDecodeError, ValueError) as exc:
            raise WireError(f"undecodable header: {exc}") from None
        sizes = header.get("bufs") if isinstance(header, dict) else None
        if not isinstance(sizes, list) or not all(type(n) is int and n >= 0 for n in sizes):
            raise WireError("frame header without a valid buffer list")
        total = _LEN.size + size + sum(sizes)
        if total > MAX_FRAME:
            raise WireError(f"frame of {total} bytes exceeds {MAX_FRAME}")
        if not self._fill(total, deadline):
            return None
        buffers, offset = [], _LEN.size + size
        for n in sizes:
            buffers.append(bytes(self._buffer[offset : offset + n]))
            offset += n
        del self._buffer[:total]
        return header, buffers

    def fileno(self) -> int:
        """The socket's descriptor."""
        return self.sock.fileno()

    def close(self) -> None:
        """Close the socket (idempotent)."""
        try:
            self.sock.close()
        except OSError:
            pass


def socket_from_fd(fd: int) -> socket.socket:
    """Wrap an inherited stream-socket descriptor (taking ownership of it)."""
    sock = socket.socket(fileno=fd)
    sock.setblocking(True)
    return sock


def close_quietly(fd: int) -> None:
    """``os.close`` that ignores an already closed descriptor."""
    try:
        os.close(fd)
    except OSError:
        pass
