"""Shared pytest configuration: a headless matplotlib backend for every test."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

#: Notebooks under tests/ are fixtures that the tests open themselves, not nbval suites.
collect_ignore_glob = ["browser/*.ipynb"]
