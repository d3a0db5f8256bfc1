"""Drawing and experiment helpers of the lecture notebooks.

The lectures keep their cells short, each showing one idea; the plumbing behind a figure or an
experiment lives here, one module per subject, tested like the rest of ``course_lib``. Import
the module a lecture needs directly, for example::

    from course_lib.lecture_aids import diagrams

    diagrams.draw_blocks(model, in_dim=2)

This file stays a docstring: it imports nothing, so adding a module never needs to touch it.
"""
