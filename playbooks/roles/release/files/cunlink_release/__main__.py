"""``python3 -m cunlink_release`` or ``python3 path/to/cunlink_release`` (the source directory).

The zipapp that ships has its own top-level ``__main__.py`` (build_release_tool.py); run
from the source directory, the package's parent must come first on sys.path.
"""

from __future__ import annotations

import os
import sys

if not __package__:
    sys.path[0] = os.path.dirname(os.path.abspath(sys.path[0]))

from cunlink_release.cli import main

sys.exit(main())
