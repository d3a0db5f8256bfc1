"""MathJax served from the installed ``jupyter-server-mathjax`` package: maths with no network.

``jupyter-server-mathjax`` (the Jupyter project's own packaging of MathJax 2.7, as classic
Notebook and nbconvert use it) ships the renderer, its TeX input, its HTML-CSS output and the
STIX web fonts. :func:`install_math` copies it next to a page and returns the ``<script>`` tags
for that page's ``<head>``; the site build uses :func:`copy_mathjax` and :data:`MATHJAX_CONFIG`
the same way, so every page typesets ``$...$``, ``\\(...\\)`` and ``$$...$$`` offline.

>>> from pathlib import Path
>>> head = install_math(Path("feedback"))          # doctest: +SKIP
>>> page = f"<html><head>{head}</head><body>$a^2 + b^2$</body></html>"  # doctest: +SKIP
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG_FILE",
    "MATHJAX_CONFIG",
    "config_script",
    "copy_mathjax",
    "install_math",
    "mathjax_source",
    "mathjax_version",
    "script_tags",
]

#: MathJax's combined configuration: TeX and MathML in, HTML-CSS out, plus the Safe extension.
CONFIG_FILE = "TeX-AMS-MML_HTMLorMML-full,Safe"

#: ``MathJax.Hub.Config`` for every page (the classic Jupyter Notebook's settings): dollars
#: for inline maths, the bundled STIX web fonts only (no image fonts, no font download).
MATHJAX_CONFIG: dict[str, Any] = {
    "tex2jax": {
        "inlineMath": [["$", "$"], ["\\(", "\\)"]],
        "displayMath": [["$$", "$$"], ["\\[", "\\]"]],
        "processEscapes": True,
        "processEnvironments": True,
    },
    "displayAlign": "center",
    "messageStyle": "none",
    "HTML-CSS": {
        "availableFonts": [],
        "imageFont": None,
        "preferredFont": None,
        "webFont": "STIX-Web",
        "linebreaks": {"automatic": True},
    },
    "menuSettings": {"zoom": "None"},
    # The hidden MathML that screen readers read must not ask for TeX fonts the package lacks.
    "AssistiveMML": {
        "styles": {
            ".MJX_Assistive_MathML [mathvariant], .MJX_Assistive_MathML mi, "
            ".MJX_Assistive_MathML mo": {"font-family": "serif !important"}
        }
    },
}

# MathJax 2 measures web fonts against a blank font loaded from ``about:blank``, a request that
# always fails; comparing against the page's serif font works as well.
_AUTHOR_INIT = (
    'function () { MathJax.Hub.Register.StartupHook("HTML-CSS Jax Ready", function () '
    '{ MathJax.OutputJax["HTML-CSS"].webFontDefault = "serif"; }); }'
)

_SKIP_LOCALES = "localization"
_STAMP = ".course_site_mathjax"


def mathjax_source() -> Path:
    """The ``static`` folder of the installed ``jupyter-server-mathjax`` (holds ``MathJax.js``).

    Returns
    -------
    Path

    Raises
    ------
    ModuleNotFoundError
        With the install command, when the package is missing.
    """
    try:
        import jupyter_server_mathjax
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "offline maths needs MathJax from the 'jupyter-server-mathjax' package: "
            "pip install jupyter-server-mathjax (or pip install -e '.[site]')"
        ) from None
    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (static / "MathJax.js").is_file():
        raise FileNotFoundError(
            f"jupyter-server-mathjax is installed but {static} lacks MathJax.js"
        )
    return static


def mathjax_version() -> str:
    """The MathJax version string found in the installed ``MathJax.js`` (e.g. ``"2.7.9"``)."""
    head = (mathjax_source() / "MathJax.js").read_text(encoding="utf-8", errors="replace")
    marker = 'MathJax.version="'
    start = head.find(marker)
    if start < 0:
        return "unknown"
    start += len(marker)
    return head[start : head.index('"', start)]


def _ignore(folder: str, names: list[str]) -> list[str]:
    """Skip every translation but English (2 MB the pages never load)."""
    if Path(folder).name == _SKIP_LOCALES:
        return [n for n in names if n != "en"]
    return []


def copy_mathjax(target: Path) -> Path:
    """Copy MathJax into ``target`` (created), unless the same version is already there.

    Parameters
    ----------
    target : Path
        The folder that will hold ``MathJax.js``, e.g. ``site/_static/mathjax``.

    Returns
    -------
    Path
        ``target``.
    """
    target = Path(target)
    stamp = target / _STAMP
    version = mathjax_version()
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == version:
        return target
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(mathjax_source(), target, ignore=_ignore)
    stamp.write_text(version, encoding="utf-8")
    return target


def config_script() -> str:
    """JavaScript that configures MathJax before it loads: ``window.MathJax = {...}``.

    Returns
    -------
    str
        :data:`MATHJAX_CONFIG` plus an ``AuthorInit`` hook, for a plain ``<script>`` element
        placed before the one that loads ``MathJax.js``.
    """
    config = json.dumps(MATHJAX_CONFIG)
    return f'window.MathJax = {config[:-1].rstrip()},\n "AuthorInit": {_AUTHOR_INIT}\n}};\n'


def script_tags(url: str = "mathjax") -> str:
    """The two ``<script>`` tags that configure and load MathJax from ``url``.

    Parameters
    ----------
    url : str
        The MathJax folder as the page sees it (relative, e.g. ``"mathjax"`` or
        ``"../mathjax"``).

    Returns
    -------
    str
    """
    src = f"{url.rstrip('/')}/MathJax.js?config={CONFIG_FILE}"
    return f'<script>\n{config_script()}</script>\n<script async src="{src}"></script>\n'


def install_math(out_dir: Path, *, folder: str = "mathjax", url: str | None = None) -> str:
    """Put MathJax beside standalone HTML pages; return the tags for their ``<head>``.

    Parameters
    ----------
    out_dir : Path
        The folder of the pages; MathJax goes to ``out_dir / folder``.
    folder : str
        Name of MathJax's folder inside ``out_dir``.
    url : str, optional
        How the pages reach that folder; default ``folder`` (pages directly in ``out_dir``).
        Pages one level down use ``"../mathjax"``.

    Returns
    -------
    str
        ``<script>`` tags with relative URLs; the pages then need no network.

    Examples
    --------
    >>> tags = install_math(Path("grading/feedback"))  # doctest: +SKIP
    >>> body = "<p>$\\\\sigma(z)$</p>"
    >>> page = f"<html><head>{tags}</head><body>{body}</body></html>"  # doctest: +SKIP
    """
    copy_mathjax(Path(out_dir) / folder)
    return script_tags(url or folder)
