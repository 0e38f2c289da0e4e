"""The orchestrator's rules without Ansible: wave planning, targets, verdicts, the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils
import yaml

from hub.rollouts.model import Status, inventory_hosts, plan_waves, select
from hub.rollouts.schema import migrations
from hub.rollouts.verdicts import ACTIVATE, FETCH, VERIFY, judge
from hub.store import Store, StoreError


def test_waves_canary_then_percentages_of_all_targets() -> None:
    hosts = [f"k{i}" for i in range(100)]
    plan = plan_waves(hosts, ["5", "10%", "50%", "100%"])
    sizes = [sum(1 for w in plan.values() if w == i) for i in range(4)]
    assert sizes == [5, 10, 50, 35]
    assert plan["k0"] == 0
    assert plan["k99"] == 3


def test_small_fleets_still_get_one_device_per_wave_and_nobody_is_lost() -> None:
    plan = plan_waves(["a", "b", "c"], ["5", "10%", "100%"])
    assert plan == {"a": 0, "b": 0, "c": 0}
    plan = plan_waves(["a", "b", "c"], ["1", "10%", "100%"])
    assert plan == {"a": 0, "b": 1, "c": 2}


def test_targets_from_inventory_groups_and_globs(tmp_path: Path) -> None:
    inventory = {
        "all": {
            "children": {
                "kiosks": {"hosts": {"kiosk-0010": {}, "kiosk-0002": {}}},
                "edge_agents": {"hosts": {"edge-1": {}}},
                "county_x": {"children": {"township_y": {"hosts": {"kiosk-0002": {}}}}},
                "hub": {"hosts": {"central": {}}},
            }
        }
    }
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory))
    assert inventory_hosts(path, "kiosks:edge_agents") == ["edge-1", "kiosk-0002", "kiosk-0010"]
    assert inventory_hosts(path, "county_x") == ["kiosk-0002"]
    assert select(inventory_hosts(path, "kiosks"), ["kiosk-001*"]) == ["kiosk-0010"]


@pytest.mark.parametrize(
    ("line", "status"),
    [
        ({"event": "unreachable", "task": ACTIVATE}, Status.DEFERRED),
        (
            {"event": "ok", "task": ACTIVATE, "rc": 75, "result": {"reason": "session-active"}},
            Status.DEFERRED,
        ),
        ({"event": "ok", "task": ACTIVATE, "rc": 0, "result": {"result": "switched"}}, Status.SWITCHED),
        ({"event": "failed", "task": ACTIVATE, "rc": 3}, Status.FAILED),
        ({"event": "failed", "task": ACTIVATE, "rc": -9}, Status.VERIFYING),
        ({"event": "failed", "task": FETCH, "rc": 65, "result": {"reason": "unsigned"}}, Status.FAILED),
        ({"event": "failed", "task": FETCH, "rc": 69}, Status.DEFERRED),
        ({"event": "ok", "task": VERIFY, "rc": 0, "result": {"version": "2.0.0"}}, Status.SWITCHED),
        ({"event": "ok", "task": VERIFY, "rc": 0, "result": {"version": "1.0.0"}}, Status.PENDING),
    ],
)
def test_verdicts(line: dict[str, object], status: Status) -> None:
    verdict = judge(line, "2.0.0")
    assert verdict is not None
    assert verdict[0] is status


def test_fetch_ok_changes_nothing() -> None:
    assert judge({"event": "ok", "task": FETCH, "rc": 0}, "2.0.0") is None


async def test_the_audit_log_refuses_updates_and_deletes(tmp_path: Path) -> None:
    store = Store(tmp_path / "rollouts.sqlite", migrations)
    await store.open()
    try:
        await store.write(
            lambda db: db.table("audit").insert(
                {"ts": 1.0, "rollout": "r", "actor": "a", "action": "created"}
            )
        )
        for sql in ("UPDATE audit SET actor = 'b'", "DELETE FROM audit"):

            def change(db: sqlite_utils.Database, sql: str = sql) -> None:
                db.execute(sql)

            with pytest.raises(StoreError, match="append-only"):
                await store.write(change)
    finally:
        await store.close()


async def test_api_refuses_what_it_cannot_roll_out(tmp_path: Path) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from hub.app import create_app
    from hub.config import HubConfig

    tokens = [{"name": "ops", "token": "admin-token", "role": "admin"}]
    config = HubConfig.model_validate(
        {
            "data_dir": str(tmp_path / "data"),
            "api": {"tokens": tokens},
            "rollouts": {"enabled": True, "inventory": str(tmp_path / "missing.yml")},
        }
    )
    admin = {"Authorization": "Bearer admin-token"}
    async with TestClient(TestServer(create_app(config, with_mqtt=False))) as client:
        resp = await client.post("/api/v1/rollouts", json={"version": "1.0.0"}, headers=admin)
        assert resp.status == 409  # no signed artifact
        for name in (
            "cunlink-1.0.0.tar.gz",
            "cunlink-1.0.0.manifest.json",
            "cunlink-1.0.0.manifest.json.sig",
        ):
            (tmp_path / "data" / "artifacts" / name).write_text("x")
        resp = await client.post("/api/v1/rollouts", json={"version": "1.0.0"}, headers=admin)
        assert resp.status == 409
        assert "inventory" in (await resp.json())["error"]["message"]
        resp = await client.post("/api/v1/rollouts", json={"version": "1.0.0", "waves": ["0"]}, headers=admin)
        assert resp.status == 400
        resp = await client.get("/api/v1/rollouts/nope", headers=admin)
        assert resp.status == 404
        # Range, as the device tool's resumed download asks for it.
        resp = await client.get("/artifacts/cunlink-1.0.0.tar.gz", headers={"Range": "bytes=0-"})
        assert resp.status == 206
        assert (await client.get("/artifacts/..%2Fsecret")).status == 404
        doc = await (await client.get("/api/openapi.json")).json()
        assert "/api/v1/rollouts/{id}/abort" in doc["paths"]


def test_cli_takes_url_and_token_before_or_after_the_command() -> None:
    from hub.rollouts import cli

    before = cli._parser().parse_args(["--url", "http://h:1", "--token", "t", "pause", "r1"])
    after = cli._parser().parse_args(["pause", "r1", "--url", "http://h:1", "--token", "t"])
    assert (
        (before.url, before.token, before.id)
        == (after.url, after.token, after.id)
        == ("http://h:1", "t", "r1")
    )
