"""QObject models: every behaviour of the kiosk, usable and tested without a window."""
