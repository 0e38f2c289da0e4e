"""Payload structs of contract v1 (JSON on the wire).

Every struct rejects unknown fields, so a typo or a producer that is newer than
its consumer fails loudly instead of being half-understood. Times are integer
milliseconds since the Unix epoch (UTC). ``seq`` is the per-node sequence
number 0..255 carried by every node message except the node DEATH (the Will,
whose content is fixed at CONNECT time).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

Seq = Annotated[int, msgspec.Meta(ge=0, le=255, description="per-node sequence number, wraps 255 -> 0")]
BdSeq = Annotated[int, msgspec.Meta(ge=0, le=255, description="birth/death session number, wraps 255 -> 0")]
Millis = Annotated[int, msgspec.Meta(ge=0, description="UTC milliseconds since the epoch")]
Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
ClientId = Annotated[str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]
Label = Annotated[str, msgspec.Meta(max_length=128)]
Labels = dict[Annotated[str, msgspec.Meta(pattern=r"^[a-z_][a-z0-9_]{0,31}$")], Label]
Text = Annotated[str, msgspec.Meta(max_length=4000)]
#: Largest voice note or photo an appeal may carry, and the raw bytes per MediaChunk.
MAX_MEDIA_BYTES = 4 * 1024 * 1024
MEDIA_CHUNK_BYTES = 96 * 1024
Receipt = Annotated[str, msgspec.Meta(pattern=r"^[A-Z0-9]{4,16}$", description="public receipt code")]
Number = int | float

MetricType = Literal["counter", "gauge", "info", "stateset"]
Severity = Literal["critical", "major", "minor", "warning"]


class Struct(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """Base of every payload."""


class MetricDef(Struct, kw_only=True):
    """One metric a node or device will report, declared in its BIRTH."""

    name: Annotated[str, msgspec.Meta(pattern=r"^[a-z_][a-z0-9_]{0,95}$")]
    type: MetricType
    help: Annotated[str, msgspec.Meta(max_length=256)] = ""
    unit: Annotated[str, msgspec.Meta(max_length=32)] = ""
    labels: list[str] = []


class Sample(Struct, kw_only=True):
    """One value. Counters are raw monotonic counts (the agent extends 32-bit wraps)."""

    name: str
    value: Number
    labels: Labels = {}


class NodeBirth(Struct, kw_only=True):
    """First message of a node session; ``bd_seq`` equals that of the Will (DEATH)."""

    ts: Millis
    seq: Seq
    bd_seq: BdSeq
    version: Annotated[str, msgspec.Meta(max_length=64)]
    labels: Labels = {}
    properties: dict[str, Label] = {}
    metrics: list[MetricDef] = []
    devices: list[Id] = []
    """Ids of every device behind this node; a device missing here is gone."""


class NodeDeath(Struct, kw_only=True):
    """The Will of a node session (also sent before a clean disconnect)."""

    ts: Millis
    bd_seq: BdSeq


class DeviceBirth(Struct, kw_only=True):
    """A device behind an agent became reachable (or the node was asked to rebirth)."""

    ts: Millis
    seq: Seq
    kind: Id
    labels: Labels = {}
    properties: dict[str, Label] = {}
    metrics: list[MetricDef] = []


class DeviceDeath(Struct, kw_only=True):
    """A device behind an agent stopped answering; its values are stale."""

    ts: Millis
    seq: Seq
    reason: Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{1,32}$")] = "unreachable"


class Data(Struct, kw_only=True):
    """Values of a node (its own health) or of one device, from one poll cycle.

    ``historical`` marks data replayed from an outbox: it must never overwrite
    live values.
    """

    ts: Millis
    seq: Seq
    historical: bool = False
    metrics: list[Sample]


class Alarm(Struct, kw_only=True):
    """A fault raised or cleared at a node or device (from a trap or a poll)."""

    ts: Millis
    seq: Seq
    historical: bool = False
    alarm: Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{1,48}$")]
    state: Literal["raised", "cleared"]
    severity: Severity = "major"
    resource: Label = ""
    """What inside the device is affected (an ifName, a cell id); empty for the whole device."""
    text: Text = ""


class Event(Struct, kw_only=True):
    """Something that happened once: a device reboot, a kiosk session ending."""

    ts: Millis
    seq: Seq
    historical: bool = False
    event: Annotated[str, msgspec.Meta(pattern=r"^[a-z_]{1,48}$")]
    attrs: dict[str, str | int | float | bool] = {}


# Transactional request bodies, tagged by "type".


class Appeal(Struct, kw_only=True, tag="appeal"):
    """A villager's appeal (诉求); becomes a work order at the hub."""

    category: Id
    village: Id
    text: Text = ""
    voice_ref: Label | None = None
    photo_ref: Label | None = None
    contact: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    receipt: Receipt | None = None
    """A receipt code the kiosk generated so it can show a receipt while offline. The hub
    adopts it when it is free; otherwise the Reply carries the code the hub assigned."""


class Rating(Struct, kw_only=True, tag="rating"):
    """A 5-level 好差评 of a completed service or work order."""

    target_kind: Literal["service", "work_order"]
    target_id: Label
    score: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Text = ""


