"""Submissions for the autograder tests, built from the fixture assignment ``fx_basics``.

Each case is a student id -> (how to write it, what grading must produce). The fixture has four
grade cells: ``test_relu`` (2), ``test_relu_hidden`` (3), ``test_softmax`` (2) and
``test_softmax_hidden`` (3): 10 points.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from autograder.demo.synthetic_class import fill_release, insert_after, solution_code
from autograder.limits import Limits
from autograder.pipeline.grading import GradeOptions

HERE = Path(__file__).resolve().parent
FIXTURE_ROOT = HERE / "fixtures" / "course"
EXERCISE = "fx_basics"
HIDDEN_CANARY = "HIDDEN_CANARY_7f3a"
CELLS = ["test_relu", "test_relu_hidden", "test_softmax", "test_softmax_hidden"]

#: The students of the session's class (see :func:`cases`).
CASE_NAMES = [
    "full", "blank", "relu_only", "unstable", "mutates", "warns", "wrong",
    "malformed", "empty", "latin1", "v3", "renamed", "ghost", "dupe", "printer", "forker",
    "exiter", "segfault", "stubborn", "looper", "hog", "wrong_ex", "deleted", "edited_test",
    "monkey", "monkey_in_call", "eq", "silencer", "forge", "snoop", "reference",
    "inject", "chan_forge", "patch_runner", "tracer", "leak_hunt", "borrow", "mem_snoop",
    "crash_sync", "crash_int", "crash_rng", "judge_cpu", "out_flood", "exfil", "aa_victim",
]  # fmt: skip
#: Those whose expected points are given cell by cell.
CELL_CASE_NAMES = [
    "full", "relu_only", "unstable", "mutates", "warns", "exiter", "segfault", "stubborn",
    "looper", "edited_test",
]  # fmt: skip

RELU_OK = "def relu(x):\n    return np.maximum(x, 0.0)"
SOFTMAX_OK = (
    "def softmax(z):\n"
    "    z = z - z.max(axis=1, keepdims=True)\n"
    "    e = np.exp(z)\n"
    "    return e / e.sum(axis=1, keepdims=True)"
)
RELU_IDENTITY = "def relu(x):\n    return x"
SOFTMAX_IDENTITY = "def softmax(z):\n    return z"


@dataclass
class Case:
    """One submission and its expected outcome.

    Attributes
    ----------
    write : callable
        ``write(folder)`` creates the submission inside the class folder.
    total : float or None
        Expected total (None: not checked).
    reason : str
        Substring the status must contain ("" means status "graded").
    cells : dict or None
        Expected points per cell, when checked cell by cell.
    """

    write: Callable[[Path], None]
    total: float | None
    reason: str = ""
    cells: dict[str, float] | None = None


def release() -> dict[str, Any]:
    """The student release of the fixture (computed the way nbgrader does it)."""
    from autograder.assignments.master import compute_master, load_nbgrader_config

    source = FIXTURE_ROOT / "solutions" / EXERCISE / f"{EXERCISE}.ipynb"
    _, rel = compute_master(source, EXERCISE, load_nbgrader_config(FIXTURE_ROOT))
    return rel


def notebook(relu: str | None = RELU_OK, softmax: str | None = SOFTMAX_OK) -> dict[str, Any]:
    """A fixture submission with the given function bodies (None keeps the stub)."""
    fills = {}
    if relu is not None:
        fills["relu"] = relu
    if softmax is not None:
        fills["softmax"] = softmax
    return fill_release(release(), fills)


def with_cell(nb: dict[str, Any], after: str, source: str) -> dict[str, Any]:
    """A copy of ``nb`` with a student cell inserted after the cell ``after``."""
    nb = copy.deepcopy(nb)
    insert_after(nb, after, source)
    return nb


def tree(student: str, nb: dict[str, Any] | bytes, *, name: str = EXERCISE, stamp: str = ""):
    """Writer of ``<student>/fx_basics/<name>.ipynb`` (nbgrader layout)."""

    def write(folder: Path) -> None:
        target = folder / student / EXERCISE
        target.mkdir(parents=True, exist_ok=True)
        data = nb if isinstance(nb, bytes) else json.dumps(nb, indent=1).encode()
        (target / f"{name}.ipynb").write_bytes(data)
        if stamp:
            (target / "timestamp.txt").write_text(stamp)

    return write


def flat(student: str, nb: dict[str, Any] | bytes, mtime: float | None = None):
    """Writer of ``<student>.ipynb`` directly in the class folder."""

    def write(folder: Path) -> None:
        data = nb if isinstance(nb, bytes) else json.dumps(nb, indent=1).encode()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{student}.ipynb"
        path.write_bytes(data)
        if mtime is not None:
            os.utime(path, (mtime, mtime))

    return write


def _v3_bytes() -> bytes:
    nb = nbformat.from_dict(notebook())
    return nbformat.writes(nbformat.convert(nb, 3), version=3).encode()


def _latin1_bytes() -> bytes:
    nb = notebook(relu="def relu(x):\n    # café: ReLU\n    return np.maximum(x, 0.0)")
    return json.dumps(nb, indent=1, ensure_ascii=False).encode("latin-1")


def _without(nb: dict[str, Any], grade_id: str) -> dict[str, Any]:
    nb = copy.deepcopy(nb)
    nb["cells"] = [
        c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != grade_id
    ]
    return nb


def _edited(nb: dict[str, Any], grade_id: str, source: str) -> dict[str, Any]:
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == grade_id:
            cell["source"] = source
    return nb


def other_assignment() -> dict[str, Any]:
    """A solved ``fx_other`` notebook (the wrong assignment for fx_basics)."""
    from autograder.assignments.master import compute_master, load_nbgrader_config

    source = FIXTURE_ROOT / "solutions" / "fx_other" / "fx_other.ipynb"
    _, rel = compute_master(source, "fx_other", load_nbgrader_config(FIXTURE_ROOT))
    src = json.loads(source.read_text())
    return fill_release(rel, solution_code(src))


MONKEY = """\
import builtins, numpy
np.allclose = lambda *a, **k: True
numpy.array_equal = lambda *a, **k: True
np.all = lambda *a, **k: True
np.isfinite = lambda x: numpy.ones(numpy.shape(x), dtype=bool)
rel_error = lambda a, b: 0.0
builtins.abs = lambda x: 0.0
"""

MONKEY_IN_CALL = """\
def relu(x):
    import numpy, builtins
    numpy.allclose = lambda *a, **k: True
    numpy.array_equal = lambda *a, **k: True
    builtins.abs = lambda v: 0.0
    return x
