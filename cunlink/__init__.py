"""The ``cunlink`` command: one entry point that dispatches to each program."""

__version__ = "0.1.0"
