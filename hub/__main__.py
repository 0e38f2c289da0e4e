"""``python -m hub`` runs the hub, as ``cunlink hub`` does."""

from hub.cli import main

raise SystemExit(main())
