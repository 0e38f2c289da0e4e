"""``python -m kiosk --config FILE [--simulate N]``."""

import sys

from kiosk.app import main

sys.exit(main(sys.argv[1:]))
