"""Voice notes over a real Mosquitto: MediaChunks from simulated kiosks are de-duplicated,
assembled, checked (size, sha256, owner, limits), attached to the order whose appeal names
the same ref, and played to the handler of that order's department only."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from contract import payloads as p
from hub import keys
from hub.workorders import queries
from tests.hub.broker import eventually
from tests.hub.console.test_console import sign_in
from tests.hub.workorders.kit import Kit, live_kit
from tests.hub.workorders.simkiosk import SimKiosk
from tests.support.services import Mosquitto

pytestmark = [pytest.mark.mosquitto]

NODE = "kiosk-bz-0001"
#: Three chunks (two full, one short); every byte position differs, so order matters.
AUDIO = bytes((i * 7 + i // 251) % 256 for i in range(2 * p.MEDIA_CHUNK_BYTES + 5000))


def ref_of(name: str, node: str = NODE) -> str:
    return f"kiosk://{node}/voice/{name}.m4a"


def chunks_of(data: bytes, ref: str, **override: Any) -> list[p.MediaChunk]:
    step = p.MEDIA_CHUNK_BYTES
    count = -(-len(data) // step)
    fields: dict[str, Any] = {
        "ref": ref,
        "media": "voice",
        "mime": "audio/mp4",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "chunks": count,
    }
    fields.update(override)
    return [
        p.MediaChunk(chunk=i, data=base64.b64encode(data[i * step : (i + 1) * step]).decode(), **fields)
        for i in range(count)
    ]


@asynccontextmanager
async def hub_and_kiosks(
    tmp_path: Any, mosquitto: Mosquitto, *nodes: str
) -> AsyncIterator[tuple[Kit, list[SimKiosk]]]:
    async with live_kit(tmp_path, mosquitto.host, mosquitto.port) as kit:
        await eventually(lambda: kit.app[keys.STATS].mqtt_connected, 10, "hub connected")
        kiosks = [SimKiosk(mosquitto.host, mosquitto.port, n) for n in nodes]
        for k in kiosks:
            k.start()
        try:
            await eventually(lambda: all(k.connected.is_set() for k in kiosks), 10, "kiosks connected")
            yield kit, kiosks
        finally:
            for k in kiosks:
                k.stop()


async def answered(kiosk: SimKiosk, *rids: str) -> list[p.Reply]:
    """Wait for the hub's answers, re-sending what is unanswered now and then (the outbox)."""
    deadline = time.monotonic() + 15
    tick = 0
    while time.monotonic() < deadline and not all(r in kiosk.replies for r in rids):
        tick += 1
        if tick % 10 == 0:
            kiosk.flush()
        await asyncio.sleep(0.1)
    assert all(r in kiosk.replies for r in rids), [r for r in rids if r not in kiosk.replies]
    return [kiosk.replies[r] for r in rids]


async def media_rows(kit: Kit) -> list[dict[str, Any]]:
    return await kit.wo.store.read(
        lambda db: [dict(r) for r in db.query("SELECT ref, mime, size, sha256, data FROM media")]
    )


async def attached(kit: Kit, receipt: str) -> list[dict[str, Any]]:
    found = await kit.wo.store.read(lambda db: queries.order_detail(db, receipt))
    assert found is not None
    return list(found["media"])


async def test_chunks_in_any_order_and_repeated_make_one_attached_file(
    tmp_path: Any, mosquitto: Mosquitto
) -> None:
    async with hub_and_kiosks(tmp_path, mosquitto, NODE) as (kit, [kiosk]):
        ref = ref_of("VOICE0001")
        c0, c1, c2 = chunks_of(AUDIO, ref)
        # Media first (out of order), the appeal in the middle, then replays and a re-queued chunk.
        early = [kiosk.file_as("VOICE0001.m2", c2), kiosk.file_as("VOICE0001.m0", c0)]
        assert {r.status for r in await answered(kiosk, *early)} == {"stored"}
        appeal = kiosk.file_as("VOICE0001", p.Appeal(category="water", village="bz-t01-v01", voice_ref=ref))
        [filed] = await answered(kiosk, appeal)
        assert filed.status == "stored"
        assert filed.receipt
        assert await attached(kit, filed.receipt) == [], "not complete yet"
        kiosk.replies.clear()
        late = [
            kiosk.file_as("VOICE0001.m0", c0),  # a replay: the same client id
            kiosk.file_as("VOICE0001.m1", c1),
            kiosk.file_as("VOICE0001.m1b", c1),  # the same chunk under a new id
        ]
        statuses = [r.status for r in await answered(kiosk, *late)]
        assert statuses[0] == "duplicate"
        assert set(statuses[1:]) == {"stored"}

        [row] = await media_rows(kit)
        assert bytes(row["data"]) == AUDIO
        assert (
            row["sha256"]
            == hashlib.sha256(AUDIO).hexdigest()
            == hashlib.sha256(bytes(row["data"])).hexdigest()
        )
        [media] = await attached(kit, filed.receipt)
        assert (media["ref"], media["mime"], media["size"]) == (ref, "audio/mp4", len(AUDIO))
        leftover = await kit.wo.store.read(lambda db: list(db.query("SELECT ref FROM media_chunks")))
        assert leftover == [], "pieces are dropped once the file is whole"


