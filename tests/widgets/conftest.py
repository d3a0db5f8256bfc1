"""Headless tests of the explorers: matplotlib's Agg backend, no browser, no kernel."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, the same for every test."""
    return np.random.default_rng(20240611)


def _assert_png(data: bytes) -> None:
    assert data[:8] == PNG_SIGNATURE, f"not a PNG: starts with {data[:8]!r}"
    assert len(data) > 1000, f"suspiciously small PNG ({len(data)} bytes)"


@pytest.fixture
def assert_png():
    """A function asserting that its argument is a non-trivial PNG file."""
    return _assert_png


def _assert_blit_exact(explorer) -> None:
    """The blitted frame now shown is, pixel for pixel, what a full redraw of the figure gives."""
    blitted = explorer.png()
    explorer.renderer.invalidate()
    assert explorer.render() == blitted


@pytest.fixture
def assert_blit_exact():
    """A function asserting that an explorer's blitted frame equals a full redraw."""
    return _assert_blit_exact