class Vote(Struct, kw_only=True, tag="vote"):
    """An answer to a survey or consultation item."""

    item_id: Label
    choice: Label
    voter_ref: Label | None = None
    """A salted hash of the voter's identity when given, for one-answer-per-person."""


class HelpCall(Struct, kw_only=True, tag="help_call"):
    """A one-key call for the on-duty village cadre.

    The ``stored`` Reply says who the hub is notifying: ``detail`` starts with ``notifying:``
    or ``nobody_on_duty:``, and ``result = {"helpcall", "duty": village|township|none,
    "name"}`` (``"phone"``, a public help line, instead of ``name`` when nobody is on duty).
    Later CMD ``help_status`` messages say when the cadre was reached and acknowledged.
    """

    village: Id
    reason: Label = ""


class ReceiptQuery(Struct, kw_only=True, tag="receipt_query"):
    """Ask for the current status of a receipt code.

    The Reply has status ``result`` and ``result = {"receipt", "status", "status_notes", "updated"}``.
    """

    receipt: Annotated[str, msgspec.Meta(max_length=32)]


class Withdraw(Struct, kw_only=True, tag="withdraw"):
    """Undo an earlier request of this node (within the undo window), by its client id."""

    target_id: ClientId
    reason: Label = ""


class MediaChunk(Struct, kw_only=True, tag="media"):
    """One piece of a voice note or photo that an Appeal refers to by ``ref``.

    Media travels over MQTT because only the broker authenticates kiosks (the hub cannot
    reach them behind 4G NAT). Each chunk is its own Request with its own client id, so
    the outbox retries and the hub de-duplicates it like any other; the hub assembles the
    file when every chunk is in and ``sha256`` matches, and attaches it to the work order
    whose appeal carries the same ``ref`` (whichever arrives first).
    """

    ref: Label
    """The appeal's ``voice_ref`` or ``photo_ref``."""
    media: Literal["voice", "photo"]
    mime: Annotated[str, msgspec.Meta(pattern=r"^(audio|image)/[a-z0-9.+-]{1,40}$")]
    size: Annotated[int, msgspec.Meta(ge=1, le=MAX_MEDIA_BYTES)]
    sha256: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
    chunk: Annotated[int, msgspec.Meta(ge=0)]
    chunks: Annotated[int, msgspec.Meta(ge=1, le=MAX_MEDIA_BYTES // MEDIA_CHUNK_BYTES + 1)]
    data: Annotated[str, msgspec.Meta(max_length=(MEDIA_CHUNK_BYTES * 4) // 3 + 4)]
    """Base64 of at most MEDIA_CHUNK_BYTES bytes of the file."""


RequestBody = Appeal | Rating | Vote | HelpCall | ReceiptQuery | Withdraw | MediaChunk


class Request(Struct, kw_only=True):
    """A transactional message. ``id`` is generated by the client once and reused on every retry."""

    ts: Millis
    seq: Seq
    id: ClientId
    historical: bool = False
    assisted_by: Label | None = None
    """Staff code of a village helper (代办) when the villager was assisted."""
    body: RequestBody


class Reply(Struct, kw_only=True):
    """The hub's answer to a Request, on the node's REPLY topic."""

    ts: Millis
    id: ClientId
    status: Literal["stored", "duplicate", "rejected", "result"]
    receipt: Receipt | None = None
    detail: Text = ""
    result: dict[str, str | int | float | bool | None] = {}


class Command(Struct, kw_only=True):
    """A command from the hub to a node.

    ``rebirth``: re-send every BIRTH with the same bd_seq. ``receipt_status``: a work order
    filed at this node changed; ``args = {"receipt", "status", "status_notes", "updated"}``.
    ``help_status``: a help call made at this node moved on; ``args = {"id"`` (the request
    id), ``"status"`` (``notified``: the cadre's notice was delivered; ``acknowledged``;
    ``arrived``), ``"name"`` (who is coming)``}``. Sent only while the node is online.
    """

    ts: Millis
    command: Literal["rebirth", "receipt_status", "help_status"]
    args: dict[str, str | int | float | bool] = {}


ContentKind = Literal["catalog", "categories", "notices", "affairs", "surveys", "info", "health"]


class Content(Struct, kw_only=True):
    """Retained content for kiosks on ``cl/v1/content/{scope...}/{kind}``.

    ``body`` has the shape of the kiosk's content file of the same kind (docs/kiosk.md);
    the kiosk validates it per kind and keeps its last good copy. An empty body with
    ``withdrawn: true`` removes content of that scope.
    """

    ts: Millis
    version: Annotated[str, msgspec.Meta(max_length=32)]
    kind: ContentKind
    body: dict[str, Any] = {}
    withdrawn: bool = False


class HubState(Struct, kw_only=True):
    """Retained at ``cl/v1/hub/STATE``; the hub's Will carries ``online: false``."""

    online: bool
    ts: Millis


NodeMessage = NodeBirth | NodeDeath | DeviceBirth | DeviceDeath | Data | Alarm | Event | Request
Message = NodeMessage | Reply | Command | HubState | Content
