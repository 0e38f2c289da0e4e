"""The exposition text itself: escaping, values, and family headers in both formats.

Sample lines are the same in the Prometheus text format (0.0.4) and in OpenMetrics, as
long as counters are named ``<family>_total`` and info samples ``<family>_info``; only
the ``# HELP``/``# TYPE`` headers differ. That is what lets the hub cache a device's
lines once and serve them to either kind of scraper.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

#: Content types, as prometheus_client names them (its encoder renders the hub's own families).
TEXT = "text"
OPENMETRICS = "openmetrics"


def escape(value: str) -> str:
    r"""A label value as it goes between double quotes: ``\``, ``"`` and newlines escaped."""
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value


def labels(pairs: Iterable[tuple[str, str]]) -> str:
    """``{a="1",b="2"}`` (label names are checked at BIRTH; values are escaped here)."""
    return "{" + ",".join(f'{name}="{escape(value)}"' for name, value in pairs) + "}"


def value(number: float) -> str:
    """A sample value: Python's shortest round-trip repr, with Go's names for the non-finite."""
    if math.isfinite(number):
        return repr(float(number))
    if math.isnan(number):
        return "NaN"
    return "+Inf" if number > 0 else "-Inf"


def sample_name(family: str, type_: str) -> str:
    """The name on a family's sample lines (the same in both formats)."""
    if type_ == "counter":
        return family + "_total"
    if type_ == "info":
        return family + "_info"
    return family


def header(family: str, type_: str, help_: str, fmt: str) -> str:
    """``# HELP`` and ``# TYPE`` of one family, in ``fmt`` (:data:`TEXT` or :data:`OPENMETRICS`).

    The text format has no info type: an info family is a gauge there, named ``_info``,
    and a counter's HELP and TYPE name the sample (``_total``). A stateset arrives as one
    0/1 gauge sample per state, so it is a gauge in both formats.
    """
    if fmt == OPENMETRICS:
        kind = type_ if type_ in ("counter", "info") else "gauge"
        help_text = help_.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
        return f"# HELP {family} {help_text}\n# TYPE {family} {kind}\n"
    name = sample_name(family, type_)
    kind = "counter" if type_ == "counter" else "gauge"
    help_text = help_.replace("\\", r"\\").replace("\n", r"\n")
    return f"# HELP {name} {help_text}\n# TYPE {name} {kind}\n"
