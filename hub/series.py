"""How a BIRTH's metric definitions become exposed Prometheus families.

A sample ``name`` becomes the family ``cl_<name>``; counters are exposed as
``cl_<name>_total`` and info metrics as ``cl_<name>_info`` (whether or not the name
already ends so). Definitions that would collide with the hub's own families, use a
reserved suffix, or carry a label the hub sets itself are refused at BIRTH, so the
collector never has to guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from contract.payloads import MetricDef, MetricType, Sample

PREFIX = "cl_"
#: Where a sample comes from; the hub labels it with this name (``device="..."``/``node="..."``).
Scope = Literal["device", "node"]
#: Labels a definition may not declare, by scope: the hub's own, and on devices ``node`` too,
#: kept free for joining. A node may label its samples by ``device`` (an agent's per-target
#: poll health), which is why a family can't mix such node samples with device samples.
RESERVED_LABELS: dict[Scope, frozenset[str]] = {
    "device": frozenset({"device", "node"}),
    "node": frozenset({"node"}),
}
#: Family names the hub exposes itself (``cl_device`` is the info family ``cl_device_info``).
RESERVED_FAMILIES = frozenset({"cl_device", "cl_device_up", "cl_node", "cl_node_up", "cl_hub"})
#: Sample-name suffixes that mean something else in the exposition formats.
_RESERVED_SUFFIXES = ("_created", "_bucket", "_count", "_sum", "_gsum", "_gcount")

#: Key of one stored value: the sample name and its label values in the definition's order.
SeriesKey = tuple[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class SeriesDef:
    """One accepted metric definition."""

    name: str
    family: str
    """Family name as prometheus_client wants it (see :func:`family_name`)."""
    type: MetricType
    help: str
    labels: tuple[str, ...]

    def key(self, sample: Sample) -> SeriesKey | None:
        """The storage key of ``sample``, or None when its labels differ from the definition."""
        labels = sample.labels
        if len(labels) != len(self.labels):
            return None
        try:
            return (self.name, tuple(labels[name] for name in self.labels))
        except KeyError:
            return None


def family_name(name: str, type_: MetricType) -> str:
    """The family name prometheus_client is given; it appends ``_total``/``_info`` itself."""
    if type_ == "counter":
        return PREFIX + name.removesuffix("_total")
    if type_ == "info":
        return PREFIX + name.removesuffix("_info")
    return PREFIX + name


def refusal(metric: MetricDef, scope: Scope) -> str | None:
    """Why ``metric``, declared by a ``scope``, cannot be exposed, or None when it can."""
    name = metric.name
    family = family_name(name, metric.type)
    if family in RESERVED_FAMILIES or family.startswith(PREFIX + "hub_"):
        return f"{name} collides with the hub's own metrics"
    if name.endswith(_RESERVED_SUFFIXES):
        return f"{name} ends in a suffix reserved by the exposition format"
    for suffix, owner in (("_total", "counter"), ("_info", "info")):
        if metric.type != owner and name.endswith(suffix):
            return f"{name} ends in {suffix} but is a {metric.type}"
    if len(set(metric.labels)) != len(metric.labels):
        return f"{name} repeats a label"
    for label in metric.labels:
        if label in RESERVED_LABELS[scope] or label.startswith("__"):
            return f"{name} uses the reserved label {label!r}"
    return None


def accept(metrics: Iterable[MetricDef], scope: Scope) -> tuple[dict[str, SeriesDef], list[str]]:
    """Accepted definitions by sample name, and the refusals as readable text."""
    accepted: dict[str, SeriesDef] = {}
    refused: list[str] = []
    for metric in metrics:
        why = refusal(metric, scope)
        if why is not None:
            refused.append(why)
            continue
        accepted[metric.name] = SeriesDef(
            name=metric.name,
            family=family_name(metric.name, metric.type),
            type=metric.type,
            help=metric.help or metric.name,
            labels=tuple(metric.labels),
        )
    return accepted, refused


def carry_over(
    values: Mapping[SeriesKey, float], old: Mapping[str, SeriesDef], new: Mapping[str, SeriesDef]
) -> dict[SeriesKey, float]:
    """Values that stay valid across a re-BIRTH: same name, type and labels.

    A BIRTH declares metrics but carries no values; dropping everything on a rebirth
    would blank a device's series until its next DATA, which reads as a spurious outage.
    """
    keep: dict[SeriesKey, float] = {}
    for key, value in values.items():
        before, after = old.get(key[0]), new.get(key[0])
        if (
            before is not None
            and after is not None
            and (before.type, before.labels) == (after.type, after.labels)
        ):
            keep[key] = value
    return keep