"""

EQ_OBJECT = """\
class Anything:
    def __eq__(self, other):
        return True
    def __array__(self, dtype=None, copy=None):
        return np.zeros((1, 3))
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    def __sub__(self, other):
        return 0.0
    __rsub__ = __sub__

def relu(x):
    return Anything()

def softmax(z):
    return Anything()
"""

SILENCER = """\
import sys
from IPython import get_ipython
from IPython.core.interactiveshell import InteractiveShell
get_ipython().showtraceback = lambda *a, **k: None
InteractiveShell.showtraceback = lambda *a, **k: None
InteractiveShell.run_cell = lambda *a, **k: None
sys.excepthook = lambda *a: None
AssertionError = type("AssertionError", (Warning,), {})
import builtins
builtins.AssertionError = AssertionError
try:
    sys.exit(0)
finally:
    pass
"""

FORGE = """\
import json, os, struct
fake = json.dumps({"type": "result", "index": 3, "status": "ok", "outputs": []}).encode()
frame = struct.pack(">I", len(fake)) + fake
for fd in range(3, 256):
    try:
        os.write(fd, frame)
    except OSError:
        pass
"""


def snoop(root: Path, workspace: Path, secret_file: Path, port: int) -> str:
    """A cell that tries to read and write what a sandboxed submission must not.

    The network probe only ever targets 127.0.0.1: the test listens on ``port`` in the
    grader's network namespace, so reaching it means the sandbox shares the host's network.
    """
    return f"""\
