"""The duty roster is re-read when its file changes: a good file takes over at once, a bad
one is refused with its file:line, the old roster stays and the refusal is counted."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from contract import payloads as p
from tests.hub.helpcalls.conftest import ROSTER, HelpKit, desk
from tests.hub.workorders.kit import Kit

NEW_CADRE = ROSTER.replace("王书记", "赵书记").replace("13800000001", "13800000005")


async def scrape(kit: Kit) -> str:
    return await (await kit.client.get("/metrics")).text()


async def duty_name(kit: Kit) -> object:
    reply = await kit.kiosk().ask(p.HelpCall(village="bz-t01-v01"))
    return reply.result.get("name")


async def test_a_new_roster_takes_over_without_a_restart(
    help_kit: HelpKit, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with help_kit(None) as kit:
        assert await duty_name(kit) == "王书记"
        await desk(kit).step()
        (tmp_path / "roster.yaml").write_text(NEW_CADRE, encoding="utf-8")
        with caplog.at_level(logging.INFO, logger="hub.helpcalls"):
            await desk(kit).step()
        assert "roster reloaded (2 villages, 1 townships)" in caplog.text
        assert await duty_name(kit) == "赵书记", "the intake picks from the new roster"
        assert desk(kit).roster.villages["bz-t01-v01"].duty[0].name == "赵书记"
        metrics = await scrape(kit)
        assert "cl_helpcall_roster_ok 1.0" in metrics
        assert "cl_helpcall_roster_errors_total 0.0" in metrics


async def test_a_broken_roster_is_refused_and_the_old_one_kept(
    help_kit: HelpKit, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    roster = tmp_path / "roster.yaml"
    async with help_kit(None) as kit:
        broken = ROSTER.replace('"mon-fri 08:30-17:30"', '"weekdays 8-5"')
        roster.write_text(broken, encoding="utf-8")
        with caplog.at_level(logging.ERROR, logger="hub.helpcalls"):
            await desk(kit).step()
            await desk(kit).step()
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1, "refused once, not once a second"
        assert f"{roster}:7: villages.bz-t01-v01.duty[0].hours" in errors[0]
        assert "previous one stays in effect" in errors[0]
        assert await duty_name(kit) == "王书记"
        metrics = await scrape(kit)
        assert "cl_helpcall_roster_ok 0.0" in metrics
        assert "cl_helpcall_roster_errors_total 1.0" in metrics

        roster.write_text("", encoding="utf-8")  # caught between truncate and write
        await desk(kit).step()
        assert await duty_name(kit) == "王书记", "an empty file is not an empty roster"
        roster.unlink()
        await desk(kit).step()
        assert await duty_name(kit) == "王书记"
        assert desk(kit).counters()["roster_errors"] == 3

        roster.write_text(NEW_CADRE, encoding="utf-8")
        await desk(kit).step()
        assert await duty_name(kit) == "赵书记"
        metrics = await scrape(kit)
        assert "cl_helpcall_roster_ok 1.0" in metrics
        assert "cl_helpcall_roster_errors_total 3.0" in metrics


async def test_the_background_loop_notices_the_change(help_kit: HelpKit, tmp_path: Path) -> None:
    async with help_kit(None) as kit:
        (tmp_path / "roster.yaml").write_text(NEW_CADRE, encoding="utf-8")
        for _ in range(60):
            if desk(kit).roster.villages["bz-t01-v01"].duty[0].name == "赵书记":
                break
            await asyncio.sleep(0.05)
        assert await duty_name(kit) == "赵书记"
