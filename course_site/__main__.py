"""``python -m course_site site|podcast``: see :mod:`course_site.cli`."""

import sys

from course_site.cli import main

if __name__ == "__main__":
    sys.exit(main())
