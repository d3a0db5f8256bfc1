"""``autograder.site``: the static HTML build of the lectures, on a small generated notebook."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

from autograder.site import WIDGET_NOTE, build_html, main, static_widget_html


def _small_lectures(folder: Path) -> Path:
    """Two tiny notebooks: one with a plot, a widget and a link to the other."""
    folder.mkdir()
    plot = v4.new_notebook()
    plot.cells = [
        v4.new_markdown_cell("# Small course\n\n## Part 1 · Plots\n\nSee [part 2](02_text.ipynb)."),
        v4.new_code_cell(
            "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([0, 1, 4, 9]);"
        ),
        v4.new_code_cell(
            "import ipywidgets as widgets\n"
            "widgets.VBox([widgets.HTML('<b>snapshot text</b>'), widgets.IntSlider(value=7,"
            " description='n')])"
        ),
    ]
    text = v4.new_notebook()
    text.cells = [
        v4.new_markdown_cell("# Small course\n\n## Part 2 · Text"),
        v4.new_code_cell("print('hello from part 2')"),
    ]
    for nb, name in ((plot, "01_plots.ipynb"), (text, "02_text.ipynb")):
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(nb, folder / name)
    return folder


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    lectures = _small_lectures(root / "lectures")
    return build_html(root / "out", lectures, timeout=60, progress=False)


def test_index_links_every_page(site: Path) -> None:
    index = site.read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+\.html)"', index)
    assert links == ["01_plots.html", "02_text.html"], links
    for link in links:
        assert (site.parent / link).is_file(), f"index.html links to missing {link}"
    assert "Part 1 · Plots" in index and "Part 2 · Text" in index


def test_pages_embed_the_rendered_plots(site: Path) -> None:
    page = (site.parent / "01_plots.html").read_text(encoding="utf-8")
    assert re.search(r'<img[^>]+src="data:image/png;base64,[A-Za-z0-9+/]{100,}', page), (
        "the plot should be an inline data:image/png image"
    )
    assert "hello from part 2" in (site.parent / "02_text.html").read_text(encoding="utf-8")


def test_links_between_notebooks_point_to_pages(site: Path) -> None:
    page = (site.parent / "01_plots.html").read_text(encoding="utf-8")
    assert 'href="02_text.html"' in page
    assert "02_text.ipynb" not in page


def test_widgets_become_static_snapshots_with_a_note(site: Path) -> None:
    page = (site.parent / "01_plots.html").read_text(encoding="utf-8")
    assert "<b>snapshot text</b>" in page
    assert "n: 7" in page
    assert WIDGET_NOTE in page
    assert "widget-state+json" not in page, "pages should not depend on widget JavaScript"


def test_static_widget_html_renders_images_from_buffers() -> None:
    state = {
        "box": {
            "model_name": "VBoxModel",
            "state": {"children": ["IPY_MODEL_img", "IPY_MODEL_missing"]},
        },
        "img": {
            "model_name": "ImageModel",
            "state": {"format": "png"},
            "buffers": [{"path": ["value"], "data": "iVBORw0KGgo=", "encoding": "base64"}],
        },
    }
    out = static_widget_html("box", state)
    assert '<img src="data:image/png;base64,iVBORw0KGgo="' in out


def test_build_fails_clearly_without_notebooks(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no .ipynb"):
        build_html(tmp_path / "out", tmp_path, progress=False)


def test_command_line_entry_point(tmp_path: Path, capsys) -> None:
    lectures = tmp_path / "lectures"
    lectures.mkdir()
    nb = v4.new_notebook()
    nb.cells = [v4.new_markdown_cell("# Only text")]
    nbformat.write(nb, lectures / "01_only.ipynb")
    assert main([str(tmp_path / "out"), "--lectures", str(lectures), "--quiet"]) == 0
    assert (tmp_path / "out" / "index.html").is_file()
    assert "wrote" in capsys.readouterr().out