import os, socket
report = {{}}
for path in [{str(root / "solutions" / EXERCISE / (EXERCISE + ".ipynb"))!r},
             "../../solutions/{EXERCISE}/{EXERCISE}.ipynb",
             {str(workspace / "grades.csv")!r}, {str(secret_file)!r},
             "/root/.bashrc", "/proc/1/environ"]:
    try:
        with open(path) as handle:
            report[path] = "READ " + handle.read()[:20000]
    except Exception as exc:
        report[path] = type(exc).__name__
for path in [{str(root / "hacked.txt")!r}, {str(workspace / "hacked.txt")!r},
             "/usr/hacked.txt", "/etc/hacked.txt"]:
    try:
        with open(path, "w") as handle:
            handle.write("x")
        report[path] = "WROTE"
    except Exception as exc:
        report[path] = type(exc).__name__
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2)
    report["network"] = "CONNECTED"
except Exception as exc:
    report["network"] = type(exc).__name__
report["uid"] = os.getuid()
report["env"] = dict(os.environ)
report["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print(report)
"""


FORK_BOMB = """\
import os, time
children = 0
try:
    for _ in range(10_000):
        if os.fork() == 0:
            while True:
                time.sleep(600)
        children += 1
except OSError as exc:
    print("fork refused after", children, "children:", type(exc).__name__)
"""

SEGFAULT = "import ctypes\nctypes.string_at(0)"

STUBBORN_LOOP = """\
while True:
    try:
        while True:
            pass
    except BaseException:
        pass
"""


def cases(workspace: Path, secret_file: Path, port: int) -> dict[str, Case]:
    """Every submission of the session's class, with what grading must produce.

    ``port`` is a loopback port the test listens on (see :func:`snoop`).
    """
    ok = notebook()
    blank = notebook(relu=None, softmax=None)
    wrong = notebook(relu=RELU_IDENTITY, softmax=SOFTMAX_IDENTITY)
    relu_tests = {
        "test_relu": 2,
        "test_relu_hidden": 3,
        "test_softmax": 0,
        "test_softmax_hidden": 0,
    }
    unstable = "def softmax(z):\n    e = np.exp(z)\n    return e / e.sum(axis=1, keepdims=True)"
    mutating = "def relu(x):\n    x[x < 0] = 0.0\n    return x"
    warning = (
        "import warnings\n\ndef relu(x):\n    warnings.warn('relu was called')\n"
        "    return np.maximum(x, 0.0)"
    )
    full_json = json.dumps(ok, indent=1).encode()
    return {
        # ordinary submissions
        "full": Case(tree("full", ok), 10, "", dict(zip(CELLS, [2, 3, 2, 3], strict=True))),
        "blank": Case(tree("blank", blank), 0),
        "relu_only": Case(tree("relu_only", notebook(softmax=None)), 5, "", relu_tests),
        "unstable": Case(
            tree("unstable", notebook(softmax=unstable)),
            7,
            "",
            {"test_relu": 2, "test_relu_hidden": 3, "test_softmax": 2, "test_softmax_hidden": 0},
        ),
        "mutates": Case(
            tree("mutates", notebook(relu=mutating)),
            7,
            "",
            {"test_relu": 2, "test_relu_hidden": 0, "test_softmax": 2, "test_softmax_hidden": 3},
        ),
        # a warning goes to the student's process's stderr, which the judge never reads:
        # the tests' own verdicts decide (plain nbgrader would zero the cell)
        "warns": Case(
            tree("warns", notebook(relu=warning)),
            10,
            "",
            {"test_relu": 2, "test_relu_hidden": 3, "test_softmax": 2, "test_softmax_hidden": 3},
        ),
        "wrong": Case(tree("wrong", wrong), 0),
        # bad input
        "malformed": Case(tree("malformed", full_json[: len(full_json) // 2]), 0, "malformed"),
        "empty": Case(tree("empty", b""), 0, "empty file"),
        "latin1": Case(tree("latin1", _latin1_bytes()), 10, "not UTF-8"),
        "v3": Case(tree("v3", _v3_bytes()), 10, "nbformat 3"),
        "renamed": Case(tree("renamed", ok, name="Copy of fx_basics"), 10, "renamed"),
        "ghost": Case(lambda folder: (folder / "ghost").mkdir(), 0, "no notebook"),
        "dupe": Case(
            lambda folder: (
                tree("Dupe", blank, stamp="2020-01-01 10:00:00 UTC")(folder),
                flat("dupe", ok, mtime=1_900_000_000)(folder),
            ),
            10,
            "duplicate student",
        ),
        "printer": Case(
            tree("printer", with_cell(ok, "relu", "print('x' * 100_000_000)")), 10, "over the cap"
        ),
        "forker": Case(tree("forker", with_cell(ok, "relu", FORK_BOMB)), 10, ""),
        "exiter": Case(
            tree("exiter", with_cell(ok, "test_relu_hidden", "import os\nos._exit(3)")),
            5,
            "exited with code 3",
            relu_tests,
        ),
        "segfault": Case(
            tree(
                "segfault", with_cell(ok, "test_relu_hidden", "import ctypes\nctypes.string_at(0)")
            ),
            5,
            "segmentation fault",
            relu_tests,
        ),
        "stubborn": Case(
            tree("stubborn", with_cell(ok, "test_relu_hidden", STUBBORN_LOOP)),
            5,
            "ignored its",
            relu_tests,
        ),
        "looper": Case(
            tree("looper", notebook(relu="def relu(x):\n    while True:\n        pass")),
            5,
            "timed out",
            {"test_relu": 0, "test_relu_hidden": 0, "test_softmax": 2, "test_softmax_hidden": 3},
        ),
        "hog": Case(
            tree("hog", with_cell(ok, "relu", "hog = bytearray(64 * 1024**3)")), 10, "memory limit"
        ),
        "wrong_ex": Case(tree("wrong_ex", other_assignment()), 0, "wrong assignment"),
        "deleted": Case(tree("deleted", _without(ok, "test_relu_hidden")), 10, "deleted grade"),
        "edited_test": Case(
            tree("edited_test", _edited(notebook(relu=RELU_IDENTITY), "test_relu", "pass")),
            5,
            "",
            {"test_relu": 0, "test_relu_hidden": 0, "test_softmax": 2, "test_softmax_hidden": 3},
        ),
        # attacks: none may score more than "wrong" (0)
        "monkey": Case(tree("monkey", with_cell(wrong, "relu", MONKEY)), 0, "suspicious code"),
        "monkey_in_call": Case(
            tree("monkey_in_call", notebook(relu=MONKEY_IN_CALL, softmax=SOFTMAX_IDENTITY)),
            0,
            "suspicious code",
        ),
        "eq": Case(tree("eq", with_cell(blank, "relu", EQ_OBJECT)), 0),
        "silencer": Case(
            tree("silencer", with_cell(wrong, "relu", SILENCER)), 0, "suspicious code"
        ),
        "forge": Case(tree("forge", with_cell(blank, "relu", FORGE)), 0, "channel broke"),
        "snoop": Case(
            tree("snoop", with_cell(ok, "relu", snoop(FIXTURE_ROOT, workspace, secret_file, port))),
            10,
            "",
        ),
        "reference": Case(
            tree(
                "reference",
                notebook(relu="from course_lib.activations import ReLU\n\n" + RELU_OK),
            ),
            5,  # the import fails where the notebook runs: relu is never defined
            "reference implementation",
        ),
        **judge_attack_cases(),
    }


def write_class(folder: Path, selected: dict[str, Case]) -> Path:
    """Write the selected cases into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in selected.values():
        case.write(folder)
    return folder


# Shared by conftest.py and the test modules (imported from here, not from `conftest`,
# which is ambiguous when several test folders have one).
#: Per-cell timeout of the fixture runs (the fixture's cells take milliseconds).
TIMEOUT = 3
SECRET_ENV = "COURSE_TEST_SECRET_TOKEN"
SECRET_VALUE = "token-that-must-not-leak-4b1d"


def namespaces_available() -> bool:
    """Whether this machine lets root create the sandbox's namespaces."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = ["unshare", "--mount", "--pid", "--net", "--fork", "true"]
    return subprocess.run(probe, capture_output=True, check=False).returncode == 0


def fixture_options(jobs: int, **kw) -> GradeOptions:
    """Options of the fixture runs: short timeouts, 512 MB, no progress bar; the sandbox mode
    from ``COURSE_TEST_SANDBOX`` (default ``auto``), so CI can run the attacks in each mode."""
    limits = Limits(
        cell_timeout=TIMEOUT,
        wall_clock=60,
        memory_mb=512,
        sandbox=os.environ.get("COURSE_TEST_SANDBOX", "auto"),
    )
    return GradeOptions(jobs=jobs, limits=limits, progress=False, **kw)


# -- attacks on the judge (the grade is decided outside the student's process) --------------
#: A string only the victim's notebook holds; no other submission may ever see it.
VICTIM_CANARY = "VICTIM_SECRET_c0ffee"

#: Inject results into the student's own output machinery from a function the tests call.
INJECT = """\
import sys
from IPython import get_ipython
from IPython.display import display

def relu(x):
    display(10)
    get_ipython().display_pub.publish({"text/plain": "10"})
    sys.displayhook(10)
    print("10")
    return x
"""

#: Find the channel among the descriptors and forge answers, from a cell and from a call.
CHANNEL_FORGE = """\
import json, os, stat, struct
_o = __import__("o" + "s")
def _sockets():
    for name in _o.listdir("/proc/self/fd"):
        try:
            if stat.S_ISSOCK(_o.fstat(int(name)).st_mode):
                yield int(name)
        except OSError:
            pass
def _forge(rid):
    header = {"k": "rep", "id": rid, "v": {"t": "c", "v": True}, "sync": []}
    text = json.dumps({**header, "bufs": []}).encode()
    return struct.pack(">I", len(text)) + text
for fd in _sockets():
    for rid in range(1, 400):
        try:
            _o.write(fd, _forge(rid))
        except OSError:
            pass

def relu(x):
    for fd in _sockets():
        for rid in range(1, 4000):
            try:
                _o.write(fd, _forge(rid))
            except OSError:
                pass
    return x
"""

#: Rewrite the runner's own request handlers (obfuscated names) so every answer is "right".
PATCH_RUNNER = """\
import sys
_m = "auto" + "grader.isolation." + "re" + "mote"
_h = getattr(sys.modules[_m + ".hand" + "lers"], "_HAN" + "DLERS")
for _k in list(_h):
    _h[_k] = lambda peer, *a: True
setattr(getattr(sys.modules[_m + ".pe" + "er"], "Pe" + "er"), "serve", lambda self, h, b: None)

def relu(x):
    return x
"""

#: Trace hooks and frame walking: rewrite the caller's arrays and the test's locals.
TRACER = """\
import sys, threading
def _tracer(frame, event, arg):
    for key in ("expected", "out", "x", "x_copy"):
        if key in frame.f_locals:
            frame.f_locals[key] = None
    return _tracer
sys.settrace(_tracer)
threading.settrace(_tracer)

def relu(x):
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()):
            if hasattr(value, "fill"):
                try:
                    value.fill(0.0)
                except Exception:
                    pass
        frame = frame.f_back
    try:
        raise RuntimeError("walk")
    except RuntimeError as exc:
        tb = exc.__traceback__
        while tb is not None:
            tb.tb_frame.f_globals.setdefault("np", None)
            tb = tb.tb_next
    return x
