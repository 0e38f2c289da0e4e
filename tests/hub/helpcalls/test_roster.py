"""The duty roster: hours as written on the wall chart, picking who is on duty, file errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contract.configfile import ConfigError
from hub import cli
from hub.config import validate_config_file
from hub.helpcalls.roster import Roster, load_roster, parse_shift
from tests.hub.helpcalls.conftest import ROSTER

CN = ZoneInfo("Asia/Shanghai")


def at(day: int, hhmm: str) -> datetime:
    """2026-03-02 is a Monday: day 0 = Monday."""
    return datetime(2026, 3, 2 + day, int(hhmm[:2]), int(hhmm[3:]), tzinfo=CN)


def test_hours_cover_weekdays_ranges_lists_and_night_shifts() -> None:
    office = parse_shift("mon-fri 08:30-17:30")
    assert office.covers(at(0, "08:30"))
    assert not office.covers(at(0, "08:29"))
    assert not office.covers(at(4, "17:30")), "the end minute is off duty"
    assert not office.covers(at(5, "10:00"))
    weekend = parse_shift("sat,sun 09:00-12:00")
    assert weekend.covers(at(6, "11:59"))
    assert not weekend.covers(at(0, "10:00"))
    wrap = parse_shift("fri-mon 10:00-11:00")
    assert [wrap.covers(at(d, "10:30")) for d in range(7)] == [True, False, False, False, True, True, True]
    night = parse_shift("fri 20:00-08:00")
    assert night.covers(at(4, "23:00"))
    assert night.covers(at(5, "07:59")), "Friday's night shift runs into Saturday morning"
    assert not night.covers(at(4, "07:00")), "but not into Friday morning"
    assert parse_shift("daily 00:00-24:00").covers(at(2, "23:59"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("weekdays 08:00-17:00", "not a weekday"),
        ("mon-fri 8:00-17:00", "not like"),
        ("mon 25:00-26:00", "not a time of day"),
        ("mon 08:00-08:00", "empty range"),
    ],
)
def test_bad_hours_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_shift(text)


def test_village_first_then_township_then_nobody(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text(ROSTER, encoding="utf-8")
    roster = load_roster(path)
    monday_9 = at(0, "09:00").timestamp()
    level, cadre = roster.pick("bz-t01-v01", "bz-t01", monday_9)
    assert (level, cadre and cadre.name) == ("village", "王书记")
    level, cadre = roster.pick("bz-t01-v03", "bz-t01", monday_9)
    assert (level, cadre and cadre.name) == ("township", "张镇长"), "a village without a list falls back"
    level, cadre = roster.pick("bz-t01-v01", "bz-t01", at(5, "10:00").timestamp())
    assert (level, cadre and cadre.name) == ("village", "李主任"), (
        "the first cadre on duty, not the first listed"
    )
    assert roster.pick("bz-t01-v01", "bz-t01", at(2, "22:00").timestamp()) == ("none", None)
    assert roster.phone_for("bz-t01-v01", "bz-t01") == "0827-5261001"
    assert roster.phone_for("bz-t01-v02", "bz-t01") == "0827-5260000"
    assert Roster().pick("bz-t01-v01", "bz-t01", monday_9) == ("none", None)


def test_validate_config_reports_roster_mistakes_with_file_and_line(tmp_path: Path) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text(
        "villages:\n  bz-t01-v01:\n    duty:\n      - name: 王书记\n        phone: '138'\n"
        "        hours: ['mon-fri 8:30-17:30']\n        mobile: '1'\n",
        encoding="utf-8",
    )
    hub = tmp_path / "hub.yaml"
    hub.write_text(f"helpcalls:\n  roster: {roster}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        validate_config_file(hub)
    message = str(caught.value)
    assert f"{roster}:6: villages.bz-t01-v01.duty[0].hours: Value error" in message
    assert f"{roster}:7: villages.bz-t01-v01.duty[0].mobile: unknown key" in message
    hub.write_text("helpcalls:\n  escalate_after: 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"hub.yaml:2: helpcalls.escalate_after: unknown key"):
        validate_config_file(hub)
    roster.write_text(ROSTER, encoding="utf-8")
    hub.write_text(f"helpcalls:\n  roster: {roster}\n  webhook_token: secret-token\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="webhook_token is set but webhook_url is not"):
        validate_config_file(hub)
    hub.write_text(
        f"helpcalls:\n  roster: {roster}\n  webhook_url: http://127.0.0.1:9/x\n"
        "  webhook_token: secret-token\n",
        encoding="utf-8",
    )
    assert "secret-token" not in validate_config_file(hub)


def test_the_hub_refuses_to_start_on_a_broken_roster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text(
        "townships:\n  bz-t01:\n    duty: [{name: 张镇长, phone: '138', hours: []}]\n", encoding="utf-8"
    )
    hub = tmp_path / "hub.yaml"
    hub.write_text(f"helpcalls:\n  roster: {roster}\n", encoding="utf-8")
    assert cli.main(["--config", str(hub)]) == 2
    assert (
        f"{roster}:3: townships.bz-t01.duty[0].hours: List should have at least 1 item"
        in capsys.readouterr().err
    )
