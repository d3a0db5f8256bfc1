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
are instances of classes made by this package, remote exceptions become :class:`RemoteError`
subclasses of the matching builtin, and a malformed message is the sender's failure
(:class:`~autograder.isolation.wire.WireError`). What a side lets the other do with its own
objects is its :class:`Policy`: the submission's process lets the judge do anything with the
student's objects; the judge lets student code call the public methods of reference objects
handed to it (a reference model given to the student's ``train``), read and write their
public, non-underscore attributes, and nothing else.

The package, one idea per module: :mod:`.errors` (remote exceptions, and an exception's wire
form), :mod:`.policy` (what the other side may do), :mod:`.proxies` (stand-ins for the other
side's classes and objects), :mod:`.decode` (rebuilding values from the wire),
:mod:`.handlers` (serving the other side's requests) and :mod:`.peer` (one end of the channel,
tying them together).
"""

from autograder.isolation.remote.errors import (
    FROM_OTHER_SIDE,
    MAX_MESSAGE,
    CellTimeoutError,
    ProcessGone,
    RemoteError,
    describe,
    remote_error,
)
from autograder.isolation.remote.handlers import MAX_ITER
from autograder.isolation.remote.peer import Peer
from autograder.isolation.remote.policy import JudgePolicy, Policy
from autograder.isolation.remote.proxies import RemoteMeta, RemoteObject
from autograder.isolation.wire import WireError

__all__ = [
    "FROM_OTHER_SIDE",
    "MAX_ITER",
    "MAX_MESSAGE",
    "CellTimeoutError",
    "JudgePolicy",
    "Peer",
    "Policy",
    "ProcessGone",
    "RemoteError",
    "RemoteMeta",
    "RemoteObject",
    "WireError",
    "describe",
    "remote_error",
]
