"""The 12345 work-order flow as a table: which action moves which state where, and who may act.

received (受理) -> dispatched (派单) -> accepted (签收) or returned (退回) -> in_progress (办理)
-> resolved (办结) -> callback (回访) -> closed (归档), with reopen (重办) from the last three
back to dispatched, and withdraw (撤回) by the villager while the order is still open.

The state names are also what kiosks show (kiosk/models/status.py) and what
``receipt_status`` carries, so they are part of the wire vocabulary: add, never rename.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class State(enum.StrEnum):
    """Where a work order is."""

    RECEIVED = "received"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CALLBACK = "callback"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Action(enum.StrEnum):
    """What someone does to a work order."""

    DISPATCH = "dispatch"
    ACCEPT = "accept"
    RETURN = "return"
    REPLY = "reply"
    RESOLVE = "resolve"
    CALLBACK = "callback"
    CLOSE = "close"
    REOPEN = "reopen"
    WITHDRAW = "withdraw"


class Role(enum.StrEnum):
    """Who acts: department staff, the dispatch centre, an API token, the hub, the villager."""

    HANDLER = "handler"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"
    SYSTEM = "system"
    VILLAGER = "villager"


#: The deadline runs, and "overdue" is possible, only while an order is in one of these.
OPEN = frozenset({State.RECEIVED, State.DISPATCHED, State.ACCEPTED, State.RETURNED, State.IN_PROGRESS})
#: A villager may rate the outcome once the order got here.
COMPLETED = frozenset({State.RESOLVED, State.CALLBACK, State.CLOSED})


@dataclass(frozen=True, slots=True)
class Step:
    """One row of the table."""

    sources: frozenset[State]
    target: State
    roles: frozenset[Role]
    needs_note: bool = False
    needs_department: bool = False


_STAFF = frozenset({Role.DISPATCHER, Role.ADMIN})
_DEPARTMENT = frozenset({Role.HANDLER, Role.DISPATCHER, Role.ADMIN})

STEPS: dict[Action, Step] = {
    Action.DISPATCH: Step(
        frozenset({State.RECEIVED, State.RETURNED}),
        State.DISPATCHED,
        _STAFF | {Role.SYSTEM},
        needs_department=True,
    ),
    Action.ACCEPT: Step(frozenset({State.DISPATCHED}), State.ACCEPTED, _DEPARTMENT),
    Action.RETURN: Step(
        frozenset({State.DISPATCHED, State.ACCEPTED}), State.RETURNED, _DEPARTMENT, needs_note=True
    ),
    Action.REPLY: Step(
        frozenset({State.ACCEPTED, State.IN_PROGRESS}), State.IN_PROGRESS, _DEPARTMENT, needs_note=True
    ),
    Action.RESOLVE: Step(
        frozenset({State.ACCEPTED, State.IN_PROGRESS}), State.RESOLVED, _DEPARTMENT, needs_note=True
    ),
    Action.CALLBACK: Step(frozenset({State.RESOLVED}), State.CALLBACK, _STAFF | {Role.SYSTEM}),
    Action.CLOSE: Step(frozenset({State.CALLBACK}), State.CLOSED, _STAFF | {Role.SYSTEM}),
    Action.REOPEN: Step(
        frozenset({State.RESOLVED, State.CALLBACK, State.CLOSED}), State.DISPATCHED, _STAFF, needs_note=True
    ),
    Action.WITHDRAW: Step(OPEN, State.WITHDRAWN, frozenset({Role.VILLAGER})),
}

#: Chinese names for the console and exports.
STATE_LABELS: dict[State, str] = {
    State.RECEIVED: "已受理，待派单",
    State.DISPATCHED: "已派单，待签收",
    State.ACCEPTED: "已签收",
    State.RETURNED: "已退回，待重新派单",
    State.IN_PROGRESS: "办理中",
    State.RESOLVED: "已办结",
    State.CALLBACK: "回访中",
    State.CLOSED: "已归档",
    State.WITHDRAWN: "已撤回",
}
ACTION_LABELS: dict[Action, str] = {
    Action.DISPATCH: "派单",
    Action.ACCEPT: "签收",
    Action.RETURN: "退回",
    Action.REPLY: "答复",
    Action.RESOLVE: "办结",
    Action.CALLBACK: "回访",
    Action.CLOSE: "归档",
    Action.REOPEN: "重办",
    Action.WITHDRAW: "撤回",
}


class FlowError(Exception):
    """An action that the flow does not allow; the message is fit to show the person who tried."""


def step(action: Action, state: State, role: Role) -> Step:
    """The step ``role`` may take with ``action`` from ``state``, or FlowError saying why not."""
    row = STEPS[action]
    if role not in row.roles:
        msg = f"“{ACTION_LABELS[action]}”不是{_ROLE_LABELS[role]}能做的操作"
        raise FlowError(msg)
    if state not in row.sources:
        msg = f"工单现在是“{STATE_LABELS[state]}”，不能{ACTION_LABELS[action]}"
        raise FlowError(msg)
    return row


def actions_for(state: State, role: Role) -> list[Action]:
    """Actions ``role`` may take now (the console shows one form per action)."""
    return [a for a, row in STEPS.items() if state in row.sources and role in row.roles]


def open311_status(state: State) -> str:
    """GeoReport v2 knows only open and closed; from the villager's side an order is done once resolved."""
    return "open" if state in OPEN else "closed"


_ROLE_LABELS = {
    Role.HANDLER: "部门经办人",
    Role.DISPATCHER: "派单员",
    Role.ADMIN: "管理接口",
    Role.SYSTEM: "系统",
    Role.VILLAGER: "村民",
}
