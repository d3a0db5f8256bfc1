"""Intake: find every student's notebook in what the instructor was given, and read it safely.

Accepted layouts (``SUBMISSIONS`` may be any of them, or a ``.zip`` holding one):

- nbgrader's tree: ``<student>/<ex>/<ex>.ipynb`` (``timestamp.txt`` and extra files beside it;
  an nbgrader course folder with ``submitted/`` works too);
- a flat folder of ``<student>.ipynb``;
- LMS exports: Canvas (``name[_LATE]_<userid>_<subid>_<file>.ipynb``, late flag honoured) and
  Moodle (``Full Name_<id>_assignsubmission_file_/<file>.ipynb``).

Nothing here raises on bad input: every oddity becomes either a *problem* (the notebook cannot
be graded: the student gets a zero with that reason, unless an earlier grade exists) or a
*flag* (graded, but the instructor should know): empty files, malformed JSON, non-UTF-8 text,
nbformat 3, renamed notebooks, missing or empty student folders, duplicate students.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

#: Largest notebook accepted.
MAX_NOTEBOOK_BYTES = 50 * 2**20
#: Extra files copied into the sandbox with a notebook: at most this many, this large in total.
MAX_EXTRA_FILES = 50
MAX_EXTRA_BYTES = 20 * 2**20
#: Zip limits (zip bombs): total uncompressed size and member count.
MAX_ZIP_BYTES = 2 * 2**30
MAX_ZIP_MEMBERS = 20_000

_CANVAS = re.compile(r"^(?P<name>.+?)(?P<late>_LATE)?_(?P<uid>\d+)_(?:\d+_)?(?P<file>.+)$")
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_\w*?_?$")
_IGNORED = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db"}
#: Left in place of a zip member that could not be extracted (its student gets the reason).
CORRUPT_SUFFIX = ".corrupt-in-zip"


class IntakeError(ValueError):
    """The submissions path itself is unusable (missing, not a folder or zip)."""


@dataclass
class Submission:
    """One student's submission, as found and read.

    Attributes
    ----------
    student_id : str
        Safe identifier (letters, digits, ``._-``).
    origin : str
        Where it came from, relative to the submissions folder (for messages).
    path : Path or None
        The notebook file.
    notebook : dict or None
        nbformat 4 notebook (a ``NotebookNode``), None when it could not be read.
    sha256 : str
        Hash of the file's bytes (empty when there is no file).
    timestamp : datetime or None
        Submission time (nbgrader ``timestamp.txt``), timezone-aware UTC.
    late : bool
        The LMS marked it late.
    problem : str or None
        Why it cannot be graded (a zero), if so.
    flags : list of str
        Oddities worth the instructor's attention (it is still graded).
    extra_files : dict
        Other files submitted beside the notebook: relative path -> bytes.
    mtime : float
        The file's modification time (for picking the newest of duplicates).
    display_name : str or None
        The LMS display name, when the id came from a Canvas or Moodle export.
    """

    student_id: str
    origin: str
    path: Path | None = None
    notebook: Any = None
    sha256: str = ""
    timestamp: datetime | None = None
    late: bool = False
    problem: str | None = None
    flags: list[str] = field(default_factory=list)
    extra_files: dict[str, bytes] = field(default_factory=dict)
    mtime: float = 0.0
    display_name: str | None = None


def safe_student_id(raw: str) -> str:
    """Turn a folder or file name into a safe student id.

    Parameters
    ----------
    raw : str
        E.g. ``"Ada Lovelace"`` or ``"../../etc"``.

    Returns
    -------
    str
        E.g. ``"Ada_Lovelace"``; ``"unknown"`` if nothing usable is left.
    """
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", raw).strip("._-")
    return cleaned[:80] or "unknown"


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name not in _IGNORED


def extract_zip(archive: Path, destination: Path) -> Path:
    """Extract an LMS zip safely (no absolute paths, no ``..``, size and count limits).

    Parameters
    ----------
    archive : Path
        The zip file.
    destination : Path
        An empty folder to extract into (replaced if it exists).

    Returns
    -------
    Path
        The folder holding the submissions (single top folders are descended into).

    Raises
    ------
    IntakeError
        If the file is not a zip or exceeds the limits.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise IntakeError(f"{archive} is not a readable zip file: {exc}") from exc
    with zf:
        members = zf.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise IntakeError(f"{archive} has {len(members)} entries (limit {MAX_ZIP_MEMBERS})")
        total = sum(m.file_size for m in members)
        if total > MAX_ZIP_BYTES:
            raise IntakeError(f"{archive} expands to {total / 2**30:.1f} GiB (limit 2 GiB)")
        if destination.exists():
            shutil.rmtree(destination)
        destination.mkdir(parents=True)
        for member in members:
            name = member.filename.replace("\\", "/")
            parts = [p for p in PurePosixPath(name).parts if p not in ("", ".", "/")]
            if not parts or ".." in parts or name.startswith("/") or member.is_dir():
                continue
            target = destination.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with zf.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError):
                # a corrupt member is its student's problem: the others are still extracted
                target.unlink(missing_ok=True)
                target.with_name(target.name + CORRUPT_SUFFIX).write_bytes(b"")
                continue
            stamp = datetime(*member.date_time).timestamp()
            os.utime(target, (stamp, stamp))
    folder = destination
    while True:
        entries = [p for p in folder.iterdir() if _visible(p)]
        if len(entries) == 1 and entries[0].is_dir():
            folder = entries[0]
        else:
            return folder


