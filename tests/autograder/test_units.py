"""Unit tests of the pieces that need no worker: intake, protocol, checks, store."""

from __future__ import annotations

import json
import os
import zipfile

import ag_cases
import pytest

from autograder.isolation.protocol import ChannelClosed, FrameReader, encode, write_message
from autograder.pipeline import intake
from autograder.pipeline.integrity import suspicious_constructs
from autograder.pipeline.store import ResultStore
from autograder.workspace import Workspace

# One worker runs every autograder test, so the session fixtures (a whole class graded,
# the demo) are built once, and no other grading run's sandboxes overlap these checks.
pytestmark = pytest.mark.xdist_group("autograder")


def test_lms_zip_canvas_and_moodle_names(tmp_path):
    nb = json.dumps(ag_cases.notebook()).encode()
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("submissions/smithjane_12345_67890_fx_basics.ipynb", nb)
        zf.writestr("submissions/doejohn_LATE_22222_33333_fx_basics-1.ipynb", nb)
        zf.writestr("submissions/Ada Lovelace_4444_assignsubmission_file_/fx_basics.ipynb", nb)
        zf.writestr("submissions/../../escape.ipynb", nb)
        zf.writestr("/etc/evil.ipynb", nb)
        zf.writestr("__MACOSX/._junk", b"x")
    subs = intake.collect(archive, "fx_basics", tmp_path / "intake")
    by_id = {s.student_id: s for s in subs}
    # the LMS's numeric id stays in the student id; unsafe entries are skipped
    assert set(by_id) == {"smithjane_12345", "doejohn_22222", "Ada_Lovelace_4444"}
    assert by_id["doejohn_22222"].late and not by_id["smithjane_12345"].late
    assert all(s.notebook is not None for s in subs)
    assert not (tmp_path / "escape.ipynb").exists()
    assert not list(tmp_path.rglob("evil.ipynb"))


def test_two_lms_users_with_one_display_name_stay_apart(tmp_path):
    nb = json.dumps(ag_cases.notebook()).encode()
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "smithjane_12345_1_fx_basics.ipynb").write_bytes(nb)
    (folder / "smithjane_67890_2_fx_basics.ipynb").write_bytes(nb)
    subs = intake.collect(folder, "fx_basics", tmp_path / "intake")
    assert sorted(s.student_id for s in subs) == ["smithjane_12345", "smithjane_67890"]
    for sub in subs:
        assert any("display name 'smithjane' also used by" in f for f in sub.flags), sub.flags


def test_links_and_special_files_are_never_followed(tmp_path):
    """A link to solutions/ or to a classmate, a FIFO: reported, never read or copied."""
    nb = json.dumps(ag_cases.notebook()).encode()
    secret = tmp_path / "solutions"
    secret.mkdir()
    (secret / "answers.txt").write_text("SOLUTION_TEXT_5d1e")
    cls = tmp_path / "class"
    victim = cls / "victim" / "fx_basics"
    victim.mkdir(parents=True)
    (victim / "fx_basics.ipynb").write_bytes(nb)
    thief = cls / "thief" / "fx_basics"
    thief.mkdir(parents=True)
    (thief / "fx_basics.ipynb").write_bytes(nb)
    (thief / "answers").symlink_to(secret)
    (thief / "notes.txt").symlink_to(secret / "answers.txt")
    os.mkfifo(thief / "pipe")
    (cls / "copycat").symlink_to(cls / "victim")
    linker = cls / "linker" / "fx_basics"
    linker.mkdir(parents=True)
    (linker / "fx_basics.ipynb").symlink_to(victim / "fx_basics.ipynb")
    subs = {s.student_id: s for s in intake.collect(cls, "fx_basics", tmp_path / "intake")}
    thief_sub = subs["thief"]
    assert thief_sub.notebook is not None and thief_sub.problem is None
    assert thief_sub.extra_files == {}
    flags = " ".join(thief_sub.flags)
    assert "answers is a symbolic link" in flags and "notes.txt is a symbolic link" in flags
    assert "pipe is a FIFO" in flags
    assert "symbolic link" in (subs["copycat"].problem or "")
    assert "symbolic link" in (subs["linker"].problem or "")
    assert subs["linker"].notebook is None


def test_bad_zip_is_a_clear_error(tmp_path):
    archive = tmp_path / "broken.zip"
    archive.write_bytes(b"PK not really")
    with pytest.raises(intake.IntakeError, match="not a readable zip"):
        intake.discover(archive, "fx_basics", tmp_path / "intake")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (b"[1, 2]", "not a Jupyter notebook"),
        (b'{"cells": [], "nbformat": 2}', "unsupported notebook format"),
        (b"\x89PNG\r\n\x1a\n", "malformed notebook JSON"),
        (b'{"nbformat": 4, "cells": [{"cell_type": "code"}]', "malformed notebook JSON"),
    ],
)
def test_unreadable_notebooks_get_a_reason(tmp_path, raw, problem):
    path = tmp_path / "x.ipynb"
    path.write_bytes(raw)
    sub = intake.read_notebook(intake.Submission("x", "x.ipynb", path=path))
    assert sub.notebook is None
    assert problem in sub.problem


def test_safe_student_ids():
    assert intake.safe_student_id("../../etc/passwd") == "etc_passwd"
    assert intake.safe_student_id("Zoë O'Neil") == "Zo_O_Neil"
    assert intake.safe_student_id("///") == "unknown"


def test_protocol_rejects_oversized_and_garbage_frames():
    r, w = os.pipe()
    try:
        write_message(w, {"a": 1})
        os.write(w, b"\x7f\xff\xff\xff")  # a 2 GB frame announced
        reader = FrameReader(r)
        assert reader.read(timeout=1) == {"a": 1}
        with pytest.raises(ChannelClosed, match="exceeds"):
            reader.read(timeout=1)
    finally:
        os.close(r)
        os.close(w)
    r, w = os.pipe()
    try:
        os.write(w, encode({"b": 2})[:4] + b"\xff" * (len(encode({"b": 2})) - 4))
        with pytest.raises(ChannelClosed, match="undecodable"):
            FrameReader(r).read(timeout=1)
    finally:
        os.close(r)
        os.close(w)


def test_suspicious_constructs():
    found = suspicious_constructs(
        "import ctypes\nimport sys\nf = sys._getframe(1)\nnp.allclose = None\n"
    )
    assert "ctypes (raw memory access)" in found
    assert "frame introspection (sys._getframe)" in found
    assert "assignment to np.allclose" in found
    assert suspicious_constructs("def relu(x):\n    return np.stack([x, x])") == []


def test_store_never_replaces_a_grade_with_a_failure(tmp_path):
    store = ResultStore(Workspace(tmp_path))
    good = {"student_id": "s", "assignment": "a", "graded": True, "total": 7, "flags": []}
    bad = {
        "student_id": "s",
        "assignment": "a",
        "graded": False,
        "total": 0,
        "problem": "empty file",
        "flags": [],
    }
    assert store.save(good)[0] == "saved"
    action, stored = store.save(bad)
    assert action == "kept" and stored["total"] == 7
    assert store.load("a", "s")["kept_after"][0]["status"] == "empty file"
    assert not list((tmp_path / "results" / "a").glob(".*.tmp"))  # atomic writes leave nothing
