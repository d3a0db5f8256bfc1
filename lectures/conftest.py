"""The lectures run under nbval (``pytest --nbval-lax``) as part of the project's tests.

Every cell of one notebook must run in the same kernel, so each notebook's items share one
xdist group: ``pytest -n auto --dist loadgroup`` keeps them on one worker, in order.
"""

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = str(getattr(item, "path", ""))
        if path.endswith(".ipynb") and f"{os.sep}lectures{os.sep}" in path:
            item.add_marker(pytest.mark.xdist_group(f"nbval-{os.path.basename(path)}"))