"""

#: Hunt for the hidden tests: linecache, every string in memory, /proc/self/mem.
LEAK_HUNT = """\
import gc, linecache, re, sys
_found = []
def _hunt(where):
    for name, entry in list(linecache.cache.items()):
        _found.append(f"{where} linecache {name}: " + "".join(entry[2])[:2000])
    for obj in gc.get_objects():
        if isinstance(obj, str) and "HID" + "DEN" in obj:
            _found.append(f"{where} gc: " + obj[:200])
    try:
        with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
            for line in maps:
                lo, hi = (int(v, 16) for v in line.split()[0].split("-"))
                if "r" not in line.split()[1] or hi - lo > 2**28:
                    continue
                try:
                    mem.seek(lo)
                    chunk = mem.read(hi - lo)
                except (OSError, ValueError, OverflowError):
                    continue
                for hit in re.finditer(b"HID" + rb"DEN_[A-Z]+_[0-9a-f]{4}", chunk):
                    _found.append(f"{where} mem: " + hit.group().decode())
    except OSError as exc:
        _found.append(f"{where} no /proc/self/mem: {exc}")
_hunt("cell")
print("\\n".join(_found)[-5000:])

def relu(x):
    _hunt("call")
    print("\\n".join(_found)[-5000:])
    sys.stderr.write("\\n".join(_found)[-5000:])
    return x
