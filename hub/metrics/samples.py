"""Device and node samples as exposition text, cached per owner so a scrape is mostly a join.

Going through prometheus_client's Metric and Sample objects cost about 7 µs per series
(0.5 s at a city's 62k); most of it was building objects that were thrown away at once.
Here each owner (device or node) keeps its sample lines, already formatted and grouped
by family. The state replaces an owner's ``values`` and ``defs`` mappings on every change
(copy-on-write), so the identity of those mappings says whether the cached lines are
still right: a DATA, BIRTH or DEATH invalidates exactly the owner it touched, and a
scrape re-formats only those. The escaped ``name{labels} `` prefix of each series is
kept too, so a DATA costs one float formatting per value. The price is memory: about
300 bytes per series (190 MB at a province shard's 620k series, measured).

A row carries only the labels its own definition declares: where prometheus_client
wrote the union of a family's label names with "" for the missing ones, a line here
leaves them out, which Prometheus reads as the same series.

Nothing keeps an owner that is gone: every scrape rebuilds the index from the snapshot,
so the series of a dead device vanish in the next scrape (the writing_exporters rule).

Groups: a family's rows are grouped by (type, scope, label names, help) as before. When
owners disagree on a family, the first group seen wins its type and help, and a group
that would give a label name two meanings (a node's ``device`` label beside devices'
own series) is left out and counted as a conflict.
"""

from __future__ import annotations

from collections.abc import Mapping

from hub.metrics import text
from hub.series import SeriesDef, SeriesKey
from hub.snapshot import Snapshot

#: The key a group is interned by: family, type, scope, label names, help.
GroupKey = tuple[str, str, str, tuple[str, ...], str]


class _Group:
    """Rows of one family that share a definition shape (interned: one object per shape)."""

    __slots__ = ("family", "gen", "help", "labels", "lines", "scope", "type")

    def __init__(self, key: GroupKey) -> None:
        self.family, self.type, self.scope, self.labels, self.help = key
        self.lines: list[str] = []
        """This scrape's text, one item per owner (valid while ``gen`` is the scrape's)."""
        self.gen = -1


class _Entry:
    """What one owner's lines were built from, and the lines.

    Per owner this is one object the cyclic GC must visit, and none per series: groups
    are referred to by number and lines are strings, so the tuples and dicts here hold
    only atomic values and the GC stops tracking them. At 620k series a tracked tuple per
    series made the GC's full pass, which holds the GIL and so stalls ingest, 3x longer.
    """

    __slots__ = ("defs", "gid_of", "gids", "prefixes", "texts", "values")

    def __init__(self, defs: Mapping[str, SeriesDef]) -> None:
        self.values: Mapping[SeriesKey, float] = {}
        self.defs = defs
        self.gids: tuple[int, ...] = ()
        """Groups the owner has lines in (indexes into SampleText's groups)."""
        self.texts: tuple[str, ...] = ()
        """The owner's lines in each of ``gids``."""
        self.gid_of: dict[str, int] = {}
        """Group of each sample name; valid as long as ``defs`` is the same mapping."""
        self.prefixes: dict[SeriesKey, str] = {}
        """Escaped ``name{labels} `` per series; valid as long as ``defs`` is the same mapping."""


