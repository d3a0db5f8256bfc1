"""Grading on a Dask cluster (``course grade --dask``).

The tests that need ``distributed`` skip with a reason when the extra is not installed
(``pip install -e ".[dask]"``). The fixture submissions come from ``tests/autograder/ag_cases.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "autograder"))  # ag_cases
