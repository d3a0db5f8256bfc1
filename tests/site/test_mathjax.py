"""``install_math``: MathJax copied from the installed package, script tags with relative URLs.

Whether the maths then renders with no network is checked in a real browser by
``tests/browser/test_site_browser.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from course_site.mathjax import (
    CONFIG_FILE,
    MATHJAX_CONFIG,
    config_script,
    install_math,
    mathjax_version,
)

pytest.importorskip(
    "jupyter_server_mathjax", reason="needs jupyter-server-mathjax (the site extra)"
)


def test_install_math_copies_mathjax_and_returns_relative_tags(tmp_path: Path) -> None:
    tags = install_math(tmp_path)
    assert (tmp_path / "mathjax" / "MathJax.js").is_file()
    assert (tmp_path / "mathjax" / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()
    assert (tmp_path / "mathjax" / "fonts" / "HTML-CSS" / "STIX-Web").is_dir()
    assert f'src="mathjax/MathJax.js?config={CONFIG_FILE}"' in tags
    assert "http" not in tags, "no absolute URL: the pages must work offline and when moved"
    locales = {p.name for p in (tmp_path / "mathjax" / "localization").iterdir()}
    assert locales <= {"en"}


def test_install_math_for_pages_in_a_subfolder(tmp_path: Path) -> None:
    tags = install_math(tmp_path, url="../mathjax")
    assert 'src="../mathjax/MathJax.js?' in tags


def test_install_math_keeps_an_up_to_date_copy(tmp_path: Path) -> None:
    install_math(tmp_path)
    marker = tmp_path / "mathjax" / "MathJax.js"
    before = marker.stat().st_mtime_ns
    install_math(tmp_path)
    assert marker.stat().st_mtime_ns == before
    assert (tmp_path / "mathjax" / ".course_site_mathjax").read_text() == mathjax_version()


def test_config_script_sets_dollar_delimiters_and_local_fonts() -> None:
    script = config_script()
    assert script.startswith("window.MathJax = {") and script.rstrip().endswith("};")
    body = script[len("window.MathJax = ") : script.index(',\n "AuthorInit"')] + "}"
    assert json.loads(body) == json.loads(json.dumps(MATHJAX_CONFIG))
    assert ["$", "$"] in MATHJAX_CONFIG["tex2jax"]["inlineMath"]
    assert MATHJAX_CONFIG["HTML-CSS"]["imageFont"] is None
    assert mathjax_version().startswith("2.")
