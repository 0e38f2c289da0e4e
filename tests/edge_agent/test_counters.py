"""Counter32 wraps become a monotonic 64-bit total; reboots reset without false spikes."""

from __future__ import annotations

from edge_agent.counters import COUNTER32_MODULO, CounterBank, UptimeTracker

KEY = "1.3.6.1.2.1.2.2.1.10|1"


def test_first_value_is_reported_as_is_and_rises_add_up() -> None:
    bank = CounterBank()
    assert bank.observe(KEY, 1000, width=32, rebooted=False) == 1000
    assert bank.observe(KEY, 1500, width=32, rebooted=False) == 1500
    assert bank.wraps == bank.resets == 0


def test_counter32_wrap_is_extended_past_two_to_the_32() -> None:
    bank = CounterBank()
    bank.observe(KEY, COUNTER32_MODULO - 100, width=32, rebooted=False)
    # 100 octets to the wrap, then 50 more: the total grows by 150 and never goes back.
    assert bank.observe(KEY, 50, width=32, rebooted=False) == COUNTER32_MODULO + 50
    assert bank.observe(KEY, 80, width=32, rebooted=False) == COUNTER32_MODULO + 80
    # A second wrap keeps extending.
    assert bank.observe(KEY, 10, width=32, rebooted=False) == 2 * COUNTER32_MODULO + 10
    assert bank.wraps == 2


def test_fall_after_reboot_is_a_reset_not_a_wrap() -> None:
    bank = CounterBank()
    bank.observe(KEY, 3_000_000, width=32, rebooted=False)
    # The device rebooted and has counted 700 since: report 3,000,700, not 2**32 more.
    assert bank.observe(KEY, 700, width=32, rebooted=True) == 3_000_700
    assert bank.resets == 1
    assert bank.wraps == 0


def test_rise_across_a_reboot_adds_only_the_difference() -> None:
    # snmpd restarted (sysUpTime went back) but the kernel's counters did not reset.
    bank = CounterBank()
    bank.observe(KEY, 5_000, width=64, rebooted=False)
    assert bank.observe(KEY, 5_100, width=64, rebooted=True) == 5_100


def test_counter64_fall_is_a_reset() -> None:
    bank = CounterBank()
    bank.observe(KEY, 2**40, width=64, rebooted=False)
    assert bank.observe(KEY, 10, width=64, rebooted=False) == 2**40 + 10
    assert bank.resets == 1


def test_series_are_independent_and_forgotten_when_gone() -> None:
    bank = CounterBank()
    other = "1.3.6.1.2.1.2.2.1.10|2"
    bank.observe(KEY, 10, width=32, rebooted=False)
    bank.observe(other, 20, width=32, rebooted=False)
    for _ in range(3):
        bank.observe(KEY, 11, width=32, rebooted=False)
        bank.end_cycle(keep_unseen=2)
    assert len(bank) == 1  # the row that vanished was dropped after 2 unseen cycles
    assert bank.observe(other, 5, width=32, rebooted=False) == 5  # and starts afresh


def test_uptime_going_back_is_a_reboot() -> None:
    tracker = UptimeTracker()
    assert not tracker.observe(100_000, now=0.0)
    assert not tracker.observe(101_500, now=15.0)
    assert tracker.observe(1_200, now=30.0)
    assert not tracker.observe(2_700, now=45.0)


def test_uptime_wrap_after_497_days_is_not_a_reboot() -> None:
    tracker = UptimeTracker()
    near_end = 2**32 - 500  # 5 s before sysUpTime wraps
    tracker.observe(near_end, now=0.0)
    # 15 s later the agent reports 10 s past the wrap: that is the wrap, not a reboot.
    assert not tracker.observe(1_000, now=15.0)
    # But landing far from where the wrap would put it is a reboot.
    tracker2 = UptimeTracker()
    tracker2.observe(near_end, now=0.0)
    assert tracker2.observe(900_000, now=15.0)


def test_uptime_that_stands_still_is_not_a_reboot() -> None:
    tracker = UptimeTracker()
    tracker.observe(500, now=0.0)
    assert not tracker.observe(500, now=15.0)


def test_engine_boots_decides_when_the_agent_reports_it() -> None:
    tracker = UptimeTracker()
    tracker.observe(2**32 - 500, now=0.0, boots=7)
    # sysUpTime went back far from where a wrap would land, but engineBoots did not move: no reboot.
    assert not tracker.observe(900_000, now=15.0, boots=7)
    # engineBoots moved while sysUpTime went forward (the agent restarted 2 polls ago, say): a reboot.
    assert tracker.observe(950_000, now=30.0, boots=8)


def test_state_survives_a_restart_of_the_agent() -> None:
    bank = CounterBank()
    bank.observe(KEY, COUNTER32_MODULO - 10, width=32, rebooted=False)
    bank.observe(KEY, 5, width=32, rebooted=False)  # wrapped once: total 2**32 + 5
    tracker = UptimeTracker()
    tracker.observe(100_000, now=1_000.0)

    # A new agent process loads what the old one saved.
    bank2, tracker2 = CounterBank(), UptimeTracker()
    bank2.load_state(bank.to_state())
    tracker2.load_state(tracker.to_state())
    # The counter went on from 5 to 905: the total continues instead of restarting at 905.
    assert bank2.observe(KEY, 905, width=32, rebooted=False) == COUNTER32_MODULO + 905
    # 60 s later the device's uptime moved on: no false reboot; had it gone back, a reboot.
    assert not tracker2.observe(106_000, now=1_060.0)
    assert tracker2.observe(50, now=1_070.0)
