"""The grade is decided outside the student's process: attacks on the judge gain nothing.

The fixture class (``fx_graded``) holds, beside ordinary submissions, notebooks that attack the
judge as a determined student would (``ag_cases.JUDGE_ATTACKS``): results injected from a
method the tests call, answers forged on the channel, the runner's own request handlers
rewritten (obfuscated names), trace hooks and frame walks, hunts for the hidden tests in
memory, the reference implementation borrowed without importing it, another student's data
read from memory. Each must score what a wrong notebook scores, and nothing of the hidden
tests, of the reference or of another student may appear in its outputs, record or feedback.

The second half tests the channel itself (:mod:`autograder.isolation.remote`,
:mod:`autograder.isolation.wire`)
with a hostile peer: malformed answers are the peer's failure, never the judge's.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading

import ag_cases
import nbformat
import numpy as np
import pytest

from autograder.isolation import remote, wire

pytestmark = pytest.mark.xdist_group("autograder")

ATTACKS = list(ag_cases.JUDGE_ATTACKS)
HIDDEN_SOURCE = ["rng.normal(size=(7, 5))", "z = np.array([[1e4, 0.0, -1e4]", "x_copy = x.copy()"]


def _student_outputs(fx_graded, student: str) -> str:
    """Every output of every cell (not the sources) of a graded notebook."""
    path = fx_graded.workspace.autograded_path("fx_basics", student)
    nb = nbformat.read(path, as_version=4)
    return json.dumps([c.get("outputs", []) for c in nb.cells])


@pytest.fixture(scope="module")
def feedback_pages(fx_graded):
    from autograder.outputs.feedback import write_feedback

    pages = write_feedback(fx_graded.workspace, "fx_basics")
    return {page.parent.parent.name: page.read_text() for page in pages} | {
        "_all": "\n".join(page.read_text() for page in pages)
    }


@pytest.mark.parametrize("student", ATTACKS)
def test_attack_on_the_judge_gains_nothing(fx_graded, student):
    assert fx_graded.records["wrong"]["total"] == 0
    record = fx_graded.records[student]
    assert record["graded"], record["status"]
    assert record["total"] == 0, (student, record["cells"])


@pytest.mark.parametrize("student", [*ATTACKS, "snoop", "forge", "eq", "silencer"])
def test_nothing_secret_in_an_attackers_outputs_record_or_feedback(
    fx_graded, feedback_pages, student
):
    texts = _student_outputs(fx_graded, student) + json.dumps(fx_graded.records[student])
    texts += fx_graded.workspace.feedback_path("fx_basics", student).read_text()
    assert ag_cases.HIDDEN_CANARY not in texts
    assert ag_cases.VICTIM_CANARY not in texts
    for line in HIDDEN_SOURCE:
        assert line not in texts


def test_the_hunts_really_ran(fx_graded):
    """The attack cells ran and found nothing (a hunt that crashed would prove nothing)."""
    leak = _student_outputs(fx_graded, "leak_hunt")
    assert "linecache <cell" in leak  # it could read its own process
    assert "HIDDEN" not in leak  # the hunt spells its patterns so that only a find matches
    borrow = _student_outputs(fx_graded, "borrow")
    assert "borrowed: None None" in borrow
    snoop = _student_outputs(fx_graded, "mem_snoop")
    assert "hits: []" in snoop


def test_malformed_frames_are_the_submissions_failure_never_the_graders(fx_graded):
    assert fx_graded.run.ok, fx_graded.run.grader_errors
    for student in ("crash_sync", "crash_int", "crash_rng", "patch_runner", "chan_forge"):
        record = fx_graded.records[student]
        assert record["graded"] and "grader failure" not in record["status"], record["status"]


def test_the_judge_computes_nothing_on_plain_data_it_is_sent(fx_graded):
    outputs = _student_outputs(fx_graded, "judge_cpu")
    assert outputs.count("judge refused PermissionError") == 2
    busy = float(outputs.split("judge busy for ")[1].split(" s")[0])
    assert busy < 1.0


def test_the_runners_own_output_cap_cannot_be_switched_off(fx_graded):
    path = fx_graded.workspace.autograded_path("fx_basics", "out_flood")
    assert path.stat().st_size < 8 * 2**20  # 1 M characters per cell at most, not 15 M


def test_messages_of_the_students_exceptions_are_not_shown_for_hidden_tests(
    fx_graded, feedback_pages
):
    cells = {c["grade_id"]: c for c in fx_graded.records["exfil"]["cells"]}
    assert "LEAK_" not in cells["test_relu_hidden"]["evalue"]
    assert "raised by your code" in cells["test_relu_hidden"]["evalue"]
    page = fx_graded.workspace.feedback_path("fx_basics", "exfil").read_text()
    assert not re.search(r"LEAK_[-0-9]", page)  # its own source says "LEAK_", never a value


def test_the_victim_is_graded_normally(fx_graded):
    assert fx_graded.records["aa_victim"]["total"] == 10


def test_feedback_shows_verdicts_not_test_sources(fx_graded, feedback_pages):
    page = feedback_pages["full"]
    assert "10 / 10" in page
    assert ag_cases.HIDDEN_CANARY not in feedback_pages["_all"]
    for line in HIDDEN_SOURCE:
        assert line not in feedback_pages["_all"]
    wrong = feedback_pages["wrong"]
    assert "relu(x) gave" in wrong  # the judge's message for a failed public test


def test_the_runner_never_held_the_reference(fx_graded):
    """The public course_lib given to the sandbox holds base classes, never graded code."""
    from autograder.assignments.master import load_assignment
    from autograder.pipeline.execute import runner_files

    assignment = load_assignment(ag_cases.FIXTURE_ROOT, "fx_basics", fx_graded.workspace)
    files = runner_files(assignment)
    text = "\n".join(data.decode() for data in files.values())
    assert "def rel_error" in text  # what the setup cell imports
    assert "class ReLU" not in text and "class Softmax" not in text
    assert "def relu" not in text and "def softmax" not in text


# -- the channel with a hostile peer ---------------------------------------------------------
class _Hostile:
    """A fake submission process that answers every request with ``reply(header)``."""

    def __init__(self, reply):
        self.ours, theirs = socket.socketpair()
        self.peer = remote.Peer(
            wire.FrameSocket(self.ours), "j", remote.JudgePolicy(), guarded=True
        )
        self.peer.deadline = None
        self.thread = threading.Thread(target=self._serve, args=(theirs, reply), daemon=True)
        self.thread.start()

    @staticmethod
    def _serve(sock, reply):
        channel = wire.FrameSocket(sock)
        while True:
            try:
                got = channel.recv(None)
            except wire.WireError:
                return
            raw = reply(got[0])
            try:
                sock.sendall(raw)
            except OSError:
                return


def _frame(header: dict, *buffers: bytes) -> bytes:
    return wire.pack(header, list(buffers))


def _answer(value: dict, *buffers: bytes):
    return lambda h: _frame({"k": "rep", "id": h["id"], "v": value}, *buffers)


BAD_VALUES = [
    ({"t": "arr", "sid": "r1", "dtype": "<f8", "shape": [3], "b": 0}, [b"\0" * 16]),
    ({"t": "arr", "sid": "r1", "dtype": "|O", "shape": [1], "b": 0}, [b"\0" * 8]),
    ({"t": "arr", "sid": "r1", "dtype": "V8", "shape": [1], "b": 0}, [b"\0" * 8]),
    ({"t": "pickle", "v": "cos\nsystem\n"}, []),
    ({"t": "yours", "id": 12345}, []),
    ({"t": "f", "v": "1" * 500}, []),
    ({"t": "list", "v": [{"t": "list", "v": []}] * 3, "x": 1} | {"v": "notalist"}, []),
]


@pytest.mark.parametrize("value,buffers", BAD_VALUES)
def test_a_malformed_answer_is_the_peers_failure(value, buffers):
    hostile = _Hostile(_answer(value, *buffers))
    with pytest.raises(wire.WireError):
        hostile.peer.request("lookup", ["x"])


def test_too_deep_or_too_large_answers_are_refused():
    deep: dict = {"t": "c", "v": None}
    for _ in range(wire.MAX_DEPTH + 5):
        deep = {"t": "list", "v": [deep]}
    with pytest.raises(wire.WireError):
        _Hostile(_answer(deep)).peer.request("ping")
    huge = struct.pack(">I", wire.MAX_HEADER + 1) + b"{"
    hostile = _Hostile(lambda h: huge)
    with pytest.raises(remote.ProcessGone):
        hostile.peer.request("ping")


def test_remote_exceptions_are_made_here_never_the_peers_types():
    err = {"type": "SystemExit", "message": "bye", "where": []}
    hostile = _Hostile(lambda h: _frame({"k": "rep", "id": h["id"], "err": err}))
    with pytest.raises(remote.RemoteError) as info:
        hostile.peer.request("ping")
    assert not isinstance(info.value, SystemExit)
    err = {"type": "ValueError", "message": "x" * 10_000}
    hostile = _Hostile(lambda h: _frame({"k": "rep", "id": h["id"], "err": err}))
    with pytest.raises(ValueError) as info:
        hostile.peer.request("ping")
    assert isinstance(info.value, remote.RemoteError)
    assert len(str(info.value)) <= remote.MAX_MESSAGE + 100


def test_arrays_come_back_as_fresh_numeric_copies():
    data = np.arange(6.0).tobytes()
    hostile = _Hostile(
        _answer({"t": "arr", "sid": "r7", "dtype": "<f8", "shape": [2, 3], "b": 0}, data)
    )
    out = hostile.peer.request("ping")
    assert type(out) is np.ndarray and out.dtype == np.float64 and out.shape == (2, 3)
    assert out.flags.owndata and out.flags.writeable
    np.testing.assert_array_equal(out, np.arange(6.0).reshape(2, 3))


def test_proxies_never_ask_the_peer_for_dunders():
    """numpy probes ``__array_interface__``: from a submission it would point at our memory."""
    asked = []

    def reply(h):
        asked.append(h.get("op"))
        return _frame({"k": "rep", "id": h["id"], "v": {"t": "c", "v": None}})

    hostile = _Hostile(reply)
    cls = hostile.peer._proxy_class(5, "Evil", [])
    obj = hostile.peer.proxy(6, cls)
    for name in ("__array_interface__", "__array_struct__", "__array_priority__", "__dict__x__"):
        with pytest.raises(AttributeError):
            getattr(obj, name)
    assert asked == []
    with pytest.raises(TypeError):
        np.asarray(obj, dtype=float)  # goes through __array__, which must return an ndarray
    assert asked == ["array"]


def test_student_code_may_not_reach_into_reference_objects():
    """Through the judge's policy: public attributes of course_lib objects only, no classes."""
    from course_lib.modules import Linear

    judge_end, runner_end = socket.socketpair()
    judge = remote.Peer(wire.FrameSocket(judge_end), "j", remote.JudgePolicy(), guarded=True)
    student = remote.Peer(wire.FrameSocket(runner_end), "r", remote.Policy())
    layer = Linear(2, 3, rng=0)
    buffers: list[bytes] = []
    handle = judge.encode(layer, buffers)
    proxy = student.decode(handle, buffers)

    def serve_forever():
        while True:
            try:
                got = judge.channel.recv(None)
            except wire.WireError:
                return
            judge._apply(got[0].get("sync"), got[1])
            judge.serve(*got)

    threading.Thread(target=serve_forever, daemon=True).start()
    student.deadline = judge.deadline = None

    def ask(fn):
        return fn()

    out = ask(lambda: proxy.forward(np.ones((1, 2))))
    assert out.shape == (1, 3)
    with pytest.raises(PermissionError):
        ask(lambda: proxy._cache)
    with pytest.raises(AttributeError):
        proxy.__class__.__init__.__globals__  # noqa: B018 - resolved locally: the proxy's own
    with pytest.raises(PermissionError):
        ask(lambda: student.request("call", type(proxy), [2, 3], {}))
    judge.release()  # end of the test cell: the judge's handles are revoked
    with pytest.raises(remote.RemoteError):
        ask(lambda: proxy.forward(np.ones((1, 2))))
    runner_end.close()
