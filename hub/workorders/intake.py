"""One kiosk request in, one Reply out: check, store once, answer.

Runs inside the batch's write transaction, each request under its own savepoint, so
bad input (and even a bug) changes nothing while the rest of the batch commits. The
order of checks is the order of trust: the node must be a kiosk the fleet knows, a
helper must be registered, then the body must fit the rules. A request id seen before
is answered ``duplicate`` with the receipt it got the first time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from contract import payloads as p
from contract.topics import NodeKind
from hub.helpcalls import desk as helpcalls
from hub.helpcalls.roster import Roster
from hub.workorders import codes, feedback, media
from hub.workorders.orders import Ctx, NewAppeal, Push, Reject, file_appeal, find_order
from hub.workorders.places import Place, Places

log = logging.getLogger(__name__)

KINDS: dict[type[Any], str] = {
    p.Appeal: "appeal",
    p.Rating: "rating",
    p.Vote: "vote",
    p.HelpCall: "help_call",
    p.ReceiptQuery: "receipt_query",
    p.Withdraw: "withdraw",
    p.MediaChunk: "media",
}


@dataclass(slots=True)
class Outcome:
    """The answer to one request and the status pushes it caused."""

    reply: p.Reply
    kind: str
    result: str
    """``stored``, ``duplicate``, ``result``, or the reject reason (a bounded token)."""
    pushes: list[Push] = field(default_factory=list)


class Intake:
    """Turns decoded REQ messages into rows."""

    def __init__(self, ctx: Ctx, places: Places) -> None:
        self.ctx = ctx
        self.places = places
        self.duty: Callable[[], Roster] = Roster
        """The help-call duty roster in effect (hub.helpcalls.wiring points it at the desk's;
        by default an empty one: nobody on duty)."""

    def handle(
        self, db: sqlite_utils.Database, kind: NodeKind, node: str, req: p.Request, now: float
    ) -> Outcome:
        """Answer one request; never raises for bad input."""
        what = KINDS.get(type(req.body), "unknown")
        stamp = int(now * 1000)
        try:
            if isinstance(req.body, p.ReceiptQuery):
                return self._query(db, req, what, stamp)
            previous = list(
                db.query("SELECT * FROM requests WHERE node = ? AND client_id = ?", [node, req.id])
            )
            if previous:
                row = previous[0]
                # A re-sent help call gets the cadre's name again: its first Reply may be the one lost.
                result = helpcalls.answer(db, row["ref"]) if row["kind"] == "help_call" and row["ref"] else {}
                reply = p.Reply(
                    ts=stamp,
                    id=req.id,
                    status="duplicate",
                    receipt=row["receipt"],
                    detail=row["detail"],
                    result=result,
                )
                return Outcome(reply, what, "duplicate")
            db.execute("SAVEPOINT request")
            try:
                outcome = self._store(db, kind, node, req, what, now, stamp)
            except BaseException:
                db.execute("ROLLBACK TO request")
                db.execute("RELEASE request")
                raise
            db.execute("RELEASE request")
            return outcome
        except Reject as exc:
            detail = f"{exc.reason}: {exc.message}"
            return Outcome(
                p.Reply(ts=stamp, id=req.id, status="rejected", detail=detail[:4000]), what, exc.reason
            )

    def _store(  # noqa: PLR0917
        self,
        db: sqlite_utils.Database,
        kind: NodeKind,
        node: str,
        req: p.Request,
        what: str,
        now: float,
        stamp: int,
    ) -> Outcome:
        place = self._kiosk_place(kind, node)
        self._check_helper(db, req.assisted_by, place)
        body = req.body
        receipt: str | None = None
        detail = ""
        result: dict[str, str | int | float | bool | None] = {}
        pushes: list[Push] = []
        if isinstance(body, p.Appeal):
            filed = file_appeal(db, self.ctx, self._appeal(body, place, node, req), now)
            receipt, pushes = filed.receipt, filed.pushes
            detail = f"second: 已有相同诉求（{filed.order_receipt}），已为您附议" if filed.seconded else ""
            ref = int(next(iter(db.query("SELECT id FROM filings WHERE receipt = ?", [receipt])))["id"])
        elif isinstance(body, p.Rating):
            service_ok = body.target_kind == "service" and self._known_service(db, body.target_id, node)
            ref, pushes = feedback.rate(
                db, self.ctx, body, place, node, req.id, req.assisted_by, req.ts, now, service_ok=service_ok
            )
        elif isinstance(body, p.Vote):
            ref = feedback.vote(db, body, place, node, req.id, req.assisted_by, req.ts, now)
        elif isinstance(body, p.HelpCall):
            village = self._check_village(body.village, place)
            called = helpcalls.record(
                db, self.duty(), body, village, node, req.id, req.assisted_by, req.ts, now
            )
            ref, detail, result = called.call_id, called.detail, called.result
        elif isinstance(body, p.Withdraw):
            detail, pushes = feedback.withdraw(db, self.ctx, node, body, req.ts, now)
            ref = None
        elif isinstance(body, p.MediaChunk):
            detail = media.store_chunk(db, self.ctx.rules.limits, node, body, now)
            ref = None
        else:  # pragma: no cover - RequestBody is a closed union
            raise Reject("unknown_type", f"unknown request type {type(body).__name__}")
        db.execute(
            "INSERT INTO requests (node, client_id, kind, ts, received, assisted_by, status, receipt,"
            " detail, ref)"
            " VALUES (?,?,?,?,?,?,'stored',?,?,?)",
            [node, req.id, what, req.ts, now, req.assisted_by, receipt, detail, ref],
        )
        return Outcome(
            p.Reply(ts=stamp, id=req.id, status="stored", receipt=receipt, detail=detail, result=result),
            what,
            "stored",
            pushes,
        )

    # -- checks -----------------------------------------------------------------------

    def _kiosk_place(self, kind: NodeKind, node: str) -> Place:
        place = self.places.kiosk(node) if kind is NodeKind.KIOSK else None
        if place is None:
            raise Reject("unknown_node", f"{kind.value} {node!r} 不是登记在册的村级终端，不受理")
        return place

    def _check_helper(self, db: sqlite_utils.Database, helper: str | None, place: Place) -> None:
        if helper is None:
            return
        rows = list(db.query("SELECT * FROM helpers WHERE id = ? AND active = 1", [helper]))
        if not rows:
            raise Reject("unknown_helper", f"代办员 {helper!r} 没有登记，不受理")
        if self.places.checked and not place.within(rows[0]["scope"], rows[0]["code"]):
            raise Reject("helper_out_of_area", f"代办员 {helper!r} 不负责这个村")

    def _check_village(self, village: str, kiosk: Place) -> Place:
        place = self.places.village(village)
        if place is None:
            raise Reject("unknown_village", f"没有编号为 {village!r} 的村")
        if self.places.checked and place.county != kiosk.county:
            raise Reject("unknown_village", f"{place.village_name or village} 不在本终端所在的区县")
        return place

    def _appeal(self, body: p.Appeal, kiosk: Place, node: str, req: p.Request) -> NewAppeal:
        rules = self.ctx.rules
        if rules.category(body.category) is None:
            raise Reject("unknown_category", f"没有“{body.category}”这个诉求类别")
        place = self._check_village(body.village, kiosk)
        if len(body.text) > rules.limits.text_chars:
            raise Reject(
                "text_too_long", f"诉求内容有{len(body.text)}个字，最多{rules.limits.text_chars}个字"
            )
        if not body.text.strip() and body.voice_ref is None:
            raise Reject("empty", "请说明是什么事（文字或语音）")
        try:
            if body.voice_ref is not None:
                codes.parse_media(
                    body.voice_ref,
                    kind="voice",
                    types=rules.limits.voice_types,
                    max_bytes=rules.limits.voice_bytes,
                    node=node,
                )
            if body.photo_ref is not None:
                codes.parse_media(
                    body.photo_ref,
                    kind="photo",
                    types=rules.limits.photo_types,
                    max_bytes=rules.limits.photo_bytes,
                    node=node,
                )
        except codes.MediaError as exc:
            raise Reject("bad_media", str(exc)) from None
        wanted = body.receipt
        # A kiosk prints codes itself, so unlike a person typing one it gets no O->0 leniency.
        if wanted is not None and not codes.valid_code(wanted):
            raise Reject("bad_receipt", f"回执码 {body.receipt!r} 格式不对（应为6到8位，不含I、L、O、U）")
        return NewAppeal(
            category=body.category,
            place=place,
            text=body.text,
            source="kiosk",
            actor=f"kiosk:{node}",
            node=node,
            client_id=req.id,
            contact=body.contact,
            voice_ref=body.voice_ref,
            photo_ref=body.photo_ref,
            assisted_by=req.assisted_by,
            wanted_receipt=wanted,
        )

    def _known_service(self, db: sqlite_utils.Database, target: str, node: str) -> bool:
        """A station (a kiosk of the fleet) or an item of a published service catalog."""
        if target == node or (self.places.checked and self.places.kiosk(target) is not None):
            return True
        for row in db.query("SELECT body FROM content WHERE kind = 'catalog' AND withdrawn = 0"):
            if any(item.get("id") == target for item in json.loads(row["body"]).get("items", [])):
                return True
        return False

    def _query(self, db: sqlite_utils.Database, req: p.Request, what: str, stamp: int) -> Outcome:
        assert isinstance(req.body, p.ReceiptQuery)
        code = codes.normalise(req.body.receipt)
        if not codes.valid_code(code):
            raise Reject("bad_receipt", f"查询码 {req.body.receipt[:32]!r} 格式不对，请核对回执")
        order = find_order(db, code)
        if order is None:
            reply = p.Reply(
                ts=stamp, id=req.id, status="result", receipt=code, detail="unknown_receipt: 没有这个查询码"
            )
            return Outcome(reply, what, "result")
        filing = next(iter(db.query("SELECT withdrawn FROM filings WHERE receipt = ?", [code])))
        status = "withdrawn" if filing["withdrawn"] is not None else order["state"]
        result: dict[str, str | int | float | bool | None] = {
            "receipt": code,
            "status": status,
            "status_notes": order["status_notes"],
            "updated": int(order["updated"] * 1000),
        }
        return Outcome(
            p.Reply(ts=stamp, id=req.id, status="result", receipt=code, result=result), what, "result"
        )
