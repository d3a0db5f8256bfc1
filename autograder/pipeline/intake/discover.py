"""Find the submissions in a folder: nbgrader trees, flat folders, LMS layouts.

Links, devices and other special files are never followed or copied.
"""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from .archives import CANVAS_FILE, CORRUPT_SUFFIX, IGNORED, MOODLE_FOLDER, extract_zip, is_visible
from .submission import MAX_EXTRA_BYTES, MAX_EXTRA_FILES, IntakeError, Submission, safe_student_id


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
        if any(part in IGNORED or part.startswith(".") for part in path.relative_to(folder).parts):
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
        if p.suffix == ".ipynb" and ".ipynb_checkpoints" not in p.parts and is_visible(p)
    ]
    why = special_file(expected) if os.path.lexists(expected) else None
    if why is not None:
        return None, [], f"{origin}/{expected.name} is {why}"
    if expected in notebooks:
        return expected, [], ""
    if not notebooks:
        found = sorted(p.name for p in folder.iterdir() if is_visible(p))
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
        others = [p for p in folder.iterdir() if p.is_dir() and is_visible(p)]
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
    match = CANVAS_FILE.match(stem)
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
    if lms_name is not None and match is not None:
        sub.lms_system, sub.lms_id = "canvas", match["uid"]
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
    entries = [e for e in sorted(source.iterdir()) if is_visible(e)]
    found = [_from_entry(entry, exercise, source) for entry in entries]
    found = [sub for sub in found if sub is not None]
    return _flag_name_clashes(found)


def _from_entry(entry: Path, exercise: str, source: Path) -> Submission | None:
    """The submission an entry of a class folder holds (None for stray files)."""
    why = special_file(entry)
    if why is not None:
        student = safe_student_id(entry.stem if entry.suffix == ".ipynb" else entry.name)
        return Submission(student, entry.name, problem=f"{entry.name} is {why}")
    if entry.is_file() and entry.name.endswith(".ipynb" + CORRUPT_SUFFIX):
        original = entry.with_name(entry.name[: -len(CORRUPT_SUFFIX)])
        sub = _from_flat_file(original, exercise, source)
        sub.path = None
        sub.problem = f"{original.name}: corrupt-in-zip (could not be extracted from the zip)"
        return sub
    if entry.is_file() and entry.suffix == ".ipynb":
        return _from_flat_file(entry, exercise, source)
    if entry.is_dir():
        match = MOODLE_FOLDER.match(entry.name)
        student = safe_student_id(f"{match['name']}_{match['id']}" if match else entry.name)
        sub = _from_student_folder(entry, student, exercise, source)
        if match:
            sub.display_name, sub.lms_system, sub.lms_id = match["name"], "moodle", match["id"]
        return sub
    return None


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
