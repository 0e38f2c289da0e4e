"""The rules file, routing specificity, working-day deadlines and the flow table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from contract.configfile import ConfigError
from hub.workorders.calendar import WorkCalendar
from hub.workorders.flow import STEPS, Action, FlowError, Role, State, actions_for, open311_status, step
from hub.workorders.rules import Calendar, Rules, load_rules
from hub.workorders.settings import WorkOrdersConfig
from tests.hub.workorders.kit import make_fleet

CN = dt.timezone(dt.timedelta(hours=8))


def at(year: int, month: int, day: int, hour: int, minute: int) -> float:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CN).timestamp()


@pytest.fixture
def rules() -> Rules:
    return load_rules(WorkOrdersConfig().rules_path())


def test_packaged_rules_load_and_match_the_kiosk_categories(rules: Rules) -> None:
    assert [c.id for c in rules.categories] == [
        "roads",
        "water",
        "power",
        "environment",
        "social",
        "medical",
        "land",
        "other",
    ]
    assert rules.default_queue == "dispatch"
    assert rules.unknown_areas(make_fleet()) == []


def test_most_specific_route_wins(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        """
version: "1"
default_queue: centre
departments:
  [{id: centre, name: 中心}, {id: a, name: 甲}, {id: b, name: 乙}, {id: c, name: 丙}, {id: d, name: 丁}]
categories:
  - {id: roads, name: 道路, group: 基础设施, deadline_days: 7}
  - {id: other, name: 其他, group: 其他, deadline_days: 7}
routes:
  - {category: "*", area: "511902", department: a}
  - {category: roads, department: b}
  - {category: roads, area: "bz-t01", department: c}
  - {category: roads, area: "bz-t01-v03", department: d}
""",
        encoding="utf-8",
    )
    r = load_rules(path)
    assert r.route("roads", "bz-t01-v03", "bz-t01", "511902") == ("d", 3)
    assert r.route("roads", "bz-t01-v01", "bz-t01", "511902") == ("c", 2)
    assert r.route("roads", "bz-t02-v01", "bz-t02", "511902") == ("a", 0)  # county beats "*"
    assert r.route("roads", "ey-t01-v01", "ey-t01", "511903") == ("b", 1)
    assert r.route("other", "ey-t01-v01", "ey-t01", "511903") == ("centre", None)
    assert r.unknown_areas(make_fleet()) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("routes: [{category: roads, department: nobody}]", "unknown department 'nobody'"),
        ("routes: [{category: potholes, department: a}]", "unknown category 'potholes'"),
        ("colour: red", "colour: unknown key"),
    ],
)
def test_bad_rules_name_the_line(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        'version: "1"\ndefault_queue: a\ndepartments: [{id: a, name: 甲}]\n'
        "categories: [{id: roads, name: 道路, group: g, deadline_days: 7}]\n" + text + "\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=problem) as info:
        load_rules(path)
    assert "rules.yaml:" in str(info.value)


def test_deadlines_count_working_days_in_china_time() -> None:
    cal = WorkCalendar(
        Calendar(holidays=[dt.date(2026, 10, 1), dt.date(2026, 10, 2)], workdays=[dt.date(2026, 10, 10)])
    )
    # Friday 16:00 + 3 working days -> Monday, Tuesday, Wednesday: due end of Wednesday.
    assert cal.deadline(at(2026, 3, 6, 16, 0), 3) == at(2026, 3, 12, 0, 0)
    # Late Sunday evening UTC is already Monday in China: the count starts from Monday.
    assert cal.deadline(at(2026, 3, 9, 0, 30), 1) == at(2026, 3, 11, 0, 0)
    # Holidays are skipped, a weekend make-up day counts.
    assert cal.deadline(at(2026, 9, 30, 10, 0), 1) == at(2026, 10, 6, 0, 0)
    assert cal.is_workday(dt.date(2026, 10, 10))
    assert cal.working_days_left(at(2026, 3, 9, 10, 0), at(2026, 3, 12, 0, 0)) == 3
    # Due end of Wednesday; on Friday it is two working days (Thursday, Friday) overdue.
    assert cal.working_days_left(at(2026, 3, 13, 10, 0), at(2026, 3, 12, 0, 0)) == -2
    assert cal.iso(at(2026, 3, 9, 10, 0)) == "2026-03-09T10:00:00+08:00"


def test_flow_table() -> None:
    assert step(Action.ACCEPT, State.DISPATCHED, Role.HANDLER).target is State.ACCEPTED
    with pytest.raises(FlowError, match="不能签收"):
        step(Action.ACCEPT, State.RECEIVED, Role.HANDLER)
    with pytest.raises(FlowError, match="不是部门经办人能做的操作"):
        step(Action.DISPATCH, State.RECEIVED, Role.HANDLER)
    assert actions_for(State.DISPATCHED, Role.HANDLER) == [Action.ACCEPT, Action.RETURN]
    assert actions_for(State.RESOLVED, Role.DISPATCHER) == [Action.CALLBACK, Action.REOPEN]
    assert STEPS[Action.REOPEN].sources == {State.RESOLVED, State.CALLBACK, State.CLOSED}
    assert [open311_status(s) for s in (State.IN_PROGRESS, State.RESOLVED, State.WITHDRAWN)] == [
        "open",
        "closed",
        "closed",
    ]
