"""``python -m edge_agent --config FILE``: the same as ``cunlink edge``."""

import sys

from edge_agent.cli import main

sys.exit(main())