def _parse_timestamp(text: str) -> datetime | None:
    try:
        from dateutil import parser

        stamp = parser.parse(text.strip())
    except (ValueError, OverflowError, ImportError):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def special_file(path: Path) -> str | None:
    """Why ``path`` must not be read (a symbolic link, a device, a FIFO...), or None.

    Uses ``lstat``: a link is never followed, so a link to ``solutions/`` or to a
    classmate's folder is reported, not copied into the sandbox.
    """
    try:
        mode = os.lstat(path).st_mode
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    if stat.S_ISLNK(mode):
        return "a symbolic link (not followed)"
    if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
        return None
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
    return f"{kind} (not read)"


def _walk_files(folder: Path) -> tuple[list[Path], list[str]]:
    """Regular files under ``folder`` (links and special files reported, never followed)."""
    files: list[Path] = []
    notes: list[str] = []
    for root, dirs, names in os.walk(folder, followlinks=False):
        for name in sorted(dirs):
            why = special_file(Path(root, name))
            if why is not None:
                notes.append(f"{Path(root, name).relative_to(folder)} is {why}")
                dirs.remove(name)
        for name in sorted(names):
            path = Path(root, name)
            why = special_file(path)
            if why is None:
                files.append(path)
            else:
                notes.append(f"{path.relative_to(folder)} is {why}")
    return sorted(files), notes