"""

#: Borrow the reference implementation without importing it by name.
BORROW = """\
import importlib.util, os, sys
def _find(name):
    todo = [object]
    while todo:
        cls = todo.pop()
        if cls.__name__ == name and "course" in (cls.__module__ or ""):
            return cls
        try:
            todo.extend(type.__subclasses__(cls))
        except TypeError:
            pass
    bases = sys.path + [os.getcwd(), "/root", "/tmp"]
    for base in bases:
        path = os.path.join(base, "course_lib", "activations.py")
        if os.path.isfile(path):
            spec = importlib.util.spec_from_file_location("x_act", path)
            try:
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                return getattr(module, name)
            except Exception:
                continue
    return None

_ReLU, _Softmax = _find("ReLU"), _find("Softmax")
print("borrowed:", _ReLU, _Softmax)

def relu(x):
    return _ReLU().forward(x) if _ReLU else x

def softmax(z):
    return _Softmax().forward(z) if _Softmax else z
"""

#: Read another student's data from this process's memory and the rest of /proc.
MEMORY_SNOOP = """\
import os, re
_hits = []
_budget = [2**27]  # bytes read in all (a slow machine must finish within the cell's limit)
_me = str(os.getpid())
for pid in ["self"] + [p for p in os.listdir("/proc") if p.isdigit() and p != _me]:
    try:
        with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
            for line in maps:
                lo, hi = (int(v, 16) for v in line.split()[0].split("-"))
                if "r" not in line.split()[1] or hi - lo > 2**26 or _budget[0] < hi - lo:
                    continue
                _budget[0] -= hi - lo
                try:
                    mem.seek(lo)
                    chunk = mem.read(hi - lo)
                except (OSError, ValueError, OverflowError):
                    continue
                pattern = b"VICTIM" + rb"_SECRET_[0-9a-f]+|HIDDEN" + rb"_CANARY_[0-9a-f]+"
                for hit in re.finditer(pattern, chunk):
                    _hits.append(f"{pid}: " + hit.group().decode())
    except OSError:
        pass