class SampleText:
    """Renders the samples of a snapshot; keeps the per-owner cache between scrapes.

    Not thread-safe: one render at a time (TextCache's lock sees to that).
    """

    def __init__(self) -> None:
        self._nodes: dict[str, _Entry] = {}
        self._devices: dict[str, _Entry] = {}
        self._groups: list[_Group] = []
        self._gid: dict[GroupKey, int] = {}
        self._gen = 0
        self._order: list[_Group] = []
        """Groups with lines in the current scrape, in the order first seen."""
        self.rebuilt = 0
        """Owners whose lines the last scrape had to (re)build: what the cache did not save."""

    def render(self, snapshot: Snapshot, fmt: str) -> tuple[list[str], int]:
        """The families' text pieces in order, and how many series were left out as conflicts."""
        self._gen += 1
        self.rebuilt = 0
        order = self._order = []
        old_nodes, nodes = self._nodes, {}
        conflicts = 0
        for node in snapshot.nodes:
            if node.online and node.values:
                if node.id in nodes:
                    # Same id under two kinds: one series name would appear twice, which
                    # Prometheus rejects for the whole scrape.
                    conflicts += len(node.values)
                    continue
                nodes[node.id] = self._gather(old_nodes.get(node.id), "node", node.id, node.defs, node.values)
        self._nodes = nodes
        old, devices = self._devices, {}
        for device in snapshot.devices:
            if device.online and device.values:
                devices[device.id] = self._gather(
                    old.get(device.id), "device", device.id, device.defs, device.values
                )
        self._devices = devices
        if len(self._groups) > 4 * len(order) + 1000:
            # Mostly shapes nobody declares any more: start over (the next scrape is a cold one).
            self._nodes, self._devices, self._groups, self._gid = {}, {}, [], {}
        self._order = []
        pieces, refused = _assemble(order, fmt)
        return pieces, conflicts + refused

    def _gather(
        self,
        entry: _Entry | None,
        scope: str,
        owner: str,
        defs: Mapping[str, SeriesDef],
        values: Mapping[SeriesKey, float],
    ) -> _Entry:
        if entry is None or entry.values is not values or entry.defs is not defs:
            entry = self._build(entry, scope, owner, defs, values)
        gen, groups, order = self._gen, self._groups, self._order
        for gid, chunk in zip(entry.gids, entry.texts, strict=True):
            group = groups[gid]
            if group.gen != gen:
                group.gen = gen
                group.lines = [chunk]
                order.append(group)
            else:
                group.lines.append(chunk)
        return entry

    def _build(
        self,
        entry: _Entry | None,
        scope: str,
        owner: str,
        defs: Mapping[str, SeriesDef],
        values: Mapping[SeriesKey, float],
    ) -> _Entry:
        self.rebuilt += 1
        if entry is None or entry.defs is not defs:
            entry = _Entry(defs)  # a new BIRTH: names, types and labels may all differ
        prefixes, gid_of = entry.prefixes, entry.gid_of
        owner_label = f'{scope}="{text.escape(owner)}"'
        rows: dict[int, list[str]] = {}
        for key, number in values.items():
            prefix = prefixes.get(key)
            if prefix is None:
                prefix = prefixes[key] = _prefix(defs[key[0]], owner_label, key[1])
            gid = gid_of.get(key[0])
            if gid is None:
                gid = gid_of[key[0]] = self._intern(defs[key[0]], scope)
            formatted = repr(number)
            if formatted[-1] > "9":  # inf, -inf or nan: Go's spelling instead
                formatted = text.value(number)
            lines = rows.get(gid)
            if lines is None:
                rows[gid] = [prefix, formatted, "\n"]
            else:
                lines += (prefix, formatted, "\n")
        entry.values = values
        entry.gids = tuple(rows)
        entry.texts = tuple("".join(lines) for lines in rows.values())
        return entry

    def _intern(self, definition: SeriesDef, scope: str) -> int:
        key: GroupKey = (definition.family, definition.type, scope, definition.labels, definition.help)
        gid = self._gid.get(key)
        if gid is None:
            gid = self._gid[key] = len(self._groups)
            self._groups.append(_Group(key))
        return gid


def _prefix(definition: SeriesDef, owner_label: str, label_values: tuple[str, ...]) -> str:
    pairs = "".join(
        f',{name}="{text.escape(value)}"' for name, value in zip(definition.labels, label_values, strict=True)
    )
    return f"{text.sample_name(definition.family, definition.type)}{{{owner_label}{pairs}}} "


def _assemble(order: list[_Group], fmt: str) -> tuple[list[str], int]:
    """Header and rows of each family, groups in the order first seen; returns pieces and conflicts."""
    families: dict[str, list[_Group]] = {}
    for group in order:
        found = families.get(group.family)
        if found is None:
            families[group.family] = [group]
        else:
            found.append(group)
    pieces: list[str] = []
    conflicts = 0
    for groups in families.values():
        first = groups[0]
        pieces.append(text.header(first.family, first.type, first.help, fmt))
        scopes: set[str] = set()
        declared: set[str] = set()
        for group in groups:
            body = "".join(group.lines)
            group.lines = []  # the text now lives in ``pieces``; do not keep it twice
            if group is not first and (
                group.type != first.type or group.scope in declared or scopes.intersection(group.labels)
            ):
                # Another type, or a label name that would mean two things in one family.
                conflicts += body.count("\n")
                continue
            scopes.add(group.scope)
            declared.update(group.labels)
            pieces.append(body)
    return pieces, conflicts