def _extra_files(folder: Path, notebook: Path) -> tuple[dict[str, bytes], list[str]]:
    files: dict[str, bytes] = {}
    found, notes = _walk_files(folder)
    total = 0
    for path in found:
        if path == notebook or path.suffix == ".ipynb":
            continue
        if any(part in _IGNORED or part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if path.name == "timestamp.txt":
            continue
        size = path.stat().st_size
        if len(files) >= MAX_EXTRA_FILES or total + size > MAX_EXTRA_BYTES:
            notes.append(f"extra file {path.name} not copied (over the size/count limit)")
            continue
        files[str(path.relative_to(folder))] = path.read_bytes()
        total += size
    return files, notes


def _pick_notebook(folder: Path, exercise: str, origin: str) -> tuple[Path | None, list[str], str]:
    """Choose the notebook of an ``<ex>/`` (or student) folder; returns (path, flags, problem)."""
    expected = folder / f"{exercise}.ipynb"
    found, _ = _walk_files(folder)
    notebooks = [
        p
        for p in found
        if p.suffix == ".ipynb" and ".ipynb_checkpoints" not in p.parts and _visible(p)
    ]
    why = special_file(expected) if os.path.lexists(expected) else None
    if why is not None:
        return None, [], f"{origin}/{expected.name} is {why}"
    if expected in notebooks:
        return expected, [], ""
    if not notebooks:
        found = sorted(p.name for p in folder.iterdir() if _visible(p))
        listing = ", ".join(found[:5]) + ("..." if len(found) > 5 else "") if found else "nothing"
        return None, [], f"no notebook in {origin}/ (found {listing}), expected {exercise}.ipynb"
    chosen = max(notebooks, key=lambda p: (p.stat().st_mtime, p.name))
    flags = [f"notebook renamed: graded '{chosen.name}', expected '{exercise}.ipynb'"]
    if len(notebooks) > 1:
        others = ", ".join(p.name for p in notebooks if p != chosen)
        flags.append(f"{len(notebooks)} notebooks found, graded the newest; ignored {others}")
    return chosen, flags, ""


def _from_student_folder(folder: Path, student: str, exercise: str, base: Path) -> Submission:
    origin = str(folder.relative_to(base))
    sub = Submission(student_id=student, origin=origin)
    ex_folder = folder / exercise
    if ex_folder.is_dir():
        target_folder = ex_folder
    else:
        others = [p for p in folder.iterdir() if p.is_dir() and _visible(p)]
        if not any(folder.glob("*.ipynb")) and others:
            names = ", ".join(sorted(p.name for p in others)[:5])
            sub.problem = f"no {exercise}/ folder in {origin}/ (it has {names})"
            return sub
        target_folder = folder
    notebook, flags, problem = _pick_notebook(
        target_folder, exercise, str(target_folder.relative_to(base))
    )
    sub.flags += flags
    if problem:
        sub.problem = problem
        return sub
    assert notebook is not None
    sub.path = notebook
    sub.origin = str(notebook.relative_to(base))
    stamp_file = target_folder / "timestamp.txt"
    if stamp_file.is_file():
        sub.timestamp = _parse_timestamp(stamp_file.read_text(errors="replace"))
    sub.extra_files, notes = _extra_files(target_folder, notebook)
    sub.flags += notes
    return sub


def _from_flat_file(path: Path, exercise: str, base: Path) -> Submission:
    stem = path.stem
    late = False
    match = _CANVAS.match(stem)
    lms_name = None
    if match and not stem.startswith(exercise):
        student = f"{match['name']}_{match['uid']}"  # the LMS id: display names can clash
        lms_name = match["name"]
        late = bool(match["late"])
        original = match["file"]
    else:
        student, original = stem, None
    sub = Submission(
        student_id=safe_student_id(student), origin=str(path.relative_to(base)), path=path
    )
    sub.late = late
    sub.display_name = lms_name
    if original is not None and not original.startswith(exercise):
        sub.flags.append(f"notebook renamed: submitted as '{original}.ipynb'")
    return sub


def discover(source: Path | str, exercise: str, intake_dir: Path) -> list[Submission]:
    """List the submissions found in a folder or zip (files not read yet).

    Parameters
    ----------
    source : path
        Folder or ``.zip``.
    exercise : str
        The assignment name (the expected notebook is ``<exercise>.ipynb``).
    intake_dir : Path
        Where zips are extracted.

    Returns
    -------
    list of Submission
        One per student found (duplicates included; see :func:`resolve_duplicates`).

    Raises
    ------
    IntakeError
        If ``source`` does not exist or is neither a folder, a notebook nor a zip.
    """
    source = Path(source).resolve()
    if not source.exists():
        raise IntakeError(f"submissions not found: {source} does not exist")
    if source.is_file() and source.suffix.lower() == ".zip":
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:10]
        source = extract_zip(source, intake_dir / exercise / f"{source.stem}-{digest}")
    if source.is_file():
        if source.suffix != ".ipynb":
            raise IntakeError(f"{source} is not a folder, a .zip or a .ipynb")
        return [_from_flat_file(source, exercise, source.parent)]
    if not source.is_dir():
        raise IntakeError(f"{source} is not a folder, a .zip or a .ipynb")
    if (source / "submitted").is_dir() and not (source / exercise).exists():
        source = source / "submitted"  # an nbgrader course folder
    if (source / exercise).is_dir() and not any(source.glob("*.ipynb")):
        # the folder of one student: <student>/<ex>/<ex>.ipynb
        return [_from_student_folder(source, safe_student_id(source.name), exercise, source.parent)]
    found: list[Submission] = []
    for entry in sorted(source.iterdir()):
        if not _visible(entry):
            continue
        why = special_file(entry)
        if why is not None:
            student = safe_student_id(entry.stem if entry.suffix == ".ipynb" else entry.name)
            found.append(Submission(student, entry.name, problem=f"{entry.name} is {why}"))
            continue
        if entry.is_file() and entry.name.endswith(".ipynb" + CORRUPT_SUFFIX):
            original = entry.with_name(entry.name[: -len(CORRUPT_SUFFIX)])
            sub = _from_flat_file(original, exercise, source)
            sub.path = None
            sub.problem = f"{original.name}: corrupt-in-zip (could not be extracted from the zip)"
            found.append(sub)
        elif entry.is_file() and entry.suffix == ".ipynb":
            found.append(_from_flat_file(entry, exercise, source))
        elif entry.is_dir():
            match = _MOODLE.match(entry.name)
            student = safe_student_id(f"{match['name']}_{match['id']}" if match else entry.name)
            sub = _from_student_folder(entry, student, exercise, source)
            sub.display_name = match["name"] if match else None
            found.append(sub)
    return _flag_name_clashes(found)


