"""``python -m cunlink`` is the ``cunlink`` command."""

import sys

from cunlink.cli import main

sys.exit(main())
