"""The rollout state machine: waves, thresholds across the whole rollout, MQTT-confirmed success.

One asyncio task per active rollout drives it; every decision and every device change is
written to SQLite (with its audit entries) before the next step, so a restarted hub picks up
where it was. Ansible runs only in wave job processes (wavejob.py); this module never blocks.
What a step does, in order, and how a crash is recovered from: docs/rollout.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from pathlib import Path

import yaml

from hub.rollouts import orphans
from hub.rollouts.model import (
    ACTIVE,
    ELIGIBLE,
    OPEN,
    RolloutSpec,
    State,
    Status,
    inventory_hosts,
    job_spec,
    plan_waves,
    select,
)
from hub.rollouts.presence import Presence
from hub.rollouts.records import Device, Ledger, Rollout
from hub.rollouts.settings import RolloutsConfig
from hub.rollouts.verdicts import crossed, judge
from hub.rollouts.wavejob import WaveJob

log = logging.getLogger(__name__)

#: Seconds between steps when nothing wakes a rollout (timeouts, soak, retry back-off).
TICK_S = 1.0
#: Retry back-off of deferred devices that were online (busy, window, unreachable, broken link).
BACKOFF_S = (5.0, 15.0, 60.0, 300.0)


class RolloutError(Exception):
    """An operation that the rollout's state does not allow (the API answers 409)."""