def _flag_name_clashes(found: list[Submission]) -> list[Submission]:
    """Two LMS users with one display name stay two students, each flagged."""
    by_name: dict[str, list[Submission]] = {}
    for sub in found:
        if sub.display_name:
            by_name.setdefault(sub.display_name.casefold(), []).append(sub)
    for name, subs in by_name.items():
        ids = sorted({s.student_id for s in subs})
        if len(ids) > 1:
            for sub in subs:
                others = ", ".join(i for i in ids if i != sub.student_id)
                sub.flags.append(f"display name '{name}' also used by {others}: kept apart")
    return found


def resolve_duplicates(submissions: list[Submission]) -> list[Submission]:
    """Keep one submission per student (the newest), flagging the choice.

    Parameters
    ----------
    submissions : list of Submission
        As found.

    Returns
    -------
    list of Submission
        Sorted by student id; ids that differ only in case count as the same student.
    """
    groups: dict[str, list[Submission]] = {}
    for sub in submissions:
        if sub.path is not None:
            try:
                sub.mtime = sub.path.stat().st_mtime
            except OSError:
                sub.mtime = 0.0
        groups.setdefault(sub.student_id.casefold(), []).append(sub)
    kept = []
    for group in groups.values():
        if len(group) == 1:
            kept.append(group[0])
            continue
        usable = [s for s in group if s.problem is None] or group

        def newest(s: Submission) -> tuple:
            stamp = s.timestamp.timestamp() if s.timestamp else s.mtime
            return (stamp, s.origin)

        chosen = max(usable, key=newest)
        ignored = ", ".join(s.origin for s in group if s is not chosen)
        chosen.flags.append(
            f"duplicate student: {len(group)} submissions, graded {chosen.origin} (newest); "
            f"ignored {ignored}"
        )
        kept.append(chosen)
    return sorted(kept, key=lambda s: s.student_id.casefold())


