"""``python -m autograder.authoring [--check] [exercise ...]``: (re)generate ``solutions/``."""

from __future__ import annotations

import argparse
import sys

from . import EXERCISES, check_sources, write_sources


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the source notebooks; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m autograder.authoring", description=__doc__)
    parser.add_argument("exercises", nargs="*", metavar="exercise", help=", ".join(EXERCISES))
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    args = parser.parse_args(argv)
    unknown = [ex for ex in args.exercises if ex not in EXERCISES]
    if unknown:
        parser.error(f"unknown exercise(s) {', '.join(unknown)}; known: {', '.join(EXERCISES)}")
    selected = args.exercises or None
    if args.check:
        drift = check_sources(selected)
        for ex in drift:
            print(f"solutions/{ex}/{ex}.ipynb differs from autograder/authoring (regenerate it)")
        return 1 if drift else 0
    for path in write_sources(selected):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
