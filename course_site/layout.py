"""Where the course's sources are and where the site's builds go.

>>> course = Course.find()                           # doctest: +SKIP
>>> [p.name for p in course.lecture_notebooks()][:2]  # doctest: +SKIP
['00_index.ipynb', '01_from_linear_to_deep.ipynb']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["REPO_ROOT", "Course", "part_number"]

#: The checkout this package was imported from (holds ``lectures/`` and ``course_lib/``).
REPO_ROOT = Path(__file__).resolve().parents[1]

_PART = re.compile(r"^(\d\d)_[A-Za-z0-9_]+$")


def part_number(stem: str) -> int | None:
    """The number of a lecture part from its file stem, e.g. ``"05_activation_functions"`` -> 5.

    Parameters
    ----------
    stem : str
        A notebook or script file name without its suffix.

    Returns
    -------
    int or None
        ``None`` when the stem does not start with two digits and an underscore.
    """
    m = _PART.match(stem)
    return int(m.group(1)) if m else None


@dataclass(frozen=True)
class Course:
    """The folders of one checkout of the course.

    Attributes
    ----------
    root : Path
        The repository root.
    lectures : Path
        ``NN_topic.ipynb`` lecture notebooks (``00`` is the course map, ``01``... are parts).
    exercises : Path
        The student release, ``exercises/<ex>/<ex>.ipynb``.
    scripts : Path
        Podcast scripts, one ``NN_topic.md`` per lecture part.
    build : Path
        Caches: executed notebooks, the staged book sources, synthesised episodes.
    """

    root: Path
    lectures: Path
    exercises: Path
    scripts: Path
    build: Path

    @classmethod
    def find(cls, root: Path | None = None) -> Course:
        """The course at ``root`` (default: the checkout this package lives in).

        Parameters
        ----------
        root : Path, optional
            A repository root holding ``lectures/``.

        Returns
        -------
        Course

        Raises
        ------
        FileNotFoundError
            If ``root/lectures`` is not a folder.
        """
        root = Path(root or REPO_ROOT).resolve()
        lectures = root / "lectures"
        if not lectures.is_dir():
            raise FileNotFoundError(
                f"no lectures/ folder in {root}: run from the course repository or pass --root"
            )
        return cls(
            root=root,
            lectures=lectures,
            exercises=root / "exercises",
            scripts=lectures / "podcast",
            build=root / "build" / "course_site",
        )

    def lecture_notebooks(self) -> list[Path]:
        """Every ``NN_topic.ipynb`` in ``lectures/``, in file-name order (the course map first)."""
        return sorted(p for p in self.lectures.glob("[0-9][0-9]_*.ipynb") if p.is_file())

    def parts(self) -> list[Path]:
        """The lecture parts: the notebooks numbered ``01`` and up (``00`` is the course map)."""
        return [p for p in self.lecture_notebooks() if (part_number(p.stem) or 0) >= 1]

    def exercise_notebooks(self) -> list[Path]:
        """The released exercises ``exercises/<ex>/<ex>.ipynb``, in name order."""
        if not self.exercises.is_dir():
            return []
        return sorted(p for p in self.exercises.glob("*/*.ipynb") if p.stem == p.parent.name)

    def script_for(self, part: str) -> Path:
        """The podcast script of a part (``"01_from_linear_to_deep"``): ``scripts/<part>.md``."""
        return self.scripts / f"{part}.md"