def _decode(raw: bytes) -> tuple[str, str | None]:
    """Decode notebook bytes: UTF-8 (BOM allowed), UTF-16 with a BOM, else cp1252/latin-1."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "UTF-8 with a byte-order mark"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "UTF-16"
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        position = exc.start
    for encoding in ("cp1252", "latin-1"):
        try:
            return raw.decode(
                encoding
            ), f"not UTF-8 (invalid byte at {position}), read as {encoding}"
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte string")


def read_notebook(sub: Submission) -> Submission:
    """Read and parse the submission's notebook into ``sub.notebook`` (or set a problem).

    Parameters
    ----------
    sub : Submission
        With ``path`` set.

    Returns
    -------
    Submission
        The same object, updated.
    """
    if sub.problem or sub.path is None:
        return sub
    try:
        raw = sub.path.read_bytes()
    except OSError as exc:
        sub.problem = f"could not read {sub.origin}: {exc.strerror or exc}"
        return sub
    sub.sha256 = hashlib.sha256(raw).hexdigest()
    if len(raw) > MAX_NOTEBOOK_BYTES:
        sub.problem = f"file too large: {len(raw) / 2**20:.0f} MB (limit 50 MB)"
        return sub
    if not raw.strip():
        sub.problem = f"empty file ({len(raw)} bytes): nothing was submitted"
        return sub
    text, encoding_note = _decode(raw)
    if encoding_note and not encoding_note.startswith("UTF-8 with"):
        sub.flags.append(f"file encoding: {encoding_note}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " (is it a notebook?)" if exc.pos == 0 else ""
        sub.problem = (
            f"malformed notebook JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}{hint}"
        )
        return sub
    except (RecursionError, MemoryError) as exc:
        sub.problem = f"notebook JSON nested too deeply or too large to read ({type(exc).__name__})"
        return sub
    if not isinstance(data, dict) or not ("cells" in data or "worksheets" in data):
        kind = type(data).__name__
        sub.problem = f"not a Jupyter notebook: the JSON is a {kind} without 'cells'"
        return sub
    major = data.get("nbformat")
    if major not in (3, 4):
        sub.problem = f"unsupported notebook format nbformat={major!r} (expected 4)"
        return sub
    try:
        import nbformat

        nb = nbformat.reads(text, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.get("cell_type") not in ("code", "markdown", "raw"):
                raise ValueError(f"unknown cell type {cell.get('cell_type')!r}")
            if not isinstance(cell.get("source"), str):
                raise ValueError("a cell has no text source")
            sub.flags += _normalize_metadata(cell, index)
            if cell.cell_type == "code":
                cell.setdefault("outputs", [])
                cell.setdefault("execution_count", None)
    except Exception as exc:
        sub.problem = f"not a valid notebook: {type(exc).__name__}: {exc}"
        return sub
    if major == 3:
        sub.flags.append("converted from nbformat 3 (saved by a very old Jupyter)")
    sub.notebook = nb
    return sub


def _normalize_metadata(cell: Any, index: int) -> list[str]:
    """Make a cell's metadata safe to read: a mapping, with a mapping under ``nbgrader`` and
    numeric points. What was wrong is returned as flags (the release check restores the
    instructor's metadata of every known cell afterwards)."""
    from nbformat import NotebookNode

    flags = []
    if not isinstance(cell.get("metadata"), dict):
        cell["metadata"] = NotebookNode()
        flags.append(f"cell {index}: metadata was not a mapping: ignored")
    meta = cell["metadata"]
    if "nbgrader" in meta and not isinstance(meta["nbgrader"], dict):
        del meta["nbgrader"]
        flags.append(f"cell {index}: nbgrader metadata was not a mapping: ignored")
    grader = meta.get("nbgrader")
    if isinstance(grader, dict) and "points" in grader:
        points = grader["points"]
        if isinstance(points, bool) or not isinstance(points, int | float):
            try:
                grader["points"] = float(str(points)[:50])
                if not math.isfinite(grader["points"]):
                    raise ValueError
            except ValueError:
                del grader["points"]
                flags.append(f"cell {index}: points {str(points)[:20]!r} is not a number: ignored")
    return flags


def collect(source: Path | str, exercise: str, intake_dir: Path) -> list[Submission]:
    """Discover, de-duplicate and read every submission.

    Parameters
    ----------
    source : path
        Folder, zip or notebook.
    exercise : str
        The assignment.
    intake_dir : Path
        Where zips are extracted.

    Returns
    -------
    list of Submission
        One per student, each with a notebook or a problem.
    """
    return [_read_safely(s) for s in resolve_duplicates(discover(source, exercise, intake_dir))]


def _read_safely(sub: Submission) -> Submission:
    """:func:`read_notebook`, with any unforeseen failure made this submission's problem."""
    try:
        return read_notebook(sub)
    except Exception as exc:  # one file never stops the intake of the others
        sub.notebook = None
        sub.problem = f"could not read {sub.origin}: {type(exc).__name__}: {str(exc)[:200]}"
        return sub


def roster_ids(path: Path | str) -> list[str]:
    """Student ids from a roster file: one per line, or a CSV with a ``student_id`` column."""
    text = Path(path).read_text(encoding="utf-8-sig")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        return []
    if "," in lines[0]:
        import csv

        rows = list(csv.DictReader(lines))
        key = next((k for k in rows[0] if k and k.strip().lower() in ("student_id", "id")), None)
        if key is None:
            raise IntakeError(f"{path}: expected a 'student_id' column, got {list(rows[0])}")
        return [safe_student_id(r[key]) for r in rows if r.get(key)]
    return [safe_student_id(ln) for ln in lines if not ln.startswith("#")]


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)