async def test_corrupted_oversize_wrong_type_and_foreign_refs_are_rejected(
    tmp_path: Any, mosquitto: Mosquitto
) -> None:
    async with hub_and_kiosks(tmp_path, mosquitto, NODE, "kiosk-bz-0002") as (kit, [kiosk, other]):
        ref = ref_of("BADDATA01")
        appeal = kiosk.file(p.Appeal(category="water", village="bz-t01-v01", voice_ref=ref))
        [filed] = await answered(kiosk, appeal)
        assert filed.receipt
        c0, c1, c2 = chunks_of(AUDIO, ref)
        raw = bytearray(base64.b64decode(c1.data))
        raw[100] ^= 0xFF  # one bit-flipped byte on the way
        bad = p.MediaChunk(
            **{**{f: getattr(c1, f) for f in c1.__struct_fields__}, "data": base64.b64encode(raw).decode()}
        )
        rids = [kiosk.file(c0), kiosk.file(bad), kiosk.file(c2)]
        replies = await answered(kiosk, *rids)
        assert [r.status for r in replies[:2]] == ["stored", "stored"]
        assert replies[2].status == "rejected"
        assert "sha256" in replies[2].detail
        assert await media_rows(kit) == []
        assert await attached(kit, filed.receipt) == []

        small = b"x" * 2000
        checks = {
            "too_large": chunks_of(small, ref_of("BIG"), size=3 * 1024 * 1024, chunks=32)[0],
            "audio/": chunks_of(small, ref_of("PNG"), mime="image/png")[0],
            "not 1000": chunks_of(small, ref_of("SHORT"), size=1000)[0],
        }
        for needle, body in checks.items():
            [reply] = await answered(kiosk, kiosk.file(body))
            assert (reply.status, needle in reply.detail) == ("rejected", True), reply

        # kiosk-bz-0002 may not upload a file that kiosk-bz-0001 holds.
        [foreign] = await answered(other, other.file(chunks_of(small, ref_of("MINE"))[0]))
        assert foreign.status == "rejected"
        assert "another kiosk" in foreign.detail
        assert await media_rows(kit) == []


async def test_the_console_plays_the_note_to_the_orders_department_only(
    tmp_path: Any, mosquitto: Mosquitto
) -> None:
    async with hub_and_kiosks(tmp_path, mosquitto, NODE) as (kit, [kiosk]):
        ref = ref_of("PLAYME001")
        appeal = kiosk.file(p.Appeal(category="power", village="bz-t01-v01", voice_ref=ref))
        [filed] = await answered(kiosk, appeal)
        receipt = filed.receipt
        assert receipt
        await kit.staff("li", "power")
        await kit.staff("wang", "water")
        await sign_in(kit.client, "li")
        page = await (await kit.client.get(f"/console/orders/{receipt}")).text()
        assert "<audio" not in page, "no player before the audio is in"
        assert "还在从终端传来" in page

        await answered(kiosk, *[kiosk.file(c) for c in chunks_of(AUDIO, ref)])
        page = await (await kit.client.get(f"/console/orders/{receipt}")).text()
        url = f"/console/orders/{receipt}/media/voice"
        assert f'<audio controls preload="none" src="{url}">' in page
        resp = await kit.client.get(url)
        assert resp.status == 200
        assert resp.content_type == "audio/mp4"
        assert await resp.read() == AUDIO

        await sign_in(kit.client, "wang")
        assert (await kit.client.get(url)).status == 403, "another department's handler"
        kit.client.session.cookie_jar.clear()
        resp = await kit.client.get(url, allow_redirects=False)
        assert resp.status == 303
        assert resp.headers["Location"] == "/console/login"