class Orchestrator:
    def __init__(
        self,
        *,
        config: RolloutsConfig,
        ledger: Ledger,
        presence: Presence,
        work_dir: Path,
        clock: Callable[[], float],
        artifacts_dir: Path,
    ) -> None:
        self.config, self.ledger, self.presence, self.clock = config, ledger, presence, clock
        self.work_dir, self.artifacts_dir = work_dir, artifacts_dir
        self.rollouts: dict[str, Rollout] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._saves: set[asyncio.Task[None]] = set()
        presence.listeners.append(self._node_changed)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Load active rollouts; devices a dead hub left mid-job or unconfirmed get re-verified."""
        # A hub killed mid-job left its job (and Ansible) running: kill it before re-verifying,
        # or it would go on switching devices and hold their locks (orphans.py).
        await asyncio.to_thread(orphans.reap, self.work_dir)
        for rollout in await self.ledger.load_all():
            self.rollouts[rollout.id] = rollout
            rollout.jobs = await asyncio.to_thread(orphans.last_job, self.work_dir / rollout.id)
            cut = [h for h, d in rollout.devices.items() if d.status in (Status.RUNNING, Status.VERIFYING)]
            if rollout.state is State.HALTED and cut:
                # The crash cut its revert (or the wave job before it) short: revert again.
                task = asyncio.create_task(self._revert_again(rollout, cut), name=f"revert-{rollout.id}")
                self._tasks[f"{rollout.id}-revert"] = task
            if rollout.state not in ACTIVE:
                continue
            changed = []
            for host, dev in rollout.devices.items():
                if dev.status in (Status.RUNNING, Status.SWITCHED):
                    dev.status, dev.detail = Status.VERIFYING, f"hub restarted while {dev.status}"
                    changed.append(host)
            reverify = sum(d.status is Status.VERIFYING for d in rollout.devices.values())
            await self.ledger.save(rollout, changed, [("hub", "resumed", None, {"reverify": reverify})])
            self._spawn(rollout)

    async def stop(self) -> None:
        # Jobs first: a cancelled drive task forgets its job, which would then run on unowned.
        # Their devices are re-verified when the hub starts again.
        for rollout in self.rollouts.values():
            if rollout.job is not None:
                await rollout.job.cancel()
        await asyncio.to_thread(orphans.reap, self.work_dir)  # Ansible of a job killed on cancel
        for task in self._tasks.values():
            task.cancel()
        for task in self._tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._saves:
            await asyncio.gather(*self._saves, return_exceptions=True)

    def _spawn(self, rollout: Rollout) -> None:
        self._tasks[rollout.id] = asyncio.create_task(self._drive(rollout), name=f"rollout-{rollout.id}")

    # -- operations -------------------------------------------------------------------------

    async def create(self, spec: RolloutSpec, actor: str) -> Rollout:
        if self.config.inventory is None:
            raise RolloutError("rollouts.inventory is not configured")
        name = f"cunlink-{spec.version}"
        for suffix in (".tar.gz", ".manifest.json", ".manifest.json.sig"):
            if not (self.artifacts_dir / f"{name}{suffix}").is_file():
                raise RolloutError(f"no signed artifact {name}{suffix} in {self.artifacts_dir}")
        try:
            # Off the loop: a 2000-host YAML inventory takes a noticeable moment to parse.
            found = await asyncio.to_thread(inventory_hosts, self.config.inventory, spec.group)
        except (OSError, yaml.YAMLError) as exc:
            raise RolloutError(f"cannot read the inventory {self.config.inventory}: {exc}") from None
        hosts = select(found, spec.hosts)
        if not hosts:
            raise RolloutError(f"no inventory host matches group {spec.group!r} and hosts {spec.hosts}")
        now = self.clock()
        rollout = Rollout(
            id=uuid.uuid4().hex[:12],
            spec=spec,
            state=State.RUNNING,
            reason="",
            wave=0,
            wave_settled=None,
            created=now,
            created_by=actor,
            updated=now,
            devices={
                h: Device(wave=w, status=Status.PENDING, detail="", updated=now)
                for h, w in plan_waves(hosts, list(spec.waves)).items()
            },
        )
        self.rollouts[rollout.id] = rollout
        await self.ledger.insert(rollout)
        await self.ledger.save(rollout, [], [(actor, "created", None, {"targets": len(hosts)})])
        self._spawn(rollout)
        return rollout

    def get(self, rollout_id: str) -> Rollout:
        try:
            return self.rollouts[rollout_id]
        except KeyError:
            raise KeyError(rollout_id) from None

    async def pause(self, rollout_id: str, actor: str) -> Rollout:
        rollout = self._expect(rollout_id, {State.RUNNING})
        await self._set_state(rollout, State.PAUSED, f"paused by {actor}", actor)
        return rollout

    async def resume(self, rollout_id: str, actor: str) -> Rollout:
        rollout = self._expect(rollout_id, {State.PAUSED})
        await self._set_state(rollout, State.RUNNING, "", actor, action="resumed")
        if rollout.id not in self._tasks or self._tasks[rollout.id].done():
            self._spawn(rollout)
        rollout.wake.set()
        return rollout

    async def abort(self, rollout_id: str, actor: str) -> Rollout:
        rollout = self._expect(rollout_id, ACTIVE)
        await self._set_state(rollout, State.ABORTED, f"aborted by {actor}", actor)
        if rollout.job is not None:
            await rollout.job.cancel()
        rollout.wake.set()
        return rollout

    async def revert_wave(self, rollout_id: str, actor: str) -> Rollout:
        """Pause and put the current wave's switched devices back on their previous release."""
        rollout = self._expect(rollout_id, ACTIVE | {State.HALTED})
        if rollout.state is State.RUNNING:
            await self._set_state(rollout, State.PAUSED, f"wave {rollout.wave} reverted by {actor}", actor)
        if rollout.job is not None:
            await rollout.job.cancel()
        # In the background: a rollback job takes as long as a wave; the request must not wait.
        task = asyncio.create_task(self._revert(rollout, actor), name=f"revert-{rollout.id}")
        self._tasks[f"{rollout.id}-revert-{rollout.jobs}"] = task
        return rollout

    def _expect(self, rollout_id: str, states: set[State] | frozenset[State]) -> Rollout:
        rollout = self.get(rollout_id)
        if rollout.state not in states:
            raise RolloutError(f"rollout {rollout_id} is {rollout.state}")
        return rollout

    async def _set_state(
        self, rollout: Rollout, state: State, reason: str, actor: str, action: str = ""
    ) -> None:
        rollout.state, rollout.reason, rollout.updated = state, reason, self.clock()
        await self.ledger.save(rollout, [], [(actor, action or str(state), None, {"reason": reason})])

    # -- MQTT ------------------------------------------------------------------------------

    def _node_changed(self, node: str) -> None:
        # A BIRTH may confirm a switch (shown at once, even while a long job runs; written by a
        # task, as this runs inside the dispatcher), an online device may join its wave.
        for rollout in self.rollouts.values():
            dev = rollout.devices.get(node)
            if dev is None or rollout.state not in ACTIVE:
                continue
            # Deferred too: it may have switched, then gone offline before its BIRTH.
            confirmable = dev.status in (Status.SWITCHED, Status.DEFERRED)
            if confirmable and self.presence.version(node) == rollout.spec.version:
                self._mark(rollout, node, Status.DONE, f"BIRTH reports {rollout.spec.version}")
                save = self.ledger.save(rollout, [node], [("mqtt", "device", node, {"status": "done"})])
                task = asyncio.create_task(save)
                self._saves.add(task)
                task.add_done_callback(self._saves.discard)
            rollout.wake.set()

    # -- the drive loop -------------------------------------------------------------------------

    async def _drive(self, rollout: Rollout) -> None:
        try:
            while rollout.state in ACTIVE:
                rollout.wake.clear()
                if rollout.state is State.RUNNING:
                    await self._step(rollout)
                if rollout.state not in ACTIVE:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(rollout.wake.wait(), TICK_S)
        except Exception:  # CancelledError is not one: shutdown still cancels
            log.exception("rollout %s: drive loop failed", rollout.id)
            await self._set_state(rollout, State.PAUSED, "internal error; see the hub log", "hub")

    def _mark(self, rollout: Rollout, host: str, status: Status, detail: str) -> None:
        dev = rollout.devices[host]
        now = self.clock()
        if status is Status.DEFERRED and self.presence.online(host):
            dev.attempts += 1
            dev.retry_at = now + BACKOFF_S[min(dev.attempts, len(BACKOFF_S)) - 1]
        if status is Status.SWITCHED:
            dev.deadline = now + rollout.spec.verify_timeout_s
            if self.presence.version(host) == rollout.spec.version:
                # The restarted program re-born before Ansible reported the task: confirmed.
                status, detail = Status.DONE, f"BIRTH reports {rollout.spec.version}"
        dev.status, dev.detail, dev.updated = status, detail, now
        rollout.updated = now

    async def _step(self, rollout: Rollout) -> None:
        now, spec = self.clock(), rollout.spec
        expired = [h for h, d in rollout.devices.items() if d.status is Status.SWITCHED and now > d.deadline]
        for host in expired:
            if self.presence.online(host):
                msg = f"no BIRTH with version {spec.version} within {spec.verify_timeout_s:g} s"
                self._mark(rollout, host, Status.FAILED, msg)
            else:
                # Switched, then offline before its BIRTH: silence is no verdict. Its BIRTH
                # confirms it when it returns; or a job checks it again.
                self._mark(rollout, host, Status.DEFERRED, "switched, offline before its BIRTH")
        if expired:
            audit = [("hub", "device", h, {"status": rollout.devices[h].status}) for h in expired]
            await self.ledger.save(rollout, expired, audit)
            if await self._check_threshold(rollout):
                await self._revert(rollout, "hub")
                return
        verifying = [
            h
            for h, d in rollout.devices.items()
            if d.status is Status.VERIFYING and self.presence.online(h) and now >= d.retry_at
        ]
        if verifying:
            await self._run(rollout, verifying, "rollout.yml", "verify")
            return
        mine = {h: d for h, d in rollout.devices.items() if d.wave <= rollout.wave}
        unsure = self.presence.unsure()  # a restarted hub has not heard from these again yet
        offline = [
            h
            for h, d in mine.items()
            if d.status is Status.PENDING and not self.presence.online(h) and h not in unsure
        ]
        for host in offline:
            self._mark(rollout, host, Status.DEFERRED, "offline; joins the current wave when it comes online")
        if offline:
            await self.ledger.save(
                rollout, offline, [("hub", "device", h, {"status": "deferred"}) for h in offline]
            )
        eligible = [
            h
            for h, d in mine.items()
            if d.status in ELIGIBLE and self.presence.online(h) and now >= d.retry_at
        ]
        if eligible:
            await self._run(rollout, eligible, "rollout.yml", "all")
            return
        if any(d.status in OPEN or (d.status in ELIGIBLE and h in unsure) for h, d in mine.items()):
            return
        await self._settle(rollout, now)

    async def _settle(self, rollout: Rollout, now: float) -> None:
        spec = rollout.spec
        if rollout.wave_settled is None:
            rollout.wave_settled = now
            await self.ledger.save(rollout, [], [("hub", "wave-settled", None, {"wave": rollout.wave})])
        if now - rollout.wave_settled < spec.soak_s:
            return
        done = sum(d.status is Status.DONE for d in rollout.devices.values())
        failed = sum(d.status is Status.FAILED for d in rollout.devices.values())
        if done + failed and 100.0 * done / (done + failed) < spec.success_percent:
            reason = (
                f"success {done}/{done + failed} below {spec.success_percent:g} % after wave {rollout.wave}"
            )
            await self._set_state(rollout, State.PAUSED, reason, "hub")
        elif rollout.wave < len(spec.waves) - 1:
            rollout.wave, rollout.wave_settled = rollout.wave + 1, None
            await self.ledger.save(rollout, [], [("hub", "wave-started", None, {"wave": rollout.wave})])
        elif not any(d.status is Status.DEFERRED for d in rollout.devices.values()):
            await self._set_state(rollout, State.COMPLETED, f"{done} done, {failed} failed", "hub")

    async def _check_threshold(self, rollout: Rollout) -> bool:
        reason = crossed(rollout.spec, [d.status for d in rollout.devices.values()])
        if reason is None or rollout.state is not State.RUNNING:
            return False
        await self._set_state(rollout, State.HALTED, f"failure threshold crossed: {reason}", "hub")
        if rollout.job is not None:
            await rollout.job.cancel()
        return True

    async def _revert(self, rollout: Rollout, actor: str) -> None:
        switched = {Status.DONE, Status.SWITCHED, Status.VERIFYING, Status.RUNNING}
        hosts = [h for h, d in rollout.devices.items() if d.wave == rollout.wave and d.status in switched]
        await self.ledger.save(
            rollout, [], [(actor, "revert-wave", None, {"wave": rollout.wave, "hosts": hosts})]
        )
        online = [h for h in hosts if self.presence.online(h)]
        if online:
            await self._run(rollout, online, "rollback.yml", "rollback")

    async def _revert_again(self, rollout: Rollout, hosts: list[str]) -> None:
        while set(hosts) & self.presence.unsure():  # their BIRTH, or the restore grace's end
            rollout.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(rollout.wake.wait(), TICK_S)
        await self._revert(rollout, "hub")

    async def _run(self, rollout: Rollout, hosts: list[str], playbook: str, phase: str) -> None:
        """One wave job over ``hosts``; device statuses follow its result lines as they come."""
        for host in hosts:
            if phase != "verify":
                self._mark(rollout, host, Status.RUNNING, f"{phase} job")
        rollout.wave_settled = None
        rollout.jobs += 1
        run_dir = self.work_dir / rollout.id / f"job-{rollout.jobs:04d}-{phase}"
        await self.ledger.save(
            rollout, hosts, [("hub", "job-started", None, {"phase": phase, "hosts": hosts})]
        )
        job = rollout.job = await WaveJob.start(
            job_spec(self.config, rollout.spec, hosts, playbook, phase), run_dir
        )
        halted = False
        try:
            async for line in job.lines():
                name = line.get("host")
                if not isinstance(name, str) or name not in rollout.devices:
                    continue
                verdict = judge(line, rollout.spec.version)
                if verdict is None:
                    continue
                self._mark(rollout, name, *verdict)
                dev = rollout.devices[name]
                await self.ledger.save(
                    rollout,
                    [name],
                    [("ansible", "device", name, {"status": dev.status, "detail": dev.detail})],
                )
                if phase != "rollback" and not halted and verdict[0] is Status.FAILED:
                    halted = await self._check_threshold(rollout)
        finally:
            rollout.job = None
        if job.end is None:
            # The job process died without its last line: its Ansible may still run (#973).
            await asyncio.to_thread(orphans.reap, run_dir)
        if job.end is None or job.end.get("end") != "successful":
            # Failed hosts make the play "failed" too; the job log says whether it was more.
            log.info("rollout %s: %s job ended %s (log: %s)", rollout.id, phase, job.end, run_dir / "job.log")
        left = [h for h in hosts if rollout.devices[h].status in (Status.RUNNING, Status.VERIFYING)]
        for host in left:
            # Killed or cut short: it may have switched, so it is re-verified before anything else
            # (with back-off, so a job that keeps dying does not spin).
            self._mark(rollout, host, Status.VERIFYING, f"no result from the {phase} job ({job.end})")
            dev = rollout.devices[host]
            dev.attempts += 1
            dev.retry_at = self.clock() + BACKOFF_S[min(dev.attempts, len(BACKOFF_S)) - 1]
        await self.ledger.save(rollout, left, [("hub", "job-ended", None, {"phase": phase, "end": job.end})])
        if halted:
            await self._revert(rollout, "hub")
