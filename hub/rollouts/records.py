"""Rollouts and devices in memory, and the ledger that makes every change durable and audited.

The orchestrator mutates the in-memory objects, then calls :meth:`Ledger.save` with the
hosts it changed and the audit entries; one transaction writes both, so the audit log and
the state can never disagree after a crash.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import sqlite_utils

from hub.rollouts.model import ACTIVE, RolloutSpec, State, Status
from hub.rollouts.wavejob import WaveJob
from hub.store import Store

#: (actor, action, host or None, detail)
AuditEntry = tuple[str, str, str | None, dict[str, Any]]


@dataclass
class Device:
    wave: int
    status: Status
    detail: str
    updated: float
    # In memory only: after a restart every device may be tried again at once.
    deadline: float = 0.0
    retry_at: float = 0.0
    attempts: int = 0


@dataclass
class Rollout:
    id: str
    spec: RolloutSpec
    state: State
    reason: str
    wave: int
    wave_settled: float | None
    created: float
    created_by: str
    updated: float
    devices: dict[str, Device]
    job: WaveJob | None = None
    jobs: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Ledger:
    """The rollouts database (``<data_dir>/rollouts.sqlite``) behind the orchestrator."""

    def __init__(self, store: Store, clock: Any) -> None:
        self.store = store
        self.clock = clock

    async def insert(self, rollout: Rollout) -> None:
        rows = [_device_row(rollout.id, h, d) for h, d in rollout.devices.items()]

        def write(db: sqlite_utils.Database) -> None:
            db.table("rollouts").insert(_rollout_row(rollout))
            db.table("devices").insert_all(rows)

        await self.store.write(write)

    async def save(self, rollout: Rollout, hosts: Iterable[str], audit: Iterable[AuditEntry]) -> None:
        row = _rollout_row(rollout)
        devices = [_device_row(rollout.id, h, rollout.devices[h]) for h in set(hosts)]
        now = self.clock()
        entries = [
            {
                "ts": now,
                "rollout": rollout.id,
                "actor": actor,
                "action": action,
                "host": host,
                "detail": json.dumps(detail, default=str),
            }
            for actor, action, host, detail in audit
        ]

        def write(db: sqlite_utils.Database) -> None:
            db.table("rollouts").upsert(row, pk="id")
            if devices:
                db.table("devices").upsert_all(devices, pk=("rollout", "host"))
            if entries:
                db.table("audit").insert_all(entries)

        await self.store.write(write)

    async def load_active(self) -> list[Rollout]:
        def read(db: sqlite_utils.Database) -> list[Rollout]:
            out = []
            states = [str(s) for s in ACTIVE]
            for r in db.query("SELECT * FROM rollouts WHERE state IN (?, ?) ORDER BY created", states):
                devices = {
                    d["host"]: Device(
                        wave=d["wave"],
                        status=Status(d["status"]),
                        detail=d["detail"] or "",
                        updated=d["updated"],
                    )
                    for d in db.query("SELECT * FROM devices WHERE rollout = ?", [r["id"]])
                }
                out.append(_rollout(r, devices))
            return out

        return await self.store.read(read)

    async def load_all(self) -> list[Rollout]:
        """Every rollout (finished ones too) for listing after a restart."""

        def read(db: sqlite_utils.Database) -> list[Rollout]:
            out = []
            for r in db.query("SELECT * FROM rollouts ORDER BY created"):
                devices = {
                    d["host"]: Device(
                        wave=d["wave"],
                        status=Status(d["status"]),
                        detail=d["detail"] or "",
                        updated=d["updated"],
                    )
                    for d in db.query("SELECT * FROM devices WHERE rollout = ?", [r["id"]])
                }
                out.append(_rollout(r, devices))
            return out

        return await self.store.read(read)

    async def audit(self, rollout_id: str, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
        def read(db: sqlite_utils.Database) -> list[dict[str, Any]]:
            sql = "SELECT * FROM audit WHERE rollout = ? AND seq > ? ORDER BY seq LIMIT ?"
            return [dict(row) for row in db.query(sql, [rollout_id, after, limit])]

        return await self.store.read(read)


def _rollout_row(r: Rollout) -> dict[str, Any]:
    return {
        "id": r.id,
        "version": r.spec.version,
        "spec": msgspec.json.encode(r.spec).decode(),
        "state": str(r.state),
        "reason": r.reason,
        "wave": r.wave,
        "wave_settled": r.wave_settled,
        "created": r.created,
        "created_by": r.created_by,
        "updated": r.updated,
    }


def _device_row(rollout_id: str, host: str, d: Device) -> dict[str, Any]:
    return {
        "rollout": rollout_id,
        "host": host,
        "wave": d.wave,
        "status": str(d.status),
        "detail": d.detail,
        "updated": d.updated,
    }


def _rollout(r: dict[str, Any], devices: dict[str, Device]) -> Rollout:
    return Rollout(
        id=r["id"],
        spec=msgspec.json.decode(r["spec"], type=RolloutSpec),
        state=State(r["state"]),
        reason=r["reason"] or "",
        wave=r["wave"],
        wave_settled=r["wave_settled"],
        created=r["created"],
        created_by=r["created_by"] or "",
        updated=r["updated"],
        devices=devices,
    )
