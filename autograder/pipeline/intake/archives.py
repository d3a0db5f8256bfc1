"""LMS and class archives: unpack a ``.zip`` safely, recognise Canvas and Moodle file names.

Size and member limits hold; a corrupt member is kept as that student's problem.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
import zlib
from datetime import datetime
from pathlib import Path, PurePosixPath

from .submission import IntakeError

#: Zip limits (zip bombs): total uncompressed size and member count.
MAX_ZIP_BYTES = 2 * 2**30


MAX_ZIP_MEMBERS = 20_000


CANVAS_FILE = re.compile(r"^(?P<name>.+?)(?P<late>_LATE)?_(?P<uid>\d+)_(?:\d+_)?(?P<file>.+)$")


MOODLE_FOLDER = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_\w*?_?$")


#: Left in place of a zip member that could not be extracted (its student gets the reason).
CORRUPT_SUFFIX = ".corrupt-in-zip"


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
        entries = [p for p in folder.iterdir() if is_visible(p)]
        if len(entries) == 1 and entries[0].is_dir():
            folder = entries[0]
        else:
            return folder


#: Names of files and folders that are never a submission (OS and Jupyter litter).
IGNORED = {"__MACOSX", ".ipynb_checkpoints", ".DS_Store", "Thumbs.db"}


def is_visible(path: Path) -> bool:
    """Whether a file or folder can be a submission (not hidden, not OS or Jupyter litter)."""
    return not path.name.startswith(".") and path.name not in IGNORED
