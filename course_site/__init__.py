"""The course site: the executed lectures as a book, maths that renders offline, a podcast.

Three parts, each usable on its own:

- :mod:`course_site.book` builds a static site with Sphinx and MyST-NB (the engine of Jupyter
  Book 1): the lectures executed once per build (cached), the exercises in their student form,
  a glossary made from the flashcards, and the podcast episodes with a feed.
- :mod:`course_site.mathjax` copies MathJax from the installed ``jupyter-server-mathjax``
  package, so every page typesets its maths with no network; :func:`install_math` does it for
  any standalone HTML page.
- :mod:`course_site.podcast` turns the scripts in ``lectures/podcast/`` into one OGG episode per
  lecture part with an offline speech engine (eSpeak NG), with chapters, a transcript and an
  RSS 2.0 feed.

From the shell: ``python -m course_site site [--out DIR]`` and
``python -m course_site podcast [PART ...]``.
"""

from course_site.layout import Course
from course_site.mathjax import install_math

__all__ = ["Course", "install_math"]
