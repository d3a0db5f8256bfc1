"""Command line of the course site: ``python -m course_site site|podcast``.

    python -m course_site site [--out DIR] [--base-url URL] [--no-podcast]
    python -m course_site podcast [PART ...] [--out DIR]

The ``course`` command reuses the same options: :func:`add_site_arguments` and
:func:`add_podcast_arguments` fill a sub-parser, :func:`run_site` and :func:`run_podcast` run
the parsed arguments. Exit status: 0 done, 1 the build failed (a lecture cell, a leaked
solution, a bad script, Sphinx), 2 set-up or usage error (a missing tool, an unknown part).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from course_site.layout import Course
    from course_site.podcast.engine import SpeechEngine

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "add_podcast_arguments",
    "add_site_arguments",
    "build_parser",
    "main",
    "run_podcast",
    "run_site",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
PROG = "python -m course_site"


def _engine_choices() -> list[str]:
    return ["library", "command"]


def add_site_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the options of ``site`` to ``parser`` (not ``--root``: the caller's); return it."""
    parser.add_argument("--out", type=Path, help="output folder (default: ROOT/site)")
    parser.add_argument(
        "--base-url",
        help="where the site will be published, for the podcast feed's links "
        "(default: http://127.0.0.1:8000/, a local preview)",
    )
    parser.add_argument(
        "--no-podcast", action="store_true", help="leave out the podcast (no speech engine needed)"
    )
    parser.add_argument("--timeout", type=int, default=600, help="seconds per notebook cell (600)")
    parser.add_argument("--engine", choices=_engine_choices(), help="speech engine (default: any)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def add_podcast_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the arguments of ``podcast`` to ``parser`` (not ``--root``: the caller's); return it."""
    parser.add_argument(
        "parts",
        nargs="*",
        metavar="PART",
        help="lecture parts: a number (1, 01), a notebook name or its start (backprop); "
        "default: every part with a script in lectures/podcast/",
    )
    parser.add_argument(
        "--out", type=Path, help="episode folder (default: ROOT/build/course_site/podcast)"
    )
    parser.add_argument("--base-url", help="site address for the feed's links")
    parser.add_argument("--engine", choices=_engine_choices(), help="speech engine (default: any)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _course(root: Path | None) -> Course:
    from course_site.layout import Course

    return Course.find(root)


def _error(prog: str, command: str, message: str) -> None:
    print(f"{prog} {command}: error: {message}", file=sys.stderr)


def run_site(args: argparse.Namespace, root: Path | None = None, prog: str = PROG) -> int:
    """Build the site from parsed ``site`` arguments; print where it is.

    Parameters
    ----------
    args : argparse.Namespace
        From a parser filled by :func:`add_site_arguments`.
    root : Path, optional
        The course repository (default: this checkout).
    prog : str
        The command's name in error messages (``"course"`` when run by the ``course`` CLI).

    Returns
    -------
    int
        The exit status.
    """
    from course_site.book import LectureFailed, build_site
    from course_site.pages import ReleaseLeak
    from course_site.podcast import EngineMissing, ScriptError
    from course_site.podcast.feed import DEFAULT_BASE_URL

    try:
        course = _course(root)
        engine = _engine(args.engine) if args.engine and not args.no_podcast else None
        result = build_site(
            args.out,
            course=course,
            timeout=args.timeout,
            podcast=not args.no_podcast,
            base_url=args.base_url or DEFAULT_BASE_URL,
            engine=engine,
            progress=not args.no_progress,
        )
    except EngineMissing as err:
        _error(prog, "site", f"{err}; or build the site without the podcast: --no-podcast")
        return EXIT_USAGE
    except (ModuleNotFoundError, FileNotFoundError) as err:
        _error(prog, "site", str(err))
        return EXIT_USAGE
    except (LectureFailed, ReleaseLeak, ScriptError, RuntimeError) as err:
        _error(prog, "site", str(err))
        return EXIT_FAILED
    cached = len(result.lectures) - len(result.executed)
    print(
        f"wrote {result.index}: {len(result.lectures)} lectures ({len(result.executed)} executed, "
        f"{cached} from the cache), {len(result.exercises)} exercises, "
        f"{len(result.episodes)} podcast episodes, {len(result.warnings)} Sphinx warnings, "
        f"{result.seconds:.0f} s"
    )
    return EXIT_OK


def _engine(name: str | None) -> SpeechEngine:
    from course_site.podcast import find_engine

    return find_engine(name)


def run_podcast(args: argparse.Namespace, root: Path | None = None, prog: str = PROG) -> int:
    """Build the episodes from parsed ``podcast`` arguments; print a table of them.

    ``args`` come from a parser filled by :func:`add_podcast_arguments`; ``root``, ``prog`` and
    the returned exit status are as in :func:`run_site`.
    """
    from course_site.podcast import EngineMissing, ScriptError, build_podcast

    try:
        course = _course(root)
        engine = _engine(args.engine) if args.engine else None
        result = build_podcast(
            course,
            args.parts,
            out_dir=args.out,
            engine=engine,
            base_url=args.base_url,
            progress=not args.no_progress,
        )
    except (FileNotFoundError, EngineMissing, ValueError) as err:
        if isinstance(err, ScriptError):
            _error(prog, "podcast", str(err))
            return EXIT_FAILED
        _error(prog, "podcast", str(err))
        return EXIT_USAGE
    for episode in result.episodes:
        minutes, seconds = divmod(round(episode.duration), 60)
        state = "built" if episode.part in result.rebuilt else "unchanged"
        print(f"{episode.part:<32} {minutes:2d}:{seconds:02d} {episode.words:5d} words  {state}")
    for part in result.missing:
        print(f"{part:<32} no script: write {course.script_for(part).relative_to(course.root)}")
    print(f"episodes in {result.folder}, feed {result.feed}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m course_site``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Build the course site (Sphinx + MyST-NB) and the lecture podcast.",
    )
    parser.add_argument("--root", type=Path, help="course repository (default: this checkout)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_site_arguments(
        sub.add_parser(
            "site",
            help="the executed lectures, exercises, glossary and podcast as a static site",
            description="Execute the lectures (cached), render them with Sphinx and MyST-NB "
            "together with the exercises (student form), a glossary and the podcast; "
            "maths renders offline.",
        )
    )
    add_podcast_arguments(
        sub.add_parser(
            "podcast",
            help="synthesise the podcast episodes that changed",
            description="Speak the scripts in lectures/podcast/ with eSpeak NG, one OGG "
            "episode with chapters and a transcript per part, plus an RSS feed; unchanged "
            "episodes are kept.",
        )
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m course_site``.

    Parameters
    ----------
    argv : sequence of str, optional
        Default: ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status.
    """
    args = build_parser().parse_args(argv)
    run = run_site if args.command == "site" else run_podcast
    try:
        return run(args, args.root, PROG)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