print("hits:", sorted(set(_hits)))
"""

_FIND_PEER = """\
import gc as _gc, sys as _sys
_RM = _sys.modules["autograder.isolation.remote.peer"]
def _peer():
    return next(o for o in _gc.get_objects() if type(o) is _RM.Peer)
"""

#: Malformed frames and values sent by the runner's own channel (found by a red-team pass).
CRASH_SYNC = (
    _FIND_PEER
    + """\
_peer().channel.send({"k": "rep", "id": -1, "sync": [{"sid": [1]}]}, [])
"""
)
CRASH_INT = (
    _FIND_PEER
    + """\
_enc = _RM.Peer._enc
def _bad(self, v, buffers, depth, budget):
    if isinstance(v, type) or callable(v):
        return {"t": "i", "v": "--5"}
    return _enc(self, v, buffers, depth, budget)
_RM.Peer._enc = _bad
"""
)
CRASH_RNG = (
    _FIND_PEER
    + """\
_enc = _RM.Peer._enc
def _bad(self, v, buffers, depth, budget):
    if callable(v):
        return {"t": "rng", "state": str(2**200), "inc": "1", "has_uint32": 0, "uinteger": 0}
    return _enc(self, v, buffers, depth, budget)
_RM.Peer._enc = _bad
"""
)
#: Make the judge compute on plain data it was sent (3 ** 30,000,000; a 2 GB shift).
JUDGE_CPU = (
    _FIND_PEER
    + """\
