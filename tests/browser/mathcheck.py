"""Check, in a real browser, that a page renders its maths with no network.

Reusable for any HTML page of the course (site pages, feedback pages, the class report)::

    from mathcheck import check_page

    report = check_page(page, "http://127.0.0.1:8123/feedback/alice.html")
    assert report.ok, report.describe()

``page`` is a Playwright page whose context aborts every request that is not to 127.0.0.1 (as
the ``offline_context`` fixture of ``conftest.py`` sets up), so anything the page tries to
fetch from the internet shows up as a failed request. :func:`check_page` opens the URL, waits
until the maths renderer (MathJax 2 or 3, or KaTeX) has finished, and reports:

- how many typeset formulas there are, and any renderer error (``Math Processing Error``);
- raw TeX left in the visible text (``$...$``, ``$$...$$``, ``\\(``, ``\\[``), outside code;
- every request that failed or answered with an HTTP error;
- every image that did not load (``naturalWidth == 0``);
- JavaScript errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["MATH_SELECTOR", "MathReport", "check_page"]

#: Elements a renderer leaves behind: MathJax 3 (mjx-container), MathJax 2 (HTML-CSS, CommonHTML,
#: SVG output) and KaTeX.
MATH_SELECTOR = (
    "mjx-container, span.MathJax, div.MathJax_Display, span.MathJax_CHTML, span.MathJax_SVG, .katex"
)
_ERROR_SELECTOR = ".MathJax_Error, mjx-merror, merror, .katex-error"
_RAW_TEX = re.compile(r"\$\$.+?\$\$|\$[^$\s][^$]*?\$|\\\(|\\\)|\\\[|\\\]|\\begin\{", re.DOTALL)

_WAIT_FOR_RENDERER = """
limit => new Promise(resolve => {
  setTimeout(() => resolve("timeout"), limit);
  const MJ = window.MathJax;
  if (MJ && MJ.Hub && MJ.Hub.Queue) {                   // MathJax 2: after the first typeset
    // no return value: a hook listener that returns MathJax's callback deadlocks the startup
    const done = () => { MJ.Hub.Queue(() => resolve("mathjax2")); };
    if (MJ.isReady) done(); else MJ.Hub.Register.StartupHook("End", done);
  } else if (MJ && MJ.startup && MJ.startup.promise) {  // MathJax 3
    MJ.startup.promise.then(() => resolve("mathjax3"));
  } else if (window.katex || document.querySelector(".katex")) {
    resolve("katex");
  } else {
    resolve("none");
  }
})
"""

_VISIBLE_TEXT = """
() => {
  const skipTags = new Set(["SCRIPT", "STYLE", "PRE", "CODE", "TEXTAREA", "NOSCRIPT", "KBD",
                            "SAMP"]);
  const skipClass = ["MathJax", "MathJax_Display", "MathJax_CHTML", "MathJax_SVG",
                     "MJX_Assistive_MathML", "katex", "highlight"];
  const accept = node => {
    for (let e = node.parentElement; e; e = e.parentElement) {
      if (skipTags.has(e.tagName) || e.tagName === "MJX-CONTAINER") return NodeFilter.FILTER_REJECT;
      if (skipClass.some(c => e.classList && e.classList.contains(c))) {
        return NodeFilter.FILTER_REJECT;
      }
    }
    return NodeFilter.FILTER_ACCEPT;
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT,
                                           {acceptNode: accept});
  const parts = [];
  while (walker.nextNode()) parts.push(walker.currentNode.nodeValue);
  return parts.join("");
}
"""

_BROKEN_IMAGES = """
async () => {
  const images = Array.from(document.images);
  images.forEach(img => { img.loading = "eager"; });
  await Promise.all(images.map(img => img.complete ? null :
    new Promise(r => { img.addEventListener("load", r); img.addEventListener("error", r); })));
  return images.filter(img => !(img.complete && img.naturalWidth > 0))
               .map(img => (img.currentSrc || img.src || "").slice(0, 120));
}
"""


@dataclass
class MathReport:
    """What :func:`check_page` found on one page.

    Attributes
    ----------
    url : str
    renderer : str
        ``"mathjax2"``, ``"mathjax3"``, ``"katex"``, ``"none"``, or ``"timeout"`` when the
        renderer did not finish in time.
    formulas : int
        Typeset formulas (elements of :data:`MATH_SELECTOR`).
    errors : int
        Formulas the renderer could not typeset.
    raw_tex : list of str
        TeX fragments left in the visible text.
    failed_requests : list of str
        ``"URL (reason)"`` for each failed request or HTTP error.
    broken_images : list of str
        Sources of images that did not load.
    js_errors : list of str
        Uncaught JavaScript errors.
    min_formulas : int
        How many formulas the page should at least have.
    """

    url: str
    renderer: str = "none"
    formulas: int = 0
    errors: int = 0
    raw_tex: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)
    js_errors: list[str] = field(default_factory=list)
    min_formulas: int = 1

    def problems(self) -> list[str]:
        """Each problem as a sentence (empty when the page is fine)."""
        found = []
        if self.formulas < self.min_formulas:
            found.append(
                f"{self.formulas} typeset formulas (renderer: {self.renderer}), "
                f"expected at least {self.min_formulas}"
            )
        if self.errors:
            found.append(f"{self.errors} formulas failed to typeset")
        found += [f"raw TeX left in the text: {t!r}" for t in self.raw_tex[:10]]
        found += [f"request failed: {r}" for r in self.failed_requests]
        found += [f"image did not load: {src}" for src in self.broken_images]
        found += [f"JavaScript error: {e}" for e in self.js_errors]
        return found

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems()

    def describe(self) -> str:
        """A readable summary for an assertion message."""
        lines = [f"{self.url}: {self.formulas} formulas ({self.renderer})"]
        return "\n  ".join(lines + self.problems())


def check_page(page, url: str, *, min_formulas: int = 1, timeout_ms: float = 60_000) -> MathReport:
    """Open ``url`` in ``page`` and report whether its maths rendered with no network.

    Parameters
    ----------
    page : playwright.sync_api.Page
        A page whose context aborts requests to anywhere but 127.0.0.1.
    url : str
    min_formulas : int
        The page should hold at least this many typeset formulas (0 for pages without maths).
    timeout_ms : float
        For loading the page and waiting for the renderer.

    Returns
    -------
    MathReport
    """
    report = MathReport(url=url, min_formulas=min_formulas)

    def on_failed(request) -> None:
        report.failed_requests.append(f"{request.url} ({request.failure})")

    def on_response(response) -> None:
        if response.status >= 400:
            report.failed_requests.append(f"{response.url} (HTTP {response.status})")

    def on_error(error) -> None:
        report.js_errors.append(str(error))

    page.goto("about:blank")  # requests still running for the previous page fail here, unheard
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("pageerror", on_error)
    try:
        page.goto(url, wait_until="load", timeout=timeout_ms)
        page.set_default_timeout(timeout_ms)
        report.renderer = page.evaluate(_WAIT_FOR_RENDERER, timeout_ms)
        report.formulas = page.locator(MATH_SELECTOR).count()
        report.errors = page.locator(_ERROR_SELECTOR).count()
        text = page.evaluate(_VISIBLE_TEXT)
        report.raw_tex = [m.group(0)[:80] for m in _RAW_TEX.finditer(text)]
        report.broken_images = page.evaluate(_BROKEN_IMAGES)
        page.wait_for_load_state("networkidle", timeout=timeout_ms)
    finally:
        page.remove_listener("requestfailed", on_failed)
        page.remove_listener("response", on_response)
        page.remove_listener("pageerror", on_error)
    return report
