"""Length-prefixed JSON messages over pipes (grader <-> worker <-> sandboxed kernel).

Every message is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON.
Readers never trust the peer: a frame longer than ``MAX_FRAME`` or that is not a JSON
object is treated as a broken channel, so a submission writing garbage into an inherited
descriptor cannot make the grader allocate unbounded memory or crash.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

#: Largest frame accepted (outputs are capped well below this by the kernel).
MAX_FRAME = 64 * 1024 * 1024
_HEADER = struct.Struct(">I")


class ChannelClosed(Exception):
    """The peer closed the pipe, or sent something that is not a valid frame."""


def encode(message: dict[str, Any]) -> bytes:
    """Frame one message.

    Parameters
    ----------
    message : dict
        A JSON-serialisable mapping.

    Returns
    -------
    bytes
        Header and payload, ready for ``os.write``.
    """
    payload = json.dumps(message, separators=(",", ":"), default=str).encode("utf-8")
    return _HEADER.pack(len(payload)) + payload


def write_message(fd: int, message: dict[str, Any]) -> None:
    """Write one framed message to a file descriptor, handling short writes.

    Parameters
    ----------
    fd : int
        A writable pipe.
    message : dict
        The message.
    """
    data = memoryview(encode(message))
    while data:
        n = os.write(fd, data)
        data = data[n:]


class FrameReader:
    """Incremental reader of framed messages from a (possibly non-blocking) descriptor.

    Parameters
    ----------
    fd : int
        The readable end of a pipe.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = bytearray()
        self.closed = False

    def _pop(self) -> dict[str, Any] | None:
        if len(self._buffer) < _HEADER.size:
            return None
        (length,) = _HEADER.unpack_from(self._buffer)
        if length > MAX_FRAME:
            self.closed = True
            raise ChannelClosed(f"frame of {length} bytes exceeds the {MAX_FRAME}-byte limit")
        if len(self._buffer) < _HEADER.size + length:
            return None
        payload = bytes(self._buffer[_HEADER.size : _HEADER.size + length])
        del self._buffer[: _HEADER.size + length]
        try:
            message = json.loads(payload.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.closed = True
            raise ChannelClosed(f"undecodable frame: {exc}") from None
        if not isinstance(message, dict):
            self.closed = True
            raise ChannelClosed(f"frame is a {type(message).__name__}, expected a JSON object")
        return message

    def read(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Return the next message, or None if ``timeout`` seconds pass first.

        Parameters
        ----------
        timeout : float or None
            Seconds to wait; None waits forever.

        Returns
        -------
        dict or None
            The message, or None on timeout.

        Raises
        ------
        ChannelClosed
            On end of file or a malformed frame.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            message = self._pop()
            if message is not None:
                return message
            if self.closed:
                raise ChannelClosed("end of file")
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if not ready:
                return None
            try:
                chunk = os.read(self.fd, 1 << 20)
            except OSError as exc:
                self.closed = True
                raise ChannelClosed(f"read failed: {exc}") from None
            if not chunk:
                self.closed = True
                message = self._pop()
                if message is not None:
                    return message
                raise ChannelClosed("end of file")
            self._buffer.extend(chunk)