import time as _time
_t = _time.time()
for _op, _a, _b in [("pow", 3, 3 * 10**7), ("lshift", 1, 8 * 2**31)]:
    try:
        _peer().request("binop", _op, _a, _b)
    except Exception as _e:
        print("judge refused", type(_e).__name__)
print(f"judge busy for {_time.time() - _t:.1f} s")
"""
)
#: Switch the runner's own output cap off: 15 MB of output per cell.
OUT_FLOOD = (
    _FIND_PEER
    + """\
_p = _peer()
_orig_cell = _p.handlers["cell"]
_BIG = "A" * 999_999
def _cell(peer, cell):
    result = _orig_cell(peer, cell)
    extra = [{"output_type": "stream", "name": "stdout", "text": _BIG}] * 15
    result["outputs"] = list(result.get("outputs", [])) + extra
    return result
_p.handlers["cell"] = _cell
"""
)
#: Smuggle a hidden test's input out in the message of an exception.
EXFIL = """\
def relu(x):
    if x.shape == (7, 5):
        raise ValueError("LEAK_" + ",".join(f"{v:.3f}" for v in x.ravel()))
    return x
"""

#: Attack id -> (source of a cell after ``relu``, which functions stay stubs/wrong).
JUDGE_ATTACKS = {
    "inject": INJECT,
    "chan_forge": CHANNEL_FORGE,
    "patch_runner": PATCH_RUNNER,
    "tracer": TRACER,
    "leak_hunt": LEAK_HUNT,
    "borrow": BORROW,
    "mem_snoop": MEMORY_SNOOP,
    "crash_sync": CRASH_SYNC,
    "crash_int": CRASH_INT,
    "crash_rng": CRASH_RNG,
    "judge_cpu": JUDGE_CPU,
    "out_flood": OUT_FLOOD,
    "exfil": EXFIL,
}


#: What the status column says of each attack (the static scan, or what happened).
JUDGE_ATTACK_REASONS = {
    "inject": "",
    "chan_forge": "suspicious code",
    "patch_runner": "time limit",
    "tracer": "suspicious code",
    "leak_hunt": "suspicious code",
    "borrow": "suspicious code",
    "mem_snoop": "",
    "crash_sync": "suspicious code",
    "crash_int": "suspicious code",
    "crash_rng": "suspicious code",
    "judge_cpu": "suspicious code",
    "out_flood": "suspicious code",
    "exfil": "",
}


def judge_attack_cases() -> dict[str, Case]:
    """Submissions that attack the judge; each must score what a wrong notebook scores (0)."""
    wrong = notebook(relu=RELU_IDENTITY, softmax=SOFTMAX_IDENTITY)
    out = {
        name: Case(tree(name, with_cell(wrong, "relu", source)), 0, JUDGE_ATTACK_REASONS[name])
        for name, source in JUDGE_ATTACKS.items()
    }
    victim = notebook(relu=f"# {VICTIM_CANARY}\n{RELU_OK}")
    out["aa_victim"] = Case(tree("aa_victim", victim), 10)
    return out
